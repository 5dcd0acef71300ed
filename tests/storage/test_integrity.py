"""Issue 15, in the store: whatever it writes it reads back; the index is a witness of
sessions a day file lost; a writer writes only the folder it locked; settings.toml is never
taken empty or overwritten over an edit; a read-only disk opens and saves nothing."""

import errno
import os
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.billing.modifiers import TherapyBucket
from storage.check import check_folder
from storage.errors import (
    DiskReadOnly,
    FolderReplaced,
    InvalidChange,
    SettingsChanged,
    SettingsError,
)
from storage.indexes import Indexes
from storage.layout import settings_path
from storage.repository import Repository
from storage.settings_file import load_settings
from storage.store import Store
from tests.helpers import killed
from tui.cli.main import main

DAY = date(2026, 3, 2)


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its content."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def fresh_read(root: Path, path: Path) -> tuple[dict, list[str]]:
    """A file as a new process would read it, and what that reader said."""
    told: list[str] = []
    store = Store(root, lambda message, severity: told.append(message), writer=False)
    return store.read_once(path), told


# ---- 2: whatever the app writes, the app reads ------------------------------------------------


def test_a_record_made_with_model_copy_that_the_read_refuses_is_never_written(repo, data_dir):
    session = repo.commands.create_session("AB12", "Medicare")
    path = repo.store.day_path(session.date_of_service)
    before = path.read_bytes()
    too_big = session.model_copy(update={"group_size": 100})  # model_copy skips validation
    with pytest.raises(InvalidChange, match="group_size") as refused, \
            repo.store.change(path) as change:
        change.put("sessions", too_big)
    assert "nothing was written" in str(refused.value) and "AB12" not in str(refused.value)
    assert path.read_bytes() == before
    assert repo.queries.session(session.id).group_size is None  # what is kept is on disk
    records, told = fresh_read(data_dir, path)
    assert told == [] and len(records["sessions"]) == 1


def test_the_day_files_own_rules_are_checked_for_what_a_change_touches(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    (segment,) = repo.queries.segments_of(session.id)
    path = repo.store.day_path(DAY)
    before = path.read_bytes()
    elsewhere = session.model_copy(update={"date_of_service": DAY + timedelta(days=1)})
    orphan = segment.model_copy(update={"session_id": UUID(int=7)})
    for table, record, field in [("sessions", elsewhere, "date_of_service"),
                                 ("segments", orphan, "session_id")]:
        with pytest.raises(InvalidChange, match=field), repo.store.change(path) as change:
            change.put(table, record)
    with pytest.raises(InvalidChange, match="session_id"), repo.store.change(path) as change:
        change.drop("sessions", session.id)  # its segment would be left without it
    assert path.read_bytes() == before
    with repo.store.change(path) as change:  # with its segment, it may go
        change.drop("segments", segment.id)
        change.drop("sessions", session.id)
    assert fresh_read(repo.data_dir, path)[1] == []


SESSION_UPDATES = {
    "group_size": st.one_of(st.none(), st.integers(-3, 150), st.text(max_size=3)),
    "patient": st.text(max_size=50),
    "therapist": st.text(max_size=90),
    "date_of_service": st.dates(date(1985, 1, 1), date(2105, 1, 1)),
    "progress_report": st.booleans(),
}
SEGMENT_UPDATES = {
    "code": st.sampled_from(["97110", "97140", "", "XYZ"]),
    "note": st.text(max_size=520),
    "start": st.datetimes(datetime(1985, 1, 1), datetime(2105, 1, 1), timezones=st.just(UTC)),
    "end": st.one_of(st.none(), st.datetimes(datetime(1985, 1, 1), datetime(2105, 1, 1),
                                             timezones=st.just(UTC))),
    "session_id": st.uuids(),
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic on a wrong type it dumps
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_store_writes_only_what_a_fresh_read_takes_back(repo, data_dir, data):
    """Any record, however it was made: either refused with nothing written, or on disk in
    a form a new process reads whole."""
    sessions = repo.queries.sessions_on(DAY) or [repo.commands.create_session("AB12",
                                                                             "Medicare")]
    session = sessions[0]
    segments = repo.queries.segments_of(session.id) or [
        repo.commands.add_segment(session.id, "97110", repo.clock.raw() - timedelta(hours=2),
                                  repo.clock.raw() - timedelta(hours=1))]
    table, record, fields = data.draw(st.sampled_from([
        ("sessions", session, SESSION_UPDATES), ("segments", segments[0], SEGMENT_UPDATES)]))
    made = record.model_copy(update=data.draw(st.fixed_dictionaries({}, optional=fields)))
    path = repo.store.day_path(DAY)
    before = path.read_bytes()
    try:
        with repo.store.change(path) as change:
            change.put(table, made)
    except InvalidChange:
        assert path.read_bytes() == before
        return
    records, told = fresh_read(data_dir, path)
    assert told == []
    assert records[table][str(made.id)] == type(made).model_validate(
        made.model_dump(mode="json"))


# ---- 4: the index is a witness ----------------------------------------------------------------


@pytest.fixture
def two_sessions(data_dir, clock, settings):
    """AB12 and CD34 on 2026-03-02, closed; EF56 the next day."""
    with Repository.open(data_dir, clock, settings) as repo:
        for patient in ("AB12", "CD34"):
            session = repo.commands.create_session(patient, "Medicare")
            repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=20),
                                      clock.now - timedelta(minutes=5))
            repo.commands.close_session(session.id)
            clock.advance(minutes=30)
        clock.advance(days=1)
        repo.commands.create_session("EF56", "Medicare")
    return data_dir / "days" / "2026" / "2026-03-02.json"


def messages(repo):
    return [notice.message for notice in repo.pop_notices()]


MISSING = "2026-03-02: 2 sessions the index knew are missing from"


def test_a_day_file_reduced_to_an_empty_day_is_said_at_every_open_until_it_is_back(
        data_dir, clock, settings, two_sessions):
    whole = two_sessions.read_bytes()
    two_sessions.write_text("{}")  # a sync conflict, a hand edit: a valid empty day
    for read_only in (False, False, True):  # the app, again, and every reader
        with Repository.open(data_dir, clock, settings, read_only=read_only) as repo:
            said = [m for m in messages(repo) if "missing" in m]
            assert len(said) == 1 and said[0].startswith(MISSING) and "(AB12, CD34)" in said[0]
            assert [e.date for e in repo.indexes.missing()] == [DAY]
        assert two_sessions.read_text() == "{}"  # left as it is, for repair
    two_sessions.write_bytes(whole)  # put back from a backup
    with Repository.open(data_dir, clock, settings) as repo:
        assert not any("missing" in m for m in messages(repo))
        assert repo.indexes.missing() == []
        assert [s.patient for s in repo.queries.sessions_on(DAY)] == ["AB12", "CD34"]


def test_check_finds_missing_sessions_until_the_loss_is_accepted(data_dir, clock,
                                                                 two_sessions):
    two_sessions.unlink()  # the file gone: what the index knew is all that is left
    report = check_folder(data_dir, clock)
    (finding,) = [f for f in report.findings if f.kind == "missing-sessions"]
    assert not report.ok and not finding.fixed and finding.message.startswith(MISSING)
    assert not check_folder(data_dir, clock).ok  # found again: the witness is kept
    accepted = check_folder(data_dir, clock, accept_missing=True)
    assert [f.fixed for f in accepted.findings if f.kind == "missing-sessions"] == [True]
    again = check_folder(data_dir, clock)
    assert again.ok and not again.empty  # EF56's day is still there


def test_a_session_deleted_through_tabletime_is_not_missing(data_dir, clock, settings,
                                                            monkeypatch):
    with Repository.open(data_dir, clock, settings) as repo:
        kept = repo.commands.create_session("AB12", "Medicare")
        gone = repo.commands.create_session("CD34", "Medicare")
        repo.commands.delete_session(gone.id)
        stale = repo.commands.create_session("EF56", "Medicare")
        monkeypatch.setattr(Indexes, "day_changed", lambda self, day: None)
        repo.commands.delete_session(stale.id)  # killed before the index heard of it
        killed(repo)
    monkeypatch.undo()
    with Repository.open(data_dir, clock, settings) as repo:
        assert not any("missing" in m for m in messages(repo))
        assert repo.indexes.missing() == []
        assert [s.id for s in repo.queries.sessions_on(DAY)] == [kept.id]


def test_a_session_brought_back_by_an_import_leaves_the_witness(data_dir, clock, settings,
                                                                two_sessions, tmp_path):
    from tests.helpers import export_segments

    with Repository.open(data_dir, clock, settings, read_only=True) as repo:
        text = export_segments(repo, DAY, DAY)
    two_sessions.write_text("{}")
    source = tmp_path / "back.csv"
    source.write_text(text)
    assert main(["--data-dir", str(data_dir), "import", str(source)]) == 0
    with Repository.open(data_dir, clock, settings) as repo:
        assert repo.indexes.missing() == []


def test_deleting_the_index_stays_safe_and_forgets_the_witness(data_dir, clock, settings,
                                                               two_sessions):
    two_sessions.write_text("{}")
    with Repository.open(data_dir, clock, settings) as repo:
        assert repo.indexes.missing() != []
    shutil.rmtree(data_dir / "index")
    with Repository.open(data_dir, clock, settings) as repo:
        assert not any("missing" in m for m in messages(repo))
        assert [s.patient for s in repo.queries.open_sessions()] == ["EF56"]


# ---- 5: a writer writes only the folder it locked ---------------------------------------------


def test_a_folder_moved_away_and_copied_back_is_never_written(repo, data_dir, clock, tmp_path):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    away = tmp_path / "away"
    os.rename(data_dir, away)  # a sync client's restore: moved away, copied back
    shutil.copytree(away, data_dir)
    copied, locked = files_of(data_dir), files_of(away)
    clock.advance(minutes=5)
    with pytest.raises(FolderReplaced, match="moved or replaced while Tabletime ran"):
        repo.commands.start(session.id, "97140")
    with pytest.raises(FolderReplaced):
        repo.change_settings(repo.settings.model_copy(update={"theme": "nord"}))
    with pytest.raises(FolderReplaced):
        repo.patients.set_used_elsewhere("AB12", 2026, TherapyBucket.PT_SLP, 1, clock.now)
    assert files_of(data_dir) == copied and files_of(away) == locked
    source = tmp_path / "empty.csv"
    source.write_text("")
    assert main(["--data-dir", str(data_dir), "import", str(source)]) == 3  # no second writer
    assert files_of(data_dir) == copied


# ---- 6: settings.toml ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# therapist = 'Dana'\n"])
def test_an_empty_or_key_less_settings_file_is_refused_naming_it(tmp_path, text):
    settings_path(tmp_path).write_text(text)
    with pytest.raises(SettingsError, match="holds no settings") as refused:
        load_settings(tmp_path)
    assert str(settings_path(tmp_path)) in str(refused.value)
    assert settings_path(tmp_path).read_text() == text


def test_settings_are_saved_only_over_the_file_as_it_was_read(data_dir, clock):
    with Repository.open(data_dir, clock) as repo:  # the first run writes the defaults
        repo.change_settings(repo.settings.model_copy(update={"theme": "nord"}))
        edited = settings_path(data_dir).read_text().replace('therapist = ""',
                                                             'therapist = "Sam Lee"')
        settings_path(data_dir).write_text(edited)  # in an editor, while the app runs
        with pytest.raises(SettingsChanged, match="changed since Tabletime read it"):
            repo.change_settings(repo.settings.model_copy(update={"theme": "gruvbox"}))
        assert settings_path(data_dir).read_text() == edited
        assert repo.settings.theme == "nord"


# ---- 13: a read-only disk ----------------------------------------------------------------------


def test_a_folder_on_a_read_only_disk_opens_and_every_change_says_not_saved(
        data_dir, clock, settings, two_sessions, monkeypatch):
    before = files_of(data_dir)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    real_open = os.open

    def open_for_reading_only(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            read_only()
        return real_open(path, flags, *args, **kwargs)

    for name in ("chmod", "mkdir", "replace", "rename", "unlink", "link"):
        monkeypatch.setattr(os, name, read_only)
    monkeypatch.setattr(os, "open", open_for_reading_only)
    with Repository.open(data_dir, clock, settings) as repo:
        (said,) = [m for m in messages(repo) if "read-only disk" in m]
        assert "nothing can be saved" in said
        assert [s.patient for s in repo.queries.sessions_on(DAY)] == ["AB12", "CD34"]
        with pytest.raises(DiskReadOnly, match="not saved: the disk is read-only"):
            repo.commands.create_session("GH78", "Medicare")
        with pytest.raises(DiskReadOnly):
            repo.change_settings(settings.model_copy(update={"theme": "nord"}))
    monkeypatch.undo()
    assert files_of(data_dir) == before


def test_a_read_only_disk_is_found_before_anything_is_tried(data_dir, clock, monkeypatch):
    data_dir.mkdir()
    monkeypatch.setattr("storage.repository.on_read_only_disk", lambda folder: True)
    with Repository.open(data_dir, clock) as repo:
        assert not repo.first_run  # nothing to answer into
        assert any("read-only disk" in m for m in messages(repo))
    assert list(data_dir.iterdir()) == []  # no settings written, nothing removed


def test_a_damaged_day_on_a_read_only_disk_is_skipped_not_moved(data_dir, clock, settings,
                                                                two_sessions, monkeypatch):
    two_sessions.write_text("{torn")
    monkeypatch.setattr("storage.repository.on_read_only_disk", lambda folder: True)
    with Repository.open(data_dir, clock, settings) as repo:
        assert repo.queries.sessions_on(DAY) == []
        assert two_sessions in repo.store.unreadable
    assert two_sessions.read_text() == "{torn"

