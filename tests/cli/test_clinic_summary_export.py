"""`tabletime clinic summary` and `clinic export`: the issue's done-when (two therapists, a
co-treated patient, a duplicate line, a KX crossing only the sum), each therapist's part
exactly as their own summary and export say it, and a file that is never written by reading
it, refused by name when it is not a clinic file."""

import csv
import hashlib
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.test_clinic_merge import (
    DANA,
    DANA_VISITS,
    KX_ELSEWHERE,
    SAM,
    SAM_VISITS,
    backup,
    therapist_folder,
)
from tui.cli.main import main

CLINIC = ("CT01", "DU02", "KX03")


def run(capsys, tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["--data-dir", str(tmp_path / "biller"), *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """Dana's and Sam's folders, their backups and the clinic file merged from them."""
    base = tmp_path_factory.mktemp("clinic")
    dana = therapist_folder(base / "dana", DANA, DANA_VISITS, KX_ELSEWHERE)
    sam = therapist_folder(base / "sam", SAM, SAM_VISITS)
    archives = [backup(dana, base / "dana.tar.gz"), backup(sam, base / "sam.tar.gz")]
    assert main(["--data-dir", str(base / "biller"), "clinic", "merge", *map(str, archives),
                 "--out", str(base / "clinic.sqlite")]) == 0
    return base


@pytest.fixture
def db(made, tmp_path) -> Iterator[Path]:
    """The clinic file, checked unchanged (bytes and no journal beside it) after the test."""
    path = made / "clinic.sqlite"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    yield path
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in made.glob("clinic.sqlite*")) == ["clinic.sqlite"]


def summary(capsys, tmp_path, db, *argv) -> dict:
    status, out, err = run(capsys, tmp_path, "clinic", "summary", "--db", str(db), "--json",
                           *argv)
    assert (status, err) == (0, "")
    return json.loads(out)


def own_summary(capsys, folder: Path, day: str) -> dict:
    capsys.readouterr()
    assert main(["--data-dir", str(folder), "summary", "--date", day, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_each_check_on_the_right_patient_and_date_naming_both(capsys, tmp_path, db):
    monday = summary(capsys, tmp_path, db, "--date", "2026-03-02")
    tuesday = summary(capsys, tmp_path, db, "--date", "2026-03-03")
    found = [(c["kind"], c["date"], c["patient"], [t["name"] for t in c["therapists"]])
             for c in monday["clinic"]["checks"] + tuesday["clinic"]["checks"]]
    both = ["Dana Reyes, PT, DPT", "Sam Lee, PTA"]
    assert ("co-treatment", "2026-03-02", "CT01", both) in found
    assert ("duplicate-line", "2026-03-02", "DU02", both) in found
    assert ("kx", "2026-03-03", "KX03", both) in found
    assert not [f for f in found if f[0] == "kx" and f[1] == "2026-03-02"]
    (co_treated,) = [c for c in monday["clinic"]["checks"] if c["kind"] == "co-treatment"]
    assert "10:15-10:40: 25 min" in co_treated["message"]
    assert co_treated["source"].startswith("CMS, Medicare Part B therapy billing")
    sessions = {s["id"]: s["patient"] for t in monday["therapists"]
                for s in t["summary"]["sessions"]}
    assert {sessions[i] for i in co_treated["sessions"]} == {"CT01"}


def test_each_therapist_reads_as_their_own_summary(capsys, tmp_path, made, db):
    for day in ("2026-03-02", "2026-03-03"):
        clinic = summary(capsys, tmp_path, db, "--date", day)
        assert [t["name"] for t in clinic["therapists"]] == ["Dana Reyes", "Sam Lee"]
        for therapist, folder in zip(clinic["therapists"], ("dana", "sam"), strict=True):
            own = own_summary(capsys, made / folder, day)
            for key in ("sessions", "lines", "pools", "totals", "checks", "productivity"):
                assert therapist["summary"][key] == own[key], (folder, day, key)
        totals = [t["summary"]["totals"] for t in clinic["therapists"]]
        assert clinic["clinic"]["units"] == sum(t["units"] for t in totals)
        assert clinic["clinic"]["timed_minutes"] == sum(t["timed_minutes"] for t in totals)


def test_the_text_names_each_therapist_then_the_clinic_and_its_checks(capsys, tmp_path, db):
    status, out, _ = run(capsys, tmp_path, "clinic", "summary", "--db", str(db), "--date",
                         "2026-03-02")
    assert status == 0
    assert out.startswith("Clinic summary Mon 02 Mar 2026: 2 therapists, 6 sessions (as merged")
    order = [out.index(part) for part in (
        "== Dana Reyes, PT, DPT (NPI 1234567893) ==", "== Sam Lee, PTA ==", "== Clinic ==",
        "Clinic checks:", "! 2026-03-02 CT01: Dana Reyes, PT, DPT and Sam Lee, PTA treated")]
    assert order == sorted(order)
    assert "source: CMS, Medicare Part B therapy billing (team therapy)" in out


def test_without_a_date_the_file_s_latest_and_a_date_without_sessions(capsys, tmp_path, db):
    assert summary(capsys, tmp_path, db)["date"] == "2026-03-03"
    empty = summary(capsys, tmp_path, db, "--date", "2026-03-04")
    assert (empty["therapists"], empty["clinic"]["checks"], empty["clinic"]["units"]) == (
        [], [], 0)


def test_a_range_per_therapist_and_for_the_clinic(capsys, tmp_path, db):
    found = summary(capsys, tmp_path, db, "--from", "2026-03-02", "--to", "2026-03-03")
    mine = [t["range"]["totals"] for t in found["therapists"]]
    clinic = found["clinic"]
    assert clinic["totals"]["units"] == sum(t["units"] for t in mine) == 20
    assert clinic["totals"]["sessions"] == 8
    assert [d["date"] for d in clinic["days"]] == ["2026-03-02", "2026-03-03"]
    assert {c["kind"] for c in clinic["checks"]} == {"co-treatment", "clock-time",
                                                      "duplicate-line", "pooling", "kx"}


def exported(capsys, folder: Path, *argv: str) -> list[dict]:
    capsys.readouterr()
    assert main(["--data-dir", str(folder), "export", *argv]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_export_lines_names_the_therapist_of_each_line(capsys, tmp_path, made, db):
    status, out, err = run(capsys, tmp_path, "clinic", "export", "--db", str(db))
    assert (status, err) == (0, checks_said(7, db))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["patient"], r["rendering_therapist"]) for r in rows} == {
        (p, who) for p in CLINIC for who in ("Dana Reyes", "Sam Lee")}
    assert {r["rendering_npi"] for r in rows if r["rendering_therapist"] == "Dana Reyes"} == {
        "1234567893"}
    own = exported(capsys, made / "dana", "--kind", "lines") + exported(
        capsys, made / "sam", "--kind", "lines")
    assert sorted(rows, key=lambda r: tuple(r.values())) == sorted(
        own, key=lambda r: tuple(r.values()))
    assert [r["date_of_service"] for r in rows] == sorted(r["date_of_service"] for r in rows)


def checks_said(count: int, db: Path) -> str:
    return (f"tabletime: warning: {count} clinic checks of these dates may change these lines "
            f"(co-treatment, duplicates, pooling, KX): tabletime clinic summary --db {db}\n")


def test_export_refuses_its_own_file_a_data_folder_and_dates_it_was_not_merged_for(
        capsys, tmp_path, made, db):
    for out, says in ((db, "is the clinic file being read"),
                      (made / "dana" / "lines.csv", "is inside the data folder"),
                      (made / "dana" / "settings.toml", "is inside the data folder")):
        before = out.read_bytes() if out.exists() else None
        status, printed, err = run(capsys, tmp_path, "clinic", "export", "--db", str(db),
                                   "--out", str(out), "--force")
        assert (status, printed) == (2, "") and says in err, err
        assert (out.read_bytes() if out.exists() else None) == before
    part = tmp_path / "part.sqlite"
    assert run(capsys, tmp_path, "clinic", "merge", str(made / "dana.tar.gz"), "--out",
               str(part), "--from", "2026-03-03")[0] == 0
    status, printed, err = run(capsys, tmp_path, "clinic", "export", "--db", str(part),
                               "--to", "2026-03-02")
    assert (status, printed) == (2, "") and "holds the dates 2026-03-03 to the last day" in err


def test_export_charges_through_a_template_with_each_entity(capsys, tmp_path, made, db):
    status, out, _ = run(capsys, tmp_path, "clinic", "export", "--db", str(db), "--kind",
                         "charges", "--template", "us-upload", "--from", "2026-03-03")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    own = [r for folder in ("dana", "sam") for r in exported(
        capsys, made / folder, "--kind", "charges", "--template", "us-upload", "--from",
        "2026-03-03")]
    assert rows == own
    assert {r["Billing Entity"] for r in rows} == {"Reyes Therapy"}


def test_export_to_a_file_as_export_writes_one(capsys, tmp_path, db):
    out = tmp_path / "lines.csv"
    status, _, err = run(capsys, tmp_path, "clinic", "export", "--db", str(db), "--out",
                         str(out))
    assert (status, err) == (0, f"tabletime: wrote 8 rows of lines to {out}\n"
                                + checks_said(7, db))
    assert out.stat().st_mode & 0o777 == 0o600
    status, _, err = run(capsys, tmp_path, "clinic", "export", "--db", str(db), "--out",
                         str(out))
    assert status == 2 and "exists" in err


def not_a_clinic_file(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.sqlite"
    if kind == "text":
        path.write_text("patient,minutes\nAB12,30\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "folder":
        path.mkdir()
    elif kind in ("other", "older"):
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (body TEXT)")
            if kind == "older":
                db.execute("PRAGMA user_version = 1")
                db.execute("CREATE TABLE meta (x)")
    return path


@pytest.mark.parametrize(("kind", "says"), [
    ("missing", "no such file"), ("folder", "is a folder"),
    ("text", "not a clinic file Tabletime can read (file is not a database)"),
    ("empty", "not a clinic file of this version (schema 0"),
    ("other", "not a clinic file of this version (schema 0"),
    ("older", "not a clinic file of this version (schema 1, this Tabletime reads 2)")])
@pytest.mark.parametrize("command", [("summary",), ("summary", "--json"), ("export",)])
def test_what_is_not_a_clinic_file_is_refused_by_name(capsys, tmp_path, kind, says, command):
    path = not_a_clinic_file(tmp_path, kind)
    before = path.read_bytes() if path.is_file() else None
    status, out, err = run(capsys, tmp_path, "clinic", command[0], "--db", str(path),
                           *command[1:])
    assert (status, out) == (2, "")
    assert err.startswith(f"tabletime: error: {path}") and says in err, err
    assert (path.read_bytes() if path.is_file() else None) == before


@pytest.mark.parametrize(("argv", "says"), [
    (("summary", "--date", "2026-03-02", "--from", "2026-03-01"), "not allowed with"),
    (("summary", "--to", "2026-03-02"), "--to goes with --from"),
    (("summary", "--from", "2026-03-05", "--to", "2026-03-01"), "is after --to 2026-03-01"),
    (("summary", "--from", "2025-01-01", "--to", "2026-03-01"), "a range is at most 366"),
    (("export", "--template", "generic"), "--template goes with --kind charges"),
    (("export", "--kind", "charges", "--template", "../x"), "is not a template name"),
    (("export", "--from", "2026-03-05", "--to", "2026-03-01"), "is after --to")])
def test_bad_arguments_exit_2_naming_them(capsys, tmp_path, db, argv, says):
    status, out, err = run(capsys, tmp_path, "clinic", argv[0], "--db", str(db), *argv[1:])
    assert (status, out) == (2, "")
    assert says in err


SUMMARY, TUESDAY, LINES, CHARGES = (("summary", "--date", "2026-03-02"),
                                    ("summary", "--date", "2026-03-03"), ("export",),
                                    ("export", "--kind", "charges"))


@pytest.mark.parametrize(("change", "command", "says"), [
    ("UPDATE sessions SET record = '{\"patient\": 1}'", SUMMARY, "is damaged: merge again"),
    ("UPDATE segments SET started_at = 'soon'", SUMMARY, "is damaged: merge again"),
    ("UPDATE therapists SET settings = 'timezone = 3'", SUMMARY, "therapist 1's settings"),
    ("UPDATE therapists SET settings = 'timezone = 3'", CHARGES, "therapist 1's settings"),
    ("UPDATE claim_lines SET method = 'guess'", LINES, "a claim line of 2026-03-02 is damaged"),
    ("DROP TABLE claim_lines", SUMMARY, "no such table: claim_lines"),
    ("DROP TABLE claim_lines", LINES, "no such table: claim_lines"),
    ("UPDATE clinic_checks SET therapist_ids = '[1,'", SUMMARY, "a clinic check is damaged"),
    ("UPDATE meta SET merged_at = 'Monday'", SUMMARY, "its meta table is damaged"),
    ("UPDATE year_before SET bucket = 'PT'", SUMMARY, "the year so far (year_before"),
    ("UPDATE claim_lines SET discipline = 'RN'", TUESDAY, "the year so far"),
    ("UPDATE claim_lines SET discipline = 'RN'", LINES, "a claim line of 2026-03-02"),
    ("UPDATE claim_lines SET allowed_cents = 'abc'", TUESDAY, "the year so far"),
    ("UPDATE claim_lines SET allowed_cents = 1.5", LINES, "a claim line of 2026-03-02"),
    ("UPDATE claim_lines SET therapist_id = 9", CHARGES, "names therapist 9, who is not"),
    ("UPDATE sessions SET date_of_service = 'soon'", ("summary",),
     "a session's date of service is damaged")])
def test_an_edited_clinic_file_is_refused_by_name(capsys, tmp_path, made, change, command,
                                                  says):
    path = tmp_path / "edited.sqlite"
    path.write_bytes((made / "clinic.sqlite").read_bytes())
    with sqlite3.connect(path) as edited:
        edited.execute(change)
    status, out, err = run(capsys, tmp_path, "clinic", command[0], "--db", str(path),
                           *command[1:])
    assert (status, out) == (2, ""), err
    assert says in err, err


def test_reading_a_file_a_tool_switched_to_wal_writes_nothing_beside_it(capsys, tmp_path,
                                                                       made):
    path = tmp_path / "wal.sqlite"
    path.write_bytes((made / "clinic.sqlite").read_bytes())
    with sqlite3.connect(path) as browsed:
        assert browsed.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    for command in (SUMMARY, ("summary", "--json"), LINES):
        status, _, err = run(capsys, tmp_path, "clinic", command[0], "--db", str(path),
                             *command[1:])
        assert (status, err) == (0, "" if command != LINES else checks_said(7, path))
    assert sorted(p.name for p in tmp_path.glob("wal.sqlite*")) == ["wal.sqlite"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_date_the_file_was_not_merged_for_is_refused(capsys, tmp_path, made):
    out = tmp_path / "from-tuesday.sqlite"
    status, _, _ = run(capsys, tmp_path, "clinic", "merge", str(made / "dana.tar.gz"),
                       str(made / "sam.tar.gz"), "--out", str(out), "--from", "2026-03-03")
    assert status == 0
    status, printed, err = run(capsys, tmp_path, "clinic", "summary", "--db", str(out),
                               "--date", "2026-03-02")
    assert (status, printed) == (2, "")
    assert f"{out} holds the dates 2026-03-03 to the last day (merged with --from/--to)" in err
    status, printed, err = run(capsys, tmp_path, "clinic", "summary", "--db", str(out),
                               "--from", "2026-03-02", "--to", "2026-03-03", "--json")
    assert status == 0 and json.loads(printed)["clinic"]["totals"]["sessions"] == 2
    assert err == (f"tabletime: warning: {out} holds only the dates 2026-03-03 to the last "
                   "day: the others read as days without sessions\n")


def test_a_therapist_s_export_never_lands_in_another_data_folder(capsys, tmp_path, made):
    target = made / "dana" / "from-sam.csv"
    status, printed, err = run(capsys, tmp_path, "--data-dir", str(made / "sam"), "export",
                               "--kind", "lines", "--out", str(target))
    assert (status, printed) == (2, "") and f"inside the data folder {made / 'dana'}" in err
    assert not target.exists()
