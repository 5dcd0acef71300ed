"""The store under the repository: files validated as a whole, atomic batches, damaged files
moved aside by a writer and left alone by a reader."""

import json
from datetime import date
from pathlib import Path

import pytest

from storage.store import Store, UnwritableFile


def writer(root, notices):
    return Store(root, lambda message, severity: notices.append((message, severity)),
                 writer=True)


def reader(root, notices):
    return Store(root, lambda message, severity: notices.append((message, severity)),
                 writer=False)


DAY = date(2026, 3, 2)


def test_a_value_that_cannot_be_saved_fails_before_the_disk_is_touched(tmp_path):
    store = writer(tmp_path, [])
    path = store.open_path
    with store.writing(path) as table:
        table("open").insert({"session_id": "6b8f3e2a-0000-4000-8000-000000000001",
                              "date": "2026-03-02"})
    before = path.read_bytes()
    with pytest.raises(TypeError), store.writing(path) as table:
        table("open").insert({"session_id": object(), "date": "2026-03-02"})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["open.json"]
    assert len(store.records(path, "open")) == 1


def test_a_batch_is_one_write_and_an_aborted_batch_writes_nothing(tmp_path, disk_writes):
    store = writer(tmp_path, [])
    path = store.ledger_path(2026)
    with store.writing(path) as table:
        table("days").insert({"date": "2026-03-02", "amounts": {}})
        table("days").insert({"date": "2026-03-03", "amounts": {}})
        assert len(table("days").all()) == 2  # reads inside the batch see its writes
    assert len(disk_writes) == 1 and len(store.records(path, "days")) == 2
    with pytest.raises(RuntimeError), store.writing(path) as table:
        table("days").insert({"date": "2026-03-04", "amounts": {}})
        raise RuntimeError("refused half-way")
    assert [d.date.day for d in store.records(path, "days")] == [2, 3]
    assert len(disk_writes) == 1


WRONG_SHAPES = [
    '{"_default": {"1": {"a": 1}}}xx',
    "[1, 2]",
    "\xff\xfe",
    '{"segments": []}',
    '{"sessions": {"1": "a string"}}',
    '{"_meta": {"1": {"schema": "abc"}}}',
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
    path = store.open_path
    path.write_text(json.dumps({"open": {}}))
    real = Path.read_bytes

    def refuse(self):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)  # as a chmod 000 file would, for root too
    assert store.records(path, "open") == []
    with pytest.raises(UnwritableFile, match="cannot be read"), store.writing(path) as table:
        table("open").insert({"session_id": "6b8f3e2a-0000-4000-8000-000000000001",
                              "date": "2026-03-02"})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"open": {}}
    assert any("Permission denied" in message for message, _ in notices)


def test_a_reader_cannot_write(tmp_path):
    store = reader(tmp_path, [])
    with pytest.raises(Exception, match="read-only"), store.writing(store.open_path):
        pass
    assert list(tmp_path.iterdir()) == []
