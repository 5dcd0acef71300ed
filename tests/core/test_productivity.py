"""Productivity (issue 19): the minutes that bill over the day's clock time, by the rules of
core.billing.productivity."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from core.billing.day import bill_day
from core.billing.productivity import (
    Productivity,
    day_productivity,
    productivity_words,
    scheduled_minutes,
    title_part,
)
from core.billing.summary import summarize_day
from core.catalog import default_catalog
from core.models import Discipline, Method, PayerProfile, Segment
from core.session import Session

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=10)
MEDICARE = PayerProfile(name="Medicare", method=Method.CMS, medicare=True)
COMMERCIAL = PayerProfile(name="Commercial", method=Method.PER_CODE)
CATALOG = default_catalog()


def session(patient, payer=MEDICARE, group_size=None):
    return Session(patient=patient, payer=payer, discipline=Discipline.PT,
                   date_of_service=DAY, opened_at=T0, group_size=group_size)


def seg(s, code, start_minute, minutes):
    start = T0 + timedelta(minutes=start_minute)
    end = None if minutes is None else start + timedelta(minutes=minutes)
    return Segment(session_id=s.id, code=code, start=start, end=end)


def productivity(*pairs, now=NOW, **settings):
    return day_productivity(bill_day(list(pairs), now, CATALOG), now, **settings)


def test_billable_minutes_over_the_clock_from_first_start_to_last_end():
    a, b = session("AB12"), session("CD34")
    found = productivity((a, [seg(a, "97110", 0, 30)]), (b, [seg(b, "97140", 60, 20)]))
    assert (found.billable_minutes, found.clock_minutes, found.percent) == (50, 80, 62)
    assert found.target_met is None and found.scheduled_percent is None
    assert not found.running


def test_a_group_counts_the_therapists_time_once():
    """Four patients in one 45-minute group: 45 billable minutes, not 180 (never over 100%)."""
    pairs = []
    for patient in ("G1", "G2", "G3", "G4"):
        s = session(patient, group_size=4)
        pairs.append((s, [seg(s, "97150", 0, 45)]))
    found = productivity(*pairs)
    assert (found.billable_minutes, found.clock_minutes, found.percent) == (45, 45, 100)


def test_overlapping_timers_count_once():
    a, b = session("AB12"), session("CD34")
    found = productivity((a, [seg(a, "97110", 0, 30)]), (b, [seg(b, "97530", 20, 30)]))
    assert (found.billable_minutes, found.clock_minutes) == (50, 50)


def test_a_code_that_bills_nothing_is_clock_time_only():
    """Bundled for Medicare (97010), under a unit for a per-code payer (97140 for 5 minutes):
    no claim line, so not billable; the clock still runs through them."""
    a, b = session("AB12"), session("CD34", COMMERCIAL)
    found = productivity((a, [seg(a, "97010", 0, 10), seg(a, "97110", 10, 30)]),
                         (b, [seg(b, "97110", 40, 20), seg(b, "97140", 60, 5)]))
    assert (found.billable_minutes, found.clock_minutes) == (50, 65)


def test_medicare_counts_every_timed_minute_of_units_made_from_the_total():
    """97110 35 + 97140 5 = 40 minutes, 3 units: the 5 minutes made the third unit whichever
    code carries it. A group below 8 timed minutes bills nothing at all."""
    a, b = session("AB12"), session("CD34")
    found = productivity((a, [seg(a, "97110", 0, 35), seg(a, "97140", 35, 5)]),
                         (b, [seg(b, "97110", 40, 7)]))
    assert (found.billable_minutes, found.clock_minutes) == (40, 47)


def test_a_patients_sessions_pooled_bill_together():
    """Per code, 97110 for 5 minutes twice in a day bills one unit on the pooled 10."""
    a, b = session("AB12", COMMERCIAL), session("AB12", COMMERCIAL)
    found = productivity((a, [seg(a, "97110", 0, 5)]), (b, [seg(b, "97110", 60, 5)]))
    assert (found.billable_minutes, found.clock_minutes) == (10, 65)


def test_a_running_timer_counts_up_to_now():
    a = session("AB12")
    found = productivity((a, [seg(a, "97110", 0, 20), seg(a, "97140", 30, None)]),
                         now=T0 + timedelta(minutes=50, seconds=59))
    assert (found.billable_minutes, found.clock_minutes, found.running) == (40, 50, True)
    assert "a timer is running" in found.words()


def test_no_segment_or_under_a_minute_of_clock_no_figure():
    a = session("AB12")
    assert productivity((a, [])) is None
    assert productivity() is None
    assert productivity((a, [seg(a, "97110", 0, 0)]), target=80) is None
    assert productivity((a, [seg(a, "97110", 0, 1)]), target=80).clock_minutes == 1
    assert title_part(None, wide=False) == ""
    assert productivity_words(None) == ("Productivity: no figure (no segment, or under a "
                                        "minute of clock time)")


def test_the_target_is_met_exactly_never_on_a_rounded_percent():
    a = session("AB12")
    below = productivity((a, [seg(a, "97110", 0, 17), seg(a, "97110", 20, 0)]), target=85)
    assert (below.billable_minutes, below.clock_minutes, below.percent) == (17, 20, 85)
    assert below.target_met is True
    just_below = Productivity(billable_minutes=169, clock_minutes=199, target=85)
    assert just_below.percent == 84 and just_below.target_met is False
    assert "target 85%: below" in just_below.words()
    assert title_part(just_below, wide=False) == " · 84% prod"
    assert title_part(just_below, wide=True) == " · 84% prod (target 85%)"
    assert title_part(Productivity(1, 2), wide=True) == " · 50% prod"


def test_a_scheduled_day():
    a = session("AB12")
    found = productivity((a, [seg(a, "97110", 0, 240)]), scheduled_hours=Decimal("8"))
    assert (found.scheduled_minutes, found.scheduled_percent, found.percent) == (480, 50, 100)
    assert "50% of 480 scheduled min" in found.words()
    assert scheduled_minutes(Decimal("7.33")) == 440 and scheduled_minutes(None) is None


def test_days_add_up_minutes_not_percents():
    week = (Productivity(45, 50, 480, 80) + Productivity(10, 100, 480, 80))
    assert (week.billable_minutes, week.clock_minutes, week.percent) == (55, 150, 36)
    assert (week.scheduled_minutes, week.target_met) == (960, False)


def test_the_day_summary_carries_it_with_the_settings():
    a = session("AB12")
    summary = summarize_day(DAY, [(a, [seg(a, "97110", 0, 45), seg(a, "97140", 50, 10)])],
                            NOW, CATALOG, ZoneInfo("America/New_York"),
                            productivity_target=90, scheduled_hours=Decimal("7.5"))
    assert summary.productivity == Productivity(55, 60, 450, 90)
    assert summary.productivity.target_met is True
    assert summarize_day(DAY, [], NOW, CATALOG, UTC).productivity is None


spans = st.lists(st.tuples(st.sampled_from(["G1", "G2", "S1"]),
                           st.sampled_from(["97110", "97140", "97150", "97010", "97530"]),
                           st.integers(0, 600), st.integers(0, 120) | st.none()),
                 min_size=1, max_size=12)


@given(spans, st.integers(0, 900))
def test_billable_never_passes_the_clock(recorded, later):
    sessions = {name: session(name) for name in ("G1", "G2", "S1")}
    pairs = [(s, [seg(s, code, start, length) for who, code, start, length in recorded
                  if who == name]) for name, s in sessions.items()]
    now = T0 + timedelta(minutes=later)
    found = productivity(*pairs, now=now)
    assert found == productivity(*reversed(pairs), now=now)
    if found is None:  # under a minute of clock time
        return
    assert 0 <= found.billable_minutes <= found.clock_minutes and found.clock_minutes >= 1
    assert found.percent is not None and 0 <= found.percent <= 100
