"""billing-spec section 6: fee estimates, MPPR, the assistant rate and payer fee tables."""

from decimal import Decimal

import pytest

from core.fees import estimate_fees
from core.modifiers import ClaimLine

CF_2025 = Decimal("32.3465")


def line(code, units, assistant_units=0):
    return ClaimLine(code=code, minutes=None, units=units, modifiers=("GP",),
                     assistant_units=assistant_units)


@pytest.mark.parametrize(("code", "amount"), [("97530", "34.61"), ("97110", "28.79")])
def test_one_unit_pays_total_rvu_times_conversion_factor(code, amount):
    estimate = estimate_fees([line(code, 1)], 2025)
    assert estimate.total == Decimal(amount)
    assert "32.3465" in estimate.source


def test_multiple_procedure_reduction_halves_practice_expense_but_for_one_unit():
    estimate = estimate_fees([line("97110", 2), line("97140", 1)], 2025)
    # 97110 has the higher PE (0.42 vs 0.39): its first unit is paid in full.
    full_97110 = Decimal("0.89") * CF_2025
    reduced_97110 = (Decimal("0.45") + Decimal("0.42") / 2 + Decimal("0.02")) * CF_2025
    reduced_97140 = (Decimal("0.43") + Decimal("0.39") / 2 + Decimal("0.02")) * CF_2025
    amounts = {fee.code: fee.amount for fee in estimate.lines}
    assert amounts["97110"] == (full_97110 + reduced_97110).quantize(Decimal("0.01"))
    assert amounts["97140"] == reduced_97140.quantize(Decimal("0.01"))
    assert estimate.total == amounts["97110"] + amounts["97140"]
    assert "half practice expense" in estimate.lines[1].why


def test_no_reduction_without_medicare():
    medicare = estimate_fees([line("97110", 2)], 2025)
    reference = estimate_fees([line("97110", 2)], 2025, medicare=False)
    assert reference.total == 2 * Decimal("28.79")
    assert medicare.total < reference.total
    assert "reference" in reference.source


def test_assistant_units_are_paid_at_85_percent():
    alone = estimate_fees([line("97530", 1)], 2026)
    assisted = estimate_fees([line("97530", 1, assistant_units=1)], 2026)
    price = Decimal("1.05") * Decimal("33.4009")
    assert alone.total == price.quantize(Decimal("0.01"))
    assert assisted.total == (price * Decimal("0.85")).quantize(Decimal("0.01"))


def test_bundled_and_invalid_codes_pay_nothing_under_medicare():
    estimate = estimate_fees([line("97010", 1), line("97014", 1)], 2025)
    assert [fee.amount for fee in estimate.lines] == [Decimal(0), Decimal(0)]


def test_a_code_without_rvus_gets_no_estimate_and_a_warning():
    estimate = estimate_fees([line("97124", 1), line("97110", 1)], 2025)
    assert estimate.lines[0].amount is None
    assert estimate.warnings == ("no 2025 RVUs for 97124: no estimate (load a payer fee table)",)
    assert estimate.total == Decimal("28.79")


def test_a_payer_fee_table_replaces_the_medicare_maths():
    table = {"97110": Decimal("41.50")}
    estimate = estimate_fees([line("97110", 3), line("97140", 1)], 2026, fee_table=table)
    assert estimate.lines[0].amount == Decimal("124.50")
    assert estimate.lines[1].amount is None
    assert estimate.total == Decimal("124.50")
    assert estimate.warnings == ("97140 is not in the payer's fee table: no estimate",)


def test_unknown_fee_year_is_refused():
    with pytest.raises(ValueError, match="no conversion factor for fee year 2019"):
        estimate_fees([line("97110", 1)], 2019)
