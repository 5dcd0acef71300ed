"""`tabletime export --kind charges --template NAME`: the claim lines as a practice system
imports them, read back to the same lines as `--kind lines` writes; the user's templates;
a bad template or a name that is a path refused before anything is written."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.formats.charges import SHIPPED, Source, shipped_template
from core.formats.csv_cells import restore
from core.place import Place, Telehealth
from core.settings import Settings
from storage.repository import Repository
from tests.golden.folder import NOW, build_folder
from tui.cli.main import main

STRPTIME = {"YYYY-MM-DD": "%Y-%m-%d", "MM/DD/YYYY": "%m/%d/%Y"}
FULL_PRICE_2026 = {("97110", False): Decimal("29.06"), ("97140", False): Decimal("27.72"),
                   ("97110", True): Decimal("29.06"), ("97140", True): Decimal("27.72")}
"""One unit at the 2026 fee schedule's full national price (total RVU x 33.4009), by code
and facility rate: what a Medicare line without a fee table is charged per unit."""


@pytest.fixture
def settings():
    return Settings(therapist="Dana Reyes", credentials="PT, DPT", timezone="America/New_York",
                    npi="1234567893", provider_code="DR1", billing_entity="=Reyes PT")


@pytest.fixture
def data(tmp_path, clock, settings):
    """Two patients: one in the office, one by video at home (POS 10, modifier 95)."""
    folder = tmp_path / "data"
    with Repository.open(folder, clock, settings) as repo:
        for patient, place in (("AB12", None), ("CD34", Place("10", Telehealth.VIDEO))):
            session = repo.commands.create_session(patient, "Medicare", place=place)
            repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=50),
                                      clock.now - timedelta(minutes=17))
            repo.commands.add_segment(session.id, "97140", clock.now - timedelta(minutes=17),
                                      clock.now)
            repo.commands.close_session(session.id)
            clock.advance(hours=1)
    from storage.settings_file import save_settings

    save_settings(folder, settings)
    return folder


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    """Every billing shape (pooling, CQ/CO, MPPR, KX, a fee table, an open session)."""
    path = tmp_path_factory.mktemp("golden") / "data"
    build_folder(path)
    return path


def export(capsys, folder: Path, *argv: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(folder), "export", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def rows(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def read_back(row: dict[str, str], name: str, billing_entity: str) -> dict[str, str]:
    """A charge row as the lines export names its cells (the shipped template's mapping)."""
    template = shipped_template(name)
    found = {}
    for column in template.columns:
        cell = restore(row[column.header])
        if column.source is Source.DATE_OF_SERVICE:
            cell = datetime.strptime(cell, STRPTIME[template.date_format]).date().isoformat()
        if column.source is Source.BILLING_ENTITY:
            assert cell == billing_entity
            continue
        found[column.source.value] = cell
    return found


def test_a_charge_is_every_unit_at_the_full_price_never_the_reduced_estimate(capsys, data):
    """The multiple-procedure reduction and the 85% are the payer's to apply to a charge: a
    charge file that sent the reduced estimate would be paid the lesser of the two."""
    status, out, _ = export(capsys, data, "--kind", "charges")
    assert status == 0
    charged = rows(out)
    assert len(charged) == 4
    for row in charged:
        price = FULL_PRICE_2026[row["code"], row["place_of_service"] in ("02", "19", "22")]
        assert Decimal(row["charge"]) == price * int(row["units"]), row
    status, out, _ = export(capsys, data, "--kind", "lines")
    allowed = sum(Decimal(row["allowed_amount"]) for row in rows(out))
    assert allowed < sum(Decimal(row["charge"]) for row in charged)  # some unit was reduced


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("where", ["data", "golden"])
def test_each_shipped_template_reads_back_to_the_lines(capsys, request, monkeypatch, name,
                                                        where):
    folder = request.getfixturevalue(where)
    if where == "golden":
        monkeypatch.setattr("tui.cli.data.system_clock", lambda: NOW)
    entity = Settings.model_validate({"timezone": "UTC"}).billing_entity if where == "golden" \
        else "=Reyes PT"
    status, lines, _ = export(capsys, folder, "--kind", "lines")
    assert status == 0
    status, charges, err = export(capsys, folder, "--kind", "charges", "--template", name)
    assert status == 0, err
    written = [read_back(row, name, entity) for row in rows(charges)]
    for row in written:
        assert Decimal(row.pop("charge")) >= Decimal(row.get("allowed_amount") or "0")
    expected = [{key: restore(row[key]) for key in found}
                for row, found in zip(rows(lines), written, strict=True)]
    assert written == expected and len(written) > 1
    assert {row["code"] for row in written} >= {"97110", "97140"}


def test_generic_is_the_default_and_carries_who_and_where(capsys, data):
    status, out, _ = export(capsys, data, "--kind", "charges")
    assert status == 0
    assert out.splitlines()[0] == ("date_of_service,patient,payer,code,modifier_1,modifier_2,"
                                   "modifier_3,modifier_4,units,charge,place_of_service,"
                                   "rendering_therapist,rendering_npi,provider_code,"
                                   "billing_entity")
    video = [row for row in rows(out) if row["patient"] == "CD34"]
    assert {(row["place_of_service"], row["modifier_2"]) for row in video} == {("10", "95")}
    assert {row["rendering_npi"] for row in rows(out)} == {"1234567893"}
    assert {row["billing_entity"] for row in rows(out)} == {"'=Reyes PT"}


USER_TEMPLATE = """\
date_format = "MM/DD/YYYY"
delimiter = ";"

[[columns]]
header = "Chart #"
source = "patient"

[[columns]]
header = "DOS"
source = "date_of_service"

[[columns]]
header = "CPT"
source = "code"

[[columns]]
header = "Mod"
source = "modifier_1"

[[columns]]
header = "Qty"
source = "units"

[[columns]]
header = "Location"
source = "constant"
value = "Main St"
"""


def test_a_user_template_with_us_dates_and_its_own_headers(capsys, data, tmp_path):
    (data / "templates").mkdir()
    (data / "templates" / "office.toml").write_text(USER_TEMPLATE)
    out_file = tmp_path / "charges.csv"
    status, _, err = export(capsys, data, "--kind", "charges", "--template", "office",
                            "--out", str(out_file))
    assert status == 0, err
    assert "wrote 4 rows of charges" in err and "office.toml" in err
    assert out_file.read_text().splitlines() == [
        "Chart #;DOS;CPT;Mod;Qty;Location",
        "AB12;03/02/2026;97110;GP;2;Main St",
        "AB12;03/02/2026;97140;GP;1;Main St",
        "CD34;03/02/2026;97110;GP;2;Main St",
        "CD34;03/02/2026;97140;GP;1;Main St",
    ]


def test_a_user_template_takes_the_place_of_the_shipped_one_of_its_name(capsys, data):
    (data / "templates").mkdir()
    (data / "templates" / "generic.toml").write_text(USER_TEMPLATE)
    status, out, err = export(capsys, data, "--kind", "charges")
    assert status == 0
    assert out.startswith("Chart #;DOS")
    assert "generic.toml, in place of the shipped generic" in err


@pytest.mark.parametrize(("text", "named"), [
    (USER_TEMPLATE.replace('"patient"', '"chart"'), "column 1, key 'source': 'chart'"),
    (USER_TEMPLATE.replace("delimiter", "separator"), "unknown key 'separator'"),
    (USER_TEMPLATE.replace("MM/DD/YYYY", "mm/dd/yy hh"), "key 'date_format'"),
    (USER_TEMPLATE.replace('";"', '"::"'), "key 'delimiter'"),
    (USER_TEMPLATE.replace('"Main St"', '"Main\\u001bSt"'), "column 6, key 'value'"),
    (USER_TEMPLATE.replace("[[columns]]", "[[columns]"), "not valid TOML"),
    ('date_format = "MM/DD/YYYY"\n', "no columns"),
])
def test_a_bad_template_exits_2_naming_the_file_and_the_key(capsys, data, tmp_path, text,
                                                            named):
    (data / "templates").mkdir()
    (data / "templates" / "bad.toml").write_text(text)
    out_file = tmp_path / "charges.csv"
    status, out, err = export(capsys, data, "--kind", "charges", "--template", "bad",
                              "--out", str(out_file))
    assert status == 2 and out == "" and not out_file.exists()
    assert "bad.toml" in err and named in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["../outside", "/etc/passwd", "sub/x", "x.toml", "..", "",
                                  "a\\b", "-x", "a" * 65, "\x1b[2Jx"])
def test_a_template_name_is_never_a_path(capsys, data, name):
    (data.parent / "outside.toml").write_text(USER_TEMPLATE)
    status, out, err = export(capsys, data, "--kind", "charges", f"--template={name}")
    assert status == 2 and out == ""
    assert "is not a template name" in err and "\x1b" not in err


def test_an_unknown_template_lists_the_ones_there_are(capsys, data):
    (data / "templates").mkdir()
    (data / "templates" / "office.toml").write_text(USER_TEMPLATE)
    status, _, err = export(capsys, data, "--kind", "charges", "--template", "kareo")
    assert status == 2
    assert "no template named 'kareo'" in err and "generic, us-upload" in err
    assert "yours: office" in err


def test_a_template_folder_entry_that_is_not_a_file(capsys, data):
    (data / "templates" / "odd.toml").mkdir(parents=True)
    status, _, err = export(capsys, data, "--kind", "charges", "--template", "odd")
    assert status == 2 and "odd.toml is a folder" in err


def test_template_goes_with_charges_only(capsys, data):
    status, _, err = export(capsys, data, "--kind", "lines", "--template", "generic")
    assert status == 2 and "--template goes with --kind charges" in err


def test_an_open_session_is_left_out_and_said(capsys, data, clock):
    with Repository.open(data, clock) as repo:
        repo.commands.create_session("EF56", "Medicare")
    status, out, err = export(capsys, data, "--kind", "charges")
    assert status == 0 and "EF56" not in out
    assert "left out 1 open session" in err


def test_a_template_without_a_header_row_writes_only_the_lines(capsys, data):
    (data / "templates").mkdir()
    (data / "templates" / "bare.toml").write_text('header_row = false\ndelimiter = "\\t"\n'
                                                  + USER_TEMPLATE.split("\n", 2)[2])
    status, out, _ = export(capsys, data, "--kind", "charges", "--template", "bare")
    assert status == 0
    assert out.splitlines()[0] == "AB12\t2026-03-02\t97110\tGP\t2\tMain St"
    assert len(out.splitlines()) == 4


def test_a_charge_export_lacking_a_day_writes_nothing_unless_partial(capsys, data, clock,
                                                                     tmp_path):
    clock.advance(days=1)
    with Repository.open(data, clock) as repo:
        session = repo.commands.create_session("GH78", "Medicare")
        repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=20),
                                  clock.now)
        repo.commands.close_session(session.id)
    (data / "days" / "2026" / "2026-03-03.json").write_text("{not json")
    target = tmp_path / "charges.csv"
    status, _, err = export(capsys, data, "--kind", "charges", "--out", str(target))
    assert status == 1 and not target.exists() and "--partial" in err
    status, out, err = export(capsys, data, "--kind", "charges", "--partial")
    assert status == 0 and "AB12" in out and "GH78" not in out
    assert "written without 1 file" in err
