"""The store under the repository: files validated as a whole, atomic changes that keep the
cache true, damaged files moved aside by a writer and left alone by a reader."""

import json
from datetime import date
from pathlib import Path

import pytest

from storage.documents import DayEntry, MonthEntry
from storage.errors import UnwritableFile
from storage.store import Store


def writer(root, notices):
    return Store(root, lambda message, severity: notices.append((message, severity)),
                 writer=True)


def reader(root, notices):
    return Store(root, lambda message, severity: notices.append((message, severity)),
                 writer=False)


DAY = date(2026, 3, 2)


def entry(day: date) -> DayEntry:
    return DayEntry(date=day, stamp="1-1")


def test_a_value_that_cannot_be_saved_fails_before_the_disk_is_touched(tmp_path):
    store = writer(tmp_path, [])
    path = store.index_path("2026-03")
    with store.change(path) as change:
        change.put("days", entry(DAY))
    before = path.read_bytes()
    with pytest.raises(TypeError), store.change(path) as change:
        change.put("days", entry(date(2026, 3, 3)))
        change._db.table("days").insert({"date": object()})  # what no model would allow
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["2026-03.json"]
    assert [e.date for e in store.records(path, "days")] == [DAY]


def test_a_change_is_one_write_and_an_aborted_change_writes_nothing(tmp_path, disk_writes):
    store = writer(tmp_path, [])
    path = store.index_path("2026-03")
    with store.change(path) as change:
        change.put("days", entry(DAY))
        change.put("days", entry(date(2026, 3, 3)))
    assert len(disk_writes) == 1 and len(store.records(path, "days")) == 2
    with pytest.raises(RuntimeError), store.change(path) as change:
        change.put("days", entry(date(2026, 3, 4)))
        raise RuntimeError("refused half-way")
    assert [d.date.day for d in store.records(path, "days")] == [2, 3]
    assert len(disk_writes) == 1


def test_a_change_keeps_the_cache_true_without_reading_the_file_again(tmp_path, monkeypatch):
    store = writer(tmp_path, [])
    path = store.summary_path()
    with store.change(path) as change:
        change.put("months", MonthEntry(month="2026-03", digest="a", version=1))
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read again"))
    with store.change(path) as change:
        change.put("months", MonthEntry(month="2026-03", digest="b", version=1))
        change.put("months", MonthEntry(month="2026-02", digest="c", version=1))
    assert [(e.month, e.digest) for e in store.records(path, "months")] == [
        ("2026-03", "b"), ("2026-02", "c")]
    with store.change(path) as change:
        change.drop("months", "2026-03")
    assert [e.month for e in store.records(path, "months")] == ["2026-02"]


WRONG_SHAPES = [
    '{"_default": {"1": {"a": 1}}}xx',
    "[1, 2]",
    "\xff\xfe",
    '{"segments": []}',
    '{"sessions": {"1": "a string"}}',
    '{"_meta": {"1": {"schema": "abc"}}}',
    '{"_meta": {"1": {"schema": 0}}}',
    '{"_meta": {"1": {"schema": -3}}}',
    '{"_meta": []}',
    '{"sessions": {"x": {}}}',
    '{"unknown_table": {}}',
    "null",
    '"text"',
]


@pytest.mark.parametrize("content", WRONG_SHAPES)
def test_a_day_file_of_the_wrong_shape_is_moved_aside_by_a_writer(tmp_path, content):
    notices: list[tuple[str, str]] = []
    store = writer(tmp_path, notices)
    path = store.day_path(DAY)
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode("latin-1"))
    assert store.records(path, "sessions") == []
    assert not path.exists()
    (moved,) = path.parent.glob("2026-03-02.json.corrupt-*")
    assert moved.read_bytes() == content.encode("latin-1")
    ((message, severity),) = notices
    assert severity == "error" and "2026-03-02.json" in message and str(moved) in message
    assert store.moved_aside == [(path, moved)]


@pytest.mark.parametrize("content", WRONG_SHAPES)
def test_a_reader_reports_a_damaged_file_and_changes_nothing(tmp_path, content):
    notices: list[tuple[str, str]] = []
    store = reader(tmp_path, notices)
    path = store.day_path(DAY)
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode("latin-1"))
    assert store.records(path, "segments") == []
    assert store.records(path, "sessions") == []  # reported once, not per table
    assert path.read_bytes() == content.encode("latin-1")
    assert sorted(p.name for p in path.parent.iterdir()) == ["2026-03-02.json"]
    ((message, severity),) = notices
    assert severity == "error" and "left as it is" in message


def test_a_file_that_cannot_be_read_is_never_written(tmp_path, monkeypatch):
    notices: list[tuple[str, str]] = []
    store = writer(tmp_path, notices)
    path = store.summary_path()
    path.parent.mkdir()
    path.write_text(json.dumps({"months": {}}))
    real = Path.read_bytes

    def refuse(self):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)  # as a chmod 000 file would, for root too
    assert store.records(path, "months") == []
    with pytest.raises(UnwritableFile, match="cannot be read"), store.change(path) as change:
        change.put("months", MonthEntry(month="2026-03", digest="x", version=1))
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"months": {}}
    assert any("Permission denied" in message for message, _ in notices)
    assert path in store.unreadable


def test_a_file_that_is_not_a_regular_file_is_never_read(tmp_path):
    notices: list[tuple[str, str]] = []
    store = writer(tmp_path, notices)
    path = store.day_path(DAY)
    path.parent.mkdir(parents=True)
    path.symlink_to("/dev/zero")  # would be read forever
    assert store.records(path, "sessions") == []
    assert path.is_symlink() and any("not a regular file" in m for m, _ in notices)


def test_a_reader_cannot_write(tmp_path):
    store = reader(tmp_path, [])
    with pytest.raises(Exception, match="read-only"), store.change(store.summary_path()):
        pass
    assert list(tmp_path.iterdir()) == []


def a_session(day: date):
    from datetime import UTC, datetime

    from core.models import Discipline, Method, PayerProfile
    from core.session import Session

    return Session(patient="P1", payer=PayerProfile(name="Medicare", method=Method.CMS),
                   discipline=Discipline.PT, date_of_service=day,
                   opened_at=datetime(day.year, day.month, day.day, 14, tzinfo=UTC))


def test_a_record_put_as_valid_is_kept_as_made_and_the_file_rules_still_hold(tmp_path):
    from storage.errors import InvalidChange

    store = writer(tmp_path, [])
    path = store.day_path(DAY)
    made = a_session(DAY)
    with store.change(path) as change:
        change.put_valid("sessions", made)
    assert store.records(path, "sessions")[0] is made  # not validated again
    refused = "a session of 2026-03-03 in the file of 2026-03-02"
    with pytest.raises(InvalidChange, match=refused), store.change(path) as change:
        change.put_valid("sessions", a_session(date(2026, 3, 3)))
    assert len(store.records(path, "sessions")) == 1


def test_a_record_put_again_as_made_by_model_copy_is_validated_again(tmp_path):
    from storage.errors import InvalidChange

    store = writer(tmp_path, [])
    path = store.day_path(DAY)
    made = a_session(DAY)
    with pytest.raises(InvalidChange, match="patient"), store.change(path) as change:
        change.put_valid("sessions", made)
        change.put("sessions", made.model_copy(update={"patient": "P\x07"}))  # no validator ran
    assert not path.exists()
