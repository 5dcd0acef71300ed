"""`tabletime clinic merge ARCHIVE... --out FILE`: what it says, and its refusals as one line
with exit status 2 (a damaged archive's word for word as `restore` says it)."""

import sqlite3
from pathlib import Path

import pytest

from storage.repository import Repository
from tests.storage.test_clinic_merge import (
    DANA,
    DANA_VISITS,
    NOW,
    SAM,
    SAM_VISITS,
    Clock,
    backup,
    rewritten,
    therapist_folder,
    with_created,
)
from tui.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def archives(tmp_path, capsys) -> tuple[Path, Path]:
    dana = therapist_folder(tmp_path / "dana", DANA, DANA_VISITS)
    sam = therapist_folder(tmp_path / "sam", SAM, SAM_VISITS)
    made = backup(dana, tmp_path / "dana.tar.gz"), backup(sam, tmp_path / "sam.tar.gz")
    capsys.readouterr()
    return made


def merge(capsys, tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "--data-dir", str(tmp_path / "mine"), "clinic", "merge", *argv)


def test_merge_says_what_it_merged_and_prints_nothing(capsys, archives, tmp_path):
    out = tmp_path / "clinic.sqlite"
    status, printed, err = merge(capsys, tmp_path, *map(str, archives), "--out", str(out))
    assert (status, printed) == (0, "")
    assert err.splitlines() == [
        f"tabletime: merged Dana Reyes, PT, DPT (NPI 1234567893) from {archives[0]}: "
        "4 sessions, 4 segments, 4 claim lines",
        f"tabletime: merged Sam Lee, PTA from {archives[1]}: 4 sessions, 4 segments, "
        "4 claim lines",
        f"tabletime: wrote 2 therapists to {out}, with 6 clinic checks (tabletime clinic "
        f"summary --db {out})"]
    with sqlite3.connect(f"file:{out}?mode=ro", uri=True) as db:
        assert db.execute("SELECT count(*) FROM claim_lines").fetchone()[0] == 8
    assert not (tmp_path / "mine").exists()  # no data folder made or opened


def test_the_older_backup_of_a_therapist_is_named_as_left_out(capsys, archives, tmp_path):
    older = with_created(archives[0], tmp_path / "older.tar.gz", "2026-03-01T08:00:00+00:00")
    status, _, err = merge(capsys, tmp_path, str(older), *map(str, archives), "--out",
                           str(tmp_path / "c.sqlite"))
    assert status == 0
    assert (f"tabletime: left out {older}: an older backup of Dana Reyes, PT, DPT (NPI "
            f"1234567893) than "
            f"{archives[0]} (written 2026-03-01 08:00:00 UTC") in err


def test_a_damaged_archive_is_refused_word_for_word_as_restore(capsys, archives, tmp_path):
    bad = rewritten(archives[1], tmp_path / "bad.tar.gz",
                    lambda name, data: data.replace(b"KX03", b"ZZ99"))
    status, _, restore_says = run(capsys, "--data-dir", str(tmp_path / "new"), "restore",
                                  str(bad))
    assert status == 2 and "damaged" in restore_says
    out = tmp_path / "clinic.sqlite"
    status, printed, err = merge(capsys, tmp_path, str(archives[0]), str(bad), "--out",
                                 str(out))
    assert (status, printed, err) == (2, "", restore_says)
    assert not out.exists()


@pytest.mark.parametrize(("argv", "words"), [
    (["--from", "2026-03-05", "--to", "2026-03-01"], "--from 2026-03-05 is after --to"),
    (["--from", "someday"], "--from"),
    ([], "--out"),
    (["--out", "-"], "cannot go to standard output"),
])
def test_bad_usage_is_one_line_and_exit_2(capsys, archives, tmp_path, argv, words):
    extra = [] if not argv or "--out" in argv else ["--out", str(tmp_path / "c.sqlite")]
    status, _, err = merge(capsys, tmp_path, *map(str, archives), *extra, *argv)
    assert status == 2 and words in err and len(err.splitlines()) == 1
    assert not (tmp_path / "c.sqlite").exists()


def test_refusals_name_the_problem(capsys, archives, tmp_path):
    dana_folder = tmp_path / "dana"
    cases = [
        ([str(archives[0]), "--out", str(dana_folder / "c.sqlite")], "inside the data folder"),
        ([str(archives[0]), str(archives[0]), "--out", str(tmp_path / "c.sqlite")],
         f"{archives[0]} and {archives[0]} are the same backup"),
        ([str(tmp_path / "nowhere.tar.gz"), "--out", str(tmp_path / "c.sqlite")],
         "nowhere.tar.gz: no such file"),
        ([str(archives[0]), "--out", str(tmp_path / "no-folder" / "c.sqlite")],
         "does not exist"),
    ]
    for argv, words in cases:
        status, _, err = merge(capsys, tmp_path, *argv)
        assert status == 2 and words in err, err
    assert not (tmp_path / "c.sqlite").exists() and not (dana_folder / "c.sqlite").exists()


def test_an_existing_file_needs_force(capsys, archives, tmp_path):
    out = tmp_path / "clinic.sqlite"
    out.write_text("precious")
    status, _, err = merge(capsys, tmp_path, str(archives[0]), "--out", str(out))
    assert status == 2 and "add --force" in err and out.read_text() == "precious"
    status, _, err = merge(capsys, tmp_path, str(archives[0]), "--out", str(out), "--force")
    assert status == 2 and "not a SQLite file" in err and out.read_text() == "precious"
    out.unlink()
    for _ in range(2):  # a clinic file is replaced with --force
        status, _, _ = merge(capsys, tmp_path, str(archives[0]), "--out", str(out), "--force")
        assert status == 0 and out.read_bytes().startswith(b"SQLite format 3")


def test_an_open_session_is_merged_without_lines_and_said(capsys, archives, tmp_path):
    folder = tmp_path / "dana"
    with Repository.open(folder, Clock(NOW), DANA) as repo:
        repo.commands.create_session("OP01", "Medicare")
    archive = backup(folder, tmp_path / "open.tar.gz")
    out = tmp_path / "c.sqlite"
    status, _, err = merge(capsys, tmp_path, str(archive), "--out", str(out))
    assert status == 0
    assert ("tabletime: warning: Dana Reyes, PT, DPT (NPI 1234567893): left out 1 open "
            "session (not billed until closed): OP01 2026-03-06") in err
    with sqlite3.connect(f"file:{out}?mode=ro", uri=True) as db:
        assert db.execute("SELECT closed_at FROM sessions WHERE patient = 'OP01'"
                          ).fetchall() == [(None,)]
        assert db.execute("SELECT count(*) FROM claim_lines WHERE patient = 'OP01'"
                          ).fetchone() == (0,)
