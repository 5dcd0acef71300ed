"""Redo (issue 17): what the last undo of a session walked back is put again, audited like
the undo, until the session changes otherwise; refused, writing nothing, where it would now
overlap time recorded since."""

from datetime import timedelta

import pytest

from core.audit import Action
from storage.errors import InvalidChange, OverlapError
from storage.repository import Repository
from tests.helpers import rebuilt_equals_kept


def day_file(repo):
    return repo.store.day_path(repo.local(repo.clock()).date()).read_bytes()


def test_a_stray_undo_of_a_switch_is_redone_whole(data_dir, repo, clock, settings):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=12)
    repo.commands.start(session.id, "97140")
    switched = repo.queries.segments_of(session.id)
    clock.advance(minutes=1)
    assert repo.commands.undo(session.id) == "stop 97110, start 97140"
    assert [s.code for s in repo.queries.running_segments()] == ["97110"]
    assert repo.commands.redo(session.id) == "stop 97110, start 97140"
    assert repo.queries.segments_of(session.id) == switched  # the same segments, same times
    undo, redo = [e for e in repo.queries.audit_of(session.id) if e.action is Action.UNDO]
    assert undo.undone and redo.reason == "redo: stop 97110, start 97140"
    assert not any(e.undone for e in repo.queries.audit_of(session.id)
                   if e.action in (Action.START, Action.STOP))
    with pytest.raises(InvalidChange, match="nothing to redo in this session"):
        repo.commands.redo(session.id)
    repo.close()
    with Repository.open(data_dir, clock, settings) as again:  # as a new process reads it
        assert again.queries.segments_of(session.id) == switched
        assert again.store.moved_aside == []
        rebuilt_equals_kept(again)


def test_undos_are_redone_last_first_and_undone_again(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=20)
    first = repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=20),
                                      clock.now - timedelta(minutes=10))
    repo.commands.edit_segment(session.id, first.id, note="gait belt")
    assert repo.commands.undo(session.id) == "edit 97110"
    assert repo.commands.undo(session.id) == "add 97110"
    assert repo.queries.segments_of(session.id) == []
    assert repo.commands.redo(session.id) == "add 97110"
    assert [s.note for s in repo.queries.segments_of(session.id)] == [""]
    assert repo.commands.redo(session.id) == "edit 97110"
    assert [s.note for s in repo.queries.segments_of(session.id)] == ["gait belt"]
    assert repo.commands.undo(session.id) == "edit 97110"  # undo after redo: fine
    assert repo.commands.redo(session.id) == "edit 97110"
    with pytest.raises(InvalidChange, match="nothing to redo"):
        repo.commands.redo(session.id)


def test_another_change_after_an_undo_clears_what_could_be_redone(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=5)
    repo.commands.undo(session.id)
    repo.commands.start(session.id, "97140")
    with pytest.raises(InvalidChange, match="nothing to redo in this session"):
        repo.commands.redo(session.id)
    repo.commands.undo(session.id)  # the new change can be undone and redone
    assert repo.commands.redo(session.id) == "start 97140"
    assert [s.code for s in repo.queries.segments_of(session.id)] == ["97140"]


def test_a_change_made_from_another_session_clears_it_too(repo, clock):
    first = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(first.id, "97110")
    clock.advance(minutes=5)
    repo.commands.start(first.id, "97140")
    repo.commands.undo(first.id)  # 97110 runs again
    other = repo.commands.create_session("CD34", "Medicare")
    repo.commands.start(other.id, "97530")  # stops 97110 in AB12: a change of AB12 too
    with pytest.raises(InvalidChange, match="nothing to redo"):
        repo.commands.redo(first.id)


def test_a_redo_that_would_overlap_time_recorded_since_writes_nothing(repo, clock):
    first = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(first.id, "97110")
    clock.advance(minutes=5)
    repo.commands.undo(first.id)  # the start taken back: the therapist moved on
    other = repo.commands.create_session("CD34", "Medicare")
    repo.commands.add_segment(other.id, "97530", clock.now - timedelta(minutes=4),
                              clock.now - timedelta(minutes=1))
    before = day_file(repo)
    with pytest.raises(OverlapError, match="97530"):
        repo.commands.redo(first.id)
    assert day_file(repo) == before
    assert repo.queries.segments_of(first.id) == []


def test_a_correction_and_a_group_start_are_redone_with_the_session(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.edit_session(session.id, payer="Commercial", reason="wrong card")
    repo.commands.undo(session.id)
    assert repo.queries.session(session.id).payer.name == "Medicare"
    assert repo.commands.redo(session.id) == "correction of the session"
    assert repo.queries.session(session.id).payer.name == "Commercial"
    repo.commands.start_group(["AB12", "CD34"])
    assert repo.commands.undo(session.id) == "start 97150, group size"
    assert repo.commands.redo(session.id) == "start 97150, group size"
    assert repo.queries.session(session.id).group_size == 2
    assert [s.code for s in repo.queries.running_segments()] == ["97150", "97150"]
    rebuilt_equals_kept(repo)


def test_an_undone_reopen_is_redone_and_nothing_else_on_a_closed_session(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=30)
    repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=30),
                              clock.now - timedelta(minutes=10))
    repo.commands.close_session(session.id)
    with pytest.raises(InvalidChange, match="nothing to redo"):
        repo.commands.redo(session.id)
    repo.commands.reopen_session(session.id, "forgot a code")
    repo.commands.undo(session.id)
    assert not repo.queries.session(session.id).is_open
    assert repo.commands.redo(session.id) == "reopen"
    assert repo.queries.session(session.id).is_open
    assert repo.queries.session(session.id).billing is None
    rebuilt_equals_kept(repo)


def test_nothing_to_redo_in_a_new_session_or_after_bringing_one_back(repo):
    session = repo.commands.create_session("AB12", "Medicare")
    with pytest.raises(InvalidChange, match="nothing to redo in this session"):
        repo.commands.redo(session.id)
    repo.commands.delete_session(session.id)
    repo.commands.restore_session(session.date_of_service, session.id)
    with pytest.raises(InvalidChange, match="nothing to redo"):
        repo.commands.redo(session.id)
