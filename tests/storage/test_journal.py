"""A day's journal: a timer event is one line appended and fsynced, not the day file rewritten;
every read replays it; a session change, an open and a close fold it into the day file; what a
crash leaves (a line cut short, a journal of a file rewritten since) is never replayed."""

import os
import stat
import tarfile

import pytest

from storage import journal
from storage.backup import restore_backup, write_backup
from storage.errors import BadPath, StorageError
from storage.journal import journal_path
from storage.repository import Repository
from storage.store import Store
from tests.helpers import killed, rebuilt_equals_kept


def open_again(data_dir, clock, settings, **options):
    return Repository.open(data_dir, clock, settings, **options)


def a_timer_running(data_dir, clock, settings):
    """A writer with AB12's 97110 running: today's day file and a journal beside it."""
    repo = open_again(data_dir, clock, settings)
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    return repo, session, repo.store.day_path(session.date_of_service)


@pytest.fixture
def day(repo, clock):
    """Today's day file, written whole once (a session opened) so timer events append."""
    session = repo.commands.create_session("AB12", "Medicare")
    return session, repo.store.day_path(session.date_of_service)


def test_a_start_appends_one_line_and_leaves_the_day_file_as_it_was(repo, clock, day):
    session, path = day
    before = path.read_bytes()
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=8)
    repo.commands.start(session.id, "97140")
    assert path.read_bytes() == before
    lines = journal_path(path).read_bytes().splitlines()
    assert len(lines) == 3  # the header, then one line per switch


def test_what_a_start_writes_does_not_grow_with_the_day(repo, clock, disk_writes):
    sizes = []
    for slot in range(12):
        session = repo.commands.create_session(f"P{slot:02d}", "Medicare")
        path = repo.store.day_path(session.date_of_service)
        for code in ("97110", "97140", "97530"):
            clock.advance(minutes=5)
            appended = journal_path(path)
            size = appended.stat().st_size if appended.exists() else 0
            repo.commands.start(session.id, code)
            if size:
                sizes.append(appended.stat().st_size - size)
        clock.advance(minutes=1)
        repo.commands.stop(session.id)
        repo.commands.close_session(session.id)
    assert path.stat().st_size > 20 * max(sizes)  # the day file is many times one line
    assert max(sizes) < 2 * min(sizes)


def test_another_process_reads_the_running_timer_from_the_journal(repo, clock, settings,
                                                                  data_dir, day):
    session, path = day
    segment = repo.commands.start(session.id, "97110", note="gait belt")
    assert journal_path(path).exists()
    with open_again(data_dir, clock, settings, read_only=True) as reader:
        (running,) = reader.queries.running_segments()
        assert running.id == segment.id and running.note == "gait belt"


def test_closing_a_session_folds_the_journal_into_the_day_file(repo, clock, day):
    session, path = day
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=20)
    repo.commands.stop(session.id)
    repo.commands.close_session(session.id)
    assert not journal_path(path).exists()
    assert b'"end"' in path.read_bytes() and b"97110" in path.read_bytes()


def test_the_folder_closed_holds_no_journal(data_dir, clock, settings):
    with open_again(data_dir, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        repo.commands.start(session.id, "97110")
        path = repo.store.day_path(session.date_of_service)
        assert journal_path(path).exists()
    assert not journal_path(path).exists()
    with open_again(data_dir, clock, settings, read_only=True) as reader:
        assert [s.code for s in reader.queries.running_segments()] == ["97110"]


def test_a_writer_killed_leaves_a_journal_the_next_open_replays_and_folds(
        data_dir, clock, settings):
    repo = open_again(data_dir, clock, settings)
    session = repo.commands.create_session("AB12", "Medicare")
    started = repo.commands.start(session.id, "97110")
    path = repo.store.day_path(session.date_of_service)
    killed(repo)
    assert journal_path(path).exists()
    with open_again(data_dir, clock, settings) as again:
        assert not journal_path(path).exists()
        assert [s.id for s in again.queries.running_segments()] == [started.id]
        assert again.pop_notices() == []


@pytest.mark.parametrize("tail", [b"0badc0de {\"put\": {\"segm", b"12", b"\xff\xfe",
                                  b"\0\0\0\0\0\0\0\0\n",  # a file grown, its data not
                                  b"0badc0de {\"put\": {}, \"drop\": {}}\n"])
def test_a_line_cut_short_by_a_crash_is_never_replayed(data_dir, clock, settings, tail):
    repo = open_again(data_dir, clock, settings)
    session = repo.commands.create_session("AB12", "Medicare")
    started = repo.commands.start(session.id, "97110")
    path = repo.store.day_path(session.date_of_service)
    killed(repo)
    with journal_path(path).open("ab") as out:
        out.write(tail)
    with open_again(data_dir, clock, settings, read_only=True) as reader:
        assert [s.id for s in reader.queries.running_segments()] == [started.id]
        assert reader.store.skipped() == {}
    with open_again(data_dir, clock, settings) as again:
        assert [s.id for s in again.queries.running_segments()] == [started.id]
        clock.advance(minutes=9)
        again.commands.start(session.id, "97140")  # appends after a whole line
    with open_again(data_dir, clock, settings, read_only=True) as reader:
        assert [s.code for s in reader.queries.running_segments()] == ["97140"]


def test_a_journal_of_a_day_file_rewritten_since_is_not_replayed(data_dir, clock, settings):
    """A crash between rewriting the day file and removing its journal: replaying the journal
    would take back what the rewrite changed (here the stop and the close)."""
    repo, session, path = a_timer_running(data_dir, clock, settings)
    left = journal_path(path).read_bytes()
    clock.advance(minutes=20)
    repo.commands.stop(session.id)
    repo.commands.close_session(session.id)
    killed(repo)
    journal_path(path).write_bytes(left)
    with open_again(data_dir, clock, settings) as again:
        assert [s.end for s in again.queries.segments_of(session.id)] == [clock.now]
        assert not again.queries.session(session.id).is_open
        assert not journal_path(path).exists()


def test_a_journal_left_without_its_day_file_never_swallows_the_next_days_starts(
        data_dir, clock, settings):
    repo, _, path = a_timer_running(data_dir, clock, settings)
    killed(repo)
    path.unlink()  # a sync conflict, a hand: the journal stays behind
    with open_again(data_dir, clock, settings) as again:
        again.pop_notices()
        other = again.commands.create_session("CD34", "Medicare")
        clock.advance(minutes=1)
        started = again.commands.start(other.id, "97140")
        killed(again)
    with open_again(data_dir, clock, settings, read_only=True) as reader:
        assert [s.id for s in reader.queries.running_segments()] == [started.id]


def test_a_damaged_journal_is_moved_aside_and_the_day_reads_as_its_file_holds(
        data_dir, clock, settings):
    repo = open_again(data_dir, clock, settings)
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=9)
    repo.commands.start(session.id, "97140")
    path = repo.store.day_path(session.date_of_service)
    killed(repo)
    lines = journal_path(path).read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"97110", b"97111")  # its checksum no longer matches
    journal_path(path).write_bytes(b"\n".join(lines))
    with open_again(data_dir, clock, settings, read_only=True) as reader:
        assert reader.queries.running_segments() == []
        assert "journal" in reader.store.skipped()[path]
        assert journal_path(path).exists()  # a reader leaves it as it is
    with open_again(data_dir, clock, settings) as again:
        told = " ".join(notice.message for notice in again.pop_notices())
        assert "journal could not be replayed" in told and "moved aside" in told
        assert again.queries.running_segments() == []
        assert again.queries.session(session.id).is_open
        assert [p.name for p in path.parent.iterdir() if ".journal.corrupt-" in p.name]


def test_a_journal_that_is_not_a_file_makes_the_day_unreadable_and_is_never_written(
        data_dir, clock, settings):
    with open_again(data_dir, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        path = repo.store.day_path(session.date_of_service)
    os.mkfifo(journal_path(path))
    before = path.read_bytes()
    with open_again(data_dir, clock, settings) as again:
        told = " ".join(notice.message for notice in again.pop_notices())
        assert "journal" in told and "named pipe" in told and "left as it is" in told
        with pytest.raises(StorageError):
            again.commands.start(session.id, "97110")
    assert path.read_bytes() == before
    assert stat.S_ISFIFO(journal_path(path).lstat().st_mode)


def test_a_journal_as_large_as_its_day_file_is_folded_by_the_next_change(
        repo, clock, day, monkeypatch):
    from storage import document_storage

    monkeypatch.setattr(document_storage, "MIN_FOLD_BYTES", 0)
    session, path = day
    codes = ("97110", "97140")
    for turn in range(40):
        clock.advance(minutes=1)
        repo.commands.start(session.id, codes[turn % 2])
        appended = journal_path(path)
        assert not appended.exists() or appended.stat().st_size <= path.stat().st_size
    assert len(repo.queries.segments_of(session.id)) == 40


def test_a_start_the_disk_refuses_is_not_kept_and_the_journal_is_cut_back(
        repo, clock, day, monkeypatch):
    session, path = day
    repo.commands.start(session.id, "97110")
    size = journal_path(path).stat().st_size
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, data[:5]))
    clock.advance(minutes=8)
    with pytest.raises(OSError):
        repo.commands.start(session.id, "97140")
    monkeypatch.undo()
    assert journal_path(path).stat().st_size == size
    assert [s.code for s in repo.queries.running_segments()] == ["97110"]
    repo.commands.start(session.id, "97140")
    assert [s.code for s in repo.queries.running_segments()] == ["97140"]


def test_a_backup_holds_what_the_journal_holds(repo, clock, day, tmp_path):
    session, _ = day
    segment = repo.commands.start(session.id, "97110")
    archive = tmp_path / "backup.tar.gz"
    with archive.open("wb") as out:
        write_backup(repo.data_dir, out)
    with tarfile.open(archive) as opened:
        assert not [name for name in opened.getnames() if name.endswith(journal.SUFFIX)]
    with restore_backup(archive, tmp_path / "restored"):
        pass
    with open_again(tmp_path / "restored", clock, repo.settings, read_only=True) as restored:
        assert [s.id for s in restored.queries.running_segments()] == [segment.id]


def test_a_backup_refuses_a_damaged_journal_by_name(repo, clock, day, tmp_path):
    session, path = day
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=5)
    repo.commands.start(session.id, "97140")
    content = journal_path(path).read_bytes()
    journal_path(path).write_bytes(content.replace(b"97110", b"97111", 1))
    with (tmp_path / "b.tar.gz").open("wb") as out, pytest.raises(BadPath, match="journal"):
        write_backup(repo.data_dir, out)


def test_the_index_sees_a_change_only_in_the_journal(data_dir, clock, settings):
    """A writer killed after a start: the stamp of the day covers its journal, so the next
    open knows the day changed (the index is derived again only where needed)."""
    from storage.store import file_stamp

    repo = open_again(data_dir, clock, settings)
    session = repo.commands.create_session("AB12", "Medicare")
    path = repo.store.day_path(session.date_of_service)
    before = file_stamp(path)
    clock.advance(minutes=1)
    repo.commands.start(session.id, "97110")
    assert file_stamp(path) != before
    killed(repo)
    with open_again(data_dir, clock, settings):
        pass
    day = session.date_of_service
    with open_again(data_dir, clock, settings, read_only=True) as reader:
        assert reader.indexes.month(f"{day:%Y-%m}")[day].stamp == file_stamp(path)
        rebuilt_equals_kept(reader)


def test_starts_after_another_program_rewrote_the_day_file_are_never_lost(
        data_dir, clock, settings):
    """A sync client or a hand rewrote the day file while the app ran: the next starts are
    not appended to a journal of the file that was there before (it would be ignored)."""
    repo, session, path = a_timer_running(data_dir, clock, settings)
    path.write_bytes(path.read_bytes().replace(b'{"_meta"', b'{ "_meta"', 1) + b" ")
    clock.advance(minutes=10)
    repo.commands.start(session.id, "97140")
    clock.advance(minutes=15)
    repo.commands.stop(session.id)
    killed(repo)
    with open_again(data_dir, clock, settings, read_only=True) as reader:
        assert [(s.code, s.end is None) for s in reader.queries.segments_of(session.id)] == [
            ("97110", False), ("97140", False)]


def test_a_journal_the_rewrite_already_holds_is_removed_without_a_word(
        data_dir, clock, settings):
    """A kill between a close's rewrite and the journal's removal: the day file holds every
    timer event of the journal, so nothing is set aside and nothing is said."""
    repo, session, path = a_timer_running(data_dir, clock, settings)
    clock.advance(minutes=9)
    repo.commands.start(session.id, "97140")
    left = journal_path(path).read_bytes()
    clock.advance(minutes=12)
    repo.commands.close_session(session.id, stop_running=True)
    kept = path.read_bytes()
    killed(repo)
    journal_path(path).write_bytes(left)
    with open_again(data_dir, clock, settings) as again:
        assert again.pop_notices() == []
        assert [(s.code, (s.end - s.start).seconds // 60)
                for s in again.queries.segments_of(session.id)] == [("97110", 9), ("97140", 12)]
        assert path.read_bytes() == kept
    assert not journal_path(path).exists()
    assert not list(path.parent.glob("*.stale-*"))


def test_a_journal_of_another_version_of_the_file_is_set_aside_and_said_never_deleted(
        data_dir, clock, settings):
    """The day file replaced by a copy without the journal's timer events (another program,
    a restored copy): the journal is neither replayed over it nor deleted."""
    repo, session, path = a_timer_running(data_dir, clock, settings)
    left = journal_path(path).read_bytes()
    killed(repo)
    path.write_bytes(path.read_bytes() + b" ")  # the same sessions, another file
    with open_again(data_dir, clock, settings) as again:
        told = " ".join(notice.message for notice in again.pop_notices())
        assert again.queries.segments_of(session.id) == []
    assert "not replayed" in told and "set aside" in told
    (kept,) = path.parent.glob(f"{journal_path(path).name}.stale-*")
    assert kept.read_bytes() == left


def test_a_journal_that_cannot_be_removed_after_a_rewrite_leaves_the_day_readable(
        repo, clock, day, monkeypatch):
    session, path = day
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=10)
    real_unlink = type(path).unlink

    def refused(self, missing_ok=False):
        if self.suffix == journal.SUFFIX:
            raise PermissionError(13, "in use")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(type(path), "unlink", refused)
    repo.commands.close_session(session.id, stop_running=True)
    monkeypatch.undo()
    assert not repo.queries.session(session.id).is_open
    other = repo.commands.create_session("CD34", "Medicare")
    started = repo.commands.start(other.id, "97140")
    assert [s.id for s in repo.queries.running_segments()] == [started.id]


def test_a_named_pipe_put_at_the_journal_never_blocks_a_start(repo, clock, day):
    session, path = day
    repo.commands.start(session.id, "97110")
    journal_path(path).unlink()
    os.mkfifo(journal_path(path))
    clock.advance(minutes=8)
    with pytest.raises(OSError):  # refused at once (no reader: ENXIO; else not a file)
        repo.commands.start(session.id, "97140")
    assert repo.queries.running_segments() == []  # the day is left as it is, and named:
    assert "named pipe" in repo.store.skipped()[path]


def test_a_fold_between_a_readers_two_reads_loses_nothing(repo, clock, settings, data_dir,
                                                         day, monkeypatch):
    from storage.document_storage import DocumentStorage

    session, path = day
    started = repo.commands.start(session.id, "97110")
    reads = []

    def then_fold(read):
        def reading(storage):
            content = read(storage)
            if storage.path == path:
                reads.append(read)
            if len(reads) == 1 and storage.path == path:
                repo.store.fold_journals([path])  # the app folds between the reader's reads
            return content
        return reading

    for name in ("_content", "_journal_content"):
        monkeypatch.setattr(DocumentStorage, name, then_fold(getattr(DocumentStorage, name)))
    reader = Store(data_dir, lambda message, severity: None, writer=False)
    assert [s.id for s in reader.records(path, "segments")] == [started.id]


def test_check_counts_day_files_not_the_journals_it_set_aside(data_dir, clock, settings):
    from storage.check import check_folder

    repo = open_again(data_dir, clock, settings)
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=9)
    repo.commands.start(session.id, "97140")  # the damaged line is not the last
    clock.advance(days=1)
    repo.commands.create_session("CD34", "Medicare")
    path = repo.store.day_path(session.date_of_service)
    killed(repo)
    journal_path(path).write_bytes(
        journal_path(path).read_bytes().replace(b"97110", b"97111", 1))
    report = check_folder(data_dir, clock)
    assert report.day_files == 2
    assert any("journal" in finding.message for finding in report.findings)
