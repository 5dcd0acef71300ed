"""Charge file templates (core.formats.charges): what a template may say, what it is refused
for (naming the file and the key), and how a claim line becomes its cells."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from importlib.resources import files
from itertools import permutations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing.day import ClaimRow
from core.formats.charges import (
    SHIPPED,
    ChargeTemplate,
    Source,
    TemplateError,
    charge_cells,
    date_tokens,
    format_date,
    header_cells,
    parse_template,
    shipped_template,
)
from core.formats.csv_cells import FORMULA_STARTS, restore
from core.models import Discipline, Method
from core.place import Telehealth

ROW = ClaimRow(date_of_service=date(2026, 3, 2), patient="AB12", payer="Medicare",
               method=Method.CMS, medicare=True, discipline=Discipline.PT, code="97110",
               modifiers=("GP", "CQ", "95"), units=2, minutes=33, amount=Decimal("43.58"),
               allowed=Decimal("51.27"), place_of_service="10", telehealth=Telehealth.VIDEO,
               therapist="Dana Reyes", npi="1234567893", provider_code="DR1",
               charge=Decimal("58.12"))


def template(text: str) -> ChargeTemplate:
    return parse_template(text.encode(), "templates/mine.toml")


def one_column(source: str, extra: str = "", head: str = "") -> str:
    return f'{head}\n[[columns]]\nheader = "X"\nsource = "{source}"\n{extra}\n'


def test_every_shipped_template_is_listed_and_valid():
    folder = files("core").joinpath("data/templates")
    on_disk = sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                     if p.name.endswith(".toml"))
    assert on_disk == sorted(SHIPPED)
    for name in SHIPPED:
        assert shipped_template(name).columns


def test_every_source_becomes_its_cell():
    every = "".join(one_column(s.value, 'value = "ACME"' if s is Source.CONSTANT else "")
                    .replace('"X"', f'"{s.value}"') for s in Source)
    cells = charge_cells(template('date_format = "MM/DD/YYYY"\n' + every), ROW, "Reyes PT LLC")
    assert dict(zip([s.value for s in Source], cells, strict=True)) == {
        "patient": "AB12", "date_of_service": "03/02/2026", "code": "97110",
        "modifier_1": "GP", "modifier_2": "CQ", "modifier_3": "95", "modifier_4": "",
        "units": "2", "charge": "58.12", "allowed_amount": "51.27", "place_of_service": "10",
        "rendering_npi": "1234567893", "rendering_therapist": "Dana Reyes",
        "provider_code": "DR1", "payer": "Medicare", "billing_entity": "Reyes PT LLC",
        "constant": "ACME"}


def test_a_line_without_fee_data_has_no_charge():
    unpriced = ROW.model_copy(update={"allowed": None, "amount": None, "charge": None})
    assert charge_cells(template(one_column("charge")), unpriced, "") == [""]


def test_formula_like_cells_and_headers_are_made_inert():
    text = '[[columns]]\nheader = "=HEAD()"\nsource = "constant"\nvalue = "+1"\n' + \
        one_column("billing_entity").replace('"X"', '"B"')
    made = template(text)
    assert header_cells(made) == ["'=HEAD()", "B"]
    assert charge_cells(made, ROW, "@SUM(A1)") == ["'+1", "'@SUM(A1)"]


@pytest.mark.parametrize(("notation", "written"), [
    ("YYYY-MM-DD", "2026-03-02"), ("MM/DD/YYYY", "03/02/2026"), ("mm/dd/yyyy", "03/02/2026"),
    ("M/D/YY", "3/2/26"), ("DD.MM.YYYY", "02.03.2026"), ("YYYYMMDD", "20260302"),
    ("MMDDYYYY", "03022026"), ("D M YYYY", "2 3 2026"), ("%m/%d/%Y", "03/02/2026"),
    ("%Y%m%d", "20260302"), ("%d.%m.%y", "02.03.26"),
])
def test_date_formats(notation, written):
    assert format_date(date(2026, 3, 2), notation) == written


@pytest.mark.parametrize("notation", [
    "%m/%d/%H", "%-m/%d/%Y", "MM/DD", "YYYY-MM-DD-DD", "MDYYYY", "YYYYMD", "MM/DD/YYYYY", "Q1", "",
    "MM/DD/YYYY hh:mm",
])
def test_bad_date_formats_are_refused(notation):
    with pytest.raises(ValueError, match="is not a date format"):
        date_tokens(notation)


STRPTIME = {"YYYY": "%Y", "MM": "%m", "DD": "%d"}


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
       order=st.sampled_from(list(permutations(["YYYY", "MM", "DD"]))),
       separator=st.sampled_from(["/", "-", ".", " ", ""]))
def test_a_written_date_reads_back(day, order, separator):
    """Whatever the order and separator of a padded notation, the date reads back the same."""
    notation = separator.join(order)
    written = format_date(day, notation)
    pattern = separator.join(STRPTIME[part] for part in order)
    assert datetime.strptime(written, pattern).date() == day


BAD = [
    ("colour = 1" + one_column("code"), "the template: unknown key 'colour'"),
    (one_column("chrage"), "column 1, key 'source': 'chrage' is not a source"),
    (one_column("code", "width = 3"), "column 1: unknown key 'width'"),
    ('date_format = "MM/DD/YYYY"\n', "no columns"),
    ("columns = []\n", "no columns"),
    (one_column("code", head='date_format = "%m/%d/%H"'), "key 'date_format': '%m/%d/%H'"),
    (one_column("code", head='delimiter = ":"'), "key 'delimiter': ':' is not a delimiter"),
    ("[[columns]\nheader = 'a'\n", "not valid TOML"),
    (one_column("constant", 'value = "x\\u001b[31m"'),
     "column 1, key 'value': contains a control character (ESC)"),
    (one_column("constant"), "column 1: a constant column needs its value"),
    (one_column("code", 'value = "x"'), "the key 'value' goes with source = \"constant\""),
    ('[[columns]]\nsource = "code"\n', "column 1: the key 'header' is missing"),
    (one_column("code").replace('"X"', '" "'), "column 1, key 'header': is empty"),
    (one_column("code") + one_column("units"), "two columns have the header 'X'"),
    (one_column("code", head="header_row = 'maybe'"), "key 'header_row'"),
    (one_column("code").replace('"X"', '"a\\u0007"'), "key 'header': contains a control"),
]


@pytest.mark.parametrize(("text", "named"), BAD)
def test_a_bad_template_is_refused_naming_the_file_and_the_key(text, named):
    with pytest.raises(TemplateError) as refused:
        template(text)
    assert str(refused.value).startswith("templates/mine.toml: ")
    assert named in str(refused.value)


def test_text_that_is_not_utf8_is_refused():
    with pytest.raises(TemplateError, match=r"mine\.toml: not UTF-8"):
        parse_template(b"\xff\xfe", "mine.toml")


def test_headers_may_repeat_when_the_file_has_no_header_row():
    made = template("header_row = false\n" + one_column("code") + one_column("units"))
    assert charge_cells(made, ROW, "") == ["97110", "2"]


@pytest.mark.parametrize("delimiter", [",", ";", "\\t", "|"])
def test_each_delimiter(delimiter):
    assert template(one_column("code", head=f'delimiter = "{delimiter}"')).delimiter == (
        delimiter.replace("\\t", "\t"))


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")),
               max_size=12)


@given(patient=TEXT, payer=TEXT, entity=TEXT, constant=TEXT,
       delimiter=st.sampled_from([",", ";", "\t", "|"]))
def test_any_text_reads_back_from_the_file_and_never_as_a_formula(patient, payer, entity,
                                                                   constant, delimiter):
    """Whatever a reference, a payer, the billing entity or a constant holds, the file reads
    back to it (csv quoting, the delimiter inside a cell), and no cell starts a formula."""
    made = ChargeTemplate(delimiter=delimiter, columns=(
        {"header": "P", "source": "patient"}, {"header": "I", "source": "payer"},
        {"header": "B", "source": "billing_entity"},
        {"header": "C", "source": "constant", "value": constant}))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerow(
        charge_cells(made, ROW.model_copy(update={"patient": patient, "payer": payer}), entity))
    (cells,) = csv.reader(io.StringIO(out.getvalue()), delimiter=delimiter)
    assert [restore(cell) for cell in cells] == [patient, payer, entity, constant]
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)
