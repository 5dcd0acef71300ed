"""`tabletime backup`, `restore` and `check`: a lossless round trip, refusals that write
nothing, and a check that finds and fixes what it can."""

import io
import json
import tarfile
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.billing.modifiers import TherapyBucket
from core.models import FurnishedBy, Method, PayerProfile
from storage.repository import Repository
from storage.settings_file import save_settings
from tui.cli.main import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def busy_folder(data_dir, clock, settings):
    """What a backup must keep: a tie pick, an open session with its timer running, an empty
    session, an assistant's minutes, notes, an audit trail with an undo, a payer snapshot
    that settings no longer have, the therapist's name."""
    own = PayerProfile(name="Blue Cross", method=Method.PER_CODE,
                       fee_table={"97110": Decimal("51.44")})
    with Repository.open(data_dir, clock, settings.model_copy(
            update={"payers": (*settings.payers, own)})) as repo:
        tie = repo.commands.create_session("AB12", "Medicare")
        repo.commands.add_segment(tie.id, "97110", clock.now - timedelta(minutes=40),
                                  clock.now - timedelta(minutes=20), note="gait belt, 150 ft x2")
        repo.commands.add_segment(tie.id, "97140", clock.now - timedelta(minutes=20), clock.now,
                                  furnished_by=FurnishedBy.ASSISTANT)
        repo.commands.close_session(tie.id, prefer=["97140"])
        clock.advance(minutes=5)
        blue = repo.commands.create_session("KT22", "Blue Cross")
        repo.commands.add_segment(blue.id, "97110", clock.now - timedelta(minutes=4),
                                  clock.now - timedelta(minutes=1))
        repo.commands.edit_segment(blue.id, repo.queries.segments_of(blue.id)[0].id,
                                   note="edited", reason="typo")
        repo.commands.undo(blue.id)
        clock.advance(minutes=10)
        repo.commands.close_session(blue.id)
        repo.commands.create_session("EM01", "Medicare")  # empty, left open
        clock.advance(days=1)
        running = repo.commands.create_session("RN07", "Medicare")
        repo.commands.start(running.id, "97530")
        repo.patients.set_used_elsewhere("AB12", 2026, TherapyBucket.PT_SLP, Decimal("2470"),
                                         clock.now, "eligibility check")
        clock.advance(minutes=9)
    return data_dir


def snapshot_of(data_dir, capsys):
    """Everything a user can see of a folder: every day's summary and the segments export."""
    days = sorted(path.stem for path in (data_dir / "days").glob("*/*.json"))
    seen = {}
    for day in days:
        status, out, _ = run(capsys, "--data-dir", str(data_dir), "summary", "--date", day,
                             "--json")
        assert status == 0
        seen[day] = json.loads(out)
    status, out, _ = run(capsys, "--data-dir", str(data_dir), "export")
    seen["segments"] = out
    return seen


@pytest.fixture
def busy(tmp_path, clock, settings):
    return busy_folder(tmp_path / "data", clock, settings)


def test_backup_and_restore_give_back_every_session_exactly(capsys, busy, tmp_path, clock,
                                                            settings):
    before = snapshot_of(busy, capsys)
    archive = tmp_path / "backup.tar.gz"
    status, _, err = run(capsys, "--data-dir", str(busy), "backup", str(archive))
    assert status == 0 and "backed up 2 day files" in err
    assert archive.stat().st_mode & 0o777 == 0o600
    restored = tmp_path / "restored"
    status, _, err = run(capsys, "--data-dir", str(restored), "restore", str(archive))
    assert status == 0 and "restored 2 day files" in err
    assert snapshot_of(restored, capsys) == before
    for day in [*(busy / "days").glob("*/*.json"), busy / "patients.json"]:
        assert (restored / day.relative_to(busy)).read_bytes() == day.read_bytes()
    with Repository.open(restored, clock, settings) as repo:
        (tie, blue, empty) = repo.queries.sessions_on(clock.now.date() - timedelta(days=1))
        assert tie.billing is not None and tie.billing.units["97140"] == 2  # the pick kept
        assert blue.payer.fee_table == {"97110": Decimal("51.44")}  # not in settings
        assert empty.is_open and repo.queries.segments_of(empty.id) == []
        assert tie.therapist == "Dana Reyes"
        assert [s.code for s in repo.queries.running_segments()] == ["97530"]
        actions = [e.action.value for e in repo.queries.audit_of(blue.id)]
        assert actions == ["open", "add", "edit", "undo", "close"]
        assert repo.queries.segments_of(tie.id)[0].note == "gait belt, 150 ft x2"
        assert repo.patients.entries("AB12")[0].note == "eligibility check"


def test_restore_refuses_a_folder_that_holds_anything(capsys, busy, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    run(capsys, "--data-dir", str(busy), "backup", str(archive))
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    status, out, err = run(capsys, "--data-dir", str(other), "restore", str(archive))
    assert status == 2 and out == "" and "not empty" in err
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    status, _, err = run(capsys, "--data-dir", str(busy), "restore", str(archive))
    assert status == 2 and "not empty" in err


def damaged(archive: Path, tmp_path: Path, change) -> Path:
    """A copy of the archive with its members changed by `change(name, bytes)`."""
    out = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(out, "w:gz") as target:
        for member in source:
            handle = source.extractfile(member)
            content = handle.read() if handle else b""
            for name, data in change(member.name, content):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                target.addfile(info, io.BytesIO(data))
    return out


@pytest.mark.parametrize(("change", "words"), [
    (lambda name, data: [(name, data.replace(b"AB12", b"ZZ99"))], "checksum"),
    (lambda name, data: [(name, data)] if "days/" not in name else [], "manifest"),
    (lambda name, data: [(name.replace("tabletime-backup/days", "../../etc"), data)],
     "not a Tabletime backup"),
    (lambda name, data: [(name, data), ("tabletime-backup/evil.sh", b"rm -rf /")],
     "not a Tabletime backup"),
])
def test_a_damaged_or_hostile_archive_is_refused_and_nothing_written(capsys, busy, tmp_path,
                                                                     change, words):
    archive = tmp_path / "backup.tar.gz"
    run(capsys, "--data-dir", str(busy), "backup", str(archive))
    bad = damaged(archive, tmp_path, change)
    restored = tmp_path / "restored"
    status, _, err = run(capsys, "--data-dir", str(restored), "restore", str(bad))
    assert status == 2 and words in err
    assert not restored.exists()
    assert not (tmp_path.parent / "etc").exists()


def test_a_backup_never_overwrites_and_never_goes_into_the_data_folder(capsys, busy,
                                                                      tmp_path):
    mine = tmp_path / "mine.tar.gz"
    mine.write_text("precious")
    status, _, err = run(capsys, "--data-dir", str(busy), "backup", str(mine))
    assert status == 2 and "exists" in err and mine.read_text() == "precious"
    status, _, err = run(capsys, "--data-dir", str(busy), "backup", str(busy / "b.tar.gz"))
    assert status == 2 and "inside the data folder" in err


def test_a_backup_taken_while_the_app_writes_is_a_state_the_folder_was_in(
    capsys, busy, tmp_path, clock, settings
):
    """Timers switch in a thread while backups are taken: every archive restores to a
    folder whose check finds nothing wrong (no overlap, no half change)."""
    from tests.conftest import FakeClock

    writing = threading.Event()
    stop = threading.Event()
    own_clock = FakeClock(clock.now)

    def switch_timers():
        with Repository.open(busy, own_clock, settings) as repo:
            (running,) = repo.queries.open_sessions()[-1:]
            codes = ["97110", "97140", "97530"]
            index = 0
            writing.set()
            while not stop.wait(0.01):  # a hundred switches a second, not a busy loop
                own_clock.advance(seconds=30)
                repo.commands.start(running.id, codes[index % 3])
                index += 1

    thread = threading.Thread(target=switch_timers)
    thread.start()
    writing.wait(10)
    try:
        for attempt in range(3):
            archive = tmp_path / f"b{attempt}.tar.gz"
            status, _, err = run(capsys, "--data-dir", str(busy), "backup", str(archive))
            assert status == 0, err
            restored = tmp_path / f"r{attempt}"
            assert run(capsys, "--data-dir", str(restored), "restore", str(archive))[0] == 0
            status, out, _ = run(capsys, "--data-dir", str(restored), "check")
            assert status == 0 and "all is well" in out
    finally:
        stop.set()
        thread.join()


def test_check_says_all_is_well_on_a_sound_folder(capsys, busy):
    status, out, _ = run(capsys, "--data-dir", str(busy), "check", "--json")
    report = json.loads(out)
    assert status == 0 and report["ok"] and report["findings"] == []
    assert (report["day_files"], report["sessions"], report["open_sessions"]) == (2, 4, 2)


def test_check_finds_and_fixes_what_it_can(capsys, busy):
    day = next((busy / "days").glob("*/*.json"))
    raw = json.loads(day.read_text())
    segments = list(raw["segments"].values())
    twin = dict(segments[0], id="0b0b0b0b-0000-4000-8000-00000000000a")
    raw["segments"]["99"] = twin  # the same minutes twice: what a hand edit can do
    day.write_text(json.dumps(raw))
    (busy / "index" / "months.json").write_text("{torn")
    (busy / "days" / "2026" / ".2026-03-09.json.abc.tmp").write_text("{half")
    status, out, _ = run(capsys, "--data-dir", str(busy), "check")
    assert status == 1
    assert "FOUND:" in out and "overlaps" in out
    assert "fixed:" in out and "months.json" in out and ".tmp" in out
    status, out, _ = run(capsys, "--data-dir", str(busy), "check", "--json")
    kinds = {f["kind"] for f in json.loads(out)["findings"]}
    assert kinds == {"overlap"}  # what was fixed stays fixed; the overlap is for a person


def test_check_of_a_folder_in_use_exits_3(capsys, busy, clock, settings):
    with Repository.open(busy, clock, settings):
        status, _, err = run(capsys, "--data-dir", str(busy), "check")
    assert status == 3 and "in use" in err


def test_a_folder_without_settings_is_backed_up_and_restored_saying_so(
        capsys, tmp_path, clock, settings):
    """Sessions imported, or the app closed before its first-run questions were answered:
    no settings.toml. Backup and restore say so (not "and the settings"), and the restored
    folder's app asks them (its time zone above all) at its first start."""
    folder = tmp_path / "data"
    with Repository.open(folder, clock) as repo:
        repo.commands.create_session("QW55", "Medicare")
    assert not (folder / "settings.toml").exists()
    archive = tmp_path / "backup.tar.gz"
    status, _, err = run(capsys, "--data-dir", str(folder), "backup", str(archive))
    assert status == 0 and "no settings yet" in err and "and the settings" not in err
    restored = tmp_path / "restored"
    status, _, err = run(capsys, "--data-dir", str(restored), "restore", str(archive))
    assert status == 0 and "no settings yet" in err
    with Repository.open(restored, clock) as repo:
        assert repo.first_run and [s.patient for s in repo.open_sessions()] == ["QW55"]
    save_settings(restored, settings)
    status, _, err = run(capsys, "--data-dir", str(restored), "backup", str(archive), "--force")
    assert status == 0 and "1 day file and the settings" in err
