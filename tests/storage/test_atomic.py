"""Atomic durable file replacement and private folders."""

import json
import stat

from storage.atomic import (
    ensure_private_dir,
    remove_stale_temps,
    wider_than_private,
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


def test_stale_temp_files_are_removed(tmp_path):
    (tmp_path / "days").mkdir()
    stale = tmp_path / "days" / ".2026-03-02.json.abc123.tmp"
    stale.write_text("{half")
    keep = tmp_path / "days" / "2026-03-02.json"
    keep.write_text("{}")
    assert remove_stale_temps(tmp_path) == [stale]
    assert keep.exists() and not stale.exists()


def test_private_folders_all_the_way_down(tmp_path):
    ensure_private_dir(tmp_path / "a" / "b" / "c")
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert mode(folder) == 0o700


def test_existing_parent_folders_are_left_alone(tmp_path):
    tmp_path.chmod(0o755)
    ensure_private_dir(tmp_path / "data")
    assert mode(tmp_path) == 0o755 and mode(tmp_path / "data") == 0o700


def test_an_existing_folder_is_never_chmodded_only_reported(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    ensure_private_dir(shared)
    assert mode(shared) == 0o755 and wider_than_private(shared) == 0o755
    private = tmp_path / "private"
    ensure_private_dir(private)
    assert wider_than_private(private) is None


def test_many_files_fsync_each_folder_once_and_before_another_folder_is_written(tmp_path,
                                                                                monkeypatch):
    from storage import atomic

    synced: list[object] = []
    monkeypatch.setattr(atomic, "fsync_dir", synced.append)
    days, index = tmp_path / "days", tmp_path / "index"
    days.mkdir()
    index.mkdir()
    with atomic.folders_synced_once():
        for n in range(3):
            write_atomic(days / f"{n}.json", "{}")
        assert synced == []
        write_atomic(index / "m.json", "{}")  # the days' renames are durable before it
        assert synced == [days]
        assert sorted(p.name for p in days.iterdir()) == ["0.json", "1.json", "2.json"]
    assert synced == [days, index]
    write_atomic(days / "3.json", "{}")
    assert synced == [days, index, days]
