"""billing-spec section 7: GP/GO/GN, CQ/CO de minimis, KX and review thresholds."""

from decimal import Decimal

import pytest

from core.models import Discipline, Method
from core.modifiers import (
    TherapyBucket,
    assistant_units,
    claim_lines,
    therapy_bucket,
    threshold_status,
    unit_minutes,
)
from core.units import CodeMinutes, compute_units


def result_for(*items):
    return compute_units([CodeMinutes(code=c, minutes=m, assistant_minutes=a) for c, m, a in items],
                         Method.CMS)


@pytest.mark.parametrize(("discipline", "modifier"),
                         [(Discipline.PT, "GP"), (Discipline.OT, "GO"), (Discipline.SLP, "GN")])
def test_discipline_modifier_on_every_line(discipline, modifier):
    lines = claim_lines(result_for(("97110", 30, 0), ("97161", None, 0)), discipline, True)
    assert [line.modifiers[0] for line in lines] == [modifier, modifier]


def test_lines_without_units_are_not_claimed():
    lines = claim_lines(result_for(("97110", 33, 0), ("97112", 3, 0)), Discipline.PT, True)
    assert [line.code for line in lines] == ["97110"]


def test_unit_minutes_split_into_full_blocks_and_a_last_unit():
    assert unit_minutes(33, 2) == [15, 18]
    assert unit_minutes(7, 1) == [7]
    assert unit_minutes(10, 0) == []


@pytest.mark.parametrize(
    ("minutes", "assistant", "marked"),
    [
        (25, 5, 1),   # 2 units: [15 therapist], [5 therapist + 5 assistant] -> 50% of unit 2
        (25, 1, 0),   # 1 of 10 minutes is exactly 10%: not more than 10%
        (25, 2, 1),   # 2 of 10 minutes: 20%
        (30, 15, 1),  # therapist fills unit 1, assistant all of unit 2
        (30, 30, 2),
        (30, 0, 0),
    ],
)
def test_assistant_de_minimis_per_unit(minutes, assistant, marked):
    result = result_for(("97110", minutes, assistant))
    assert assistant_units(result.line("97110")) == marked


def test_cq_for_pt_co_for_ot_and_none_for_slp_or_other_payers():
    result = result_for(("97110", 30, 30))
    assert claim_lines(result, Discipline.PT, True)[0].modifiers == ("GP", "CQ")
    assert claim_lines(result, Discipline.OT, True)[0].modifiers == ("GO", "CO")
    assert claim_lines(result, Discipline.SLP, True)[0].modifiers == ("GN",)
    assert claim_lines(result, Discipline.PT, False)[0].modifiers == ("GP",)


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
