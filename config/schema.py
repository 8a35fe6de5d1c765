"""OpenAPI generation: every operation documents the errors it can answer with, and the
schema says what the code accepts and renders (schemathesis checks it: docs/api.md)."""

from typing import Any, Literal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable reason, e.g. `required`.")
    message = serializers.CharField(help_text="Human-readable explanation.")


class ErrorSerializer(serializers.Serializer):
    """The one error format (docs/api.md)."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(
        help_text="Machine-readable error code, e.g. `invalid`, `not_found`, `conflict`."
    )
    message = serializers.CharField(help_text="A sentence a person can read.")
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True),
        help_text="Validation errors by field; nested fields use dotted paths (`windows.0.end`).",
    )
    details = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Extra context, e.g. `retry_after`, `current_status`, `allowed`.",
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: see `fields`.",
    "401": "Missing, invalid, expired or revoked credentials.",
    "403": "Authenticated, but this role may not do this.",
    "404": "Not found, or outside the caller's scope.",
    "405": "The method is not offered on this resource.",
    "409": "Conflicts with the current state (e.g. an illegal status transition).",
    "413": "The request body is larger than the upload limit.",
    "415": "The request body is not JSON.",
    "429": "Too many requests: see `details.retry_after` and the Retry-After header.",
    "503": "`database_unavailable`: the database is briefly unreachable; retry after the "
    "Retry-After header (also `details.retry_after`).",
}


def error_response(code: int | str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[str(code)])


# For ``extend_schema(responses={200: ..., **CONFLICT})`` on an operation that can conflict.
CONFLICT = {409: error_response(409)}


class ExchangeAutoSchema(AutoSchema):
    """Adds the error responses an operation can give, so no view has to repeat them."""

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    error_response(code), code, direction=direction
                )
        return responses

    def _error_codes(self) -> list[str]:
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        with_body = self.method in {"POST", "PUT", "PATCH"}
        # 400 everywhere: a control character in any query parameter is refused.
        codes = ["400"]
        if not public:
            codes += ["401", "403"]
        # A page past the end (or page=0) of a list is a 404, as a missing object is.
        if "{" in self.path or self._is_paginated_list():
            codes.append("404")
        codes.append("405")
        if with_body:
            codes += ["413", "415"]
        codes += ["429", "503"]
        return codes

    def _is_paginated_list(self) -> bool:
        return self._is_list_view() and getattr(self.view, "pagination_class", None) is not None


# --- the shapes of what the API accepts and renders -----------------------------------------

# Times render as `HH:MM` (REST_FRAMEWORK["TIME_FORMAT"]), a format clients already parse; input
# also takes seconds. OpenAPI's `format: time` is RFC 3339's full-time, which requires seconds
# and a UTC offset, so a pattern says it exactly instead.
TIME_RENDERED = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
TIME_ACCEPTED = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
# Text without the control characters config.hostile refuses (tabs and line breaks allowed).
PLAIN_TEXT = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"


class TimeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        pattern = TIME_RENDERED if direction == "response" else TIME_ACCEPTED
        return {"type": "string", "pattern": pattern, "example": "09:00"}


class ManyRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """``many=True`` relations with ``allow_empty=False`` say ``minItems: 1``."""

    target_class = "rest_framework.relations.ManyRelatedField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and not self.target.allow_empty:
            schema["minItems"] = 1
        return schema


def _plain_text(schema: dict[str, Any]) -> None:
    """Walks a request schema: free text (no format, enum or pattern) gets ``PLAIN_TEXT``."""
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "string" and not {"format", "enum", "pattern"} & set(node):
            node["pattern"] = PLAIN_TEXT
        stack += [*node.get("properties", {}).values(), node.get("items")]
        stack += node.get("allOf", []) + node.get("oneOf", []) + node.get("anyOf", [])


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    """``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``, after the enum hook.

    - request bodies' and query parameters' free text refuses control characters;
    - ``page`` and ``page_size`` start at 1 (``page=0`` is a 404, documented per list).
    """
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _plain_text(component)
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter["in"] == "query" and parameter["name"] in {"page", "page_size"}:
                    schema["minimum"] = 1
                elif parameter["in"] == "query":
                    _plain_text(schema)
    return result
