"""Issue 15: a restore is all or nothing. Every member is checked first (the settings as the
app reads them), the files are written beside the target and renamed onto it at the end; a
restore killed part-way leaves the target as it was, is named, and can be run again."""

import io
import os
import tarfile
from pathlib import Path

import pytest

from storage import backup
from storage.atomic import write_atomic
from storage.backup import restore_backup, write_backup
from storage.check import check_folder
from storage.errors import BadPath
from storage.folder import interrupted_restores
from storage.repository import Repository
from storage.settings_file import save_settings
from tests.cli.test_backup_check import busy_folder, run, snapshot_of


@pytest.fixture
def archive(tmp_path, clock, settings):
    folder = busy_folder(tmp_path / "data", clock, settings)
    save_settings(folder, settings)
    path = tmp_path / "backup.tar.gz"
    with path.open("wb") as out:
        write_backup(folder, out)
    return path


def members(path: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(path) as source:
        return [(m.name, handle.read()) for m in source
                if (handle := source.extractfile(m)) is not None]


def rewritten(path: Path, out: Path, change) -> Path:
    """A copy of an archive with each member's content changed by `change(name, bytes)`."""
    with tarfile.open(out, "w:gz") as target:
        for name, content in members(path):
            content = change(name, content)
            info = tarfile.TarInfo(name)
            info.size = len(content)
            target.addfile(info, io.BytesIO(content))
    return out


def killed_while_restoring(archive: Path, target: Path, after: int) -> None:
    """Run a restore in a child process that dies (no clean-up, no exception handler) after
    writing `after` files: what a closed terminal or a power cut does."""
    pid = os.fork()
    if pid == 0:  # the child
        try:
            written: list[Path] = []

            def dying(path, content):
                if len(written) == after:
                    os._exit(9)
                written.append(path)
                write_atomic(path, content)

            setattr(backup, "write_atomic", dying)  # noqa: B010 - the child's own copy
            with restore_backup(archive, target):
                pass
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9


def test_a_restore_killed_part_way_leaves_the_target_empty_is_named_and_runs_again(
        archive, tmp_path, clock, capsys):
    target = tmp_path / "restored"
    killed_while_restoring(archive, target, after=3)
    assert target.is_dir() and list(target.iterdir()) == []  # nothing half-restored in it
    (leftover,) = interrupted_restores(target)
    assert leftover.parent == tmp_path and leftover.name.startswith(".restored.restoring-")
    report = check_folder(target, clock)
    (finding,) = [f for f in report.findings if f.kind == "interrupted-restore"]
    assert str(leftover) in finding.message and "run tabletime restore again" in finding.message
    assert not report.ok and list(target.iterdir()) == []  # check wrote nothing there either
    with Repository.open(target, clock, read_only=True) as repo:
        assert any("an interrupted restore left" in n.message for n in repo.pop_notices())
    status, _, err = run(capsys, "--data-dir", str(target), "restore", str(archive))
    assert status == 0, err
    assert not leftover.exists() and interrupted_restores(target) == []
    assert snapshot_of(target, capsys) == snapshot_of(tmp_path / "data", capsys)
    assert check_folder(target, clock).ok


def test_an_exception_mid_restore_leaves_nothing_anywhere(archive, tmp_path, monkeypatch):
    written: list[Path] = []

    def full_disk(path, content):
        if len(written) == 4:
            raise OSError(28, "No space left on device")
        written.append(path)
        write_atomic(path, content)

    monkeypatch.setattr(backup, "write_atomic", full_disk)
    before = sorted(tmp_path.iterdir())
    target = tmp_path / "restored"
    with pytest.raises(OSError, match="No space"), restore_backup(archive, target):
        pass
    assert sorted(tmp_path.iterdir()) == before  # no target, no leftover


@pytest.mark.parametrize("settings_toml", [
    b"", b"# only comments\n", b'timezone = "Mars/Olympus"\n', b"therapist = \n",
    b"a = " + b"[" * 5000 + b"]" * 5000], ids=["empty", "comments", "zone", "toml", "nested"])
def test_an_archive_with_invalid_settings_is_refused_and_nothing_written(
        archive, tmp_path, capsys, settings_toml):
    bad = rewritten(archive, tmp_path / "bad.tar.gz", lambda name, content: settings_toml
                    if name.endswith("/settings.toml") else content)
    before = sorted(tmp_path.iterdir())
    with pytest.raises(BadPath, match=r"settings\.toml"), \
            restore_backup(bad, tmp_path / "restored"):
        pass
    assert sorted(tmp_path.iterdir()) == before
    status, out, err = run(capsys, "--data-dir", str(tmp_path / "restored"), "restore", str(bad))
    assert status == 2 and out == "" and err.count("\n") == 1 and "settings.toml" in err
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("manifest", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"files"'])
def test_a_manifest_that_is_not_a_json_object_is_bad_input(archive, tmp_path, capsys,
                                                            manifest):
    bad = rewritten(archive, tmp_path / "bad.tar.gz", lambda name, content: manifest
                    if name.endswith("/manifest.json") else content)
    status, out, err = run(capsys, "--data-dir", str(tmp_path / "restored"), "restore", str(bad))
    assert status == 2 and out == "" and "manifest" in err and err.count("\n") == 1
    assert not (tmp_path / "restored").exists()


def test_a_restore_never_lets_another_writer_in_before_the_index_is_derived(
        archive, tmp_path, clock):
    from storage.errors import DataFolderLocked

    target = tmp_path / "restored"
    with restore_backup(archive, target) as (lock, days):
        assert days == 2 and (target / "settings.toml").is_file()
        with pytest.raises(DataFolderLocked):
            Repository.open(target, clock)
        with Repository.open(target, clock, lock=lock) as repo:
            assert len(repo.queries.open_sessions()) == 2


def test_an_archive_that_is_a_named_pipe_is_refused_without_waiting(tmp_path, capsys):
    pipe = tmp_path / "backup.tar.gz"
    os.mkfifo(pipe)
    status, _, err = run(capsys, "--data-dir", str(tmp_path / "restored"), "restore", str(pipe))
    assert status == 2 and "named pipe" in err and not (tmp_path / "restored").exists()
