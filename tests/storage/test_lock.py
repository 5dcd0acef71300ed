"""One writer per data folder: a second process is refused with a clear message."""

import subprocess
import sys

import pytest

from storage.errors import DataFolderLocked
from storage.folder import WriterLock, resolve_data_dir

HOLD = """
import sys, time
from pathlib import Path
from storage.folder import WriterLock
lock = WriterLock(Path(sys.argv[1])).acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_process_is_refused_until_the_first_exits(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(DataFolderLocked, match="in use by another running Tabletime"):
            WriterLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    with WriterLock(tmp_path):  # a killed holder leaves no stale lock behind
        pass


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("TABLETIME_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "flag") == tmp_path / "flag"
    assert resolve_data_dir() == tmp_path / "env"
    monkeypatch.delenv("TABLETIME_DATA_DIR")
    assert resolve_data_dir() == tmp_path / "xdg" / "tabletime"


def test_deleting_or_replacing_a_lock_file_never_lets_a_second_writer_in(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        for path in tmp_path.glob("*.lock"):
            path.unlink()  # what a tidy-up script or a curious user does
        (tmp_path / "tabletime.lock").write_text("")  # or a fresh one in its place
        with pytest.raises(DataFolderLocked):
            WriterLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()


def test_one_process_cannot_open_a_folder_twice_for_writing(tmp_path):
    with WriterLock(tmp_path), pytest.raises(DataFolderLocked):
        WriterLock(tmp_path).acquire()


def test_where_flock_does_not_exist_a_lock_file_keeps_a_second_writer_out(tmp_path, monkeypatch):
    from storage import folder

    monkeypatch.setattr(folder, "fcntl", None)  # as on Windows
    first = folder.WriterLock(tmp_path / "data").acquire()
    try:
        with pytest.raises(DataFolderLocked):
            folder.WriterLock(tmp_path / "data").acquire()
    finally:
        first.release()
    folder.WriterLock(tmp_path / "data").acquire().release()  # free again once let go
