"""Reading the open-data CSV files we import (GIAS, DfE statistics). No ORM in here."""

import sys
from collections.abc import Iterable

from tqdm import tqdm


class RowError(ValueError):
    """A row that cannot be imported; the message says why."""


class HeaderError(ValueError):
    """The file is not one we can read at all."""


def decode(raw: bytes) -> str:
    """DfE publishes cp1252 or UTF-8; re-saved copies are often UTF-8 with a BOM."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def count_rows(text: str) -> int:
    """An estimate for the progress bar: physical lines after the header."""
    return max(text.count("\n") - 1, 0)


def terminal_progress[T](rows: Iterable[T], *, total: int, terminal: bool) -> "tqdm[T]":
    """``rows`` with a progress bar on stderr when the command's output is a ``terminal``:
    logs and CI get its summary alone. Use it as a context manager, so the bar closes on
    errors."""
    return tqdm(
        rows,
        total=total,
        unit=" rows",
        desc="Importing",
        disable=not terminal,
        file=sys.stderr,
    )
