"""The atomic storage under TinyDB: all or nothing, durable, private, never overwriting."""

import json
import stat

import pytest
from tinydb import TinyDB

from storage.atomic import (
    AtomicJSONStorage,
    CorruptFileError,
    ensure_private_dir,
    read_json,
    remove_stale_temps,
    write_atomic,
)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_write_replaces_the_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "day.json"
    write_atomic(target, '{"a": 1}')
    write_atomic(target, '{"a": 2}')
    assert json.loads(target.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["day.json"]
    assert mode(target) == 0o600


def test_a_value_that_cannot_be_saved_fails_before_the_disk_is_touched(tmp_path):
    db = TinyDB(tmp_path / "day.json", storage=AtomicJSONStorage)
    db.insert({"code": "97110"})
    before = (tmp_path / "day.json").read_bytes()
    with pytest.raises(TypeError):
        db.insert({"code": "97140", "when": object()})
    assert (tmp_path / "day.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["day.json"]


def test_a_batch_is_one_write_and_an_aborted_batch_writes_nothing(tmp_path, disk_writes):
    db = TinyDB(tmp_path / "day.json", storage=AtomicJSONStorage)
    storage = db.storage
    assert isinstance(storage, AtomicJSONStorage)
    with storage.batch():
        db.insert({"n": 1})
        db.insert({"n": 2})
        assert len(db.all()) == 2  # reads inside the batch see its writes
    assert len(disk_writes) == 1 and len(db.all()) == 2
    with pytest.raises(RuntimeError), storage.batch():
        db.insert({"n": 3})
        raise RuntimeError("refused half-way")
    assert [doc["n"] for doc in db.all()] == [1, 2]
    assert len(disk_writes) == 1


def test_stale_temp_files_are_removed(tmp_path):
    (tmp_path / "days").mkdir()
    stale = tmp_path / "days" / ".2026-03-02.json.abc123.tmp"
    stale.write_text("{half")
    keep = tmp_path / "days" / "2026-03-02.json"
    keep.write_text("{}")
    assert remove_stale_temps(tmp_path) == [stale]
    assert keep.exists() and not stale.exists()


@pytest.mark.parametrize("content", ['{"_default": {"1": {"a": 1}}}xx', "[1, 2]", "\xff\xfe"])
def test_an_unreadable_file_is_moved_aside_not_overwritten(tmp_path, content):
    target = tmp_path / "2026-03-02.json"
    target.write_bytes(content.encode("latin-1"))
    with pytest.raises(CorruptFileError) as caught:
        read_json(target)
    moved = caught.value.moved_to
    assert not target.exists()
    assert moved.name.startswith("2026-03-02.json.corrupt-")
    assert moved.read_bytes() == content.encode("latin-1")
    assert str(moved) in str(caught.value) and "2026-03-02.json" in str(caught.value)


def test_private_folders_all_the_way_down(tmp_path):
    ensure_private_dir(tmp_path / "a" / "b" / "c")
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert mode(folder) == 0o700


def test_existing_parent_folders_are_left_alone(tmp_path):
    tmp_path.chmod(0o755)
    ensure_private_dir(tmp_path / "data")
    assert mode(tmp_path) == 0o755 and mode(tmp_path / "data") == 0o700
