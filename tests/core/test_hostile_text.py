"""What a tired or hostile person types: control characters are refused in every text field,
escaped on the way out, CSV guards round-trip, DST times are asked for, never guessed."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from core.audit import Action, AuditEntry
from core.catalog import CatalogEntry
from core.formats.csv_cells import neutralise, restore
from core.models import Discipline, PayerProfile, Segment
from core.session import Session
from core.settings import Settings
from core.text import CONTROL, printable, refuse_controls
from core.timeparse import TimeParseError, clock_text, end_after, parse_clock_time

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CONTROLS = ["\x1b]0;owned\x07", "\x00", "\x07", "a\x08b", "\x1b[2J", "\x9b", "\u202e", "\u2028",
            "line\nbreak", "tab\there", "\r"]
PAYER = PayerProfile(name="Medicare", method="cms", medicare=True)


def build(field: str, text: str) -> object:
    """Each free-text field of every model a person's text reaches."""
    makers = {
        "patient": lambda: Session(patient=text, payer=PAYER, discipline=Discipline.PT,
                                   date_of_service=date(2026, 3, 2), opened_at=NOW),
        "therapist on a session": lambda: Session(
            patient="AB12", payer=PAYER, discipline=Discipline.PT,
            date_of_service=date(2026, 3, 2), opened_at=NOW, therapist=text),
        "note": lambda: Segment(session_id=uuid4(), code="97110", start=NOW, note=text),
        "payer": lambda: PayerProfile(name=text, method="cms"),
        "therapist": lambda: Settings(therapist=text),
        "credentials": lambda: Settings(credentials=text),
        "descriptor": lambda: CatalogEntry(code="S9131", descriptor=text, timed=True,
                                           disciplines=(Discipline.PT,)),
        "short label": lambda: CatalogEntry(code="S9131", descriptor="x", short=text[:11],
                                            timed=True, disciplines=(Discipline.PT,)),
        "reason": lambda: AuditEntry(change_id=uuid4(), at=NOW, who="x", action=Action.EDIT,
                                     session_id=uuid4(), reason=text),
    }
    return makers[field]()


FIELDS = ["patient", "therapist on a session", "note", "payer", "therapist", "credentials",
          "descriptor", "short label", "reason"]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("text", CONTROLS)
def test_every_text_field_refuses_control_characters(field, text):
    with pytest.raises(ValueError, match="control character"):
        build(field, f"AB{text}")


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("text", ["AB[/]12", "[bold]x[/bold]", "[/red] L knee [flexion 120]",
                                  "🦵 knee", "שלום", "مرحبا", "O'Brien", "=1+1"])
def test_brackets_emoji_and_right_to_left_text_are_kept_as_typed(field, text):
    built = build(field, text)
    assert text[:11] in str(built)


@pytest.mark.parametrize(("field", "limit"), [("patient", 40), ("note", 500), ("payer", 60),
                                              ("therapist", 80), ("descriptor", 200)])
def test_text_lengths_are_bounded_with_a_plain_message(field, limit):
    build(field, "x" * limit)
    with pytest.raises(ValueError, match=f"at most {limit}"):
        build(field, "x" * (limit + 1))
    with pytest.raises(ValueError, match="at most"):
        build(field, "x" * 10_000_000)  # a 10 MB name once made a day file 190 MB


def test_an_empty_patient_reference_says_what_to_give():
    with pytest.raises(ValidationError, match="give a patient reference"):
        build("patient", "   ")


@given(st.text())
def test_printable_never_lets_a_control_character_through(text):
    shown = printable(text)
    assert CONTROL.search(shown) is None
    if CONTROL.search(text) is None:
        assert shown == text


def test_refusal_names_the_character_and_where_it_is():
    with pytest.raises(ValueError, match=r"\(ESC\) at position 3"):
        refuse_controls("AB\x1b[2J")


@given(st.text())
def test_csv_guard_round_trips_every_text(text):
    assert restore(neutralise(text)) == text
    assert not neutralise(text).startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("text", ["'=X", "''", "'", "'+1", "'abc", "=SUM(A1)", "-5"])
def test_an_apostrophe_typed_by_a_person_survives_the_round_trip(text):
    assert restore(neutralise(text)) == text


def test_fee_settings_are_bounded():
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        PayerProfile(name="X", method="cms", fee_table={"97110": Decimal("-100")})
    with pytest.raises(ValidationError, match="fee_year 2019"):
        Settings(payers=(PayerProfile(name="X", method="cms", fee_year=2019),))
    with pytest.raises(ValidationError, match="unknown code '99999'"):
        Settings(payers=(PayerProfile(name="X", method="cms", fee_table={"99999": 1}),))


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "Factory", "/etc/localtime",
                                  "America/Nowhere", "../../etc/passwd", ""])
def test_only_real_iana_zones_are_accepted(zone):
    with pytest.raises(ValidationError, match="time zone"):
        Settings(timezone=zone)


NY = ZoneInfo("America/New_York")
FALL_BACK = date(2026, 11, 1)
SPRING_FORWARD = date(2026, 3, 8)


def test_a_time_in_the_repeated_hour_is_asked_for():
    with pytest.raises(TimeParseError, match="01:30 EDT or 01:30 EST"):
        parse_clock_time("01:30", FALL_BACK, NY)
    edt = parse_clock_time("01:30 EDT", FALL_BACK, NY)
    est = parse_clock_time("1:30 est", FALL_BACK, NY)
    assert (est - edt).total_seconds() == 3600
    assert parse_clock_time("01:30 -05:00", FALL_BACK, NY) == est


def test_a_time_in_the_skipped_hour_is_refused():
    with pytest.raises(TimeParseError, match="does not exist on 2026-03-08"):
        parse_clock_time("02:30", SPRING_FORWARD, NY)


def test_what_is_shown_reads_back_as_the_same_instant():
    for instant in (datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
                    datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
                    datetime(2026, 7, 1, 14, 5, 30, tzinfo=UTC)):
        day = instant.astimezone(NY).date()
        assert parse_clock_time(clock_text(instant, NY), day, NY) == instant


def test_an_end_before_the_start_is_named_unless_it_ran_past_midnight():
    start = parse_clock_time("22:10", date(2026, 3, 2), NY)
    assert end_after(start, "00:20", date(2026, 3, 2), NY).date() == date(2026, 3, 3)
    morning = parse_clock_time("10:00", date(2026, 3, 2), NY)
    with pytest.raises(TimeParseError, match="the end 09:10 is before the start 10:00:00"):
        end_after(morning, "09:10", date(2026, 3, 2), NY)


def test_an_end_that_only_fits_tomorrow_is_before_the_start_until_tomorrow_comes():
    late = parse_clock_time("22:10", date(2026, 3, 2), NY)
    with pytest.raises(TimeParseError, match="the end 09:15 is before the start 22:10:00"):
        end_after(late, "09:15", date(2026, 3, 2), NY, now=late + timedelta(hours=1))
    assert end_after(late, "09:15", date(2026, 3, 2), NY,
                     now=late + timedelta(hours=12)).date() == date(2026, 3, 3)
