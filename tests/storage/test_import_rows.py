"""An import writes what its rows say, however the file is laid out: a session's rows apart,
dates interleaved, notes with commas, quotes and other scripts read back by where their row
begins, a file saved with a byte-order mark, a timer still running."""

import csv
import io
from datetime import UTC, datetime

from core.formats.segments_csv import COLUMNS
from storage.imports import import_segments

S1 = "11111111-1111-4111-8111-111111111111"
S2 = "22222222-2222-4222-8222-222222222222"
S3 = "33333333-3333-4333-8333-333333333333"
NOTE = 'gait belt, "150 ft" x2; Ωmega, café'


def row(session, day, code, start, end, note="", patient="AB12"):
    return [session, day, patient, "Medicare", "cms", "PT", code, start, end, "", "therapist",
            note]


def write(tmp_path, rows, *, mark=False):
    out = io.StringIO()
    csv.writer(out).writerows([COLUMNS, *rows])
    path = tmp_path / "in.csv"
    path.write_bytes((b"\xef\xbb\xbf" if mark else b"") + out.getvalue().encode())
    return path


def test_rows_apart_and_notes_are_written_as_the_file_says(repo, clock, tmp_path):
    clock.set(datetime(2026, 3, 3, 17, tzinfo=UTC))
    rows = [
        row(S1, "2026-03-02", "97110", "2026-03-02T09:00:00-05:00", "2026-03-02T09:10:00-05:00",
            note=NOTE),
        row(S3, "2026-03-03", "97140", "2026-03-03T09:00:00-05:00", "2026-03-03T09:08:00-05:00",
            patient="CD34", note="=1+1"),
        row(S2, "2026-03-02", "97530", "2026-03-02T10:00:00-05:00", "2026-03-02T10:30:00-05:00",
            patient="EF56"),
        row(S1, "2026-03-02", "97112", "2026-03-02T08:50:00-05:00", "2026-03-02T09:00:00-05:00",
            note="'quoted, \"twice\""),
        row(S3, "2026-03-03", "97110", "2026-03-03T11:30:00-05:00", "", patient="CD34"),
    ]
    report = import_segments(repo, write(tmp_path, rows, mark=True))
    assert (report.errors, report.sessions, report.segments) == ((), 3, 5)
    notes = {(s.code, str(s.session_id)): s.note for day in repo.queries.days()
             for s in repo.queries.segments_on(day)}
    assert notes == {("97110", S1): NOTE, ("97140", S3): "=1+1", ("97530", S2): "",
                     ("97112", S1): "'quoted, \"twice\"", ("97110", S3): ""}
    (open_session,) = repo.queries.open_sessions()
    assert str(open_session.id) == S3 and open_session.billing is None
    by_id = {str(s.id): s for day in repo.queries.days() for s in repo.queries.sessions_on(day)}
    assert by_id[S1].opened_at == datetime(2026, 3, 2, 13, 50, tzinfo=UTC)
    assert by_id[S1].closed_at == datetime(2026, 3, 2, 14, 10, tzinfo=UTC)
    assert by_id[S1].billing is not None and by_id[S1].billing.total_timed_minutes == 20


def test_the_cycle_collector_looks_less_often_during_an_import_and_as_before_after(
        repo, clock, tmp_path, monkeypatch):
    import gc

    from storage import imports

    clock.set(datetime(2026, 3, 3, 17, tzinfo=UTC))
    seen: list[tuple[int, ...]] = []
    real = imports._check

    def spying(*args):
        seen.append(gc.get_threshold())
        return real(*args)

    monkeypatch.setattr(imports, "_check", spying)
    before = gc.get_threshold()
    import_segments(repo, write(tmp_path, [row(S1, "2026-03-02", "97110",
                                                "2026-03-02T09:00:00-05:00",
                                                "2026-03-02T09:10:00-05:00")]))
    assert seen == [(imports.YOUNG_OBJECTS, *before[1:])] and gc.get_threshold() == before
