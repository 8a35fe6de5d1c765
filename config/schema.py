"""OpenAPI generation: every operation documents the errors it can answer with."""

from typing import Any, Literal

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
    "409": "Conflicts with the current state (e.g. an illegal status transition).",
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
        codes = []
        if self.method in {"POST", "PUT", "PATCH"} or self._is_list_view():
            codes.append("400")
        if not public:
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        codes += ["429", "503"]
        return codes
