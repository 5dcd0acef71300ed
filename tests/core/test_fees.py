"""billing-spec section 6: fee estimates from the published RVU parts, the multiple-procedure
reduction across a patient's date, the assistant rate and payer fee tables."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing.fees import estimate_fees
from core.billing.modifiers import ClaimLine
from core.catalog import default_catalog

CF_2025 = Decimal("32.3465")
CF_2026 = Decimal("33.4009")
CENT = Decimal("0.01")


def line(code, units, *, assistant=False, modifiers=("GP",)):
    return ClaimLine(code=code, minutes=None, units=units,
                     modifiers=(*modifiers, "CQ") if assistant else modifiers,
                     assistant=assistant)


def amounts(estimate):
    return [fee.amount for fee in estimate.lines]


@pytest.mark.parametrize(("code", "amount"), [("97530", "34.61"), ("97110", "28.79")])
def test_one_unit_pays_total_rvu_times_conversion_factor(code, amount):
    estimate = estimate_fees([line(code, 1)], 2025)
    assert estimate.total == estimate.allowed == Decimal(amount)
    assert "32.3465" in estimate.source


def test_97110_45_minutes_in_2026_is_73_48_from_the_published_parts():
    # PPRRVU 2026: 97110 work 0.45, PE 0.41, MP 0.01; one unit full, two with half PE
    estimate = estimate_fees([line("97110", 3)], 2026)
    assert estimate.total == Decimal("73.48")
    assert estimate.lines[0].why == (
        "1 x 0.87 RVU + 2 x 0.665 RVU (half practice expense: multiple-procedure reduction) "
        "x 33.4009; the first unit in full (highest practice expense of the date)")


def test_reduction_spans_lines_and_disciplines_of_a_patients_date():
    # PT 97110 x2 + OT 97530 x1 for one patient on one date: 97530 has the higher PE (0.60)
    estimate = estimate_fees([line("97110", 2), line("97530", 1, modifiers=("GO",))], 2026)
    assert amounts(estimate) == [Decimal("44.42"), Decimal("35.07")]
    assert estimate.total == Decimal("79.49")


def test_multiple_procedure_reduction_halves_practice_expense_but_for_one_unit():
    estimate = estimate_fees([line("97110", 2), line("97140", 1)], 2025)
    # PPRRVU 2025: 97110 PE 0.43 beats 97140 PE 0.40: 97110's first unit is paid in full
    full_97110 = Decimal("0.89") * CF_2025
    reduced_97110 = (Decimal("0.45") + Decimal("0.43") / 2 + Decimal("0.01")) * CF_2025
    reduced_97140 = (Decimal("0.43") + Decimal("0.40") / 2 + Decimal("0.01")) * CF_2025
    assert amounts(estimate) == [(full_97110 + reduced_97110).quantize(CENT),
                                 reduced_97140.quantize(CENT)]
    assert "half practice expense" in estimate.lines[1].why


def test_codes_outside_the_therapy_reduction_are_paid_in_full():
    # 97129 and 97130 carry PPRRVU indicator 0: never reduced, and they reduce nothing
    estimate = estimate_fees([line("97129", 1), line("97130", 2), line("97110", 1)], 2026)
    assert amounts(estimate) == [(Decimal("0.67") * CF_2026).quantize(CENT),
                                 2 * (Decimal("0.63") * CF_2026).quantize(CENT),
                                 (Decimal("0.87") * CF_2026).quantize(CENT)]


def test_each_unit_is_priced_to_the_cent_as_the_fee_schedule_publishes_it():
    # 97110 75 min in 2026: $29.06 in full + 4 x $22.21 reduced = $117.90 (not the $117.91
    # of rounding the line once)
    assert estimate_fees([line("97110", 5)], 2026).total == Decimal("117.90")


def test_no_reduction_without_medicare():
    medicare = estimate_fees([line("97110", 2)], 2025)
    reference = estimate_fees([line("97110", 2)], 2025, medicare=False)
    assert reference.total == 2 * Decimal("28.79")
    assert medicare.total < reference.total
    assert "reference" in reference.source


def test_assistant_lines_are_paid_at_85_percent_of_their_allowed_amount():
    alone = estimate_fees([line("97530", 1)], 2026)
    assisted = estimate_fees([line("97530", 1, assistant=True)], 2026)
    price = Decimal("1.05") * CF_2026
    assert alone.total == price.quantize(CENT)
    assert assisted.allowed == price.quantize(CENT)
    assert assisted.total == (price * Decimal("0.85")).quantize(CENT)


def test_the_full_price_unit_goes_to_the_therapists_line_before_the_assistants():
    # PT 30 min + assistant 10 min of 97110: 97110-GP x2 and 97110-GP-CQ x1
    estimate = estimate_fees([line("97110", 2), line("97110", 1, assistant=True)], 2026)
    full, reduced = Decimal("0.87") * CF_2026, Decimal("0.665") * CF_2026
    assert [fee.allowed for fee in estimate.lines] == [(full + reduced).quantize(CENT),
                                                       reduced.quantize(CENT)]
    assert estimate.lines[1].amount == (reduced * Decimal("0.85")).quantize(CENT)
    assert estimate.total == Decimal("51.27") + Decimal("18.88")


@pytest.mark.parametrize("code", ["97010", "97014", "97169"])
def test_codes_medicare_does_not_pay_have_no_amount_and_say_why(code):
    estimate = estimate_fees([line(code, 1)], 2026)
    assert estimate.lines[0].amount is None and "status" in estimate.lines[0].why
    assert estimate.total == 0


def test_a_code_without_rvus_gets_no_estimate_and_a_warning():
    estimate = estimate_fees([line("97039", 1), line("97110", 1)], 2025)
    assert estimate.lines[0].amount is None
    assert estimate.warnings == ("no 2025 RVUs for 97039: no estimate (load a payer fee table)",)
    assert estimate.total == Decimal("28.79")


def test_a_medicare_payers_own_fee_table_still_pays_assistant_lines_at_85_percent():
    table = {"97110": Decimal("40.00")}
    estimate = estimate_fees([line("97110", 2), line("97110", 1, assistant=True)], 2026,
                             fee_table=table)
    assert amounts(estimate) == [Decimal("80.00"), Decimal("34.00")]
    assert estimate.allowed == Decimal("120.00")


def test_a_payer_fee_table_replaces_the_medicare_maths():
    table = {"97110": Decimal("41.50")}
    estimate = estimate_fees([line("97110", 3), line("97140", 1)], 2026, fee_table=table)
    assert amounts(estimate) == [Decimal("124.50"), None]
    assert estimate.total == estimate.allowed == Decimal("124.50")
    assert estimate.warnings == ("97140 is not in the payer's fee table: no estimate",)


def test_unknown_fee_year_is_refused():
    with pytest.raises(ValueError, match="no conversion factor for fee year 2019"):
        estimate_fees([line("97110", 1)], 2019)


PRICED = sorted(e.code for e in default_catalog() if 2026 in e.rvus and e.medicare_status in "AR")


@given(st.lists(st.tuples(st.sampled_from(PRICED), st.integers(1, 6), st.booleans()),
                min_size=1, max_size=6))
def test_the_reduction_never_raises_an_amount_and_the_assistant_rate_never_either(drawn):
    lines = [line(code, units, assistant=assistant) for code, units, assistant in drawn]
    reduced = estimate_fees(lines, 2026)
    full = estimate_fees(lines, 2026, medicare=False)
    for fee, reference in zip(reduced.lines, full.lines, strict=True):
        assert fee.allowed is not None and fee.amount is not None
        assert reference.allowed is not None
        assert fee.amount <= fee.allowed <= reference.allowed
    assert reduced.total <= reduced.allowed <= full.allowed


def test_the_charge_is_every_unit_at_the_full_price_whatever_the_payer_pays():
    """The practice charges the full fee; the reduction and the 85% are what a payer allows
    and pays of it (a charge file that sent the estimate would be paid less)."""
    fees = estimate_fees([line("97110", 2), line("97110", 1, assistant=True,
                                                 modifiers=("GP", "CQ"))], 2026)
    therapist, assistant = fees.lines
    assert therapist.charge == Decimal("58.12") and therapist.allowed == Decimal("51.27")
    assert assistant.charge == Decimal("29.06") and assistant.allowed == Decimal("22.21")
    assert assistant.amount == Decimal("18.88")
    table = estimate_fees([line("97110", 2)], 2026, fee_table={"97110": Decimal("40.00")})
    assert table.lines[0].charge == table.lines[0].allowed == Decimal("80.00")
