"""Repository behaviour on real files: timers, one pair of hands, edits, audit, undo, recovery."""

import json
import stat
from datetime import UTC, datetime, timedelta

import pytest

from core.audit import Action
from core.models import FurnishedBy
from storage.documents import SCHEMA_VERSION
from storage.errors import InvalidChange, OverlapError, UnwritableFile
from storage.repository import Repository


def codes(repo, session):
    return [(s.code, s.running) for s in repo.queries.segments_of(session.id)]


def reopen(data_dir, clock, settings):
    return Repository.open(data_dir, clock, settings, read_only=True)


# ---- sessions --------------------------------------------------------------------------------


def test_a_session_belongs_to_the_local_date_it_started_on(repo, clock):
    clock.set(datetime(2026, 3, 3, 4, 30, tzinfo=UTC))  # 23:30 in New York, 2 March
    session = repo.commands.create_session("AB12", "Medicare")
    assert session.date_of_service.isoformat() == "2026-03-02"
    assert session.payer.medicare and session.therapist == "Dana Reyes"


@pytest.mark.parametrize("patient", ["", "   ", "x" * 41, "AB\n12"])
def test_bad_patient_references_are_refused(repo, patient):
    with pytest.raises(InvalidChange, match="patient reference"):
        repo.commands.create_session(patient, "Medicare")


def test_unknown_payer_is_refused(repo):
    with pytest.raises(InvalidChange, match="no payer profile named 'Aetna'"):
        repo.commands.create_session("AB12", "Aetna")


# ---- timers ----------------------------------------------------------------------------------


def test_a_segment_is_saved_the_moment_it_starts(repo, data_dir, clock, settings):
    session = repo.commands.create_session("AB12", "Medicare")
    segment = repo.commands.start(session.id, "97110")
    with reopen(data_dir, clock, settings) as other:
        assert [s.id for s in other.queries.running_segments()] == [segment.id]


def test_switch_stops_and_starts_at_the_same_instant_in_one_write(repo, clock, disk_writes):
    session = repo.commands.create_session("AB12", "Medicare")
    first = repo.commands.start(session.id, "97110")
    clock.advance(minutes=10)
    disk_writes.clear()
    second = repo.commands.start(session.id, "97140")
    assert len(disk_writes) == 1
    stopped = repo.queries.segments_of(session.id)[0]
    assert stopped.id == first.id and stopped.end == second.start == clock.now


def test_starting_the_running_code_again_changes_nothing(repo):
    session = repo.commands.create_session("AB12", "Medicare")
    first = repo.commands.start(session.id, "97110")
    assert repo.commands.start(session.id, "97110").id == first.id
    assert len(repo.queries.segments_of(session.id)) == 1


def test_pause_stops_timed_codes_and_resume_starts_the_last_one(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97010")  # hot pack: untimed, runs alongside
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=5)
    repo.commands.stop(session.id)
    assert codes(repo, session) == [("97010", True), ("97110", False)]
    clock.advance(minutes=2)
    resumed = repo.commands.resume(session.id)
    assert resumed.code == "97110" and resumed.start == clock.now


def test_resume_with_nothing_to_resume_is_refused(repo):
    session = repo.commands.create_session("AB12", "Medicare")
    with pytest.raises(InvalidChange, match="nothing to resume"):
        repo.commands.resume(session.id)


def test_one_pair_of_hands_across_sessions(repo, clock):
    first = repo.commands.create_session("AB12", "Medicare")
    second = repo.commands.create_session("CD34", "Commercial")
    repo.commands.start(first.id, "97110")
    repo.commands.start(first.id, "G0283")  # supervised e-stim keeps running
    clock.advance(minutes=12)
    repo.commands.start(second.id, "97530")
    assert codes(repo, first) == [("97110", False), ("G0283", True)]
    assert repo.queries.segments_of(first.id)[0].end == clock.now
    assert [n.message for n in repo.pop_notices()] == [
        "Stopped 97110 on AB12: one pair of hands"
    ]
    stop = next(e for e in repo.queries.audit_of(first.id) if e.action is Action.STOP)
    assert stop.reason == "started 97530 on CD34"


def test_untimed_codes_may_run_alongside_timed_ones(repo):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    repo.commands.start(session.id, "97010")
    assert all(running for _, running in codes(repo, session))


def test_backdated_start_stops_the_running_code_at_that_instant(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=20)
    six_ago = clock.now - timedelta(minutes=6)
    repo.commands.start(session.id, "97140", at=six_ago)
    first, second = repo.queries.segments_of(session.id)
    assert first.end == six_ago == second.start


def test_backdating_the_running_code_moves_its_start_and_the_switch(repo, clock):
    """Pressed 2 late: 97140 started 5 minutes before the key; 97110 ends there too."""
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=20)
    repo.commands.start(session.id, "97140")
    clock.advance(minutes=3)
    five_before = clock.now - timedelta(minutes=8)
    moved = repo.commands.start(session.id, "97140", at=five_before)
    first, second = repo.queries.segments_of(session.id)
    assert (first.end, second.start, second.running) == (five_before, five_before, True)
    assert moved == second and first.duration(clock.now) == timedelta(minutes=15)
    edits = [e for e in repo.queries.audit_of(session.id) if e.action is Action.EDIT]
    assert len({e.change_id for e in edits}) == 1 and len(edits) == 2  # one change, undone as one
    assert all(e.reason == "97140 started earlier, at 10:15" for e in edits)
    repo.commands.undo(session.id)
    first, second = repo.queries.segments_of(session.id)
    assert first.end == second.start == clock.now - timedelta(minutes=3)


def test_backdating_the_running_code_into_other_time_or_later_is_refused(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=10)
    repo.commands.start(session.id, "97140")
    clock.advance(minutes=5)
    before = repo.queries.segments_of(session.id)
    with pytest.raises(OverlapError, match="overlaps 97110"):  # earlier than 97110 began
        repo.commands.start(session.id, "97140", at=clock.now - timedelta(minutes=20))
    with pytest.raises(InvalidChange, match="running since 10:10: a later start is an edit"):
        repo.commands.start(session.id, "97140", at=clock.now - timedelta(minutes=1))
    assert repo.queries.segments_of(session.id) == before


def test_backdating_into_recorded_time_is_refused(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=10)
    repo.commands.stop(session.id)
    clock.advance(minutes=2)
    with pytest.raises(OverlapError, match="overlaps 97110"):
        repo.commands.start(session.id, "97140", at=clock.now - timedelta(minutes=6))
    assert len(repo.queries.segments_of(session.id)) == 1


def test_a_start_in_the_future_is_refused(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    with pytest.raises(InvalidChange, match="in the future"):
        repo.commands.start(session.id, "97110", at=clock.now + timedelta(minutes=5))


def test_unknown_and_deleted_codes_are_refused(repo):
    session = repo.commands.create_session("AB12", "Medicare")
    with pytest.raises(InvalidChange, match="unknown code"):
        repo.commands.start(session.id, "99999")
    with pytest.raises(InvalidChange, match="use 97129 or 97130"):
        repo.commands.start(session.id, "97532")


def test_a_clock_that_jumps_back_never_makes_a_negative_segment(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    started = repo.commands.start(session.id, "97110")
    clock.advance(minutes=5)
    clock.advance(hours=-1)  # the wall clock is set back an hour
    stopped = repo.commands.stop(session.id)[0]
    assert stopped.end >= stopped.start == started.start
    assert any("clock went back" in n.message for n in repo.pop_notices())


# ---- edits and the audit trail ---------------------------------------------------------------


@pytest.fixture
def recorded(repo, clock):
    """A session with 97110 10:00-10:10 and 97140 10:10-10:17 (New York)."""
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=10)
    repo.commands.start(session.id, "97140")
    clock.advance(minutes=7)
    repo.commands.stop(session.id)
    clock.advance(minutes=1)
    return session


def test_add_by_hand_is_validated_and_audited(repo, recorded, clock):
    start = clock.now - timedelta(minutes=60)
    added = repo.commands.add_segment(recorded.id, "97530", start, start + timedelta(minutes=12),
                             furnished_by=FurnishedBy.ASSISTANT, note="stairs")
    assert added in repo.queries.segments_of(recorded.id)
    entry = repo.queries.audit_of(recorded.id)[-1]
    assert (entry.action, entry.after["code"], entry.who) == (Action.ADD, "97530", "Dana Reyes")


def test_end_before_start_is_refused(repo, recorded, clock):
    with pytest.raises(InvalidChange, match="before it starts"):
        repo.commands.add_segment(recorded.id, "97530", clock.now - timedelta(minutes=5),
                         clock.now - timedelta(minutes=10))


def test_overlapping_edit_is_refused_and_nothing_changes(repo, recorded):
    first, second = repo.queries.segments_of(recorded.id)
    with pytest.raises(OverlapError, match="overlaps 97110"):
        repo.commands.edit_segment(recorded.id, second.id, start=first.start + timedelta(minutes=5))
    assert repo.queries.segments_of(recorded.id) == [first, second]


def test_overlap_across_patients_is_refused(repo, recorded, clock):
    other = repo.commands.create_session("CD34", "Medicare")
    first = repo.queries.segments_of(recorded.id)[0]
    with pytest.raises(OverlapError, match="on AB12"):
        repo.commands.add_segment(other.id, "97530", first.start + timedelta(minutes=2),
                         first.start + timedelta(minutes=4))


def test_untimed_segments_may_overlap(repo, recorded):
    first = repo.queries.segments_of(recorded.id)[0]
    repo.commands.add_segment(recorded.id, "97010", first.start, first.end)
    assert len(repo.queries.segments_of(recorded.id)) == 3


def test_edit_keeps_before_and_after_in_the_audit(repo, recorded):
    first = repo.queries.segments_of(recorded.id)[0]
    edited = repo.commands.edit_segment(recorded.id, first.id, note="=cmd|' /C calc'!A0",
                               furnished_by=FurnishedBy.ASSISTANT, reason="PTA did it")
    entry = repo.queries.audit_of(recorded.id)[-1]
    assert entry.action is Action.EDIT and entry.reason == "PTA did it"
    assert entry.before["furnished_by"] == "therapist"
    assert entry.after["furnished_by"] == "assistant" == edited.furnished_by


def test_a_stopped_segment_cannot_be_made_to_run_again(repo, recorded):
    first = repo.queries.segments_of(recorded.id)[0]
    with pytest.raises(InvalidChange, match="cannot be made to run again"):
        repo.commands.edit_segment(recorded.id, first.id, end=None)


def test_unknown_fields_cannot_be_edited(repo, recorded):
    first = repo.queries.segments_of(recorded.id)[0]
    with pytest.raises(InvalidChange, match="cannot change id"):
        repo.commands.edit_segment(recorded.id, first.id, id=recorded.id)


def test_undo_walks_back_one_change_at_a_time(repo, recorded):
    first, second = repo.queries.segments_of(recorded.id)
    repo.commands.delete_segment(recorded.id, second.id, reason="wrong code")
    repo.commands.edit_segment(recorded.id, first.id, note="edited")
    assert repo.commands.undo(recorded.id) == "edit 97110"
    assert repo.queries.segments_of(recorded.id) == [first]
    assert repo.commands.undo(recorded.id) == "delete 97140"
    assert repo.queries.segments_of(recorded.id) == [first, second]
    actions = [e.action for e in repo.queries.audit_of(recorded.id)]
    assert actions[-2:] == [Action.UNDO, Action.UNDO]


def test_undo_of_a_switch_reverts_both_halves(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    first = repo.commands.start(session.id, "97110")
    clock.advance(minutes=4)
    repo.commands.start(session.id, "97140")
    assert repo.commands.undo(session.id) == "stop 97110, start 97140"
    assert repo.queries.segments_of(session.id) == [first]


def test_undo_that_would_overlap_time_recorded_since_is_refused(repo, recorded):
    second = repo.queries.segments_of(recorded.id)[1]
    repo.commands.delete_segment(recorded.id, second.id, reason="was another patient")
    other = repo.commands.create_session("CD34", "Medicare")
    repo.commands.add_segment(other.id, "97530", second.start, second.end)
    with pytest.raises(OverlapError, match="overlaps 97530"):
        repo.commands.undo(recorded.id)
    assert [s.code for s in repo.queries.segments_of(recorded.id)] == ["97110"]
    assert repo.queries.audit_of(recorded.id)[-1].action is Action.DELETE


def test_nothing_to_undo(repo):
    session = repo.commands.create_session("AB12", "Medicare")
    with pytest.raises(InvalidChange, match="nothing to undo"):
        repo.commands.undo(session.id)


# ---- close, reopen ---------------------------------------------------------------------------


def test_close_stores_the_billing_result(repo, recorded, data_dir, clock, settings):
    closed = repo.commands.close_session(recorded.id)
    assert closed.billing.units == {"97110": 1, "97140": 0}
    with reopen(data_dir, clock, settings) as other:
        (stored,) = other.queries.sessions_on(recorded.date_of_service)
        assert stored.billing == closed.billing
        assert other.queries.open_sessions() == []


def test_close_with_a_running_timer_must_say_so(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=9)
    with pytest.raises(InvalidChange, match="97110 still running on AB12"):
        repo.commands.close_session(session.id)
    closed = repo.commands.close_session(session.id, stop_running=True)
    assert closed.billing.units == {"97110": 1}
    assert not any(s.running for s in repo.queries.segments_of(session.id))


def test_a_closed_session_does_not_change_until_reopened_with_a_reason(repo, recorded):
    repo.commands.close_session(recorded.id)
    with pytest.raises(InvalidChange, match="is closed: reopen it"):
        repo.commands.start(recorded.id, "97110")
    with pytest.raises(InvalidChange, match="needs a reason"):
        repo.commands.reopen_session(recorded.id, " ")
    reopened = repo.commands.reopen_session(recorded.id, "forgot the gait training")
    assert reopened.is_open and reopened.billing is None
    assert repo.queries.audit_of(recorded.id)[-1].reason == "forgot the gait training"
    assert [s.id for s in repo.queries.open_sessions()] == [recorded.id]


def test_tie_pick_is_kept_at_close(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97112")
    clock.advance(minutes=20)
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=20)
    closed = repo.commands.close_session(session.id, stop_running=True, prefer=["97110"])
    assert closed.billing.units == {"97112": 1, "97110": 2}


# ---- recovery --------------------------------------------------------------------------------


def test_restart_finds_the_running_timer_with_its_elapsed_time(repo, data_dir, clock, settings):
    session = repo.commands.create_session("AB12", "Medicare")
    started = repo.commands.start(session.id, "97110")
    repo.close()
    clock.advance(minutes=13, seconds=30)
    with Repository.open(data_dir, clock, settings) as again:
        (running,) = again.queries.running_segments()
        assert running.id == started.id
        assert running.duration(clock()) == timedelta(minutes=13, seconds=30)


def test_a_session_running_past_midnight_is_found_the_next_day(repo, data_dir, clock, settings):
    clock.set(datetime(2026, 3, 3, 4, 50, tzinfo=UTC))  # 23:50 in New York
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    repo.close()
    clock.advance(minutes=30)  # 00:20 the next day
    with Repository.open(data_dir, clock, settings) as again:
        (found,) = again.queries.open_sessions()
        assert found.date_of_service.isoformat() == "2026-03-02"
        stopped = again.commands.stop(found.id)[0]
        assert stopped.duration(clock()) == timedelta(minutes=30)


def test_a_session_across_a_dst_change_counts_real_minutes(repo, clock):
    clock.set(datetime(2026, 3, 8, 6, 50, tzinfo=UTC))  # 01:50 EST; at 02:00 clocks jump to 03:00
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=20)  # 03:10 EDT: twenty real minutes
    closed = repo.commands.close_session(session.id, stop_running=True)
    assert closed.billing.line("97110").minutes == 20


# ---- queries ---------------------------------------------------------------------------------


def test_sessions_by_date_range_and_by_patient(repo, clock):
    first = repo.commands.create_session("AB12", "Medicare")
    clock.advance(days=1)
    repo.commands.create_session("CD34", "Medicare")
    clock.advance(days=800)
    third = repo.commands.create_session("AB12", "Commercial")
    days = [day.isoformat() for day in repo.queries.days(
        first.date_of_service, first.date_of_service + timedelta(days=1))]
    assert days == ["2026-03-02", "2026-03-03"]
    assert [visit.id for _, visit in repo.queries.visits("AB12")] == [first.id, third.id]
    assert repo.queries.patients() == ["AB12"]  # seen this year or last: CD34 was two years ago


# ---- files -----------------------------------------------------------------------------------


def test_files_are_private(repo, data_dir):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    for path in data_dir.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_a_corrupt_day_is_moved_aside_and_other_days_keep_working(
    repo, clock, data_dir, settings
):
    first = repo.commands.create_session("AB12", "Medicare")
    repo.commands.close_session(first.id)
    clock.advance(days=1)
    second = repo.commands.create_session("CD34", "Medicare")
    repo.close()
    path = data_dir / "days" / "2026" / "2026-03-02.json"
    damaged = path.read_text()[:-20]
    path.write_text(damaged)  # torn, as by a disk fault between two runs
    with Repository.open(data_dir, clock, settings) as again:
        assert again.queries.sessions_on(first.date_of_service) == []
        (notice, witness) = again.pop_notices()  # moved aside; its session is missing
        assert notice.severity == "error" and "2026-03-02.json" in notice.message
        (moved,) = path.parent.glob("2026-03-02.json.corrupt-*")
        assert moved.read_text() == damaged and str(moved) in notice.message
        assert "2026-03-02: 1 session the index knew is missing" in witness.message
        assert [s.id for s in again.queries.sessions_on(second.date_of_service)] == [second.id]
        again.commands.start(second.id, "97110")


def test_a_file_from_a_newer_version_is_refused_untouched(data_dir, clock, settings):
    path = data_dir / "days" / "2026" / "2026-03-02.json"
    path.parent.mkdir(parents=True)
    content = json.dumps({"_meta": {"1": {"schema": SCHEMA_VERSION + 1}}, "sessions": {}})
    path.write_text(content)
    with Repository.open(data_dir, clock, settings) as repo:
        assert repo.queries.sessions_on(datetime(2026, 3, 2).date()) == []
        assert any("newer Tabletime" in notice.message for notice in repo.pop_notices())
        with pytest.raises(UnwritableFile, match="newer Tabletime"):
            repo.commands.create_session("AB12", "Medicare")  # today is 2026-03-02
    assert path.read_text() == content


def test_an_older_schema_is_upgraded_with_the_next_change_never_by_a_read(
    data_dir, clock, settings, monkeypatch
):
    from storage import documents

    monkeypatch.setattr(documents, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(documents.MIGRATIONS, 1, lambda data: {**data, "audit": {}})
    path = data_dir / "days" / "2026" / "2026-03-02.json"
    path.parent.mkdir(parents=True)
    old = json.dumps({"_meta": {"1": {"schema": 1}}, "sessions": {}})
    path.write_text(old)
    with Repository.open(data_dir, clock, settings) as repo:
        assert repo.queries.sessions_on(datetime(2026, 3, 2).date()) == []
        assert path.read_text() == old
        repo.commands.create_session("AB12", "Medicare")
    upgraded = json.loads(path.read_text())
    assert upgraded["_meta"] == {"1": {"schema": 2}} and len(upgraded["sessions"]) == 1


def test_read_only_refuses_every_change(repo, data_dir, clock, settings):
    session = repo.commands.create_session("AB12", "Medicare")
    with reopen(data_dir, clock, settings) as other:
        with pytest.raises(InvalidChange, match="read-only"):
            other.commands.start(session.id, "97110")
        with pytest.raises(InvalidChange, match="read-only"):
            other.commands.create_session("CD34", "Medicare")
