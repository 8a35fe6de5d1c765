"""The API's one JSON parser: bounded size and depth, no control characters in any string."""

import json
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers

from config.hostile import (
    MAX_JSON_DEPTH,
    RequestTooLarge,
    control_character_error,
    has_control_character,
)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, made safe for any body a client can send.

    - a body past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 (DRF reads the stream directly,
      bypassing Django's own check, which only guards ``request.body``);
    - malformed JSON, JSON nested deeper than ``MAX_JSON_DEPTH`` (Python's decoder would raise
      ``RecursionError`` at a few thousand levels) and non-finite numbers are a 400
      ``parse_error``;
    - a string value holding a control character is a 400 naming the field.
    """

    def parse(self, stream, media_type=None, parser_context=None) -> Any:  # type: ignore[no-untyped-def]
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = b"" if stream is None else stream.read(-1 if limit is None else limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            data = json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            raise _too_deep() from None
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        check_tree(data)
        return data


# Enough to show a client what to fix, not an echo of a hostile body.
MAX_REPORTED = 20


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")


def check_tree(data: Any) -> None:
    """Walks parsed JSON without recursion: the depth bound, then control characters, each
    reported under its field's dotted path (at most ``MAX_REPORTED`` of them)."""
    errors: dict[str, list[str]] = {}
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack and len(errors) < MAX_REPORTED:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if has_control_character(value):
                errors[path or "non_field_errors"] = [control_character_error(value)]
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise _too_deep()
        items = list(value.items() if isinstance(value, dict) else enumerate(value))
        # Keys are not checked: an unknown field is ignored, and no known one has a control
        # character. Values are, wherever they sit.
        for key, child in reversed(items):  # reversed: the stack pops them in order
            stack.append((child, f"{path}.{key}" if path else str(key), depth + 1))
    if errors:
        raise exceptions.ValidationError(errors, code="control_character")
