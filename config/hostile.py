"""What counts as hostile input, written once for the parser, the middleware and the router.

Text a client sends may hold tabs and line breaks; any other C0 control character (NUL above
all: PostgreSQL cannot store it in text) or DEL is refused, wherever it appears.
"""

import re

from rest_framework import exceptions, status

# C0 controls except \t \n \r, and DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# JSON bodies nest no deeper than this (objects and arrays); ours nest three levels at most.
MAX_JSON_DEPTH = 32

# A path segment that names an object by a code or slug: anything but a separator or a control
# character (the router's default, ``[^/.]+``, lets NUL through to the database).
TEXT_LOOKUP_REGEX = r"[^/.\x00-\x1f\x7f]+"
# An id or URN: digits only, so ``abc`` is a 404 before any view runs.
INTEGER_LOOKUP_REGEX = r"[0-9]+"


def has_control_character(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def control_character_error(text: str) -> str:
    match = CONTROL_CHARACTERS.search(text)
    assert match is not None  # noqa: S101 - only called for text that has one
    return f"Control character U+{ord(match.group()):04X} is not allowed."


class RequestTooLarge(exceptions.APIException):
    """A body past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"
