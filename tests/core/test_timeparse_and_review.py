"""Quick time entry and the session review composition."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.billing.methods import compute_units
from core.billing.recorded import bill_recorded
from core.billing.session import prefer_for
from core.billing.units import CodeMinutes
from core.catalog import default_catalog
from core.models import Discipline, FurnishedBy, Method, PayerProfile, Segment
from core.session import Session
from core.timeparse import TimeParseError, parse_clock_time, parse_minutes, parse_when
from core.timing import forgotten_timers

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 10:30 in New York


@pytest.mark.parametrize(
    ("text", "minutes_ago"),
    [("6", 6), ("6m", 6), ("6 min", 6), (" 12 minutes ago ", 12), ("1h5m", 65), ("2h", 120)],
)
def test_minutes_ago(text, minutes_ago):
    assert parse_when(text, NOW, NY) == NOW - timedelta(minutes=minutes_ago)


@pytest.mark.parametrize(
    ("text", "local"),
    [("10:05", (10, 5, 0)), ("9:58:30", (9, 58, 30)), ("2:30pm", (14, 30, 0)),
     ("12:15am", (0, 15, 0)), ("12:15 pm", (12, 15, 0))],
)
def test_clock_times_are_local(text, local):
    moment = parse_when(text, NOW, NY).astimezone(NY)
    assert (moment.hour, moment.minute, moment.second) == local
    assert moment.date() == date(2026, 3, 2)


@pytest.mark.parametrize("text", ["", "soon", "25:00", "10:75", "13:00pm", "-5", "h"])
def test_bad_times_say_what_is_expected(text):
    with pytest.raises(TimeParseError):
        parse_when(text, NOW, NY)


def test_clock_time_on_a_given_day():
    assert parse_clock_time("23:50", date(2026, 3, 1), NY).astimezone(NY).isoformat() == \
        "2026-03-01T23:50:00-05:00"


@pytest.mark.parametrize(("text", "value"), [("12", 12), ("12m", 12), ("45 min", 45)])
def test_minutes(text, value):
    assert parse_minutes(text) == value


@pytest.mark.parametrize("text", ["0", "-3", "1.5", "abc", "1441"])
def test_bad_minutes(text):
    with pytest.raises(TimeParseError, match="whole minutes"):
        parse_minutes(text)


def session(payer=None, day=date(2026, 3, 2)):
    return Session(patient="AB12", payer=payer or PayerProfile(name="Medicare", method=Method.CMS,
                                                               medicare=True),
                   discipline=Discipline.PT, date_of_service=day,
                   opened_at=datetime(2026, 3, 2, 15, tzinfo=UTC))


def segment(s, code, start_min, minutes, by=FurnishedBy.THERAPIST):
    start = datetime(2026, 3, 2, 15, tzinfo=UTC) + timedelta(minutes=start_min)
    end = None if minutes is None else start + timedelta(minutes=minutes)
    return Segment(session_id=s.id, code=code, start=start, end=end, furnished_by=by)


def review_session(s, segments, now, catalog, prefer=()):
    """The close screen's composition: the session billed, forgotten timers after an hour."""
    return bill_recorded(s, segments, now, catalog, prefer=prefer, forgotten_minutes=60)


def fee_year(s, catalog):
    return bill_recorded(s, [], NOW, catalog).fee_year


def test_review_brings_units_modifiers_and_estimate_together():
    s = session()
    segments = [segment(s, "97110", 0, 33), segment(s, "97140", 33, 7, FurnishedBy.ASSISTANT)]
    review = review_session(s, segments, NOW + timedelta(hours=1), default_catalog())
    assert review.billing.units == {"97110": 2, "97140": 1}
    assert [(c.code, c.modifiers) for c in review.claim] == [
        ("97110", ("GP",)), ("97140", ("GP", "CQ"))
    ]
    assert review.fees is not None and review.fees.year == 2026 and review.fees.total > 0
    assert review.choices == () and review.running == ()


def test_review_offers_every_tie_choice_and_honours_a_pick():
    s = session()
    segments = [segment(s, "97112", 0, 20), segment(s, "97110", 20, 20)]
    review = review_session(s, segments, NOW + timedelta(hours=1), default_catalog())
    assert review.choices == ({"97112": 2, "97110": 1}, {"97112": 1, "97110": 2})
    pick = prefer_for(review.choices[1], review.billing, default_catalog())
    again = review_session(s, segments, NOW + timedelta(hours=1), default_catalog(), prefer=pick)
    assert again.billing.units == review.choices[1]


def test_review_warns_of_forgotten_timers_and_two_evaluations():
    s = session()
    segments = [segment(s, "97161", 0, 20), segment(s, "97162", 20, 20),
                segment(s, "97110", 40, None)]
    now = datetime(2026, 3, 2, 15, tzinfo=UTC) + timedelta(minutes=40 + 61)
    review = review_session(s, segments, now, default_catalog())
    assert any("97110 has been running 61 min" in w for w in review.warnings)
    assert any("only one PT evaluation or re-evaluation" in w for w in review.warnings)
    assert review.running == ("97110",)
    assert [x.code for x in forgotten_timers(segments, now, 60)] == ["97110"]
    assert forgotten_timers(segments, now, 62) == []


def test_fee_year_falls_back_to_the_newest_known_rates():
    assert fee_year(session(), default_catalog()) == 2026
    later = session(day=date(2027, 1, 4))
    assert fee_year(later, default_catalog()) == 2026
    s = session(day=date(2027, 1, 4))
    review = review_session(s, [segment(s, "97110", 0, 15)], NOW, default_catalog())
    assert "uses 2026 rates: no 2027 fee data" in " ".join(review.warnings)
    pinned = PayerProfile(name="X", method=Method.CMS, medicare=True, fee_year=2025)
    assert fee_year(session(payer=pinned), default_catalog()) == 2025


def test_a_payer_fee_table_is_used_in_the_review():
    payer = PayerProfile(name="Acme", method=Method.PER_CODE, fee_table={"97110": Decimal(40)})
    s = session(payer=payer)
    review = review_session(s, [segment(s, "97110", 0, 30)], NOW, default_catalog())
    assert review.fees is not None and review.fees.total == Decimal("80.00")
    assert review.claim[0].modifiers == ("GP",)


def test_prefer_for_maps_a_choice_to_codes():
    billing = compute_units([CodeMinutes(code="97110", minutes=7),
                             CodeMinutes(code="97112", minutes=7)], Method.CMS)
    assert prefer_for({"97110": 0, "97112": 1}, billing, default_catalog()) == ["97112"]


def test_a_tie_a_code_family_wins_can_be_picked():
    items = [CodeMinutes(code="97110", minutes=20), CodeMinutes(code="97129", minutes=20)]
    billing = compute_units(items, Method.CMS)
    (other,) = billing.tie_alternatives
    picked = compute_units(items, Method.CMS,
                           prefer=prefer_for(other, billing, default_catalog()))
    assert {line.code: line.units for line in picked.lines if line.units} == {
        code: units for code, units in other.items() if units}
