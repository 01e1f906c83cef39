"""docker-compose.yml deploys as written: the settings it cannot do without are required, the services that
serve have healthchecks, and what must persist lives in volumes."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
OURS = {name: service for name, service in COMPOSE["services"].items() if service.get("image") == "consultant:latest"}


class TestCompose:
    def test_every_service_of_ours_must_be_given_a_relay_and_a_public_web_address(self):
        assert set(OURS) == {"migrate", "receiver", "imap", "web", "worker", "beat"}
        for name, service in OURS.items():
            env = service["environment"]
            assert env["CONSULTANT_RELAY"].startswith("${CONSULTANT_RELAY:?"), name
            assert env["CONSULTANT_WEB_BASE_URL"].startswith("${CONSULTANT_WEB_BASE_URL:?"), name
            assert env["CONSULTANT_DATABASE_URL"].startswith("postgresql+psycopg://"), name
            assert env["CONSULTANT_BROKER_URL"].startswith("redis://"), name

    def test_the_receiver_and_the_web_app_have_healthchecks_on_their_own_ports(self):
        assert "2525" in " ".join(OURS["receiver"]["healthcheck"]["test"])
        assert "8000/healthz" in " ".join(OURS["web"]["healthcheck"]["test"])
        assert OURS["receiver"]["environment"]["CONSULTANT_SMTP_LISTEN"].endswith(":2525")
        assert OURS["web"]["environment"]["CONSULTANT_WEB_LISTEN"].endswith(":8000")

    def test_what_must_persist_is_in_volumes(self):
        assert {"redis", "postgres", "data"} <= set(COMPOSE["volumes"])
        assert COMPOSE["services"]["postgres"]["volumes"] == ["postgres:/var/lib/postgresql/data"]
        for name, service in OURS.items():
            assert "data:/var/lib/consultant" in service["volumes"], name

    def test_the_schema_and_catalog_are_made_before_anything_serves(self):
        assert "consultant db upgrade" in " ".join(OURS["migrate"]["command"])
        for name in ("receiver", "web", "worker", "beat"):
            assert OURS[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
