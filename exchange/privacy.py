"""Keeps pupil-identifying data out of support requests' free text. No ORM in here.

The Exchange never stores a pupil's name or date of birth. Staff describe pupils as they
present ("a Year 4 pupil with ASD who…"), or by initials. This check rejects text that
*looks like* it holds either; it is a safety net, not a guarantee (docs/privacy.md):

- a full name: a common first name followed by a capitalised word, unless a title
  (Mr, Mrs, Ms, Miss, Mx, Dr, Prof, Sir) comes first — that is a member of staff — or
  the next word is part of an organisation's name ("Grace Academy");
- a date of birth: the words "date of birth", "DOB" or "born on/in", or any full date
  (``3/4/2017``, ``2017-04-03``, ``3 April 2017``, ``April 3rd, 2017``) whose year falls
  within the ages of school pupils.

It cannot catch uncommon or lower-case names, names alone ("Oliver"), or dates written
partially; it may refuse a full date that is not a birthday in those years.
"""

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

COMMON_FIRST_NAMES = frozenset(
    line.strip()
    for line in (Path(__file__).parent / "data" / "first_names.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
STAFF_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir"})
ORGANISATION_WORDS = frozenset(
    [
        "Academy",
        "Academies",
        "School",
        "Schools",
        "Primary",
        "Secondary",
        "College",
        "Trust",
        "Federation",
        "Centre",
        "Center",
        "Unit",
        "Hospital",
        "Road",
        "Street",
        "Lane",
        "Avenue",
        "Park",
        "Church",
        "House",
        "Hall",
        "Nursery",
        "Infant",
        "Infants",
        "Junior",
        "Juniors",
        "Foundation",
        "Partnership",
        "Service",
        "Services",
        "Team",
    ]
)

# A lookahead, so pairs overlap: in "In Reception Amelia Jones" every adjacent pair is tried.
_NAME = re.compile(r"(?=\b(?P<first>[A-Z][a-z]+)\s+(?P<last>[A-Z][a-zA-Z'’-]+))")
_WORD_BEFORE = re.compile(r"\b(?P<word>[A-Za-z]+)\.?\s+$")
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DOB_WORDS = re.compile(
    r"\b(?:date[\s-]+of[\s-]+birth|d\.?o\.?b\.?|born\s+(?:on|in))\b", re.IGNORECASE
)
_DATES = [
    re.compile(r"\b(?P<year>\d{4})-\d{1,2}-\d{1,2}\b"),  # ISO, as MIS exports write them
    re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?P<year>\d{4}|\d{2})\b"),
    re.compile(
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+(?P<year>\d{{4}})\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b", re.IGNORECASE
    ),
]
# Pupils are aged 2 to 25 (post-16 with an EHCP): born 1 to 26 calendar years ago.
_PUPIL_AGE_YEARS = range(1, 27)


@dataclass(frozen=True)
class Finding:
    kind: str  # "name" or "date_of_birth"
    text: str

    @property
    def message(self) -> str:
        if self.kind == "name":
            return (
                f'"{self.text}" looks like a pupil\'s full name. Remove it: describe the pupil '
                "without naming them (e.g. 'a Year 4 pupil') or use initials."
            )
        return (
            f'"{self.text}" looks like a date of birth. Remove it: give the pupil\'s age or '
            "year group instead."
        )


def find_pupil_identifiers(text: str, *, today: date) -> list[Finding]:
    findings = []
    for match in _NAME.finditer(text):
        before = _WORD_BEFORE.search(text, 0, match.start())
        title = before.group("word").lower() if before else ""
        if (
            match.group("first") in COMMON_FIRST_NAMES
            and title not in STAFF_TITLES
            and match.group("last") not in ORGANISATION_WORDS
        ):
            findings.append(Finding("name", f"{match.group('first')} {match.group('last')}"))
    for match in _DOB_WORDS.finditer(text):
        findings.append(Finding("date_of_birth", match.group(0)))
    for pattern in _DATES:
        for match in pattern.finditer(text):
            if _is_pupil_birth_year(match.group("year"), today):
                findings.append(Finding("date_of_birth", match.group(0)))
    return findings


def _is_pupil_birth_year(year_text: str, today: date) -> bool:
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year <= today.year % 100 else 1900
    return today.year - year in _PUPIL_AGE_YEARS
