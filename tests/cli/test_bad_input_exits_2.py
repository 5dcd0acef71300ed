"""Issue 15: every bad input is one line and exit 2 (never a crash's 1, never a hang), and a
settings file without settings is refused rather than read as all defaults."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli.main import main

SCRIPT = Path(sys.executable).with_name("tabletime")


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_line(status: int, out: str, err: str, *words: str) -> None:
    assert status == 2 and out == "" and err.count("\n") == 1, err
    for word in words:
        assert word in err, err


# ---- import ---------------------------------------------------------------------------------


def test_an_import_file_starting_with_a_byte_order_mark_imports(capsys, tmp_path, data):
    """What a spreadsheet's "CSV UTF-8" writes: two sessions on two dates."""
    status, csv_text, _ = run(capsys, "--data-dir", str(data), "export")
    assert status == 0
    later = csv_text.splitlines()[1].replace("2026-03-02", "2026-03-03").replace(
        csv_text.splitlines()[1].split(",")[0], "0b0b0b0b-0000-4000-8000-00000000000b")
    source = tmp_path / "excel.csv"
    source.write_bytes(b"\xef\xbb\xbf" + (csv_text + later + "\r\n").encode())
    status, out, err = run(capsys, "--data-dir", str(tmp_path / "other"), "import", str(source))
    assert status == 0, err
    assert out.startswith("imported 2 sessions (2 segments)")


# ---- settings.toml ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n", "# who bills\n"])
@pytest.mark.parametrize("command", ["summary", "import"])
def test_a_settings_file_without_settings_is_refused_naming_it(capsys, data, tmp_path, text,
                                                               command):
    path = data / "settings.toml"
    path.write_text(text)
    (tmp_path / "x.csv").write_text("")
    argv = [command, str(tmp_path / "x.csv")] if command == "import" else [command]
    one_line(*run(capsys, "--data-dir", str(data), *argv), str(path), "holds no settings")
    assert path.read_text() == text


def test_a_deeply_nested_settings_file_is_bad_input(capsys, data):
    (data / "settings.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    one_line(*run(capsys, "--data-dir", str(data), "summary"), "settings.toml",
             "nested too deeply")


def test_no_command_blocks_on_a_settings_file_that_is_a_named_pipe(data):
    (data / "settings.toml").unlink()
    os.mkfifo(data / "settings.toml")
    for argv in (["summary"], ["export"], ["check"], ["backup", str(data.parent / "b.tgz")]):
        done = subprocess.run([str(SCRIPT), "--data-dir", str(data), *argv],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "named pipe" in done.stderr, (argv, done.stderr)


# ---- the data folder ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["summary"], ["export"], ["check"], ["import", "x.csv"],
                                     ["patient", "AB12"], []])
def test_a_data_dir_that_is_a_file_is_bad_input(capsys, tmp_path, command):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("mine")
    (tmp_path / "x.csv").write_text("")
    if command[:1] == ["import"]:
        command = ["import", str(tmp_path / "x.csv")]
    one_line(*run(capsys, "--data-dir", str(not_a_folder), *command), "is not a folder")
    assert not_a_folder.read_text() == "mine"


def test_check_of_a_mistyped_folder_creates_nothing(capsys, tmp_path):
    typo = tmp_path / "tabeltime"
    one_line(*run(capsys, "--data-dir", str(typo), "check"), "no data folder")
    assert not typo.exists()


def test_check_of_an_empty_folder_says_it_is_empty(capsys, tmp_path):
    folder = tmp_path / "new"
    folder.mkdir(mode=0o700)
    status, out, _ = run(capsys, "--data-dir", str(folder), "check")
    assert status == 0 and "nothing has been recorded" in out and "all is well" not in out
    status, out, _ = run(capsys, "--data-dir", str(folder), "check", "--json")
    assert status == 0 and json.loads(out)["empty"] is True
    assert list(folder.iterdir()) == []  # no settings written by a check


def test_check_of_a_folder_that_lost_its_day_files_says_what_was_lost(capsys, data):
    for day in (data / "days").glob("*/*.json"):
        day.unlink()
    status, out, _ = run(capsys, "--data-dir", str(data), "check")
    assert status == 1 and "nothing has been recorded" not in out
    assert "FOUND: 2026-03-02: 1 session the index knew is missing" in out and "(AB12)" in out
    status, out, _ = run(capsys, "--data-dir", str(data), "check", "--accept-missing")
    assert status == 1 and "fixed: 2026-03-02: accepted the loss of 1 session (AB12)" in out
    status, out, _ = run(capsys, "--data-dir", str(data), "check")
    assert status == 0 and "nothing has been recorded" in out


def test_export_to_a_closed_standard_output_is_bad_input(data):
    done = subprocess.run(["sh", "-c", f'"{SCRIPT}" --data-dir "{data}" export >&-'],
                          capture_output=False, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 2 and "standard output is closed" in done.stderr
    assert done.stderr.count("\n") == 1


# ---- patient: dates that cannot be true ------------------------------------------------------


@pytest.mark.parametrize(("argv", "named"), [
    (["--year", "0"], "--year 0"),
    (["--year", "2101"], "--year 2101"),
    (["--used-elsewhere", "10", "--bucket", "OT", "--year", "0"], "--year 0"),
    (["--start-of-care", "2026-03-02", "--discipline", "PT", "--signed", "2099-01-01"],
     "--signed 2099-01-01"),
    (["--start-of-care", "2100-01-01", "--discipline", "PT"], "--start-of-care 2100-01-01"),
    (["--payer", "Medicare", "--authorized-visits", "3", "--until", "1900-01-01"], "1900"),
])
def test_patient_refuses_dates_that_cannot_be_true(capsys, data, argv, named):
    before = sorted(p.name for p in data.iterdir())
    one_line(*run(capsys, "--data-dir", str(data), "patient", "AB12", *argv), named)
    assert sorted(p.name for p in data.iterdir()) == before  # no patients.json written


# ---- backup ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["fifo", "link", "folder"])
def test_a_backup_of_a_day_that_is_not_a_regular_file_refuses_naming_it(data, tmp_path, shape):
    day = next((data / "days").glob("*/*.json"))
    stray = day.with_name("2026-03-05.json")
    if shape == "fifo":
        os.mkfifo(stray)
    elif shape == "link":
        (tmp_path / "secret.json").write_text("{}")
        stray.symlink_to(tmp_path / "secret.json")
    else:
        stray.mkdir()
    archive = tmp_path / "b.tar.gz"
    done = subprocess.run([str(SCRIPT), "--data-dir", str(data), "backup", str(archive)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and str(stray) in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and not archive.exists()
