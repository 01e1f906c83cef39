"""Schemathesis generates requests from the API's own OpenAPI schema; none may get a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from consultant.db.session import session_scope
from consultant.staff.tokens import create_token
from consultant.web.app import create_app
from tests.builders import question_email
from tests.support.web import REVIEWER, ask


@pytest.fixture
def api_schema(staff_app):
    ask(staff_app, question_email("Does Medicare pay for K76.0 when billed with E11.9?"))
    ask(staff_app, question_email("Patient John Smith, MRN 12345678: is K76.0 right?"))
    with session_scope() as session:
        token = create_token(session, "cli:test", REVIEWER, "tests")
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(),
                                            headers={"Authorization": f"Bearer {token}"})
    schema.token = token
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, api_schema):
    response = case.call(headers={"Authorization": f"Bearer {api_schema.token}"})
    case.validate_response(response, checks=[not_a_server_error])
