"""The pupil-identifier check on support requests' free text (exchange/privacy.py). No database."""

from datetime import date

import pytest

from exchange.privacy import Finding, find_pupil_identifiers

# A fixed "today": pupils' birth years are then 2001–2025 (`_PUPIL_AGE_YEARS`).
TODAY = date(2026, 3, 15)


def findings_in(text: str) -> list[tuple[str, str]]:
    return [(found.kind, found.text) for found in find_pupil_identifiers(text, today=TODAY)]


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Oliver Smith hits out when the class lines up.", "Oliver Smith"),
        ("She sits with Amelia Jones-Patel at lunch.", "Amelia Jones-Patel"),
        ("Oliver SMITH hides under the table.", "Oliver SMITH"),
        ("Help for Jack Brown in Year 4", "Jack Brown"),
    ],
)
def test_a_common_first_name_followed_by_a_surname_is_flagged_as_a_name(text, name):
    assert findings_in(text) == [("name", name)]


@pytest.mark.parametrize(
    "text",
    [
        "Mrs Grace Hall, our SENCO, will attend.",
        "Mr. Jack Brown teaches the class.",
        "Mr Jack Brown teaches the class.",
        "Ms Amelia Jones leads maths.",
        "Dr Oliver Smith is the educational psychologist.",
        "Miss Grace Taylor covers on Fridays.",
    ],
)
def test_a_name_after_a_staff_title_is_not_flagged(text):
    assert findings_in(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "We are Grace Academy, a two-form entry school.",
        "Oliver Primary has a resourced provision.",
        "Visits to Amelia House are arranged weekly.",
        "Jack Lane is the nearest bus stop.",
    ],
)
def test_an_organisation_or_place_name_is_not_flagged(text):
    assert findings_in(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Oliver finds transitions hard.",
        "Ask about Amelia.",
        "a Year 4 pupil with ASD who covers their ears",
        "O.S. leaves the room when it gets loud.",
        "oliver smith",  # lower-case names are a documented blind spot
    ],
)
def test_a_first_name_alone_initials_or_lower_case_text_are_not_flagged(text):
    assert findings_in(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "In Reception Amelia Jones cries at drop-off.",
        "Since September Oliver Smith has refused to come in.",
    ],
)
def test_a_full_name_after_another_capitalised_word_is_flagged(text):
    assert [kind for kind, _ in findings_in(text)] == ["name"]


def test_a_titled_staff_name_after_a_capitalised_word_is_not_flagged():
    assert findings_in("Contact Mr. Jack Brown for the timetable.") == []


# --- dates of birth ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("DOB: unknown", "DOB"),
        ("dob on file", "dob"),
        ("d.o.b. on file", "d.o.b"),
        ("D.O.B on file", "D.O.B"),
        ("Date of birth on file.", "Date of birth"),
        ("The pupil was born on a Tuesday.", "born on"),
        ("The pupil was born in the summer.", "born in"),
        ("Her date-of-birth is on file.", "date-of-birth"),
    ],
)
def test_date_of_birth_words_are_flagged(text, words):
    assert findings_in(text) == [("date_of_birth", words)]


@pytest.mark.parametrize(
    "written",
    [
        "3/4/2017",
        "03/04/2017",
        "03-04-17",
        "3.4.2017",
        "3 April 2017",
        "3rd April 2017",
        "3 of April 2017",
        "3rd of Apr. 2017",
        "April 3, 2017",
        "April 3rd 2017",
        "Sept 30 2012",
    ],
)
def test_a_full_date_in_a_pupil_birth_year_is_flagged(written):
    assert findings_in(f"Assessed {written} by the SALT.") == [("date_of_birth", written)]


@pytest.mark.parametrize(
    "written",
    [
        "1/9/2001",  # aged 24 or 25 on TODAY: post-19 with an EHCP
        "1/9/2025",  # the youngest year the check counts
        "1/9/25",
    ],
)
def test_the_edges_of_the_pupil_birth_years_are_flagged(written):
    assert findings_in(written) == [("date_of_birth", written)]


@pytest.mark.parametrize(
    "written",
    [
        "3/4/2026",  # this year: a meeting, not a pupil's birthday
        "14 March 2026",
        "April 3, 2027",  # next year
        "3/4/27",  # read as 1927
        "1/1/1970",
        "3rd April 1990",
        "2 May 1985",
    ],
)
def test_a_full_date_outside_pupil_birth_years_is_not_flagged(written):
    assert findings_in(f"Next review {written}.") == []


@pytest.mark.parametrize(
    "text",
    [
        "Seen in April 2017 by the SALT.",  # no day: a partial date
        "Reviewed on 3/4 this term.",  # no year
        "Year 4, aged 8.",
    ],
)
def test_a_partial_date_is_not_flagged(text):
    assert findings_in(text) == []


def test_the_birthday_of_a_pupil_aged_25_is_flagged():
    # Born 3 June 2000: aged 25 on 15 March 2026.
    assert findings_in("3/6/2000") == [("date_of_birth", "3/6/2000")]


def test_an_iso_date_in_a_pupil_birth_year_is_flagged():
    assert findings_in("2017-04-03") == [("date_of_birth", "2017-04-03")]


def test_the_pupil_birth_years_follow_today():
    assert findings_in("3/4/2017") != []
    assert find_pupil_identifiers("3/4/2017", today=date(2017, 9, 1)) == []
    assert find_pupil_identifiers("3/4/2017", today=date(2050, 9, 1)) == []


# --- several findings and the message -------------------------------------------------------


def test_every_identifier_in_a_text_is_reported():
    text = "Oliver Smith (DOB 3/4/2017) and Amelia Jones share a TA."

    assert sorted(findings_in(text)) == [
        ("date_of_birth", "3/4/2017"),
        ("date_of_birth", "DOB"),
        ("name", "Amelia Jones"),
        ("name", "Oliver Smith"),
    ]


def test_a_text_describing_pupils_without_identifiers_has_no_findings():
    text = (
        "Two Year 4 pupils with ASD leave the classroom when it gets loud. Mrs Grace Hall "
        "(SENCO) has tried ear defenders since 3 March 2026; we are part of Oliver Primary Trust."
    )

    assert findings_in(text) == []


def test_a_name_finding_message_quotes_the_name_and_says_how_to_describe_the_pupil():
    message = Finding("name", "Oliver Smith").message

    assert message.startswith('"Oliver Smith" looks like a pupil\'s full name. Remove it')
    assert "without naming them" in message
    assert "initials" in message


def test_a_date_of_birth_finding_message_quotes_the_date_and_asks_for_age_or_year_group():
    message = Finding("date_of_birth", "3/4/2017").message

    assert message.startswith('"3/4/2017" looks like a date of birth. Remove it')
    assert "age or year group" in message


def test_findings_carry_their_messages():
    [found] = find_pupil_identifiers("born on a Monday", today=TODAY)

    assert found == Finding("date_of_birth", "born on")
    assert '"born on"' in found.message
