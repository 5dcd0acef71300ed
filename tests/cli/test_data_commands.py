"""`tabletime export` and `tabletime import` against a data folder, and the lock's exit 3."""

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from storage.repository import Repository
from tui.cli.main import main

HOLD = """
import sys, time
from pathlib import Path
from storage.folder import WriterLock
lock = WriterLock(Path(sys.argv[1])).acquire()  # kept: a dropped lock is released
print("held", flush=True)
time.sleep(60)
"""


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def seed(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        start = clock.now - timedelta(minutes=30)
        repo.commands.add_segment(session.id, "97110", start, start + timedelta(minutes=23))
        repo.commands.close_session(session.id)


def test_export_then_import_into_another_folder(capsys, tmp_path, clock, settings):
    seed(tmp_path / "a", clock, settings)
    out_file = tmp_path / "segments.csv"
    status, _, err = run(capsys, "--data-dir", str(tmp_path / "a"), "export", "--out",
                         str(out_file))
    assert status == 0 and "wrote 1 row of segments" in err
    assert out_file.stat().st_mode & 0o777 == 0o600
    status, out, _ = run(capsys, "--data-dir", str(tmp_path / "b"), "import", str(out_file))
    assert status == 0 and "imported 1 session (1 segment)" in out
    status, out, _ = run(capsys, "--data-dir", str(tmp_path / "b"), "import", str(out_file))
    assert status == 0 and "imported 0 sessions" in out
    assert "skipped 1 session already stored" in out
    status, out, _ = run(capsys, "--data-dir", str(tmp_path / "b"), "export")
    assert out == out_file.read_bytes().decode()


def test_export_to_stdout_by_date_and_env_folder(capsys, tmp_path, clock, settings, monkeypatch):
    seed(tmp_path / "a", clock, settings)
    monkeypatch.setenv("TABLETIME_DATA_DIR", str(tmp_path / "a"))
    _, out, _ = run(capsys, "export", "--from", "2026-03-02", "--to", "2026-03-02")
    assert out.count("\n") == 2 and ",AB12,Medicare,cms,PT,97110," in out
    _, out, _ = run(capsys, "export", "--from", "2026-03-03")
    assert out.count("\n") == 1


def test_bad_import_exits_2_and_writes_nothing(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("session_id,oops\n")
    status, out, err = run(capsys, "--data-dir", str(tmp_path / "d"), "import", str(bad))
    assert status == 2 and out == ""
    assert "1 problem in" in err and "line 1, column header" in err
    assert not (tmp_path / "d" / "days").exists()


def test_missing_file_and_bad_dates_are_usage_errors(capsys, tmp_path):
    status, _, err = run(capsys, "--data-dir", str(tmp_path), "import", str(tmp_path / "no.csv"))
    assert status == 2 and "no such file" in err
    status, _, err = run(capsys, "export", "--from", "2026-13-01")
    assert status == 2 and "2026-13-01" in err
    status, _, err = run(capsys, "export", "--from", "2026-03-05", "--to", "2026-03-01")
    assert status == 2 and "after --to" in err


def test_an_unusable_data_folder_is_one_clear_line(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    source = tmp_path / "x.csv"
    source.write_text("")
    status, out, err = run(capsys, "--data-dir", str(blocker / "data"), "import", str(source))
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and str(blocker) in err and "Traceback" not in err


def test_reading_a_folder_that_does_not_exist_is_bad_input_and_creates_nothing(capsys, tmp_path):
    missing = tmp_path / "typo"
    for command in (["export"], ["summary"], ["summary", "--json"]):
        status, out, err = run(capsys, "--data-dir", str(missing), *command)
        assert status == 2 and out == "" and "no data folder" in err and str(missing) in err
    assert not missing.exists()


def test_bad_settings_exit_2_naming_the_key(capsys, tmp_path):
    (tmp_path / "settings.toml").write_text('timezone = "Nowhere/Land"\n')
    status, out, err = run(capsys, "--data-dir", str(tmp_path), "export")
    assert status == 2 and out == "" and "timezone" in err and "settings.toml" in err


def test_import_into_a_locked_folder_exits_3(tmp_path):
    folder = tmp_path / "data"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        source = tmp_path / "x.csv"
        source.write_text("")
        script = Path(sys.executable).with_name("tabletime")
        done = subprocess.run([str(script), "--data-dir", str(folder), "import", str(source)],
                              capture_output=True, text=True)
        assert done.returncode == 3
        assert "in use by another running Tabletime" in done.stderr
        exported = subprocess.run([str(script), "--data-dir", str(folder), "export"],
                                  capture_output=True, text=True)
        assert exported.returncode == 0  # reading never needs the lock
    finally:
        holder.kill()
        holder.wait()


def test_import_again_names_a_few_skipped_sessions_and_counts_the_rest(capsys, tmp_path, clock,
                                                                       settings):
    with Repository.open(tmp_path / "a", clock, settings) as repo:
        for number in range(8):
            session = repo.commands.create_session(f"P{number}", "Medicare")
            start = clock.now - timedelta(minutes=200 - 20 * number)
            repo.commands.add_segment(session.id, "97110", start, start + timedelta(minutes=10))
            repo.commands.close_session(session.id)
    out_file = tmp_path / "segments.csv"
    run(capsys, "--data-dir", str(tmp_path / "a"), "export", "--out", str(out_file))
    status, out, _ = run(capsys, "--data-dir", str(tmp_path / "a"), "import", str(out_file))
    assert status == 0 and "skipped 8 sessions already stored" in out
    named = re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", out)
    assert out.rstrip().endswith("and 3 more") and len(named) == 5


def test_import_names_an_assistants_evaluation_it_imported(tmp_path, capsys):
    data = tmp_path / "data"
    path = tmp_path / "in.csv"
    path.write_text(
        "session_id,date_of_service,patient,payer,method,discipline,code,start,end,seconds,"
        "furnished_by,note\n"
        "11111111-1111-4111-8111-111111111111,2026-03-01,AB12,Medicare,cms,PT,97162,"
        "2026-03-01T09:00:00-05:00,2026-03-01T09:40:00-05:00,2400,assistant,\n")
    assert main(["--data-dir", str(data), "import", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "imported 1 session" in out
    assert ("tabletime: warning: line 2, column furnished_by: 97162 is an evaluation furnished "
            "by an assistant") in err
