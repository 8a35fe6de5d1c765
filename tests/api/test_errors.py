"""Every error, whatever raised it, comes back in the one format."""

import pytest
from rest_framework.exceptions import ValidationError

from config.errors import ConflictError, exception_handler
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEYS = {"status", "code", "message", "fields", "details"}


@pytest.fixture
def client(client_for):
    return client_for(UserFactory())


def test_unknown_api_path_is_404_in_the_error_format(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "message": "Not found.",
        "fields": {},
        "details": {},
    }


def test_malformed_json_is_400_parse_error(client):
    response = client.patch("/api/v1/me", "{not json", content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == KEYS
    assert body["code"] == "parse_error"


def test_unsupported_media_type_is_415(client):
    response = client.patch("/api/v1/me", "full_name=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_field_errors_use_dotted_paths_for_nested_input():
    error = ValidationError({"windows": [{}, {"end": ["Must be after start."]}], "x": ["Bad."]})
    body = exception_handler(error, {}).data

    assert body["fields"] == {
        "windows.1.end": [{"code": "invalid", "message": "Must be after start."}],
        "x": [{"code": "invalid", "message": "Bad."}],
    }
    assert body["message"] == "windows.1.end: Must be after start. (and 1 more)"


def test_application_errors_carry_code_and_details():
    error = ConflictError(
        "Cannot submit a cancelled request.",
        code="illegal_transition",
        details={"current_status": "cancelled", "allowed": []},
    )
    response = exception_handler(error, {})

    assert response.status_code == 409
    assert response.data == {
        "status": 409,
        "code": "illegal_transition",
        "message": "Cannot submit a cancelled request.",
        "fields": {},
        "details": {"current_status": "cancelled", "allowed": []},
    }


def test_an_unexpected_exception_is_500_in_the_error_format_and_logged(caplog):
    response = exception_handler(RuntimeError("boom"), {"view": object()})

    assert response.status_code == 500
    assert response.data["code"] == "server_error"
    assert "boom" not in response.data["message"]
    assert "Unhandled error" in caplog.text
