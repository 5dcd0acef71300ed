"""Files a user damaged, restored wrongly or wrote by hand, and imports that cannot be true:
each is moved aside or refused with a message naming it, and everything else keeps working."""

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from storage.imports import import_segments
from storage.repository import Repository
from tests.helpers import export_segments


def make_days(repo, clock, days=2):
    """One closed session a day, and an open one today."""
    sessions = []
    for _ in range(days):
        session = repo.commands.create_session("AB12", "Medicare")
        repo.commands.start(session.id, "97110")
        clock.advance(minutes=20)
        sessions.append(repo.commands.close_session(session.id, stop_running=True))
        clock.advance(days=1)
    sessions.append(repo.commands.create_session("CD34", "Medicare"))
    repo.commands.start(sessions[-1].id, "97140")
    clock.advance(minutes=5)
    return sessions


WRONG = [
    {"segments": []},
    {"sessions": {"1": "a string"}},
    {"_meta": {"1": {"schema": "abc"}}},
    {"_meta": {"1": {"schema": 0}}},
    {"sessions": {"1": {"id": "not-a-uuid"}}},
    {"months": {"1": {"month": "2026", "digest": 5}}},
    {"days": {"1": {"date": "2026-03-02", "stamp": "x", "medicare": {"AB12": "1.00"}}}},
    {"days": {"1": {"date": "2026-03-02", "stamp": "x", "medicare": {"AB12\tXX": "1.00"}}}},
    {"days": {"1": {"date": "2026-03-02", "stamp": "x", "medicare": {"AB12\tPT+SLP": "lots"}}}},
    [],
    "text",
]


def paths(repo, day):
    return {"day": repo.store.day_path(day), "index": repo.store.index_path(f"{day:%Y-%m}"),
            "summary": repo.store.summary_path()}


@pytest.mark.parametrize("kind", ["day", "index", "summary"])
@pytest.mark.parametrize("content", WRONG)
def test_every_file_kind_of_the_wrong_shape_is_moved_aside(data_dir, clock, settings, kind,
                                                         content):
    with Repository.open(data_dir, clock, settings) as repo:
        first, second, still_open = make_days(repo, clock)
    target = paths(repo, first.date_of_service)[kind]
    target.write_text(json.dumps(content))
    with Repository.open(data_dir, clock, settings) as again:
        days = again.queries.days()
        exported = export_segments(again)  # a backup can still be taken
        again.queries.year_to_date(second.date_of_service)  # the month's index read
        visits = again.queries.visits("AB12")
        notices = [n.message for n in again.pop_notices()]
        assert any(target.name in message and "moved aside" in message for message in notices)
        (moved,) = target.parent.glob(f"{target.name}.corrupt-*")
        assert json.loads(moved.read_text()) == content
        assert second.date_of_service in days
        assert str(second.id) in exported
        if kind == "day":
            assert str(first.id) not in exported
        else:
            assert str(first.id) in exported
            assert [visit.id for _, visit in visits] == [first.id, second.id]
        again.commands.start(still_open.id, "97110")  # and the open session keeps working
        assert [s.code for s in again.queries.running_segments()] == ["97110"]


@pytest.mark.parametrize("content", WRONG)
def test_a_reader_skips_a_damaged_day_names_it_and_changes_nothing(data_dir, clock, settings,
                                                                   content):
    with Repository.open(data_dir, clock, settings) as repo:
        first, second, _ = make_days(repo, clock)
    target = paths(repo, first.date_of_service)["day"]
    target.write_text(json.dumps(content))
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        exported = export_segments(reader)
        notices = [n.message for n in reader.pop_notices()]
    assert str(second.id) in exported and str(first.id) not in exported
    assert any("left as it is" in message for message in notices)
    assert json.loads(target.read_text()) == content


def test_a_removed_custom_code_is_shown_and_named_never_a_crash(data_dir, clock, settings):
    from core.catalog import CatalogEntry
    from core.models import Discipline
    from storage.views import day_view

    custom = CatalogEntry(code="S9131", descriptor="Dry needling", timed=True,
                          disciplines=(Discipline.PT,))
    with_code = settings.model_copy(update={"custom_codes": (custom,)})
    with Repository.open(data_dir, clock, with_code) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        repo.commands.start(session.id, "97110")
        clock.advance(minutes=10)
        repo.commands.start(session.id, "S9131")
        clock.advance(minutes=12)
        repo.commands.close_session(session.id, stop_running=True)
        open_one = repo.commands.create_session("CD34", "Medicare")
        repo.commands.start(open_one.id, "S9131")
        clock.advance(minutes=3)
    with Repository.open(data_dir, clock, settings) as repo:
        day = day_view(repo, session.date_of_service, clock.now)
        named = [c.message for c in day.checks if c.kind.value == "undefined-code"]
        assert any("S9131 (12 min recorded)" in m and "no fee estimate" in m for m in named)
        assert any("S9131 (3 min recorded)" in m and "not billed" in m for m in named)
        (kept,) = [row for row in day.rows if row.code == "S9131"]  # billed when it closed
        assert kept.amount is None and kept.patient == "AB12"
        repo.commands.start(open_one.id, "97110")  # the undefined running code: not timed
        assert "S9131" in export_segments(repo)


# ---- import refuses what cannot be true ----------------------------------------------------


HEADER = ("session_id,date_of_service,patient,payer,method,discipline,code,start,end,seconds,"
          "furnished_by,note")
ID = "0b0b0b0b-0000-4000-8000-000000000001"


def row(start="2026-03-02T09:00:00-05:00", end="2026-03-02T09:20:00-05:00", dos="2026-03-02",
        session=ID, note="", patient="AB12", seconds=""):
    return [session, dos, patient, "Medicare", "cms", "PT", "97110", start, end, seconds,
            "therapist", note]


def csv_text(*rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER.split(","))
    writer.writerows(rows)
    return out.getvalue()


def attempt(repo, tmp_path, text):
    path = tmp_path / "in.csv"
    path.write_text(text)
    return import_segments(repo, path)


@pytest.mark.parametrize(("bad", "column", "words"), [
    (row(dos="2026-02-25"), "start", "date_of_service 2026-02-25"),
    (row(dos="2026-03-03"), "start", "date_of_service is 2026-03-03"),
    (row(start="2026-03-02T09:00:00+23:59", end=""), "start", "-12:00 to +14:00"),
    (row(start="2026-03-01T09:00:00-05:00", end="2026-03-01T22:00:00-05:00",
         dos="2026-03-01"), "end", "over 12 hours"),
    (row(start="0001-01-01T09:00:00-05:00", end=""), "start", "out of range"),
    (row(dos="9999-12-31"), "date_of_service", "out of range"),
    (row(start="2026-03-02T11:00:00-05:00", end=""), "start", "in the future"),
    (row(note="x" * 200_000), "row", "field larger than field limit"),
    (row(note="a\x1b[2Jb"), "note", "control character (ESC)"),
    (row(patient="AB\x07"), "patient", "control character (BEL)"),
    (row(patient=" "), "patient", "give a patient reference"),
])
def test_import_refusals_name_line_and_column_and_write_nothing(repo, tmp_path, bad, column,
                                                                words):
    report = attempt(repo, tmp_path, csv_text(bad))
    assert [(e.line, e.column) for e in report.errors] == [(2, column)]
    assert words in report.errors[0].message
    assert repo.queries.days() == [] and report.sessions == 0
    assert len(report.errors[0].message) < 300  # a 200 KB cell is never quoted whole


def test_trailing_blank_lines_are_ignored(repo, tmp_path):
    report = attempt(repo, tmp_path, csv_text(row()) + "\n\n,,,,,,,,,,,\n")
    assert report.errors == () and report.sessions == 1


def test_a_nul_byte_is_refused_naming_the_column(repo, tmp_path):
    report = attempt(repo, tmp_path, csv_text(row()).replace("AB12", "AB\x0012"))
    assert [(e.line, e.column) for e in report.errors] == [(2, "patient")]
    assert "control character (NUL)" in report.errors[0].message


def test_a_session_id_stored_on_another_date_is_refused(repo, clock, tmp_path):
    assert attempt(repo, tmp_path, csv_text(row())).sessions == 1
    moved = row(start="2026-03-01T09:00:00-05:00", end="2026-03-01T09:20:00-05:00",
                dos="2026-03-01")
    report = attempt(repo, tmp_path, csv_text(moved))
    assert [(e.line, e.column) for e in report.errors] == [(2, "session_id")]
    assert "already stored with the date of service 2026-03-02" in report.errors[0].message
    assert repo.queries.days() == [clock.now.date()]


def test_a_session_may_run_past_midnight_but_not_days_later(repo, clock, tmp_path):
    clock.advance(days=2)
    late = [row(start="2026-03-02T23:50:00-05:00", end="2026-03-03T00:10:00-05:00"),
            row(start="2026-03-03T00:10:00-05:00", end="2026-03-03T00:20:00-05:00")]
    assert attempt(repo, tmp_path, csv_text(*late)).errors == ()
    far = row(start="2026-03-04T09:00:00-05:00", end="2026-03-04T09:10:00-05:00",
              session="0b0b0b0b-0000-4000-8000-000000000002")
    first = row(session="0b0b0b0b-0000-4000-8000-000000000002",
                start="2026-03-02T08:00:00-05:00", end="2026-03-02T08:10:00-05:00")
    report = attempt(repo, tmp_path, csv_text(first, far))
    assert [(e.line, e.column) for e in report.errors] == [(3, "start")]


def test_a_full_disk_during_import_says_so(repo, tmp_path, monkeypatch):
    import errno

    from storage import document_storage as store

    def full(path, content):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(store, "write_atomic", full)
    with pytest.raises(OSError) as caught:
        attempt(repo, tmp_path, csv_text(row()))
    from storage.errors import disk_problem

    assert disk_problem(caught.value).startswith("no space left on device")


def test_round_trip_keeps_a_leading_apostrophe(repo, clock, tmp_path, settings):
    session = repo.commands.create_session("'=X", "Medicare")
    repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=20),
                     clock.now - timedelta(minutes=5), note="'quoted' and '+1")
    text = export_segments(repo)
    with Repository.open(tmp_path / "other", clock, settings) as other:
        assert attempt(other, tmp_path, text).errors == ()
        (back,) = other.queries.sessions_on(session.date_of_service)
        assert back.patient == "'=X"
        assert other.queries.segments_of(back.id)[0].note == "'quoted' and '+1"


PATIENTS_WRONG = [*WRONG, {"elsewhere": {"1": {"id": "AB12\t2026\tOT", "patient": "AB12",
                                              "year": 2026, "bucket": "PT+SLP", "amount": "5",
                                              "entered_at": "2026-03-02T15:00:00Z"}}},
                  {"elsewhere": {"1": {"id": "AB12\t2026\tOT", "patient": "AB12", "year": 2026,
                                       "bucket": "OT", "amount": "-5",
                                       "entered_at": "2026-03-02T15:00:00Z"}}}]


@pytest.mark.parametrize("content", PATIENTS_WRONG)
def test_a_damaged_patients_file_is_moved_aside_and_the_day_still_bills(data_dir, clock,
                                                                       settings, content):
    from core.billing.modifiers import TherapyBucket
    from storage.views import day_view

    with Repository.open(data_dir, clock, settings) as repo:
        make_days(repo, clock)
    (data_dir / "patients.json").write_text(json.dumps(content))
    with Repository.open(data_dir, clock, settings) as again:
        summary = day_view(again, clock.now.date() - timedelta(days=1), clock.now)
        assert summary.rows  # the day bills without what was entered about patients
        notices = [n.message for n in again.pop_notices()]
        assert any("patients.json" in m and "moved aside" in m for m in notices)
        again.patients.set_used_elsewhere("AB12", 2026, TherapyBucket.OT, Decimal(5), clock.now)
        assert again.patients.used_elsewhere(2026) == {("AB12", TherapyBucket.OT): 5}
