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


class TestSecurityHeaders:
    def test_strict_transport_security_when_the_base_url_is_https(self, staff_app, configure):
        configure(database_url=staff_app.database_url, web_base_url="https://consult.example.org")
        with TestClient(create_app(), base_url="https://testserver") as client:
            response = client.get("/sign-in")
        assert response.headers["strict-transport-security"] == "max-age=31536000"
        assert response.headers["x-frame-options"] == "DENY"

    def test_none_over_plain_http(self, staff_app, configure):
        configure(database_url=staff_app.database_url, web_base_url="http://127.0.0.1:8000")
        with TestClient(create_app(), base_url="http://testserver") as client:
            response = client.get("/sign-in")
        assert response.status_code == 200 and "strict-transport-security" not in response.headers
