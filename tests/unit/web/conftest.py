from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from consultant.web.app import create_app
from tests.support.web import add_accounts


@pytest.fixture
def staff_app(app):
    """Settings for a catalog database with a reviewer and an admin account."""
    add_accounts()
    return app


@pytest.fixture
def client(staff_app) -> Iterator[TestClient]:
    with TestClient(create_app(), base_url="https://testserver") as test_client:
        yield test_client
