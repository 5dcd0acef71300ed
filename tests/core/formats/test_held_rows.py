"""The rows an import holds until their date's turn: each given back once, by session in the
order the rows came, a running timer still running, a note found where its row begins."""

from datetime import UTC, datetime

import pytest

from core.catalog import default_catalog
from core.formats.held_rows import HeldRows, HeldSegment
from core.formats.import_rules import FileCheck
from core.formats.segment_rows import Row, RowParser
from core.models import FurnishedBy

S1 = "11111111-1111-4111-8111-111111111111"
S2 = "22222222-2222-4222-8222-222222222222"
S3 = "33333333-3333-4333-8333-333333333333"
T, A = FurnishedBy.THERAPIST, FurnishedBy.ASSISTANT


def row(line, session, day, start, end="", code="97110", by="therapist", note=""):
    cells = [session, day, "AB12", "Medicare", "cms", "PT", code, start, end, "", by, note]
    parsed = RowParser(default_catalog(), datetime(2026, 3, 3, 20, tzinfo=UTC)).parse(line, cells)
    assert isinstance(parsed, Row)
    return parsed


def test_each_date_gives_back_its_sessions_and_segments_in_the_order_they_came():
    rows = [  # two dates interleaved, a session's rows apart
        row(2, S1, "2026-03-02", "2026-03-02T09:00:00-05:00", "2026-03-02T09:10:00-05:00"),
        row(3, S3, "2026-03-03", "2026-03-03T09:00:00-05:00", "2026-03-03T09:08:00-05:00",
            code="97140", by="assistant", note="x"),
        row(4, S2, "2026-03-02", "2026-03-03T10:00:00-05:00", code="97530"),
        row(5, S1, "2026-03-02", "2026-03-02T08:50:00-05:00", "2026-03-02T09:00:00-05:00",
            note="first"),
    ]
    check = FileCheck(default_catalog(), UTC)
    held = HeldRows(check.sessions)
    for offset, found in zip((100, 200, 300, 400), rows, strict=True):
        held.add(found, check.add(found), offset)
    assert [str(day) for day in held.days()] == ["2026-03-02", "2026-03-03"]
    second = list(held.take(rows[0].session.date_of_service))
    assert [(cells.session_id, [(s.code, s.furnished_by, s.end is None, s.note_at)
                                for s in segments]) for cells, segments in second] == [
        (rows[0].session.session_id, [("97110", T, False, None), ("97110", T, False, 400)]),
        (rows[2].session.session_id, [("97530", T, True, None)])]
    assert second[0][1][1] == HeldSegment("97110", T, rows[3].start, rows[3].end, 400)
    (third,) = held.take(rows[1].session.date_of_service)
    assert third[0] is rows[1].session and third[1][0].furnished_by is A
    assert held.days() == []
    with pytest.raises(KeyError):
        list(held.take(rows[1].session.date_of_service))
