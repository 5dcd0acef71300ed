"""The shipped code catalog against billing-spec sections 1, 5 and 6."""

import csv
from decimal import Decimal
from importlib.resources import files

import pytest

from core.catalog import CatalogEntry, CodeError, Rvu, default_catalog
from core.models import Discipline, MedicareStatus

TIMED = ["97110", "97112", "97113", "97116", "97140", "97530", "97535", "97542", "97750",
         "97760", "97032", "97033", "97035", "97129", "97130"]
UNTIMED = ["97161", "97162", "97163", "97164", "97165", "97166", "97167", "97168", "97150",
           "97010", "97012", "97014", "97016", "97018", "97022", "97024", "97026", "97028",
           "G0283", "92507", "92521", "92522", "92523", "92524", "92526"]

# billing-spec section 6: total non-facility RVUs, (2025, 2026).
SPEC_RVUS = {
    "97110": ("0.89", "0.87"), "97112": ("0.99", "0.98"), "97113": ("1.13", "1.11"),
    "97116": ("0.89", "0.87"), "97140": ("0.84", "0.83"), "97530": ("1.07", "1.05"),
    "97535": ("0.99", "0.97"), "97542": ("0.95", "0.93"), "97750": ("1.03", "1.01"),
    "97760": ("1.42", "1.38"), "97032": ("0.44", "0.44"), "97033": ("0.58", "0.57"),
    "97035": ("0.43", "0.43"), "97150": ("0.54", "0.54"), "97161": ("3.03", "2.93"),
    "97162": ("3.03", "2.93"), "97163": ("3.03", "2.93"), "97164": ("2.09", "2.02"),
    "97165": ("3.11", "3.01"), "97166": ("3.11", "3.01"), "97167": ("3.11", "3.01"),
    "G0283": ("0.38", "0.38"), "97012": ("0.44", "0.43"), "92507": ("2.32", "2.28"),
}


@pytest.mark.parametrize("code", TIMED)
def test_timed_codes_are_timed(code):
    assert default_catalog().get(code).timed


@pytest.mark.parametrize("code", UNTIMED)
def test_untimed_codes_are_untimed(code):
    assert not default_catalog().get(code).timed


@pytest.mark.parametrize(("code", "status"), [("97010", "B"), ("97014", "I"), ("97026", "R"),
                                              ("97110", "A"), ("G0283", "A")])
def test_medicare_status(code, status):
    assert default_catalog().get(code).medicare_status is MedicareStatus(status)


@pytest.mark.parametrize(("code", "rvus"), SPEC_RVUS.items())
def test_total_rvus_match_the_spec(code, rvus):
    entry = default_catalog().get(code)
    assert (str(entry.rvus[2025].total), str(entry.rvus[2026].total)) == rvus


def test_rvu_parts_add_up_to_the_total():
    for entry in default_catalog():
        for rvu in entry.rvus.values():
            assert rvu.work + rvu.pe + rvu.mp == rvu.total, entry.code
            assert min(rvu.work, rvu.pe, rvu.mp) >= 0, entry.code


def test_conversion_factors_and_sources_are_named():
    catalog = default_catalog()
    assert catalog.conversion_factors == {2025: Decimal("32.3465"), 2026: Decimal("33.4009")}
    assert "PPRRVU2025, October release" in catalog.fee_sources[2025]
    assert "PPRRVU2026, July release" in catalog.fee_sources[2026]


def pprrvu_rows():
    text = files("core").joinpath("data/pprrvu-therapy.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_fee_data_are_the_published_parts_of_every_code_that_has_them():
    catalog = default_catalog()
    checked = 0
    for row in pprrvu_rows():
        entry = catalog.find(row["hcpcs"])
        if entry is None:
            continue
        year = int(row["year"])
        if Decimal(row["total_nonfac"]) == 0:
            assert year not in entry.rvus, "a code Medicare does not price has no fee data"
        else:
            rvu = entry.rvus[year]
            assert (rvu.work, rvu.pe, rvu.mp, rvu.total, rvu.mult_proc, rvu.pe_fac,
                    rvu.total_fac) == (
                Decimal(row["work_rvu"]), Decimal(row["pe_nonfac_rvu"]), Decimal(row["mp_rvu"]),
                Decimal(row["total_nonfac"]), int(row["mult_proc"]), Decimal(row["pe_fac_rvu"]),
                Decimal(row["total_fac"])), (entry.code, year)
        if year == 2026:
            assert entry.medicare_status is MedicareStatus(row["status"]), entry.code
        checked += 1
    assert checked >= 140
    # billing-spec section 6 reference: 97110 2026 is 0.45 + 0.41 + 0.01
    assert default_catalog().get("97110").rvus[2026] == Rvu(
        work=Decimal("0.45"), pe=Decimal("0.41"), mp=Decimal("0.01"), total=Decimal("0.87"),
        mult_proc=5, pe_fac=Decimal("0.41"), total_fac=Decimal("0.87"))


def test_every_catalog_code_but_custom_ones_has_a_pprrvu_row():
    listed = {row["hcpcs"] for row in pprrvu_rows()}
    assert {entry.code for entry in default_catalog()} <= listed


def test_multiple_procedure_indicator_marks_the_codes_medicare_reduces():
    catalog = default_catalog()
    assert catalog.get("97110").rvus[2026].reduced and catalog.get("97530").rvus[2026].reduced
    for code in ("97129", "97130", "97550", "97551", "92626", "96105"):
        assert not catalog.get(code).rvus[2026].reduced, code


def test_every_entry_has_a_descriptor_and_a_discipline():
    for entry in default_catalog():
        assert entry.descriptor and entry.disciplines, entry.code


@pytest.mark.parametrize("code", ["97532", "97127"])
def test_deleted_codes_name_their_replacement(code):
    with pytest.raises(CodeError, match=r"deleted code .*: use 97129 or 97130"):
        default_catalog().get(code)


def test_custom_codes_extend_the_catalog():
    custom = CatalogEntry(code="S9131", descriptor="Clinic's own code", timed=True,
                          disciplines=(Discipline.PT,))
    catalog = default_catalog().with_custom([custom])
    assert catalog.get("s9131").custom and catalog.get("s9131").timed
    assert "S9131" not in default_catalog()


@pytest.mark.parametrize("code", ["97110", "97532"])
def test_a_custom_code_cannot_hide_a_catalog_code(code):
    clash = CatalogEntry(code=code, descriptor="x", timed=False, disciplines=(Discipline.PT,))
    with pytest.raises(CodeError, match=f"custom code {code} clashes"):
        default_catalog().with_custom([clash])
