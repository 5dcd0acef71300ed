"""Issue 15, the variations a hostile or tired user tries next: a manifest nested beyond
reason, a backup that restore would refuse or that would forget lost sessions, an assistant's
zero minutes, an empty --data-dir or one without a time zone, an import of a folder or of
nothing, impossible years."""

import io
import json
import tarfile

import pytest

from storage import layout
from storage.repository import Repository
from tests.cli.test_bad_input_exits_2 import one_line, run


def day_file(folder, clock):
    return layout.day_path(folder, clock.now.date())


def archive_with(tmp_path, members):
    path = tmp_path / "crafted.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(f"tabletime-backup/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


@pytest.mark.parametrize("manifest", [b"[" * 100_000, b'{"a":' * 100_000])
def test_a_manifest_nested_beyond_reason_is_bad_input(capsys, tmp_path, manifest):
    archive = archive_with(tmp_path, {"manifest.json": manifest})
    one_line(*run(capsys, "--data-dir", str(tmp_path / "new"), "restore", str(archive)),
             "manifest is not a JSON object")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(("content", "said"), [
    (b"{not json", "not valid JSON"),
    (json.dumps({"_meta": {"1": {"schema": 99}}}).encode(), "newer Tabletime"),
    (json.dumps({"sessions": {"1": "x"}}).encode(), "not a valid day file"),
])
def test_a_backup_that_restore_would_refuse_is_never_written(capsys, tmp_path, data, clock,
                                                            content, said):
    day_file(data, clock).write_bytes(content)
    out = tmp_path / "b.tar.gz"
    one_line(*run(capsys, "--data-dir", str(data), "backup", str(out)), said,
             "cannot be backed up")
    assert not out.exists()


def test_a_backup_of_a_day_file_over_64_mb_is_refused(capsys, tmp_path, data, clock):
    with day_file(data, clock).open("ab") as grown:
        grown.truncate(65 * 1024 * 1024)
    out = tmp_path / "b.tar.gz"
    one_line(*run(capsys, "--data-dir", str(data), "backup", str(out)), "bytes, more than")
    assert not out.exists()


def test_a_restore_refuses_a_day_file_over_64_mb(capsys, tmp_path, data, clock):
    out = tmp_path / "b.tar.gz"
    assert run(capsys, "--data-dir", str(data), "backup", str(out))[0] == 0
    with tarfile.open(out) as archive:
        members = {m.name.removeprefix("tabletime-backup/"): handle.read()
                   for m in archive if (handle := archive.extractfile(m)) is not None}
    name = next(n for n in members if n.startswith("days/"))
    members[name] = members[name] + b" " * (65 * 1024 * 1024)
    crafted = archive_with(tmp_path, members)
    status, _, err = run(capsys, "--data-dir", str(tmp_path / "new"), "restore", str(crafted))
    assert status == 2 and "bytes, more than any Tabletime file" in err
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())


def test_a_backup_would_forget_lost_sessions_so_it_asks_for_partial(capsys, tmp_path, data,
                                                                   clock):
    day_file(data, clock).write_text("{}")
    with Repository.open(data, clock):
        pass  # the app opens: the index witnesses the loss
    out = tmp_path / "b.tar.gz"
    status, _, err = run(capsys, "--data-dir", str(data), "backup", str(out))
    assert status == 1 and "lost sessions the index knew" in err and "--partial" in err
    assert not out.exists()
    assert run(capsys, "--data-dir", str(data), "backup", "--partial", str(out))[0] == 0
    assert out.exists()


def test_an_assistant_with_no_minutes_is_refused(capsys):
    one_line(*run(capsys, "units", "--assistant", "97161=0"), "minutes the assistant")
    one_line(*run(capsys, "units", "--assistant", "97161=30"), "evaluation")


def test_an_empty_data_dir_is_never_the_default_folder(capsys):
    one_line(*run(capsys, "--data-dir", "", "summary"), "--data-dir is empty")


def test_settings_without_a_time_zone_are_refused(capsys, data):
    (data / "settings.toml").write_text('therapist = "Dana Reyes"\n')
    one_line(*run(capsys, "--data-dir", str(data), "summary"), "names no timezone")


@pytest.mark.parametrize("what", ["folder", "empty"])
def test_an_import_of_a_folder_or_of_nothing_is_bad_input(capsys, tmp_path, data, what):
    source = tmp_path / "in.csv"
    if what == "folder":
        source.mkdir()
        one_line(*run(capsys, "--data-dir", str(data), "import", str(source)),
                 "not a regular file")
    else:
        source.write_text("")
        status, _, err = run(capsys, "--data-dir", str(data), "import", str(source))
        assert status == 2 and "the file is empty" in err


def test_readers_do_not_announce_what_they_derive_in_memory(capsys, data):
    (data / "index" / "months.json").unlink()
    status, _, err = run(capsys, "--data-dir", str(data), "summary")
    assert status == 0 and "rebuilt" not in err


@pytest.mark.parametrize(("argv", "said"), [
    (["--used-elsewhere", "10", "--bucket", "OT", "--year", "2030"], "has not begun"),
    (["--start-of-care", "2027-03-03", "--discipline", "PT"], "more than a year ahead"),
])
def test_patient_refuses_years_not_begun(capsys, data, monkeypatch, clock, argv, said):
    monkeypatch.setattr("tui.cli.data.system_clock", clock)
    one_line(*run(capsys, "--data-dir", str(data), "patient", "AB12", *argv), said)


def test_a_folder_an_import_started_still_asks_who_bills_at_the_first_start(capsys, tmp_path,
                                                                           data, clock):
    _, csv_text, _ = run(capsys, "--data-dir", str(data), "export")
    source = tmp_path / "in.csv"
    source.write_text(csv_text)
    fresh = tmp_path / "fresh"
    assert run(capsys, "--data-dir", str(fresh), "import", str(source))[0] == 0
    assert not (fresh / "settings.toml").exists()  # the defaults were used, not written
    with Repository.open(fresh, clock) as repo:
        assert repo.first_run  # the app asks the name and the time zone
