from fastapi.testclient import TestClient

from consultant.web.app import create_app


class TestHealthz:
    def test_answers_ok_without_signing_in_when_the_database_answers(self, client):
        response = client.get("/healthz")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    def test_says_503_when_the_database_does_not(self, configure, tmp_path):
        (tmp_path / "not-a-db").mkdir()
        configure(database_url=f"sqlite:///{tmp_path / 'not-a-db'}")
        with TestClient(create_app(), base_url="https://testserver") as client:
            response = client.get("/healthz")
        assert response.status_code == 503 and response.json()["status"] == "database unavailable"
