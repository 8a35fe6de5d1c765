"""What an uploaded file may be: its size and its type, read from its content (the magic
bytes, with ``filetype``), never from the name or the client's Content-Type alone. The
name's extension must agree with the content, so a PDF renamed ``.docx`` or a program
renamed ``.pdf`` is refused."""

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from typing import Protocol

import filetype

from config.errors import ApplicationError

# extension -> the MIME type the content must have
ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
# filetype reads at most this many bytes (it needs the first few KiB; Office formats name
# their parts near the start of the zip).
HEAD_BYTES = 8192


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, /) -> object: ...
    def tell(self) -> int: ...


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int


def clean_name(name: str) -> str:
    """The base name only, without control characters or quotes (it goes into a
    Content-Disposition header), at most 200 characters with its extension."""
    base = PurePath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = re.sub(r'[\x00-\x1f\x7f"\\;]', "", base).strip(" .") or "file"
    stem, dot, extension = base.rpartition(".")
    if not dot:
        return base[:200]
    return f"{stem[: 199 - len(extension)]}.{extension}"


def check_upload(*, name: str, size: int, stream: Readable, max_bytes: int) -> CheckedFile:
    """The file's cleaned name and real type, or an ``ApplicationError`` naming the field."""
    if size > max_bytes:
        raise ApplicationError(
            f"The file is larger than {max_bytes // (1024 * 1024)} MB.",
            code="file_too_large",
            fields={"file": [f"At most {max_bytes} bytes."]},
        )
    if size == 0:
        raise ApplicationError("The file is empty.", code="empty_file", fields={"file": ["Empty."]})
    cleaned = clean_name(name)
    extension = PurePath(cleaned).suffix.lower().lstrip(".")
    expected = ALLOWED_TYPES.get(extension)
    if expected is None:
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise ApplicationError(
            f"Files of type .{extension or '?'} are not accepted; allowed: {allowed}.",
            code="file_type_not_allowed",
            fields={"file": [f"Allowed: {allowed}."]},
        )
    position = stream.tell()
    head = stream.read(HEAD_BYTES)
    stream.seek(position)
    kind = filetype.guess(head)
    if kind is None or kind.mime != expected:
        found = "unknown" if kind is None else kind.extension
        raise ApplicationError(
            f"The file's content is not a .{extension} file (it looks like {found}).",
            code="file_content_mismatch",
            fields={"file": ["The content does not match the file's extension."]},
            details={"extension": extension, "detected": found},
        )
    return CheckedFile(name=cleaned, content_type=expected, size=size)
