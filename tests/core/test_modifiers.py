"""billing-spec section 7: GP/GO/GN, CQ/CO unit by unit and line by modifier set, KX and
review thresholds."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing.methods import compute_units
from core.billing.modifiers import (
    TherapyBucket,
    claim_lines,
    describe,
    therapy_bucket,
    threshold_status,
)
from core.billing.units import CodeMinutes
from core.models import Discipline, Method


def result_for(*items, method=Method.CMS):
    """Items as (code, therapist minutes, assistant minutes)."""
    return compute_units([CodeMinutes(code=c, minutes=None if t is None else t + a,
                                      assistant_minutes=a) for c, t, a in items], method)


def claimed(*items, discipline=Discipline.PT):
    return [describe(line) for line in claim_lines(result_for(*items), discipline, True)]


@pytest.mark.parametrize(("discipline", "modifier"),
                         [(Discipline.PT, "GP"), (Discipline.OT, "GO"), (Discipline.SLP, "GN")])
def test_discipline_modifier_on_every_line(discipline, modifier):
    lines = claim_lines(result_for(("97110", 30, 0), ("97161", None, 0)), discipline, True)
    assert [line.modifiers[0] for line in lines] == [modifier, modifier]


def test_lines_without_units_are_not_claimed():
    lines = claim_lines(result_for(("97110", 33, 0), ("97112", 3, 0)), Discipline.PT, True)
    assert [line.code for line in lines] == ["97110"]


# CMS "Billing Examples Using CQ/CO Modifiers" (and Pub. 100-04 ch.5 §20.1), CY2022 rule:
# full 15-minute blocks a provider furnished alone are that provider's units; a remaining unit
# goes to whoever furnished more of the remaining minutes; two remaining units, one each.
CQ_SCENARIOS = [
    # CMS scenario: PTA 23 min + PT 13 min of 97110, PT 30 min of 97140: 66 min, 4 units.
    # 97110's 36 min are 2 units: the PTA's full 15 minutes are one (CQ); the last unit's
    # 8 PTA minutes lose to the PT's 13.
    ([("97110", 13, 23), ("97140", 30, 0)],
     ["97110-GP x1", "97110-GP-CQ x1", "97140-GP x2"]),
    # the day: PT 30 min + assistant 10 min of 97110 (40 min, 3 units)
    ([("97110", 30, 10)], ["97110-GP x2", "97110-GP-CQ x1"]),
    # each furnished one full unit on their own
    ([("97110", 15, 15)], ["97110-GP x1", "97110-GP-CQ x1"]),
    # all by the assistant: in whole
    ([("97110", 0, 30)], ["97110-GP-CQ x2"]),
    # the last unit: the therapist's 10 of 12 minutes: no CQ (de minimis no longer matters)
    ([("97110", 10, 2)], ["97110-GP x1"]),
    ([("97110", 20, 3)], ["97110-GP x2"]),
    # the last unit: the assistant's 9 of 14 minutes
    ([("97110", 5, 9)], ["97110-GP-CQ x1"]),
    # a tie on the last unit: the assistant furnished far more than 10% of it
    ([("97110", 7, 7)], ["97110-GP-CQ x1"]),
    ([("97110", 24, 24)], ["97110-GP x1", "97110-GP-CQ x2"]),
    # two units left, each provider furnished part of both: one each
    ([("97110", 14, 14)], ["97110-GP x1", "97110-GP-CQ x1"]),
    ([("97110", 12, 11)], ["97110-GP x1", "97110-GP-CQ x1"]),
    # per code: the assistant's 97530 and the therapist's 97110
    ([("97110", 23, 0), ("97530", 0, 22)], ["97110-GP x2", "97530-GP-CQ x1"]),
    # a code that wins the day's left-over unit on 7 assistant minutes
    ([("97110", 33, 0), ("97140", 0, 7)], ["97110-GP x2", "97140-GP-CQ x1"]),
]


@pytest.mark.parametrize(("items", "lines"), CQ_SCENARIOS)
def test_cq_unit_by_unit_and_a_line_per_modifier_set(items, lines):
    assert claimed(*items) == lines


def test_co_for_occupational_therapy_assistants_none_for_slp_or_other_payers():
    result = result_for(("97530", 30, 10))
    assert [describe(x) for x in claim_lines(result, Discipline.OT, True)] == [
        "97530-GO x2", "97530-GO-CO x1"]
    assert [describe(x) for x in claim_lines(result, Discipline.SLP, True)] == ["97530-GN x3"]
    assert [describe(x) for x in claim_lines(result, Discipline.PT, False)] == ["97530-GP x3"]


def test_split_lines_carry_each_providers_minutes_and_say_why():
    therapist, assistant = claim_lines(result_for(("97110", 13, 23)), Discipline.PT, True)
    assert (therapist.minutes, assistant.minutes) == (13, 23)
    assert assistant.assistant and not therapist.assistant
    assert "full 15-minute blocks: therapist 0, assistant 1" in therapist.why
    assert "a remaining unit to the therapist (13 min against 8)" in therapist.why


@pytest.mark.parametrize(("assistant", "lines"), [(10, ["97150-GP-CQ x1"]),
                                                  (4, ["97150-GP-CQ x1"]),
                                                  (3, ["97150-GP x1"])])
def test_untimed_services_carry_cq_when_the_assistant_furnished_more_than_10_percent(
        assistant, lines):
    assert claimed(("97150", 30 - assistant, assistant)) == lines


def test_a_family_split_puts_the_assistants_minutes_on_the_add_on_first():
    # 97129+97130 40 min, 20 by the assistant: 97129 x1 (15 therapist minutes), 97130 x2
    # (5 therapist and 20 assistant minutes: the assistant's full block, then a 5-5 tie)
    assert claimed(("97129", 20, 20), discipline=Discipline.OT) == [
        "97129-GO x1", "97130-GO-CO x2"]


@given(st.integers(0, 90), st.integers(0, 90), st.integers(0, 40))
def test_cq_units_never_exceed_what_each_providers_minutes_allow(therapist, assistant, other):
    result = result_for(("97110", therapist, assistant), ("97140", other, 0))
    lines = [x for x in claim_lines(result, Discipline.PT, True) if x.code == "97110"]
    units = result.line("97110").units
    cq = sum(x.units for x in lines if x.assistant)
    assert sum(x.units for x in lines) == units
    assert cq <= -(-assistant // 15) and units - cq <= -(-therapist // 15)
    assert (assistant == 0 and cq == 0) or assistant > 0
    assert (therapist == 0 and cq == units) or therapist > 0
    assert all(x.modifiers[-1] == "CQ" for x in lines if x.assistant)
    assert len({x.modifiers for x in lines}) == len(lines)


def test_buckets():
    assert therapy_bucket(Discipline.PT) is therapy_bucket(Discipline.SLP) is TherapyBucket.PT_SLP
    assert therapy_bucket(Discipline.OT) is TherapyBucket.OT


@pytest.mark.parametrize(("year", "threshold"),
                         [(2023, 2230), (2024, 2330), (2025, 2410), (2026, 2480)])
def test_kx_threshold_by_year(year, threshold):
    at = threshold_status(year, TherapyBucket.PT_SLP, Decimal(threshold))
    over = threshold_status(year, TherapyBucket.PT_SLP, Decimal(threshold), [Decimal("0.01")])
    assert not at.kx and over.kx
    assert "KX" in over.messages[0]


def test_the_line_that_crosses_the_threshold_needs_kx():
    status = threshold_status(2026, TherapyBucket.OT, Decimal(2450), [Decimal(40)])
    assert status.kx and status.year_to_date == Decimal(2490)


def test_near_threshold_and_review_threshold():
    near = threshold_status(2025, TherapyBucket.PT_SLP, Decimal(2169))
    assert near.near and not near.kx
    assert not threshold_status(2025, TherapyBucket.PT_SLP, Decimal(2168)).near
    review = threshold_status(2025, TherapyBucket.PT_SLP, Decimal(3000))
    assert review.kx and review.review and "3000" in review.messages[-1]
    assert not threshold_status(2025, TherapyBucket.PT_SLP, Decimal("2999.99")).review


def test_unknown_threshold_year_is_refused():
    with pytest.raises(ValueError, match="no KX threshold known for 2022"):
        threshold_status(2022, TherapyBucket.OT, Decimal(0))
