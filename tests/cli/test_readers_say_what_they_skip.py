"""Issue 15: every reader names each file it skipped and why, on stderr (once) and in its
--json output; an export (of any kind) that would lack a day writes nothing and exits 1
unless --partial; nothing blocks on a named pipe."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from storage.repository import Repository
from tui.cli.main import main

SCRIPT = Path(sys.executable).with_name("tabletime")


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def folder(tmp_path, clock, settings):
    """AB12 on 2026-03-02 and CD34 on 2026-03-03, both closed."""
    data = tmp_path / "data"
    with Repository.open(data, clock, settings) as repo:
        for patient in ("AB12", "CD34"):
            session = repo.commands.create_session(patient, "Medicare")
            repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=30),
                                      clock.now - timedelta(minutes=7))
            repo.commands.close_session(session.id)
            clock.advance(days=1)
    return data


def as_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def as_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def as_link(path: Path) -> None:
    target = path.with_name("elsewhere.txt")
    target.write_text(path.read_text() + "\n")
    path.unlink()
    path.symlink_to(target)


def as_huge(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse: no disk used


def as_newer(path: Path) -> None:
    path.write_text(json.dumps({"_meta": {"1": {"schema": 99}}, "sessions": {}}))


def as_unreadable(path: Path) -> None:
    path.write_text(path.read_text() + "\n")  # changed since the index saw it...
    path.chmod(0)  # ...and no permission to read it


def as_damaged(path: Path) -> None:
    path.write_text("{torn")


NOT_ROOT = pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not bite root")
SHAPES = [
    pytest.param(as_folder, "is a folder, not a regular file", id="folder"),
    pytest.param(as_fifo, "is a named pipe (FIFO), not a regular file", id="fifo"),
    pytest.param(as_link, "is a link, not a regular file", id="link"),
    pytest.param(as_huge, "is 68,157,440 bytes, more than any Tabletime file", id="over-64MB"),
    pytest.param(as_newer, "was written by a newer Tabletime", id="newer-schema"),
    pytest.param(as_unreadable, "cannot be read (Permission denied)", id="no-permission",
                 marks=NOT_ROOT),
    pytest.param(as_damaged, "could not be read (not valid JSON", id="damaged-json"),
]


@pytest.fixture
def day_file(folder):
    path = folder / "days" / "2026" / "2026-03-03.json"
    yield path
    if path.exists() and not path.is_symlink():
        path.chmod(0o600)  # so that tmp_path can be removed


def named_once(err: str, path: Path, reason: str) -> None:
    """One line says the file was skipped, and why."""
    lines = [line for line in err.splitlines() if f"{path} {reason}" in line]
    assert len(lines) == 1 and "skipped" in lines[0], err


@pytest.mark.parametrize(("shape", "reason"), SHAPES)
def test_summary_and_patient_name_the_skipped_file_on_stderr_and_in_json(
        capsys, folder, day_file, shape, reason):
    shape(day_file)
    status, out, err = run(capsys, "--data-dir", str(folder), "summary", "--date",
                           "2026-03-03", "--json")
    assert status == 0
    named_once(err, day_file, reason)
    (skipped,) = json.loads(out)["skipped"]
    assert skipped["file"] == str(day_file) and reason in skipped["reason"]
    status, out, err = run(capsys, "--data-dir", str(folder), "patient", "CD34", "--json")
    assert status == 0
    named_once(err, day_file, reason)
    assert [s["file"] for s in json.loads(out)["skipped"]] == [str(day_file)]


@pytest.mark.parametrize(("shape", "reason"), SHAPES)
@pytest.mark.parametrize("kind", ["lines", "segments", "sessions", "charges"])
def test_an_export_lacking_a_day_writes_nothing_and_exits_1_unless_partial(
        capsys, folder, day_file, tmp_path, shape, reason, kind):
    shape(day_file)
    status, out, err = run(capsys, "--data-dir", str(folder), "export", "--kind", kind)
    assert status == 1 and out == ""
    named_once(err, day_file, reason)
    assert f"{day_file}: {reason}" in err.splitlines()[-1]
    assert "--partial" in err.splitlines()[-1] and "nothing was written" in err
    target = tmp_path / "claims.csv"
    status, out, err = run(capsys, "--data-dir", str(folder), "export", "--kind", kind,
                           "--out", str(target))
    assert status == 1 and not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    status, out, err = run(capsys, "--data-dir", str(folder), "export", "--kind", kind,
                           "--partial")
    assert status == 0 and "AB12" in out and "CD34" not in out
    assert f"written without 1 file ({day_file}" in err


@pytest.mark.parametrize(("shape", "reason"), SHAPES)
def test_check_lists_what_it_skipped(capsys, folder, day_file, shape, reason):
    shape(day_file)
    status, out, err = run(capsys, "--data-dir", str(folder), "check", "--json")
    assert status == 1
    report = json.loads(out)
    (skipped,) = report["skipped"]
    assert skipped["file"] == str(day_file) and reason in skipped["reason"]
    assert f"skipped {day_file}: " in err


def test_an_export_of_a_range_without_the_skipped_day_is_whole(capsys, folder, day_file):
    as_fifo(day_file)
    status, out, _ = run(capsys, "--data-dir", str(folder), "export", "--kind", "segments",
                         "--to", "2026-03-02")
    assert status == 0 and "AB12" in out


def test_claim_lines_lack_a_day_before_the_range_that_kx_counts(capsys, folder):
    as_damaged(folder / "days" / "2026" / "2026-03-02.json")
    status, out, err = run(capsys, "--data-dir", str(folder), "export", "--kind", "lines",
                           "--from", "2026-03-03")
    assert status == 1 and out == "" and "2026-03-02.json" in err
    status, out, _ = run(capsys, "--data-dir", str(folder), "export", "--kind", "segments",
                         "--from", "2026-03-03")
    assert status == 0 and "CD34" in out  # a segments export does not count the year


def test_an_export_lacks_a_day_whose_file_lost_sessions(capsys, folder, clock, settings):
    day = folder / "days" / "2026" / "2026-03-03.json"
    day.write_text("{}")
    with Repository.open(folder, clock, settings):
        pass  # the app saw CD34 go missing
    status, out, err = run(capsys, "--data-dir", str(folder), "export", "--kind", "lines")
    assert status == 1 and out == ""
    assert "2026-03-03: 1 session the index knew is missing" in err and "(CD34)" in err
    status, out, err = run(capsys, "--data-dir", str(folder), "summary", "--date",
                           "2026-03-03")
    assert status == 0 and "1 session the index knew is missing" in err


def test_no_reading_command_blocks_on_a_named_pipe(folder, day_file, tmp_path):
    """In separate processes, with a time limit: a blocked open would hang the test run."""
    as_fifo(day_file)
    os.mkfifo(folder / "patients.json")
    for argv in (["summary", "--date", "2026-03-03"], ["export", "--kind", "lines", "--partial"],
                 ["patient", "CD34"], ["check"]):
        done = subprocess.run([str(SCRIPT), "--data-dir", str(folder), *argv],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode in (0, 1) and "named pipe" in done.stderr, (argv, done.stderr)
