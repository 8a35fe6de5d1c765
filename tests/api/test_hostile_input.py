"""Hostile input is a 4xx in the error format on every route, and stores nothing.

The routes come from the OpenAPI schema, so a new endpoint is covered without being named
here; a test below checks that the schema lists every API route in the URLconf.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from config.hostile import MAX_JSON_DEPTH
from exchange.models import Topic
from library.models import Resource
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unthrottled")]

KEYS = {"status", "code", "message", "fields", "details"}
BODY_METHODS = {"post", "put", "patch"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # with {placeholders}
    parameters: tuple[dict, ...]
    body: dict | None  # the JSON request body's schema, resolved

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], self.path)

    @property
    def path_names(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def query_names(self) -> list[str]:
        return [p["name"] for p in self.parameters if p["in"] == "query"]


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _operations() -> list[Operation]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            found.append(
                Operation(
                    method,
                    path,
                    tuple(operation.get("parameters", [])),
                    _resolve(schema, body) if body else None,
                )
            )
    return found


OPERATIONS = _operations()
WITH_PATH_IDS = [op for op in OPERATIONS if op.path_names]
WITH_BODY = [op for op in OPERATIONS if op.body is not None]


@pytest.fixture
def scene(db, client_for):
    """Real objects behind every path placeholder, so a 404 is the hostile segment's doing."""
    expert = factories.ExpertProfileFactory()
    school = factories.SchoolFactory(trust=factories.TrustFactory())
    support_request = factories.SupportRequestFactory(school=school)
    values = {
        "id": "1",
        "expert_pk": str(expert.pk),
        "request_pk": str(support_request.pk),
        "resource_pk": str(
            Resource.objects.create(title="t", summary="s", evidence_level="classroom_practice").pk
        ),
        "urn": str(school.urn),
        "code": "ASD",
        "slug": Topic.objects.first().slug,
        "token": "a" * 40,
    }
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    return values, client_for(admin)


def rows() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def assert_refused(response, status: int | None = None, code: str | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == KEYS
    assert body["status"] == response.status_code
    if code is not None:
        assert body["code"] == code, body
    return body


def send(client, op: Operation, url: str, data: bytes | str | None = None, **extra):
    kwargs = {"content_type": "application/json"} if data is not None else {}
    return getattr(client, op.method)(url, data, **kwargs, **extra)


def _api_routes(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern, route)
        elif isinstance(pattern, URLPattern) and route.lstrip("^").startswith("api/v1/"):
            yield route


def test_the_schema_lists_every_api_route_in_the_urlconf():
    """Guards the tests below: they walk the schema, so it must hold every route."""
    routes = set(_api_routes(get_resolver()))
    # ^api/v1/ ^experts/(?P<expert_pk>\d+)/credentials/(?P<pk>[0-9]+)$ → experts/{}/credentials/{}
    shapes = {
        re.sub(r"\(\?P<\w+>[^)]*\)", "{}", r).replace("^", "").replace("$", "") for r in routes
    }
    shapes = {re.sub(r"\\\.ics", ".ics", s).replace("api/v1/", "/api/v1/") for s in shapes}
    documented = {re.sub(r"\{\w+\}", "{}", op.path) for op in OPERATIONS}
    assert shapes - documented == set()


BAD_SEGMENTS = ["abc", "1.5", "-1", "1%00", "%00", "A%00B", "%01", "%7F", "99999999999999999999x"]


@pytest.mark.parametrize("op", WITH_PATH_IDS, ids=str)
def test_a_malformed_path_segment_is_404(op, scene):
    values, client = scene
    before = rows()
    for name in op.path_names:
        for bad in BAD_SEGMENTS:
            response = send(client, op, op.url({**values, name: bad}), "{}" if op.body else None)
            assert_refused(response, 404, "not_found")
    assert rows() == before


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_a_control_character_in_any_query_parameter_is_400(op, scene):
    values, client = scene
    before = rows()
    for name in [*op.query_names, "anything"]:
        for bad in ("%00", "a%01b", "%1B", "%7F"):
            response = send(client, op, f"{op.url(values)}?{name}={bad}")
            body = assert_refused(response, 400, "invalid")
            assert body["fields"][name][0]["code"] == "control_character"
    response = send(client, op, f"{op.url(values)}?a%00b=1")
    assert_refused(response, 400, "invalid")
    assert rows() == before


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_a_malformed_deep_or_oversized_body_is_refused(op, scene):
    values, client = scene
    url = op.url(values)
    before = rows()
    for text in ("{not json", '{"a": 1', "[1,]", '{"a": NaN}', '{"a": Infinity}', "\x00"):
        assert_refused(send(client, op, url, text))
    for depth in (MAX_JSON_DEPTH + 1, 10_000, 200_000):
        body = assert_refused(send(client, op, url, '{"b": ' + _nested(depth) + "}"))
        assert body["code"] in {"parse_error", "not_found", "permission_denied"}
    oversized = b'{"a": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'
    assert_refused(send(client, op, url, oversized), 413, "request_too_large")
    assert rows() == before


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_a_control_character_in_any_body_field_is_refused(op, scene):
    values, client = scene
    url = op.url(values)
    before = rows()
    for name in op.body.get("properties", {}):
        for bad in ("\x00", "a\x00b", "\x08", "\x1b[31m", "\x7f"):
            for value in (bad, [bad], {"x": bad}):
                response = send(client, op, url, json.dumps({name: value}))
                assert_refused(response)
    assert rows() == before


# --- the same refusals where a caller reaches the body: exact codes and field paths ---------


def test_an_oversized_anonymous_sign_in_is_413(api_client):
    oversized = b'{"email": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'
    response = api_client.post("/api/v1/auth/token", oversized, content_type="application/json")

    assert_refused(response, 413, "request_too_large")


def test_a_body_under_the_declared_length_is_still_bounded_by_the_parser(api_client):
    """The middleware trusts Content-Length; the parser never reads past the limit."""
    oversized = b'{"email": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'
    response = api_client.post(
        "/api/v1/auth/token", oversized, content_type="application/json", CONTENT_LENGTH="10"
    )

    assert_refused(response, 400, "parse_error")


def test_json_nested_10000_deep_is_400_parse_error(client_for):
    client = client_for(factories.UserFactory())
    response = client.patch(
        "/api/v1/me", '{"full_name": ' + _nested(10_000) + "}", content_type="application/json"
    )

    body = assert_refused(response, 400, "parse_error")
    assert f"deeper than {MAX_JSON_DEPTH}" in body["message"]


def test_a_nul_in_a_need_code_in_a_body_is_400_naming_the_field(client_for):
    member = factories.MembershipFactory()
    request = {"title": "t", "needs": ["ASD", "SP\x00LD"], "primary_need": "\x00"}
    response = client_for(member.user).post("/api/v1/requests", request)

    body = assert_refused(response, 400, "invalid")
    assert body["fields"] == {
        name: [{"code": "control_character", "message": "Control character U+0000 is not allowed."}]
        for name in ("needs.1", "primary_need")
    }


def test_tabs_and_line_breaks_in_text_are_allowed(client_for):
    user = factories.UserFactory()
    response = client_for(user).patch("/api/v1/me", {"full_name": "Ann\tLee\r\n"})

    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "path",
    ["/api/v1/needs/AS%00D", "/api/v1/topics/%00", "/api/v1/trusts/1%00", "/api/v1/schools/1%00"],
)
def test_a_nul_in_a_code_path_is_404(path, client_for):
    assert_refused(client_for(factories.UserFactory()).get(path), 404, "not_found")


def test_a_patch_with_an_incomplete_preferred_window_is_400_like_a_post(client_for):
    member = factories.MembershipFactory()
    support_request = factories.SupportRequestFactory(school=member.school)
    support_request.preferred_windows.create(
        date=timezone.localdate() + timedelta(days=7),
        start_time="09:00",
        end_time="10:00",
    )
    window = {"date": str(timezone.localdate() + timedelta(days=8))}
    response = client_for(member.user).patch(
        f"/api/v1/requests/{support_request.pk}", {"preferred_windows": [window]}
    )

    body = assert_refused(response, 400, "invalid")
    assert set(body["fields"]) == {"preferred_windows.0.start_time", "preferred_windows.0.end_time"}
    assert support_request.preferred_windows.count() == 1


def test_a_patch_with_a_specialism_missing_its_level_is_400(client_for):
    expert = factories.ExpertProfileFactory()
    response = client_for(expert.user).patch(
        f"/api/v1/experts/{expert.pk}", {"specialisms": [{"need": "ASD"}]}
    )

    body = assert_refused(response, 400, "invalid")
    assert set(body["fields"]) == {"specialisms.0.level"}
    assert expert.specialisms.get().level == "specialist"
