"""The clinic checks (core.clinic): several therapists' records of one patient seen together,
on small hand-built records."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing.day import ClaimRow, bill_day
from core.billing.modifiers import TherapyBucket
from core.billing.units import units_for_minutes
from core.catalog import default_catalog
from core.clinic import (
    ClinicCheckKind,
    TherapistRecord,
    clinic_checks,
    co_treatment_ways,
)
from core.models import Discipline, FurnishedBy, Method, PayerProfile, Segment
from core.session import Session

NY = ZoneInfo("America/New_York")
DAY = date(2026, 3, 2)
NINE = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York
NOW = NINE + timedelta(hours=10)
MEDICARE = PayerProfile(name="Medicare", method=Method.CMS, medicare=True)
COMMERCIAL = PayerProfile(name="Commercial", method=Method.PER_CODE)
CATALOG = default_catalog()
K = ClinicCheckKind


def visit(patient, *spans, payer=MEDICARE, discipline=Discipline.PT, day=DAY,
          by=FurnishedBy.THERAPIST, closed=True):
    """A session of `patient` with segments (code, start minute after 09:00, minutes or None
    for a running one)."""
    start = NINE.replace(year=day.year, month=day.month, day=day.day)
    session = Session(patient=patient, payer=payer, discipline=discipline,
                      date_of_service=day, opened_at=start,
                      closed_at=start + timedelta(hours=2) if closed else None)
    segments = [Segment(session_id=session.id, code=code, furnished_by=by,
                        start=start + timedelta(minutes=at),
                        end=None if minutes is None else start + timedelta(minutes=at + minutes))
                for code, at, minutes in spans]
    return session, segments


def record(key, name, *sessions, entity="Acme Therapy", now=NOW, rows=None, elsewhere=None,
           before=None):
    """A therapist's record; its rows are its own folder's bill of each date."""
    if rows is None:
        days = sorted({s.date_of_service for s, _ in sessions})
        rows = [row for day in days for row in bill_day(
            [pair for pair in sessions if pair[0].date_of_service == day], now, CATALOG).rows]
    return TherapistRecord(therapist=key, name=name, billing_entity=entity, sessions=sessions,
                           rows=rows, elsewhere=elsewhere or {}, before=before or {})


def checks(*records, first=DAY, last=DAY, now=NOW):
    return clinic_checks(records, first, last, now, CATALOG, zone=NY)


def of(kind, found):
    return [check for check in found if check.kind is kind]


DANA, SAM = "Dana Reyes, PT", "Sam Lee, PTA"


def co_treated_25():
    """The issue's example: a PT and a PTA both bill the same 25 minutes of 97110."""
    dana = record("1", DANA, visit("AB12", ("97110", 0, 25)))
    sam = record("2", SAM, visit("AB12", ("97110", 0, 25), by=FurnishedBy.ASSISTANT))
    return dana, sam


def test_co_treated_25_minutes_billed_twice_says_the_minutes_units_and_both_ways():
    dana, sam = co_treated_25()
    (check,) = of(K.CO_TREATMENT, checks(dana, sam))
    assert (check.date_of_service, check.patient, check.therapists) == (DAY, "AB12", ("1", "2"))
    assert set(check.session_ids) == {dana.sessions[0][0].id, sam.sessions[0][0].id}
    assert check.message == (
        "AB12: Dana Reyes, PT and Sam Lee, PTA treated the patient at the same time "
        "(09:00-09:25: 25 min, at most 2 timed units), yet bill 4 timed units that day (Dana "
        "Reyes, PT 2, Sam Lee, PTA 2): the shared time is billed twice. Billed once, the "
        "day's timed units are Dana Reyes, PT 2 and Sam Lee, PTA 0 (Dana Reyes, PT bills the "
        "shared time), Dana Reyes, PT 0 and Sam Lee, PTA 2 (Sam Lee, PTA bills it), or Dana "
        "Reyes, PT 1 and Sam Lee, PTA 1 (they split its 2 units)")
    assert "team therapy" in check.source


def test_co_treated_time_also_breaks_the_clock_and_is_a_duplicate_line_but_not_pooled():
    found = checks(*co_treated_25())
    assert [c.kind for c in found] == [K.CO_TREATMENT, K.DUPLICATE_LINE, K.CLOCK_TIME]
    clock = of(K.CLOCK_TIME, found)[0]
    assert clock.message == (
        "AB12: 4 timed units billed by 2 therapists (Dana Reyes, PT 2, Sam Lee, PTA 2) need at "
        "least 46 min (23 + 23 by the 8-minute table), but the patient's timed treatment "
        "covers 25 min of clock time (09:00-09:25)")
    duplicate = of(K.DUPLICATE_LINE, found)[0]
    assert "97110 (Medicare) is billed by 2 therapists (Dana Reyes, PT 97110-GP x2; " \
           "Sam Lee, PTA 97110-GP-CQ x2)" in duplicate.message


def test_billing_one_of_the_ways_is_no_check():
    dana = record("1", DANA, visit("AB12", ("97110", 0, 25)))
    sam = record("2", SAM, visit("AB12", ("97530", 0, 25)))
    assert of(K.CO_TREATMENT, checks(dana, sam))
    sam_bills_none = record("2", SAM, *sam.sessions, rows=[])
    assert checks(dana, sam_bills_none) == []
    dana_one = record("1", DANA, *dana.sessions,
                      rows=[r.model_copy(update={"units": 1}) for r in dana.rows])
    sam_one = record("2", SAM, *sam.sessions,
                     rows=[r.model_copy(update={"units": 1}) for r in sam.rows])
    assert checks(dana_one, sam_one) == []


def test_touching_segments_are_not_co_treatment_nor_too_many_units():
    dana = record("1", DANA, visit("AB12", ("97110", 0, 25)))
    sam = record("2", SAM, visit("AB12", ("97530", 25, 25)), entity="Other Group")
    assert checks(dana, sam) == []


def test_touching_segments_of_one_entity_are_pooled_not_co_treated():
    dana = record("1", DANA, visit("AB12", ("97110", 0, 10)))
    sam = record("2", SAM, visit("AB12", ("97530", 10, 10)))
    assert [c.kind for c in checks(dana, sam)] == [K.POOLING]


def test_the_clock_time_check_needs_two_therapists_billing_timed_units():
    # the per-code payer's 10 + 10 min as 2 units is the therapist's own clock-time check
    dana = record("1", DANA, visit("AB12", ("97110", 0, 10), ("97140", 10, 10),
                                   payer=COMMERCIAL))
    evaluation = record("2", "Kim Park, PT", visit("AB12", ("97161", 30, 30),
                                                   payer=COMMERCIAL))
    assert checks(dana, evaluation) == []


def test_a_running_segment_overlaps_up_to_now():
    now = NINE + timedelta(minutes=30)
    dana = record("1", DANA, visit("AB12", ("97110", 0, None), closed=False), now=now)
    sam = record("2", SAM, visit("AB12", ("97530", 10, 20)), now=now)
    (check,) = of(K.CO_TREATMENT, checks(dana, sam, now=now))
    assert "(09:10-09:30: 20 min, at most 1 timed unit)" in check.message
    assert "yet bill 3 timed units that day (Dana Reyes, PT 2, Sam Lee, PTA 1)" in check.message
    assert of(K.CO_TREATMENT, checks(dana, sam, now=NINE + timedelta(minutes=10))) == []


def test_three_therapists_on_the_same_time_are_checked_pair_by_pair():
    three = [record(str(i), name, visit("AB12", ("97110", 0, 25)), entity=str(i))
             for i, name in enumerate((DANA, SAM, "Kim Park, PT"))]
    found = of(K.CO_TREATMENT, checks(*three))
    assert [c.therapists for c in found] == [("0", "1"), ("0", "2"), ("1", "2")]
    (clock,) = of(K.CLOCK_TIME, checks(*three))
    assert "6 timed units billed by 3 therapists" in clock.message
    assert "need at least 69 min (23 + 23 + 23" in clock.message


def test_a_group_segment_is_not_one_on_one_time():
    dana = record("1", DANA, visit("AB12", ("97150", 0, 25)))
    sam = record("2", SAM, visit("AB12", ("97110", 0, 25)))
    assert checks(dana, sam) == []


def test_duplicate_lines_need_the_same_code_and_payer():
    dana = record("1", DANA, visit("AB12", ("97110", 0, 20)))
    other_payer = record("2", SAM, visit("AB12", ("97110", 60, 20), payer=COMMERCIAL))
    other_code = record("2", SAM, visit("AB12", ("97530", 60, 20)), entity="Other")
    same = record("2", SAM, visit("AB12", ("97110", 60, 20)), entity="Other")
    assert checks(dana, other_payer) == []
    assert checks(dana, other_code) == []
    (check,) = checks(dana, same)
    assert check.kind is K.DUPLICATE_LINE and check.therapists == ("1", "2")


def test_another_patient_or_date_is_no_clinic_check():
    dana = record("1", DANA, visit("AB12", ("97110", 0, 25)))
    other_patient = record("2", SAM, visit("CD34", ("97110", 0, 25)))
    other_day = record("2", SAM, visit("AB12", ("97110", 0, 25), day=DAY + timedelta(1)))
    assert checks(dana, other_patient) == []
    assert checks(dana, other_day, last=DAY + timedelta(1)) == []


def test_one_billing_entity_pools_the_discipline_and_says_both_counts():
    dana = record("1", DANA, visit("AB12", ("97110", 0, 10)))
    sam = record("2", SAM, visit("AB12", ("97530", 60, 10)), entity=" acme therapy ")
    (check,) = checks(dana, sam)
    assert check.kind is K.POOLING and check.therapists == ("1", "2")
    assert check.message == (
        "AB12: PT (Medicare) by 2 therapists billing as Acme Therapy (Dana Reyes, PT 10 min, "
        "1 timed unit, Sam Lee, PTA 10 min, 1 timed unit): 2 timed units one by one, but the "
        "entity's claim bills the date's pooled 20 min: 1 timed unit")
    assert "§20.2" in check.source
    other_entity = record("2", SAM, *sam.sessions, entity="Other Group")
    assert checks(dana, other_entity) == []


def test_pooling_is_per_discipline_and_may_give_more():
    pt = record("1", DANA, visit("AB12", ("97110", 0, 7)), entity="")
    pt_too = record("2", SAM, visit("AB12", ("97530", 60, 7)), entity="")
    ot = record("2", "Ola Tan, OT", visit("AB12", ("97530", 60, 7),
                                         discipline=Discipline.OT), entity="")
    (check,) = checks(pt, pt_too)
    assert "as the clinic" in check.message
    assert "0 timed units one by one" in check.message
    assert check.message.endswith("pooled 14 min: 1 timed unit")
    assert checks(pt, ot) == []


def row(patient, day, allowed, discipline=Discipline.PT, modifiers=("GP",), code="97110"):
    return ClaimRow(date_of_service=day, patient=patient, payer="Medicare", method=Method.CMS,
                    medicare=True, discipline=discipline, code=code, modifiers=modifiers,
                    units=1, minutes=15, amount=allowed, allowed=allowed)


def kx_records(second_discipline=Discipline.PT, second_modifiers=("GP",), elsewhere=None):
    dana = record("1", DANA, rows=[row("XY12", date(2026, 2, 2), Decimal("1300")),
                                   row("XY12", date(2026, 3, 4), Decimal("100"))])
    sam = record("2", SAM, rows=[row("XY12", date(2026, 3, 3), Decimal("1250"),
                                     second_discipline, second_modifiers),
                                 row("XY12", date(2026, 3, 5), Decimal("50"),
                                     second_discipline, second_modifiers)],
                 elsewhere=elsewhere)
    return dana, sam


def test_kx_that_only_the_clinic_sum_shows_on_each_date_with_a_line_lacking_it():
    found = checks(*kx_records(), first=date(2026, 3, 1), last=date(2026, 3, 31))
    assert [(c.kind, c.date_of_service, c.patient) for c in found] == [
        (K.KX, date(2026, 3, d), "XY12") for d in (3, 4, 5)]
    first, second, third = found
    assert first.therapists == ("1", "2")
    assert first.message == (
        "XY12: PT+SLP 2026: the clinic's Medicare allowed amounts reach $2,550.00 with "
        "97110-GP x1 by Sam Lee, PTA, past the $2,480 KX threshold (Dana Reyes, PT $1,300.00; "
        "Sam Lee, PTA $1,250.00): this line needs KX, and the record must show medical "
        "necessity")
    assert "reach $2,650.00 with 97110-GP x1 by Dana Reyes, PT" in second.message
    assert "reach $2,700.00 with 97110-GP x1 by Sam Lee, PTA" in third.message


def test_kx_names_every_line_of_the_date_that_lacks_it():
    dana = record("1", DANA, rows=[row("XY12", date(2026, 3, 2), Decimal("2500")),
                                   row("XY12", date(2026, 3, 3), Decimal("40"), code="97530")])
    sam = record("2", SAM, rows=[row("XY12", date(2026, 3, 3), Decimal("30"))])
    (check,) = of(K.KX, checks(dana, sam, first=date(2026, 3, 3), last=date(2026, 3, 3)))
    assert check.message.endswith(
        "reach $2,540.00 with 97530-GP x1 by Dana Reyes, PT, past the $2,480 KX threshold "
        "(Dana Reyes, PT $2,540.00): this line and 97110-GP x1 by Sam Lee, PTA need KX, and "
        "the record must show medical necessity")
    assert check.therapists == ("1",)  # the amounts at the first line: Sam's not yet counted


def test_kx_before_the_window_counts_but_is_reported_only_inside_it():
    found = checks(*kx_records(), first=date(2026, 3, 4), last=date(2026, 3, 31))
    assert [c.date_of_service for c in found] == [date(2026, 3, 4), date(2026, 3, 5)]
    assert "reach $2,650.00" in found[0].message


def test_kx_counts_what_was_used_elsewhere_once():
    def both(amount):
        entered = {("XY12", 2026, TherapyBucket.PT_SLP): Decimal(amount)}
        dana = record("1", DANA, rows=[row("XY12", date(2026, 2, 2), Decimal("700"))],
                      elsewhere=entered)
        sam = record("2", SAM, rows=[row("XY12", date(2026, 3, 3), Decimal("500"))],
                     elsewhere={("XY12", 2026, TherapyBucket.PT_SLP): Decimal("100")})
        return checks(dana, sam, first=date(2026, 3, 1), last=date(2026, 3, 31))

    assert both("1200") == []  # 700 + 500 + the larger entry, 1,200: $2,400
    (check,) = both("1300")
    assert "reach $2,500.00" in check.message
    assert "(Dana Reyes, PT $700.00; Sam Lee, PTA $500.00; used elsewhere $1,300.00)" in \
        check.message


def test_kx_counts_each_therapists_year_before_the_rows():
    before = {("XY12", 2026, TherapyBucket.PT_SLP): Decimal("2000")}
    dana = record("1", DANA, rows=[row("XY12", date(2026, 3, 2), Decimal("300"))],
                  before=before)
    sam = record("2", SAM, rows=[row("XY12", date(2026, 3, 3), Decimal("200"))])
    (check,) = checks(dana, sam, first=date(2026, 3, 1), last=date(2026, 3, 31))
    assert check.date_of_service == date(2026, 3, 3)
    assert "reach $2,500.00" in check.message
    assert "(Dana Reyes, PT $2,300.00; Sam Lee, PTA $200.00)" in check.message
    other_year = {("XY12", 2025, TherapyBucket.PT_SLP): Decimal("2000")}
    assert checks(record("1", DANA, *dana.sessions, rows=dana.rows, before=other_year), sam,
                  first=date(2026, 3, 1), last=date(2026, 3, 31)) == []


def test_one_therapist_twice_is_refused():
    dana, _ = co_treated_25()
    with pytest.raises(ValueError, match="two records share the therapist key '1'"):
        checks(dana, dana)


@given(own_first=st.integers(0, 120), own_second=st.integers(0, 120),
       overlap=st.integers(1, 120))
def test_no_way_to_split_co_treatment_bills_the_overlap_twice(own_first, own_second, overlap):
    first, second = own_first + overlap, own_second + overlap
    ways = co_treatment_ways(first, second, overlap)
    alone = units_for_minutes(own_first), units_for_minutes(own_second)
    for way in ways:
        # neither bills more than its own minutes with the whole overlap allow
        assert way.first <= units_for_minutes(first) and way.second <= units_for_minutes(second)
        # together they bill the overlap's units at most once (each rounding once)
        assert way.first + way.second <= units_for_minutes(own_first + own_second + overlap) + 1
    split = ways[2]
    assert (split.first - alone[0]) + (split.second - alone[1]) <= units_for_minutes(overlap)
