"""The knowledge app's operations in the OpenAPI schema: each one shows an example of what
it takes or gives, and a request's review is one object, not a list."""

import io

import pytest
import yaml
from django.core.management import call_command

PREFIXES = ("/api/v1/feedback", "/api/v1/reviews")
UNDER_A_REQUEST = ("/goals", "/confidence", "/review")


@pytest.fixture(scope="module")
def schema() -> dict:
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def knowledge_operations(schema: dict):
    for path, item in schema["paths"].items():
        if path.startswith(PREFIXES) or any(part in path for part in UNDER_A_REQUEST):
            for method, operation in item.items():
                if method in {"get", "post", "patch", "delete"}:
                    yield path, method, operation


def has_example(operation: dict) -> bool:
    bodies = [operation.get("requestBody", {})] + [
        response for code, response in operation["responses"].items() if code.startswith("2")
    ]
    return any(
        media.get("examples") for body in bodies for media in body.get("content", {}).values()
    )


def test_every_knowledge_operation_has_an_example(schema):
    operations = list(knowledge_operations(schema))
    # Deleting a goal has no body to show.
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations
        if method != "delete" and not has_example(operation)
    ]
    assert len(operations) == 16
    assert missing == []


def test_a_requests_review_is_one_object(schema):
    get = schema["paths"]["/api/v1/requests/{request_pk}/review"]["get"]
    body = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ReviewState"}
