"""The day summary, the checks of billing-spec section 9, pooling, KX and the chart note."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.billing.checks import CheckKind
from core.billing.day import medicare_amounts
from core.billing.modifiers import TherapyBucket
from core.billing.summary import summarize_day
from core.care.history import Visit, patient_history
from core.catalog import default_catalog
from core.formats.chart_note import chart_note
from core.models import Discipline, FurnishedBy, Method, PayerProfile, Segment
from core.session import Session

NY = ZoneInfo("America/New_York")
DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York
MEDICARE = PayerProfile(name="Medicare", method=Method.CMS, medicare=True)
COMMERCIAL = PayerProfile(name="Commercial", method=Method.PER_CODE)
CATALOG = default_catalog()


def session(patient, at_minute=0, payer=MEDICARE, discipline=Discipline.PT, day=DAY,
            closed=True):
    opened = datetime.combine(day, T0.timetz()) + timedelta(minutes=at_minute)
    return Session(patient=patient, payer=payer, discipline=discipline, date_of_service=day,
                   opened_at=opened, closed_at=opened + timedelta(hours=1) if closed else None)


def seg(s, code, start_minute, minutes, by=FurnishedBy.THERAPIST):
    start = s.opened_at.replace(hour=14, minute=0) + timedelta(minutes=start_minute)
    end = None if minutes is None else start + timedelta(minutes=minutes)
    return Segment(session_id=s.id, code=code, start=start, end=end, furnished_by=by)


def summarize(*pairs, now=None, ytd=None, day=DAY):
    now = now or datetime.combine(day, T0.timetz()) + timedelta(hours=8)
    return summarize_day(day, list(pairs), now, CATALOG, NY, year_to_date=ytd)


def kinds(summary):
    return [check.kind for check in summary.checks]


def test_a_clean_day_has_totals_and_no_checks():
    a, b = session("AB12"), session("CD34", 60)
    summary = summarize((a, [seg(a, "97110", 0, 33), seg(a, "97140", 33, 7)]),
                        (b, [seg(b, "97530", 60, 25)]))
    assert summary.checks == ()
    assert (summary.timed_minutes, summary.units) == (65, 5)
    assert [(t.code, t.units) for t in summary.code_totals] == [
        ("97110", 2), ("97140", 1), ("97530", 2)]
    assert summary.amount == sum(row.amount for row in summary.rows)
    assert [row.modifiers for row in summary.rows] == [("GP",), ("GP",), ("GP",)]


def test_medicare_pools_one_patients_sessions_and_flags_the_difference():
    morning, afternoon = session("AB12"), session("AB12", 300)
    summary = summarize((morning, [seg(morning, "97110", 0, 10)]),
                        (afternoon, [seg(afternoon, "97110", 300, 10)]))
    (group,) = summary.groups
    assert group.pooled is not None and group.timed_units == 1 and group.per_session_units == 2
    assert [(r.code, r.units, r.minutes) for r in summary.rows] == [("97110", 1, 20)]
    assert kinds(summary) == [CheckKind.POOLING]
    assert set(summary.checks[0].session_ids) == {morning.id, afternoon.id}


def test_pooling_is_per_discipline_and_per_code_payers_count_the_date_of_service():
    # billing-spec section 4: 97110 10 min in the morning + 10 min in the afternoon under a
    # per-code payer is 20 min, 1 unit, not 2
    pt, ot = session("AB12"), session("AB12", 60, discipline=Discipline.OT)
    first, second = session("CD34", 120, COMMERCIAL), session("CD34", 200, COMMERCIAL)
    summary = summarize((pt, [seg(pt, "97110", 0, 10)]), (ot, [seg(ot, "97530", 60, 10)]),
                        (first, [seg(first, "97110", 120, 10)]),
                        (second, [seg(second, "97110", 200, 10)]))
    assert [g.pooled is None for g in summary.groups] == [True, True, False]
    commercial = [r for r in summary.rows if r.patient == "CD34"]
    assert [(r.code, r.units, r.minutes) for r in commercial] == [("97110", 1, 20)]
    (check,) = [c for c in summary.checks if c.kind is CheckKind.POOLING]
    assert "1 timed unit, not the 2 of the sessions one by one" in check.message


def test_overlap_across_patients():
    a, b = session("AB12"), session("CD34")
    summary = summarize((a, [seg(a, "97110", 0, 20)]), (b, [seg(b, "97530", 15, 15)]))
    (check,) = [c for c in summary.checks if c.kind is CheckKind.OVERLAP]
    assert "on AB12 overlaps 97530 09:15-09:30 on CD34" in check.message
    assert set(check.session_ids) == {a.id, b.id}
    assert summary.sessions[0].checks and summary.sessions[1].checks


def test_untimed_codes_alongside_are_no_overlap():
    a, b = session("AB12"), session("CD34")
    summary = summarize((a, [seg(a, "97010", 0, 20)]), (b, [seg(b, "97530", 5, 15)]))
    assert CheckKind.OVERLAP not in kinds(summary)


def test_more_units_than_clock_time_allows():
    # A per-code payer: 10 + 10 minutes on two codes bill 2 units in 20 clock minutes (1 unit).
    s = session("AB12", payer=COMMERCIAL)
    summary = summarize((s, [seg(s, "97110", 0, 10), seg(s, "97116", 10, 10)]))
    (check,) = [c for c in summary.checks if c.kind is CheckKind.CLOCK_TIME]
    assert "AB12: 2 timed units in 20 min of clock time" in check.message
    assert "allow 1 by the 8-minute rule" in check.message
    assert check.session_ids == (s.id,)


def test_rounding_up_once_per_patient_is_not_flagged():
    # Eight patients at 53 minutes: 4 units each (32 units in 424 minutes) is correct billing.
    pairs = []
    for index in range(8):
        s = session(f"P{index}", 60 * index)
        pairs.append((s, [seg(s, "97110", 60 * index, 53)]))
    summary = summarize(*pairs)
    assert summary.units == 32 and CheckKind.CLOCK_TIME not in kinds(summary)


def test_forgotten_timers_running_or_stopped():
    a = session("AB12", closed=False)
    now = datetime.combine(DAY, T0.timetz()) + timedelta(minutes=70)
    summary = summarize((a, [seg(a, "97110", 0, None), seg(a, "97010", 0, 65)]), now=now)
    messages = [c.message for c in summary.checks if c.kind is CheckKind.FORGOTTEN_TIMER]
    assert any("97110 on AB12 has been running 70 min" in m for m in messages)
    assert any("97010 on AB12 ran in one go for 65 min" in m for m in messages)
    assert CheckKind.OPEN_SESSION in kinds(summary)


def test_timed_minutes_without_units_and_two_evaluations():
    a, b = session("AB12"), session("AB12", 120, payer=COMMERCIAL)
    summary = summarize((a, [seg(a, "97110", 0, 7), seg(a, "97161", 10, 30)]),
                        (b, [seg(b, "97162", 120, 30)]))
    assert CheckKind.NO_UNITS in kinds(summary)
    (check,) = [c for c in summary.checks if c.kind is CheckKind.TWO_EVALUATIONS]
    assert "97161, 97162" in check.message


def test_a_medicare_line_without_a_discipline_modifier_is_flagged(monkeypatch):
    """The app always adds GP/GO/GN; the check is the safety net should a line ever lack it."""
    import core.billing.session
    from core.billing.modifiers import claim_lines

    def without_modifiers(billing, discipline, medicare, catalog, place):
        return [replace(line, modifiers=())
                for line in claim_lines(billing, discipline, medicare, catalog, place)]

    monkeypatch.setattr(core.billing.session, "claim_lines", without_modifiers)
    a = session("AB12")
    summary = summarize((a, [seg(a, "97110", 0, 15)]))
    assert CheckKind.NO_DISCIPLINE_MODIFIER in kinds(summary)


def test_kx_is_added_from_the_line_that_passes_the_threshold():
    # Year so far $2,450: 97035 (one unit, under $15) stays below $2,480; 97530 passes it.
    a = session("AB12")
    summary = summarize((a, [seg(a, "97035", 0, 15), seg(a, "97530", 15, 15)]),
                        ytd={("AB12", TherapyBucket.PT_SLP): Decimal("2450")})
    first, second = summary.rows
    assert Decimal("2450") + first.amount <= Decimal("2480")
    assert first.modifiers == ("GP",)
    assert second.modifiers == ("GP", "KX")
    assert any(c.kind is CheckKind.KX and "passes the $2480" in c.message
               for c in summary.checks)


def test_kx_uses_the_bucket_pt_and_slp_together_ot_alone():
    ot = session("AB12", discipline=Discipline.OT)
    summary = summarize((ot, [seg(ot, "97530", 0, 15)]),
                        ytd={("AB12", TherapyBucket.PT_SLP): Decimal("5000")})
    assert "KX" not in summary.rows[0].modifiers


def history(*specs):
    """The history of visits on these days, each billed by the day summary as the index does."""
    visits, daily = [], {}
    for day, minutes, discipline in specs:
        s = session("AB12", discipline=discipline, day=day)
        summary = summarize_day(day, [(s, [seg(s, "97530", 0, minutes)])],
                                datetime(2027, 6, 1, tzinfo=UTC), CATALOG, NY)
        (item,) = summary.sessions
        visits.append((day, Visit(id=s.id, patient=s.patient, discipline=discipline,
                                  payer=s.payer.name, medicare=True, open=False,
                                  timed_minutes=item.billing.total_timed_minutes,
                                  timed_units=item.billing.timed_units, amount=item.amount)))
        daily[day] = {bucket: amount for (_, bucket), amount in
                      medicare_amounts(summary.rows).items()}
    return patient_history(visits, daily)


def test_kx_crossing_mid_year_and_reset_at_the_year_change():
    # 97530 in 2026: 1.05 x 33.4009 = $35.07 a unit; 4 units a visit is about $124 (MPPR aside).
    days = [date(2026, 1, 5) + timedelta(days=7 * week) for week in range(30)]
    entries = history(*((d, 60, Discipline.PT) for d in days), (date(2027, 1, 4), 60,
                                                                Discipline.PT))
    crossing = next(i for i, e in enumerate(entries) if e.kx)
    assert entries[crossing - 1].year_to_date <= Decimal(2480) < entries[crossing].year_to_date
    assert all(e.kx for e in entries[crossing:-1])
    assert any("within 10%" in m for e in entries[:crossing] for m in e.messages)
    assert any("3000" in m for e in entries[:-1] for m in e.messages)
    new_year = entries[-1]
    assert not new_year.kx and new_year.year_to_date == new_year.visit.amount


def test_two_visits_on_one_date_count_the_day_once():
    """The history's year so far is the day's (pooled, reduced) amount, not each session's
    amount added up: the same figure the day summary and the claim lines use."""
    first = session("AB12", day=date(2026, 3, 2))
    second = session("AB12", day=date(2026, 3, 2))
    day = date(2026, 3, 2)
    summary = summarize_day(day, [(first, [seg(first, "97110", 0, 10)]),
                                  (second, [seg(second, "97110", 120, 10)])],
                            datetime(2026, 3, 3, tzinfo=UTC), CATALOG, NY)
    daily = {day: {bucket: amount for (_, bucket), amount in
                   medicare_amounts(summary.rows).items()}}
    visits = [(day, Visit(id=item.session.id, patient="AB12", discipline=Discipline.PT,
                          payer="Medicare", medicare=True, open=False, amount=item.amount))
              for item in summary.sessions]
    entries = patient_history(visits, daily)
    one_unit = sum(row.amount or 0 for row in summary.rows)
    assert [e.year_to_date for e in entries] == [one_unit, one_unit]
    assert summary.rows[0].units == 1  # 20 pooled minutes: one unit, not two


@pytest.mark.parametrize("assistant", [False, True])
def test_chart_note_has_what_the_record_must_show(assistant):
    s = session("AB12")
    by = FurnishedBy.ASSISTANT if assistant else FurnishedBy.THERAPIST
    segments = [seg(s, "97110", 0, 33), seg(s, "97140", 33, 7, by), seg(s, "97010", 0, 10)]
    from core.billing.recorded import bill_recorded

    bill = bill_recorded(s, segments, T0 + timedelta(hours=2), CATALOG)
    note = chart_note(s, segments, bill, NY, therapist="Dana Reyes", credentials="PT, DPT")
    for text in ("Date of service: 2026-03-02", "Patient: AB12", "97110 Therapeutic exercise",
                 ": 33 min", "97010 Hot or cold packs (untimed): 10 min",
                 "Total timed code minutes: 40", "Total treatment minutes: 50",
                 "Therapist: Dana Reyes, PT, DPT", "97110 09:00-09:33"):
        assert text in note
    assert ("97140-GP-CQ x1" in note) is assistant
    assert ("Assistant furnished part of: 97140" in note) is assistant


def closed_with_pick(patient, at_minute, segments_of, prefer):
    """A session closed the way the store closes it: its billing with the therapist's pick."""
    from core.billing.recorded import bill_recorded

    open_ = session(patient, at_minute, closed=False)
    segments = segments_of(open_)
    billing = bill_recorded(open_, segments, open_.opened_at + timedelta(hours=1), CATALOG,
                            prefer=prefer).billing
    closed = open_.model_copy(update={"closed_at": open_.opened_at + timedelta(hours=1),
                                      "billing": billing})
    return closed, segments


def test_pooled_sessions_keep_the_tie_pick_made_at_the_close():
    # Alone: 97110 20 + 97140 20 = 40 min, 3 units, a tie the therapist gave to 97140.
    # Pooled with 97110 15 of the afternoon: 97110 35 + 97140 20 = 55 min, 4 units, the same
    # tie (5 left-over minutes each): the pick made at the close still decides it.
    first = closed_with_pick("AB12", 0, lambda s: [seg(s, "97110", 0, 20),
                                                   seg(s, "97140", 20, 20)], ["97140"])
    second = closed_with_pick("AB12", 120, lambda s: [seg(s, "97110", 120, 15)], [])
    summary = summarize(first, second)
    assert {row.code: row.units for row in summary.rows} == {"97110": 2, "97140": 2}
    (group,) = summary.groups
    assert "your pick" in group.billing.line("97140").why


def test_pooled_sessions_that_picked_differently_follow_the_earliest_pick():
    first = closed_with_pick("AB12", 0, lambda s: [seg(s, "97110", 0, 20),
                                                   seg(s, "97140", 20, 20)], ["97140"])
    second = closed_with_pick("AB12", 120, lambda s: [seg(s, "97110", 120, 20),
                                                      seg(s, "97140", 140, 20)], ["97110"])
    summary = summarize(first, second)
    # 97110 40 + 97140 40 = 80 min, 5 units: 2 full each, the 5th tied (10 left-over each).
    assert {row.code: row.units for row in summary.rows} == {"97110": 2, "97140": 3}
    unpicked = summarize((first[0].model_copy(update={"billing": None}), first[1]),
                         (second[0].model_copy(update={"billing": None}), second[1]))
    assert {row.code: row.units for row in unpicked.rows} == {"97110": 3, "97140": 2}
