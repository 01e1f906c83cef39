"""Settings from the environment (prefix CONSULTANT_), with defaults that run on one machine."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from consultant.shipped import shipped



def split_host_port(value: str, default_port: int) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host:
        return value, default_port
    return host.strip("[]"), int(port)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSULTANT_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    broker_url: str | None = None
    smtp_listen: str = "127.0.0.1:2525"
    address: str = "ask@consultant.localhost"
    extra_addresses: list[str] = Field(default_factory=list)
    relay: str | None = None
    relay_timeout: float = 30.0
    imap_url: str | None = None
    web_listen: str = "127.0.0.1:8000"
    web_idle_minutes: int = Field(default=30, ge=1)  # a staff session ends after this long without a request
    web_cookie_secure: bool = True  # Secure cookies; browsers accept them on http://127.0.0.1 and localhost too
    web_sign_in_attempts: int = Field(default=5, ge=1)  # failed sign-ins per address within the window below
    web_sign_in_window_minutes: int = Field(default=15, ge=1)
    max_message_bytes: int = 25 * 1024 * 1024
    max_mime_parts: int = Field(default=1000, ge=1)  # a message beyond these limits is quarantined
    max_mime_depth: int = Field(default=20, ge=1)
    max_header_bytes: int = Field(default=64 * 1024, ge=1024)
    service_name: str = "Coding Consultant"
    reference_prefix: str = "CC"
    review_response_hours: int = Field(default=24, ge=1)  # the service level promised in acknowledgements
    # automatic replies (answers and acknowledgements) to one address in 24 hours; past it, mail is kept for staff
    # and nothing is sent, so a responder that ignores Auto-Submitted cannot hold us in a loop
    auto_reply_cap_per_day: int = Field(default=30, ge=1)
    send_retry_delays: list[int] = Field(default_factory=lambda: [30, 120, 600, 1800, 7200, 21600])
    sweep_interval: float = 30.0
    sweep_after: float = 120.0
    workers: int = 2
    templates_dir: Path = Field(default_factory=lambda: shipped("templates"))
    routing_policy: Path = Field(default_factory=lambda: shipped("config") / "routing.toml")
    plans: Path = Field(default_factory=lambda: shipped("config") / "plans.toml")  # plans, quotas, how senders count
    # where the web app is reached from outside: registration links in our mail point there
    # (unset: http:// plus WEB_LISTEN, which is right only on one machine; set it in production)
    web_base_url: str | None = None
    # Authentication-Results are believed only when added by these hosts (our own border MTA's authserv-id)
    trusted_authserv_ids: list[str] = Field(default_factory=list)
    # true: mail without a trusted dmarc=pass is not charged or answered with account data (as a DMARC fail is)
    require_dmarc_pass: bool = False
    sender_messages_per_hour: int = Field(default=20, ge=1)  # past it, mail is kept and queued
    registration_token_hours: int = Field(default=48, ge=1)

    @field_validator("address", "extra_addresses")
    @classmethod
    def _lowercase(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list):
            return [v.strip().lower() for v in value]
        return value.strip().lower()

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / 'consultant.sqlite3'}"

    @property
    def embedded_database(self) -> bool:
        """SQLite: a database this process may create and prepare by itself."""
        return self.resolved_database_url.startswith("sqlite")

    @property
    def embedded_broker(self) -> bool:
        return not self.broker_url

    @property
    def broker_dir(self) -> Path:
        return self.resolved_data_dir / "broker"

    @property
    def maildir(self) -> Path:
        return self.resolved_data_dir / "outbox-maildir"

    @property
    def accepted_addresses(self) -> frozenset[str]:
        return frozenset([self.address, *self.extra_addresses])

    @property
    def mail_domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def web_url(self) -> str:
        """WEB_BASE_URL, else the web app's listening address."""
        if self.web_base_url:
            return self.web_base_url.rstrip("/")
        host, port = self.web_host_port
        host = "127.0.0.1" if host in ("", "0.0.0.0") else "[::1]" if host == "::" else host
        return f"http://{host}:{port}"

    @property
    def web_host_port(self) -> tuple[str, int]:
        return split_host_port(self.web_listen, 8000)

    @property
    def smtp_host_port(self) -> tuple[str, int]:
        return split_host_port(self.smtp_listen, 2525)

    @property
    def relay_host_port(self) -> tuple[str, int] | None:
        if not self.relay:
            return None
        parts = urlsplit(self.relay)
        if parts.scheme not in ("smtp", ""):
            raise ValueError(f"CONSULTANT_RELAY must be smtp://host:port, got scheme {parts.scheme!r}")
        return parts.hostname or "127.0.0.1", parts.port or 25


@lru_cache
def get_settings() -> Settings:
    return Settings()
