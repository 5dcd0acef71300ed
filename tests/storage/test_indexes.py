"""The derived index: rebuilt from the day files whenever it is missing, damaged or stale,
never trusted over them, and never written by a query."""

import json
import os
import shutil
from datetime import date, timedelta

import pytest

from core.billing.modifiers import TherapyBucket
from storage.repository import Repository
from storage.views import day_view, patient_history_view, patient_view
from tests.helpers import export_segments, killed, rebuilt_equals_kept


def day_with_open_session(repo, clock):
    """Yesterday: a closed session and one left open with its timer running."""
    closed = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(closed.id, "97110")
    clock.advance(minutes=23)
    closed = repo.commands.close_session(closed.id, stop_running=True)
    still = repo.commands.create_session("CD34", "Commercial")
    running = repo.commands.start(still.id, "97140")
    clock.advance(days=1)
    return closed, still, running


@pytest.mark.parametrize("damage", ["delete", "empty", "torn", "wrong shape", "stale"])
def test_a_lost_or_damaged_index_is_rebuilt_and_the_open_session_is_back(
    data_dir, clock, settings, damage
):
    with Repository.open(data_dir, clock, settings) as repo:
        closed, still, running = day_with_open_session(repo, clock)
    for path in (data_dir / "index").glob("*.json"):
        if damage == "delete":
            path.unlink()
        elif damage == "empty":
            path.write_text("")
        elif damage == "torn":
            path.write_text(path.read_text()[:-9])
        elif damage == "wrong shape":
            path.write_text(json.dumps({"months": [], "days": "x"}))
        else:  # an older index that never saw these sessions
            path.write_text(json.dumps({"_meta": {"1": {"schema": 1}}}))
    with Repository.open(data_dir, clock, settings) as again:
        assert [s.id for s in again.queries.open_sessions()] == [still.id]
        assert [s.id for s in again.queries.running_segments()] == [running.id]
        (told,) = [n for n in again.pop_notices() if "index of sessions was rebuilt" in n.message]
        # An index that is not there (deleted, or a restore, which never archives it) is no
        # warning; one that is damaged or wrong is.
        assert told.severity == ("information" if damage == "delete" else "warning")
        again.commands.start(still.id, "97110")  # the switch finds the running timer
        assert again.queries.session(closed.id).patient == "AB12"
        rebuilt_equals_kept(again)


def test_a_repaired_day_file_put_back_brings_its_sessions_back(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        _, still, _ = day_with_open_session(repo, clock)
    path = data_dir / "days" / "2026" / "2026-03-02.json"
    good = path.read_bytes()
    path.write_text("{torn")
    with Repository.open(data_dir, clock, settings) as again:
        assert again.queries.open_sessions() == []  # moved aside, and told
    (moved,) = path.parent.glob("*.corrupt-*")
    moved.unlink()
    path.write_bytes(good)  # the user restores it from elsewhere
    with Repository.open(data_dir, clock, settings) as again:
        assert [s.id for s in again.queries.open_sessions()] == [still.id]
        rebuilt_equals_kept(again)


def test_any_session_is_found_from_its_id_after_a_fresh_start(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        closed, _, _ = day_with_open_session(repo, clock)
    with Repository.open(data_dir, clock, settings) as fresh:
        reopened = fresh.commands.reopen_session(closed.id, "forgot 97140")
        assert reopened.is_open and fresh.queries.day_of(closed.id) == closed.date_of_service
        assert {s.id for s in fresh.queries.open_sessions()} >= {closed.id}


def test_queries_never_write(repo, clock, disk_writes):
    closed, still, _ = day_with_open_session(repo, clock)
    disk_writes.clear()
    day = closed.date_of_service
    repo.queries.open_sessions()
    repo.queries.running_segments()
    repo.queries.session_view(still.id)
    repo.queries.patients()
    repo.queries.year_to_date(day + timedelta(days=1))
    repo.queries.audit_of(closed.id)
    day_view(repo, day, clock.now)
    patient_history_view(repo, "AB12")
    patient_view(repo, "AB12", day.year, day)
    repo.queries.year_to_date(day, {"AB12", "CD34"})
    repo.queries.last_visit("NEW1")
    export_segments(repo)
    assert disk_writes == []


def test_a_reader_rebuilds_in_memory_only(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        _, still, _ = day_with_open_session(repo, clock)
    shutil.rmtree(data_dir / "index")
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        assert [s.id for s in reader.queries.open_sessions()] == [still.id]
    assert not (data_dir / "index").exists()


def test_after_a_clean_exit_the_next_start_reads_only_the_open_sessions_day(
    data_dir, clock, settings, monkeypatch
):
    with Repository.open(data_dir, clock, settings) as repo:
        day_with_open_session(repo, clock)  # closed and open on 03-02
        later = repo.commands.create_session("EF56", "Medicare")  # open on 03-03
        repo.commands.start(later.id, "97110")  # timers change no entry, only the stamp
        clock.advance(minutes=5)
        repo.commands.stop(later.id)
    from storage import document_storage as store

    read: list[str] = []
    real = store.DocumentStorage._load

    def load(self):
        read.append(self.path.name)
        real(self)

    monkeypatch.setattr(store.DocumentStorage, "_load", load)
    with Repository.open(data_dir, clock, settings) as again:
        assert again.pop_notices() == []
    assert sorted(read) == ["2026-03-02.json", "2026-03-03.json", "months.json"]


def test_a_crash_between_the_day_and_the_index_is_healed(data_dir, clock, settings,
                                                         monkeypatch):
    from storage.indexes import Indexes

    with Repository.open(data_dir, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        clock.advance(minutes=30)
        repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=30),
                                  clock.now)
        monkeypatch.setattr(Indexes, "day_changed", lambda self, day: (_ for _ in ()).throw(
            SystemExit("killed")))
        with pytest.raises(SystemExit):
            repo.commands.close_session(session.id)
        monkeypatch.undo()
        killed(repo)
    with Repository.open(data_dir, clock, settings) as again:
        assert again.queries.open_sessions() == []
        assert again.queries.year_to_date(date(2026, 3, 3))[("AB12", TherapyBucket.PT_SLP)] > 0
        rebuilt_equals_kept(again)


def test_one_year_to_date_for_the_day_the_lines_and_the_history(repo, clock):
    """Two Medicare visits on one date: the day summary, the claim lines and the history all
    count the day's pooled amount once (the history said $58.12 where the lines said $29.06)."""
    from storage.reports import claim_rows

    for _ in range(2):
        session = repo.commands.create_session("AB12", "Medicare")
        clock.advance(minutes=10)
        repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=10),
                                  clock.now)
        repo.commands.close_session(session.id)
        clock.advance(hours=3)
    day = date(2026, 3, 2)
    lines = list(claim_rows(repo, day, day, clock.now))
    (line,) = lines
    assert line.units == 1
    history = patient_history_view(repo, "AB12")
    assert [e.year_to_date for e in history] == [line.amount, line.amount]
    summary = day_view(repo, day, clock.now)
    assert summary.rows == tuple(lines)
    assert repo.queries.year_to_date(day + timedelta(days=1)) == {
        ("AB12", TherapyBucket.PT_SLP): line.amount}


def test_the_year_to_date_starts_again_at_the_year_change(repo, clock):
    clock.set(clock.now.replace(year=2026, month=12, day=31, hour=15))
    for _ in range(2):
        session = repo.commands.create_session("AB12", "Medicare")
        clock.advance(minutes=30)
        repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=30),
                                  clock.now)
        repo.commands.close_session(session.id)
        clock.advance(days=1)
    history = patient_history_view(repo, "AB12")
    assert [e.day.year for e in history] == [2026, 2027]
    assert history[1].year_to_date == history[1].visit.amount
    assert repo.queries.year_to_date(date(2027, 1, 1)) == {}


def test_a_long_rebuild_at_open_is_said_before_it_starts(data_dir, clock, settings,
                                                         monkeypatch):
    """A folder copied with new modification times: every day is derived again, which for
    years of history takes seconds before the first frame; the writer says so first."""
    from storage import indexes

    monkeypatch.setattr(indexes, "LONG_REBUILD_DAYS", 3)
    with Repository.open(data_dir, clock, settings) as repo:
        for _ in range(3):
            repo.commands.close_session(repo.commands.create_session("AB12", "Medicare").id)
            clock.advance(days=1)
    told: list[int] = []
    with Repository.open(data_dir, clock, settings, before_long_rebuild=told.append):
        pass
    assert told == []  # nothing to derive again
    for path in (data_dir / "days").rglob("*.json"):
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    with Repository.open(data_dir, clock, settings, read_only=True,
                         before_long_rebuild=told.append):
        pass
    assert told == []  # a reader derives in memory what it reads, and writes nothing
    with Repository.open(data_dir, clock, settings, before_long_rebuild=told.append):
        pass
    assert told == [3]
    shutil.rmtree(data_dir / "index")  # as after a restore: the wait said, nothing more
    with Repository.open(data_dir, clock, settings, before_long_rebuild=told.append) as again:
        assert not [n for n in again.pop_notices() if "index" in n.message]
    assert told == [3, 3]
