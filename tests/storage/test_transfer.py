"""Segments CSV export and import: round trip, idempotence, bad rows, formula cells."""

import csv
import io
from datetime import timedelta

import pytest

from core.formats.segments_csv import EXPORT_COLUMNS
from core.models import FurnishedBy
from storage.imports import import_segments
from storage.reports import write_segments, write_sessions
from storage.repository import Repository
from storage.views import day_view, patient_history_view
from tests.helpers import export_segments


def make_history(repo, clock, days=3, per_day=2):
    for _ in range(days):
        for index in range(per_day):
            payer = "Medicare" if index % 2 else "Commercial"
            session = repo.commands.create_session(f"P{index:03d}", payer)
            repo.commands.start(session.id, "97110")
            clock.advance(minutes=12, seconds=31)
            repo.commands.start(session.id, "97140")
            repo.commands.start(session.id, "97010")
            clock.advance(minutes=9)
            repo.commands.close_session(session.id, stop_running=True)
            clock.advance(minutes=5)
        clock.advance(days=1)


def write(tmp_path, text, name="in.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_export_import_export_is_identical(repo, clock, tmp_path, settings):
    make_history(repo, clock)
    first = export_segments(repo)
    with Repository.open(tmp_path / "other", clock, settings) as other:
        report = import_segments(other, write(tmp_path, first))
        assert (report.sessions, report.segments, report.errors) == (6, 18, ())
        assert export_segments(other) == first
        again = import_segments(other, write(tmp_path, first))
        assert again.sessions == 0 and again.skipped == 6
        assert export_segments(other) == first


def test_imported_closed_sessions_carry_their_billing(repo, clock, tmp_path, settings):
    make_history(repo, clock, days=1, per_day=1)
    text = export_segments(repo)
    with Repository.open(tmp_path / "other", clock, settings) as other:
        import_segments(other, write(tmp_path, text))
        (session,) = other.queries.sessions_on(repo.queries.days()[0])
        assert session.billing is not None
        assert session.billing.units == {"97110": 1, "97140": 1, "97010": 1}


def test_export_by_date_range(repo, clock):
    make_history(repo, clock, days=3, per_day=1)
    days = repo.queries.days()
    rows = list(csv.reader(io.StringIO(export_segments(repo, days[1], days[1]))))
    assert {row[1] for row in rows[1:]} == {days[1].isoformat()}


def test_a_killed_import_can_be_run_again(repo, clock, tmp_path, settings):
    make_history(repo, clock)
    text = export_segments(repo)
    header, *rows = text.splitlines(keepends=True)
    with Repository.open(tmp_path / "other", clock, settings) as other:
        import_segments(other, write(tmp_path, header + "".join(rows[:6]), "part.csv"))
        report = import_segments(other, write(tmp_path, text))
        assert (report.sessions, report.skipped) == (4, 2)
        assert export_segments(other) == text


def test_formula_cells_go_out_inert_and_come_back_unchanged(repo, clock, tmp_path, settings):
    session = repo.commands.create_session("=HYPERLINK(x)", "Medicare")
    start = clock.now
    clock.advance(minutes=10)
    repo.commands.add_segment(session.id, "97110", start, clock.now, note="@SUM(A1)",
                     furnished_by=FurnishedBy.ASSISTANT)
    text = export_segments(repo)
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[2] == "'=HYPERLINK(x)" and row[11] == "'@SUM(A1)"
    with Repository.open(tmp_path / "other", clock, settings) as other:
        import_segments(other, write(tmp_path, text))
        (stored,) = other.queries.sessions_on(session.date_of_service)
        assert stored.patient == "=HYPERLINK(x)"
        assert other.queries.segments_of(stored.id)[0].note == "@SUM(A1)"


def test_bad_rows_are_named_by_line_and_column_and_nothing_is_written(repo, clock, tmp_path):
    make_history(repo, clock, days=1, per_day=2)
    lines = export_segments(repo).splitlines()
    lines[2] = lines[2].replace(",97140,", ",97532,")
    lines[3] = lines[3].replace(",therapist,", ",aide,")
    lines.append("not,enough,cells")
    with Repository.open(tmp_path / "other", clock, repo.settings) as other:
        report = import_segments(other, write(tmp_path, "\n".join(lines) + "\n"))
        assert [(e.line, e.column) for e in report.errors] == [
            (3, "code"), (4, "furnished_by"), (8, "row")
        ]
        assert "97532 is a deleted code" in str(report.errors[0])
        assert other.queries.days() == []


def test_an_overlong_note_is_a_bad_row(repo, clock, tmp_path):
    make_history(repo, clock, days=1, per_day=1)
    rows = list(csv.reader(io.StringIO(export_segments(repo))))
    rows[2][11] = "x" * 501
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    report = import_segments(repo, write(tmp_path, out.getvalue()))
    assert [(e.line, e.column) for e in report.errors] == [(3, "note")]
    assert "500" in report.errors[0].message


def test_rows_of_one_session_must_agree(repo, clock, tmp_path):
    make_history(repo, clock, days=1, per_day=1)
    lines = export_segments(repo).splitlines()
    lines[2] = lines[2].replace(",P000,", ",P999,")
    with Repository.open(tmp_path / "other", clock, repo.settings) as other:
        report = import_segments(other, write(tmp_path, "\n".join(lines)))
        assert [(e.line, e.column) for e in report.errors] == [(3, "patient")]


def test_seconds_must_match_start_and_end(repo, clock, tmp_path):
    make_history(repo, clock, days=1, per_day=1)
    rows = list(csv.reader(io.StringIO(export_segments(repo))))
    rows[1][9] = str(int(rows[1][9]) + 60)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    with Repository.open(tmp_path / "other", clock, repo.settings) as other:
        report = import_segments(other, write(tmp_path, out.getvalue()))
        assert [(e.line, e.column) for e in report.errors] == [(2, "seconds")]


def test_a_wrong_header_is_refused(repo, tmp_path):
    report = import_segments(repo, write(tmp_path, "a,b,c\n1,2,3\n"))
    assert [(e.line, e.column) for e in report.errors] == [(1, "header")]


def test_overlaps_within_the_file_and_with_the_store_are_refused(repo, clock, tmp_path):
    make_history(repo, clock, days=1, per_day=1)
    text = export_segments(repo)
    rows = list(csv.reader(io.StringIO(text)))
    twin = [list(row) for row in rows[1:3]]
    for row in twin:
        row[0] = "11111111-1111-4111-8111-111111111111"
    out = io.StringIO()
    csv.writer(out).writerows([rows[0], *twin])
    report = import_segments(repo, write(tmp_path, out.getvalue()))
    assert report.errors and "overlaps a stored 97110" in str(report.errors[0])
    both = io.StringIO()
    csv.writer(both).writerows([rows[0], *rows[1:3], *twin])
    with Repository.open(tmp_path / "other", clock, repo.settings) as other:
        report = import_segments(other, write(tmp_path, both.getvalue(), "both.csv"))
        assert [e.line for e in report.errors] == [4, 5]
        assert "overlaps the timed segment of line 2" in str(report.errors[0])


@pytest.mark.slow
def test_a_year_of_history_round_trips(repo, clock, tmp_path, settings):
    """A year of 20 sessions a day would be slow to build through the API; build it as CSV."""
    header = ("session_id,date_of_service,patient,payer,method,discipline,code,start,end,"
              "seconds,furnished_by,note\n")
    rows = []
    import uuid

    day0 = clock.now.replace(hour=13) - timedelta(days=251)  # a past year, never the future
    for day in range(250):
        for slot in range(20):
            start = day0 + timedelta(days=day, minutes=25 * slot)
            session = uuid.uuid5(uuid.NAMESPACE_OID, f"{day}-{slot}")
            dos = start.astimezone(repo.zone).date().isoformat()
            for part, code in enumerate(("97110", "97140", "97530", "97112")):
                a = (start + timedelta(minutes=5 * part)).astimezone(repo.zone)
                b = a + timedelta(minutes=5)
                rows.append(f"{session},{dos},P{slot:03d},Medicare,cms,PT,{code},{a.isoformat()},"
                            f"{b.isoformat()},300,therapist,\n")
    text = header + "".join(rows)
    with Repository.open(tmp_path / "year", clock, settings) as year:
        report = import_segments(year, write(tmp_path, text))
        assert (report.sessions, report.segments) == (5000, 20000)
        exported = export_segments(year)
        lines = text.splitlines()  # an old file: the office, in person, the folder's therapist
        expected = [",".join(EXPORT_COLUMNS),
                    *(f"{line},11,,{settings.therapist},{settings.npi},"
                      f"{settings.provider_code}" for line in lines[1:])]
        assert sorted(exported.splitlines()) == sorted(expected)
        assert import_segments(year, write(tmp_path, exported)).sessions == 0


def test_a_round_trip_keeps_a_back_filled_session_first_and_its_pooled_amount(
        repo, clock, tmp_path, settings):
    """A session opened second but treated first (a start typed in afterwards) is first in
    the day: billed, exported and imported in that order, so the same session carries the
    patient's pooled amount after a round trip (an import opens it at its first segment)."""
    now = clock.now
    later = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(later.id, "97110")
    clock.advance(minutes=10)
    repo.commands.close_session(later.id, stop_running=True)
    earlier = repo.commands.create_session("AB12", "Medicare")
    repo.commands.add_segment(earlier.id, "97140", now - timedelta(minutes=40),
                              now - timedelta(minutes=28))
    repo.commands.close_session(earlier.id)
    exported = {kind: _export(kind, repo, clock) for kind in ("segments", "sessions")}
    assert exported["segments"].index(str(earlier.id)) < exported["segments"].index(
        str(later.id))
    rows = list(csv.DictReader(io.StringIO(exported["sessions"])))
    assert [row["session_id"] for row in rows] == [str(earlier.id), str(later.id)]
    assert "pooled with an earlier session" in rows[1].values()
    with Repository.open(tmp_path / "other", clock, settings) as other:
        assert import_segments(other, write(tmp_path, exported["segments"])).errors == ()
        assert {kind: _export(kind, other, clock) for kind in exported} == exported


def _export(kind, folder, clock):
    out = io.StringIO()
    if kind == "segments":
        write_segments(folder, None, None, out)
    else:
        write_sessions(folder, None, None, clock.now, out)
    return out.getvalue()


def test_the_history_and_the_day_put_a_patients_pooled_amount_on_the_same_session(
        repo, clock):
    """Two sessions whose treatment began at the same instant, written in another order than
    they were opened (one deleted and put back): the index bills them as the day does."""
    began = clock.now - timedelta(hours=1)
    first = repo.commands.create_session("AB12", "Medicare")
    repo.commands.add_segment(first.id, "G0283", began, began + timedelta(minutes=15))
    repo.commands.delete_session(first.id)
    clock.advance(minutes=5)
    second = repo.commands.create_session("AB12", "Medicare")
    repo.commands.add_segment(second.id, "97110", began, began + timedelta(minutes=30))
    repo.commands.close_session(second.id)
    clock.advance(minutes=5)
    repo.commands.restore_session(first.date_of_service, first.id)  # written again, last
    repo.commands.close_session(first.id)
    day = day_view(repo, first.date_of_service, clock.now)
    carried = {item.session.id for item in day.sessions if item.amount}
    history = patient_history_view(repo, "AB12")
    assert carried == {e.visit.id for e in history if e.visit.amount} == {second.id}
    # listed in the order billed: the running year's total grows on the row that carries it
    assert [e.visit.id for e in history] == [i.session.id for i in day.sessions]
