"""Where, how and by whom through the files (issue 19): every export row names the rendering
therapist as the session was stamped, a segments round trip keeps place, telehealth and
therapist byte for byte, an old file imports as before (the office, in person, the importing
folder's therapist), and a bad cell is refused before anything is written."""

import csv
import io

import pytest

from core.place import Place, Telehealth
from core.settings import Settings
from storage.imports import import_segments
from storage.reports import write_lines, write_sessions
from storage.repository import Repository
from tests.helpers import export_segments
from tui.cli.main import main

NPI = "1234567893"
OTHER_NPI = "9876543213"
FORMULA_NAME = '=HYPERLINK("http://x.example","Dana")'
PLACES = [Place(), Place("10", Telehealth.VIDEO), Place("11", Telehealth.AUDIO), Place("22"),
          Place("02", Telehealth.VIDEO)]


@pytest.fixture
def stamped(settings: Settings) -> Settings:
    return settings.model_copy(update={"therapist": FORMULA_NAME, "npi": NPI,
                                       "provider_code": "'+DR7"})


@pytest.fixture
def elsewhere(settings: Settings) -> Settings:
    """The importing folder's settings: another therapist."""
    return settings.model_copy(update={"therapist": "Sam Ortiz", "npi": OTHER_NPI,
                                       "provider_code": "SO1", "place_of_service": "12"})


def furnish(repo, clock, places=PLACES, patient="P{}"):
    """A closed session at each place, fifteen minutes of 97110 and of 97129 each."""
    for number, place in enumerate(places):
        session = repo.commands.create_session(patient.format(number), "Medicare", place=place)
        repo.commands.start(session.id, "97110")
        clock.advance(minutes=15)
        repo.commands.start(session.id, "97129")
        clock.advance(minutes=15)
        repo.commands.close_session(session.id, stop_running=True)
        clock.advance(minutes=2)


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def written(write, repo, now):
    out = io.StringIO()
    write(repo, None, None, now, out)
    return rows(out.getvalue())


def test_a_round_trip_keeps_place_telehealth_and_therapist_byte_for_byte(
        tmp_path, clock, stamped, elsewhere):
    with Repository.open(tmp_path / "a", clock, stamped) as repo:
        furnish(repo, clock)
        first = export_segments(repo)
    source = tmp_path / "segments.csv"
    source.write_text(first, encoding="utf-8")
    with Repository.open(tmp_path / "b", clock, elsewhere) as other:
        report = import_segments(other, source)
        assert (report.sessions, report.errors) == (len(PLACES), ())
        assert export_segments(other) == first
        (day,) = other.queries.days()
        kept = sorted(other.queries.sessions_on(day), key=lambda s: s.patient)
    assert [s.place for s in kept] == PLACES
    assert {(s.therapist, s.npi, s.provider_code) for s in kept} == {
        (FORMULA_NAME, NPI, "'+DR7")}
    found = rows(first)
    assert [(r["place_of_service"], r["telehealth"]) for r in found[::2]] == [
        ("11", ""), ("10", "video"), ("11", "audio"), ("22", ""), ("02", "video")]
    assert {(r["rendering_therapist"], r["rendering_npi"], r["provider_code"])
            for r in found} == {("'" + FORMULA_NAME, NPI, "''+DR7")}


def test_lines_and_sessions_carry_where_how_and_who_as_stamped(repo, clock, settings):
    repo.change_settings(settings.model_copy(update={"npi": NPI, "provider_code": "DR1"}))
    furnish(repo, clock, PLACES[:2])
    repo.change_settings(settings.model_copy(update={"therapist": "Sam Ortiz", "npi": ""}))
    lines = written(write_lines, repo, clock.now)
    assert [(r["patient"], r["code"], r["modifier_2"], r["place_of_service"], r["telehealth"],
             r["rendering_therapist"], r["rendering_npi"], r["provider_code"])
            for r in lines] == [
        ("P0", "97110", "", "11", "", "Dana Reyes", NPI, "DR1"),
        ("P0", "97129", "", "11", "", "Dana Reyes", NPI, "DR1"),
        ("P1", "97110", "95", "10", "video", "Dana Reyes", NPI, "DR1"),
        ("P1", "97129", "95", "10", "video", "Dana Reyes", NPI, "DR1")]
    sessions = written(write_sessions, repo, clock.now)
    assert [(r["patient"], r["place_of_service"], r["telehealth"], r["rendering_therapist"],
             r["rendering_npi"], r["provider_code"]) for r in sessions] == [
        ("P0", "11", "", "Dana Reyes", NPI, "DR1"),
        ("P1", "10", "video", "Dana Reyes", NPI, "DR1")]


def old_file(text):
    """A file as exported before the new columns: the twelve first ones of each row."""
    return "".join(",".join(row[:12]) + "\r\n" for row in csv.reader(io.StringIO(text)))


def test_an_old_file_imports_at_the_office_by_the_importing_folders_therapist(
        tmp_path, clock, settings, stamped):
    with Repository.open(tmp_path / "a", clock, settings) as repo:
        furnish(repo, clock, [Place("10", Telehealth.VIDEO)])
        old = old_file(export_segments(repo))
    assert old.splitlines()[0].endswith(",note")
    source = tmp_path / "old.csv"
    source.write_text(old, encoding="utf-8")
    with Repository.open(tmp_path / "b", clock, stamped) as other:
        report = import_segments(other, source)
        assert (report.sessions, report.errors) == (1, ())
        (session,) = other.queries.sessions_on(other.queries.days()[0])
        assert (session.place, session.therapist, session.npi, session.provider_code) == (
            Place(), FORMULA_NAME, NPI, "'+DR7")
        again = export_segments(other)
    assert old_file(again) == old
    assert {row["rendering_therapist"] for row in rows(again)} == {"'" + FORMULA_NAME}


def test_a_file_naming_its_therapist_is_kept_whoever_imports_it(tmp_path, clock, settings,
                                                                  stamped):
    with Repository.open(tmp_path / "a", clock, settings) as repo:  # Dana, no NPI
        furnish(repo, clock, PLACES[:1])
        text = export_segments(repo)
    source = tmp_path / "segments.csv"
    source.write_text(text, encoding="utf-8")
    with Repository.open(tmp_path / "b", clock, stamped) as other:
        assert import_segments(other, source).errors == ()
        (session,) = other.queries.sessions_on(other.queries.days()[0])
    assert (session.therapist, session.npi, session.provider_code) == ("Dana Reyes", "", "")


@pytest.mark.parametrize(("column", "cell", "words"), [
    ("place_of_service", "98", "'98' is not a place of service code"),
    ("telehealth", "phone", "'phone': not a telehealth mode"),
    ("rendering_npi", "1234567890", "check digit is wrong"),
    ("place_of_service", "10", "line 2, column telehealth: blank (in person), but POS 10"),
])
def test_a_bad_cell_exits_2_naming_line_and_column_and_nothing_is_written(
        capsys, tmp_path, clock, settings, column, cell, words):
    with Repository.open(tmp_path / "a", clock, settings) as repo:
        furnish(repo, clock, PLACES[:1])
        found = list(csv.reader(io.StringIO(export_segments(repo))))
    where = found[0].index(column)
    for row in found[1:]:
        row[where] = cell
    source = tmp_path / "bad.csv"
    with source.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(found)
    status = main(["--data-dir", str(tmp_path / "b"), "import", str(source)])
    err = capsys.readouterr().err
    assert status == 2
    assert f"line 2, column {column}" in err or "line 2, column telehealth" in err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "b" / "days").exists()


def test_a_session_whose_rows_disagree_on_its_place_is_refused(tmp_path, clock, settings):
    with Repository.open(tmp_path / "a", clock, settings) as repo:
        furnish(repo, clock, PLACES[1:2])
        found = list(csv.reader(io.StringIO(export_segments(repo))))
    found[2][found[0].index("telehealth")] = "audio"
    source = tmp_path / "mixed.csv"
    with source.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(found)
    with Repository.open(tmp_path / "b", clock, settings) as other:
        report = import_segments(other, source)
        assert [(e.line, e.column) for e in report.errors] == [(3, "telehealth")]
        assert other.queries.days() == []


def test_an_imported_telehealth_session_bills_as_one_recorded_there(tmp_path, clock, settings):
    """The claim lines of the imported folder are the first folder's: 95 after GP, the
    facility rate at POS 02."""
    with Repository.open(tmp_path / "a", clock, settings) as repo:
        furnish(repo, clock, PLACES)
        text = export_segments(repo)
        lines = written(write_lines, repo, clock.now)
    source = tmp_path / "segments.csv"
    source.write_text(text, encoding="utf-8")
    with Repository.open(tmp_path / "b", clock, settings) as other:
        import_segments(other, source)
        assert written(write_lines, other, clock.now) == lines
    assert any(r["modifier_2"] == "93" for r in lines)
