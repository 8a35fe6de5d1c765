"""Reading DfE's "Special educational needs in England" open-data CSV. No ORM in here.

Columns are found by name through ``SEN_COLUMN_ALIASES`` (they move and are renamed between
releases); census need labels become our need codes; DfE's symbols become "no number" with
the symbol kept as the reason.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from accounts.constants import NEED_CODE_ALIASES, NEED_CODES
from config.csv_files import HeaderError, RowError
from insights.constants import (
    CENSUS_NEED_CODES,
    CENSUS_NEED_LABELS_WITHOUT_CODE,
    GEOGRAPHIC_LEVELS,
    SEN_COLUMN_ALIASES,
    SEN_REQUIRED_COLUMNS,
)
from insights.enums import StatisticSymbol

SYMBOLS = {symbol.value: symbol for symbol in StatisticSymbol if symbol.value}
LEVELS_BY_LOWER = {level.lower(): level for level in GEOGRAPHIC_LEVELS}


@dataclass(frozen=True)
class SenStatisticRecord:
    time_period: str
    time_identifier: str
    geographic_level: str
    region_code: str
    region_name: str
    old_la_code: str
    new_la_code: str
    la_name: str
    phase: str
    provision: str
    need_label: str
    need_code: str | None
    pupil_count: int | None
    symbol: str

    @property
    def key(self) -> tuple[str, ...]:
        """What makes a row unique (models.SenStatistic's constraint)."""
        return (
            self.time_period,
            self.geographic_level,
            self.region_code,
            self.old_la_code,
            self.new_la_code,
            self.phase,
            self.provision,
            self.need_label,
        )


@dataclass(frozen=True)
class ParsedRow:
    line: int
    record: SenStatisticRecord | None = None
    error: str = ""


def column_positions(header: list[str]) -> dict[str, int]:
    """Our column name → its position in this file's header."""
    positions: dict[str, int] = {}
    lowered = [name.strip().lower() for name in header]
    for ours, aliases in SEN_COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in lowered:
                positions[ours] = lowered.index(alias)
                break
    missing = [name for name in SEN_REQUIRED_COLUMNS if name not in positions]
    if missing:
        wanted = (" or ".join(SEN_COLUMN_ALIASES[name]) for name in missing)
        raise HeaderError(f"Missing required column(s): {', '.join(wanted)}.")
    return positions


def iter_rows(text: str) -> Iterator[ParsedRow]:
    """Parses every row, yielding a record or a line-numbered error; never stops early."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise HeaderError("The file is empty.") from None
    positions = column_positions(header)
    first_line_by_key: dict[tuple[str, ...], int] = {}
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            yield ParsedRow(line, error=f"{len(values)} fields, but the header has {len(header)}.")
            continue
        cells = {ours: values[position].strip() for ours, position in positions.items()}
        try:
            record = parse_row(cells)
        except RowError as error:
            yield ParsedRow(line, error=str(error))
            continue
        if record.key in first_line_by_key:
            yield ParsedRow(line, error=f"Same row as line {first_line_by_key[record.key]}.")
            continue
        first_line_by_key[record.key] = line
        yield ParsedRow(line, record=record)


def parse_row(cells: dict[str, str]) -> SenStatisticRecord:
    def text(name: str) -> str:
        return cells.get(name, "")

    def required(name: str) -> str:
        value = text(name)
        if not value:
            raise RowError(f"{SEN_COLUMN_ALIASES[name][0]} is empty.")
        return value

    time_period = required("time_period")
    if not (len(time_period) in (4, 6) and time_period.isdigit()):
        raise RowError(f"time_period must be a year such as 202526, not {time_period!r}.")
    level = LEVELS_BY_LOWER.get(required("geographic_level").lower())
    if level is None:
        raise RowError(
            f"Unknown geographic_level {text('geographic_level')!r} "
            f"(expected {', '.join(GEOGRAPHIC_LEVELS)})."
        )
    old_la_code, new_la_code = text("old_la_code"), text("new_la_code")
    if level == "Local authority" and not (old_la_code or new_la_code):
        raise RowError("A local-authority row needs old_la_code or new_la_code.")
    if old_la_code and not (old_la_code.isdigit() and len(old_la_code) <= 3):
        raise RowError(f"old_la_code must be a number of up to 3 digits, not {old_la_code!r}.")
    need_label = required("need_label")
    count, symbol = parse_count(required("pupil_count"))
    return SenStatisticRecord(
        time_period=time_period,
        time_identifier=text("time_identifier"),
        geographic_level=level,
        region_code=text("region_code"),
        region_name=text("region_name"),
        old_la_code=old_la_code,
        new_la_code=new_la_code,
        la_name=text("la_name"),
        phase=text("phase"),
        provision=required("provision"),
        need_label=need_label,
        need_code=need_code_for_census_label(need_label),
        pupil_count=count,
        symbol=symbol,
    )


def parse_count(value: str) -> tuple[int | None, str]:
    """``"827"`` → ``(827, "")``; ``"c"`` → ``(None, "c")``."""
    if value.isdigit():
        return int(value), StatisticSymbol.NONE
    symbol = SYMBOLS.get(value.lower())
    if symbol is None:
        raise RowError(
            f"Pupil count must be a whole number or one of {', '.join(SYMBOLS)}, not {value!r}."
        )
    return None, symbol


def need_code_for_census_label(label: str) -> str | None:
    """``"Autistic Spectrum Disorder"`` → ``"ASD"``; ``"AUT"`` → ``"ASD"``; the
    no-specialist-assessment category → None."""
    lowered = label.lower()
    if lowered in CENSUS_NEED_CODES:
        return CENSUS_NEED_CODES[lowered]
    if lowered in CENSUS_NEED_LABELS_WITHOUT_CODE:
        return None
    code = NEED_CODE_ALIASES.get(label.upper(), label.upper())
    if code in NEED_CODES:
        return code
    raise RowError(f"Unknown primary need {label!r}.")
