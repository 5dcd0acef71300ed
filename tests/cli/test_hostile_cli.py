"""The command line against what a hostile or careless user does: every probe ends in one clear
line and an exit status, never a traceback, and nothing the user did not ask for is changed."""

import errno
import json
import os
import stat
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from storage.repository import Repository
from tui.cli import main as cli
from tui.cli.main import main

SCRIPT = Path(sys.executable).with_name("tabletime")


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def seed(data_dir, clock, settings, patient="AB12"):
    with Repository.open(data_dir, clock, settings) as repo:
        session = repo.commands.create_session(patient, "Medicare")
        start = clock.now - timedelta(minutes=30)
        repo.commands.add_segment(session.id, "97110", start, start + timedelta(minutes=23),
                         note="[/red] L knee [flexion 120]")
        repo.commands.close_session(session.id)
    return data_dir


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every path under `folder` with its mode, mtime and content."""
    found = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        info = path.lstat()
        content = path.read_bytes() if path.is_file() else b""
        found[str(path.relative_to(folder))] = (info.st_mode, info.st_mtime_ns, content)
    return found


# ---- export --out never destroys ---------------------------------------------------------


@pytest.fixture
def data(tmp_path, clock, settings):
    return seed(tmp_path / "data", clock, settings)


def test_export_refuses_an_existing_file_unless_forced(capsys, data, tmp_path):
    target = tmp_path / "mine.csv"
    target.write_text("my own work")
    target.chmod(0o644)
    status, out, err = run(capsys, "--data-dir", str(data), "export", "--out", str(target))
    assert status == 2 and out == "" and "exists" in err and "--force" in err
    assert err.count("\n") == 1
    assert target.read_text() == "my own work" and stat.S_IMODE(target.stat().st_mode) == 0o644
    status, _, _ = run(capsys, "--data-dir", str(data), "export", "--out", str(target),
                       "--force")
    assert status == 0 and target.read_text().startswith("session_id,")


@pytest.mark.parametrize("inside", ["days/2026/2026-03-02.json", "settings.toml", "open.json",
                                    "new.csv", "days/2026/x.csv", "."])
def test_export_never_writes_inside_the_data_folder(capsys, data, inside):
    before = snapshot(data)
    for force in ([], ["--force"]):
        status, _, err = run(capsys, "--data-dir", str(data), "export", "--out",
                             str(data / inside), *force)
        assert status == 2 and ("inside the data folder" in err or "folder" in err)
    assert snapshot(data) == before


def test_export_through_a_link_into_the_data_folder_is_refused(capsys, data, tmp_path):
    link = tmp_path / "innocent.csv"
    link.symlink_to(data / "settings.toml")
    before = snapshot(data)
    status, _, err = run(capsys, "--data-dir", str(data), "export", "--out", str(link),
                         "--force")
    assert status == 2 and "inside the data folder" in err
    assert snapshot(data) == before and link.is_symlink()


@pytest.mark.parametrize("device", ["/dev/full", "/dev/null", "/dev/stdout"])
def test_export_refuses_devices_even_forced(capsys, data, device):
    status, out, err = run(capsys, "--data-dir", str(data), "export", "--out", device,
                           "--force")
    assert status == 2 and out == "" and "not a regular file" in err
    assert os.path.exists(device) and not Path(device).resolve().is_file()


def test_export_refuses_a_fifo_without_blocking(capsys, data, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    status, _, err = run(capsys, "--data-dir", str(data), "export", "--out", str(fifo),
                         "--force")
    assert status == 2 and "not a regular file" in err and stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_folder_or_a_missing_folder_is_one_clear_line(capsys, data, tmp_path):
    status, _, err = run(capsys, "--data-dir", str(data), "export", "--out", str(tmp_path))
    assert status == 2 and "is a folder" in err and err.count("\n") == 1
    status, _, err = run(capsys, "--data-dir", str(data), "export", "--out",
                         str(tmp_path / "nowhere" / "x.csv"))
    assert status == 2 and "does not exist" in err and ".tmp" not in err
    assert not (tmp_path / "nowhere").exists()


def test_dash_means_standard_output(capsys, data):
    status, out, _ = run(capsys, "--data-dir", str(data), "export", "--out", "-")
    assert status == 0 and out.startswith("session_id,")
    assert not Path("-").exists()


# ---- reading never writes ----------------------------------------------------------------


@pytest.mark.parametrize("command", [["export"], ["export", "--kind", "lines"],
                                     ["export", "--kind", "sessions"], ["summary"],
                                     ["summary", "--json", "--date", "2026-03-02"]])
def test_reading_commands_change_nothing(capsys, data, command):
    data.chmod(0o500)  # a folder the user made read-only on purpose stays so
    try:
        before = snapshot(data)
        status, _, _ = run(capsys, "--data-dir", str(data), *command)
        assert status == 0
        assert snapshot(data) == before
    finally:
        data.chmod(0o700)


def test_reading_works_on_a_read_only_mount(capsys, data, monkeypatch):
    """Every way to write a file fails as on a read-only mount; export and summary work."""

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    real_open = os.open

    def open_for_reading_only(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse()
        return real_open(path, flags, *args, **kwargs)

    for name in ("chmod", "mkdir", "replace", "rename", "unlink", "link"):
        monkeypatch.setattr(os, name, refuse)
    monkeypatch.setattr(os, "open", open_for_reading_only)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    for command in (["export"], ["export", "--kind", "lines"], ["summary", "--json"]):
        status, out, err = run(capsys, "--data-dir", str(data), *command)
        assert status == 0 and out and "error" not in err


@pytest.mark.parametrize("mode", [0o1777, 0o755])
def test_a_shared_folder_is_read_never_chmodded_nor_given_settings(capsys, tmp_path, mode):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    status, _, _ = run(capsys, "--data-dir", str(shared), "summary")
    assert status == 0
    assert stat.S_IMODE(shared.stat().st_mode) == mode and list(shared.iterdir()) == []


def test_a_writer_warns_about_a_folder_others_can_read_and_leaves_its_mode(capsys, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    source = tmp_path / "in.csv"
    source.write_text("session_id,date_of_service,patient,payer,method,discipline,code,start,"
                      "end,seconds,furnished_by,note\n")
    status, _, err = run(capsys, "--data-dir", str(shared), "import", str(source))
    assert status == 0 and "can be read by other users (mode 755)" in err
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755


# ---- no traceback, no patient data -------------------------------------------------------


def test_summary_piped_into_head_exits_quietly(data):
    process = subprocess.Popen([str(SCRIPT), "--data-dir", str(data), "summary", "--date",
                                "2026-03-02"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -1` that has already gone
    err = process.stderr.read()
    assert process.wait(timeout=30) == 0
    assert err == b""


@pytest.mark.parametrize(("command", "in_the_data_folder"), [("import", True),
                                                           ("summary", False)])
def test_an_unexpected_error_is_one_line_exit_1_and_a_report_without_values(
    capsys, data, tmp_path, monkeypatch, command, in_the_data_folder
):
    record = {"patient": "AB12", "note": "knee [flexion 120] DOB 1950-01-01"}

    def boom(args):
        raise ValueError(f"{record['patient']} {record['note']}")  # data in the message

    monkeypatch.setitem(cli.COMMANDS, command, boom)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    argv = [command, str(tmp_path / "x.csv")] if command == "import" else [command]
    before = snapshot(data)
    status, out, err = run(capsys, "--data-dir", str(data), *argv)
    assert status == 1 and out == "" and err.count("\n") == 1
    reports = list((data / "crashes").glob("*")) if in_the_data_folder else \
        list((tmp_path / "tmp").glob("tabletime-crash-*"))
    (report,) = reports
    message = err.replace(str(report), "REPORT")  # its timestamp may hold "1950"
    assert "Traceback" not in message and "AB12" not in message and "1950" not in message
    assert "ValueError" in message and "unexpected error" in message
    if not in_the_data_folder:
        assert snapshot(data) == before  # a reading command writes nothing, even then
    assert str(report) in err and stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text()
    assert "ValueError" in text and "boom" in text
    assert "AB12" not in text and "1950" not in text and "flexion" not in text


def test_ctrl_c_is_one_line_never_a_traceback(capsys, data, monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "summary", interrupted)
    status, out, err = run(capsys, "--data-dir", str(data), "summary")
    assert status == 130 and out == "" and err.count("\n") == 1 and "interrupted" in err


def test_a_control_character_in_a_file_never_reaches_the_terminal(capsys, data):
    day = data / "days" / "2026" / "2026-03-02.json"
    raw = json.loads(day.read_text())
    session = next(iter(raw["sessions"].values()))
    session["patient"] = "AB\x1b]0;owned\x07\x1b[2J"
    day.write_text(json.dumps(raw))
    status, out, err = run(capsys, "--data-dir", str(data), "summary", "--date", "2026-03-02")
    assert status == 0 and "\x1b" not in out + err and "\x07" not in out + err
    assert "could not be read" in err and "left as it is" in err


def test_the_lock_message_offers_only_what_exists(data):
    from storage.errors import DataFolderLocked

    message = str(DataFolderLocked(data))
    assert "read-only" not in message and "tabletime summary" in message


# ---- settings are validated to the end -----------------------------------------------------


@pytest.mark.parametrize(("toml", "key"), [
    ('[[payers]]\nname = "X"\nmethod = "cms"\n[payers.fee_table]\n97110 = -100\n', "payers"),
    ('[[payers]]\nname = "X"\nmethod = "cms"\nfee_year = 1999\n', "fee_year 1999"),
    ('[[payers]]\nname = "X"\nmethod = "cms"\n[payers.fee_table]\n99999 = 10\n', "99999"),
    ('timezone = "localtime"\n', "timezone"),
    ('therapist = "' + "x" * 100_000 + '"\n', "therapist"),
    ('therapist = "Dana\\u001b[2J"\n', "therapist"),
    ('payers = "Medicare"\n', "payers"),
    ("favourites = [1, 2]\n", "favourites"),
])
def test_bad_settings_are_refused_naming_the_key(capsys, tmp_path, toml, key):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    (folder / "settings.toml").write_text(toml)
    status, out, err = run(capsys, "--data-dir", str(folder), "summary")
    assert status == 2 and out == "" and key in err and err.count("\n") == 1
    assert "\x1b" not in err and len(err) < 500


def test_first_run_takes_the_machines_time_zone(tmp_path, monkeypatch, clock):
    """A new folder's settings start from the machine's zone, written when the first run is
    answered or skipped (opening writes nothing: an app closed unanswered asks again)."""
    monkeypatch.setenv("TZ", "America/Denver")
    with Repository.open(tmp_path / "data", clock) as repo:
        assert repo.first_run and repo.settings.timezone == "America/Denver"
        assert not (tmp_path / "data" / "settings.toml").exists()
        repo.change_settings(repo.settings)  # the skip
    assert 'timezone = "America/Denver"' in (tmp_path / "data" / "settings.toml").read_text()
