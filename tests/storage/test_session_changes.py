"""Correcting a session's patient, payer or discipline, and deleting a mistaken session:
audited, undoable, refused on a closed session, the index kept true."""

from datetime import timedelta

import pytest

from core.audit import Action
from core.models import Discipline, Method
from storage.errors import InvalidChange, NotFound, OverlapError
from storage.repository import Repository
from tests.helpers import rebuilt_equals_kept


def test_a_wrong_payer_and_patient_are_corrected_and_undone(repo, clock):
    session = repo.commands.create_session("MRN-2", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=10)
    changed = repo.commands.edit_session(session.id, patient="MRN-2002", payer="Commercial",
                                         discipline=Discipline.OT, reason="wrong patient")
    assert (changed.patient, changed.payer.name, changed.discipline) == (
        "MRN-2002", "Commercial", Discipline.OT)
    view = repo.queries.session_view(session.id)
    assert view.billing.method is Method.PER_CODE  # billing follows the new payer
    assert [d for d, _ in repo.queries.visits("MRN-2002")] and not repo.queries.visits("MRN-2")
    (entry,) = [e for e in repo.queries.audit_of(session.id) if e.action is Action.EDIT]
    assert entry.before == {"patient": "MRN-2", "payer": entry.before["payer"],
                            "discipline": "PT"} and entry.reason == "wrong patient"
    assert repo.commands.undo(session.id) == "correction of the session"
    back = repo.queries.session(session.id)
    assert (back.patient, back.payer.name, back.discipline) == ("MRN-2", "Medicare",
                                                                Discipline.PT)
    assert [s.code for s in repo.queries.running_segments()] == ["97110"]
    rebuilt_equals_kept(repo)


def test_corrections_are_refused_with_a_reason(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    with pytest.raises(InvalidChange, match="nothing to change"):
        repo.commands.edit_session(session.id, patient=" AB12 ", payer="Medicare")
    with pytest.raises(InvalidChange, match="patient reference: give a patient reference"):
        repo.commands.edit_session(session.id, patient="  ")
    with pytest.raises(InvalidChange, match="no payer profile"):
        repo.commands.edit_session(session.id, payer="Nobody")
    repo.commands.close_session(session.id)
    with pytest.raises(InvalidChange, match="closed: reopen it"):
        repo.commands.edit_session(session.id, payer="Commercial")


def test_a_mistaken_session_is_deleted_and_brought_back(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        keep = repo.commands.create_session("AB12", "Medicare")
        wrong = repo.commands.create_session("John Smit", "Medicare")
        repo.commands.start(wrong.id, "97140")
        clock.advance(minutes=5)
        day = wrong.date_of_service
        repo.commands.delete_session(wrong.id, "opened by mistake")
        with pytest.raises(NotFound):
            repo.queries.session(wrong.id)
        assert [s.id for s in repo.queries.sessions_on(day)] == [keep.id]
        assert repo.queries.running_segments() == []
        rebuilt_equals_kept(repo)
    with Repository.open(data_dir, clock, settings) as repo:  # from disk
        assert [s.id for s in repo.queries.open_sessions()] == [keep.id]
        back = repo.commands.restore_session(day, wrong.id)
        assert back == wrong
        assert [s.code for s in repo.queries.running_segments()] == ["97140"]
        actions = [e.action for e in repo.queries.audit_of(wrong.id)]
        assert actions == [Action.OPEN, Action.START, Action.DELETE, Action.UNDO]
        with pytest.raises(InvalidChange, match="no deleted session"):
            repo.commands.restore_session(day, wrong.id)
        rebuilt_equals_kept(repo)


def test_a_closed_session_is_not_deleted_and_a_restore_never_overlaps(repo, clock):
    closed = repo.commands.create_session("AB12", "Medicare")
    repo.commands.close_session(closed.id)
    with pytest.raises(InvalidChange, match="closed: reopen it"):
        repo.commands.delete_session(closed.id)
    wrong = repo.commands.create_session("CD34", "Medicare")
    start = clock.now
    repo.commands.add_segment(wrong.id, "97110", start - timedelta(minutes=20),
                              start - timedelta(minutes=10))
    repo.commands.delete_session(wrong.id)
    other = repo.commands.create_session("EF56", "Medicare")
    repo.commands.add_segment(other.id, "97530", start - timedelta(minutes=15), start)
    with pytest.raises(OverlapError):
        repo.commands.restore_session(wrong.date_of_service, wrong.id)
