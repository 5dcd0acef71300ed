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


def treated_visits(repo, clock, patient, count, discipline=Discipline.PT, report_on=()):
    """`count` closed sessions on separate dates, 20 minutes of 97110 each."""
    ids = []
    for number in range(1, count + 1):
        session = repo.commands.create_session(patient, "Medicare", discipline)
        repo.commands.start(session.id, "97110")
        clock.advance(minutes=20)
        if number in report_on:
            repo.commands.mark_progress_report(session.id)
        repo.commands.close_session(session.id, stop_running=True)
        ids.append(session.id)
        clock.advance(days=1)
    return ids


def test_the_progress_report_clock_runs_from_the_stored_visits(repo, clock):
    from storage.views import day_view

    treated_visits(repo, clock, "AB12", 8)
    today = repo.commands.create_session("AB12", "Medicare")
    day = today.date_of_service
    clocks = repo.queries.report_deadlines(day, repo.queries.day_sessions(day))
    assert clocks[("AB12", Discipline.PT)].treatment_days == 8  # no segment today yet
    repo.commands.start(today.id, "97110")
    def reports():
        return [c for c in day_view(repo, day, clock.now).checks if "progress" in c.kind]

    (check,) = reports()
    assert check.kind == "progress-report-due" and "due next visit" in check.message
    assert check.session_ids == (today.id,)
    repo.commands.mark_progress_report(today.id)
    assert reports() == []
    repo.commands.undo(today.id)
    assert not repo.queries.session(today.id).progress_report
    assert [c.kind for c in reports()] == ["progress-report-due"]
    rebuilt_equals_kept(repo)


def test_a_report_resets_the_count_and_disciplines_are_apart(repo, clock):
    treated_visits(repo, clock, "AB12", 12, report_on={10})
    treated_visits(repo, clock, "AB12", 3, discipline=Discipline.OT)
    day = repo.local(clock.now).date()
    visits = repo.queries.visits("AB12")
    assert [v.progress_report for _, v in visits].count(True) == 1
    from core.care.deadlines import report_deadline

    pt, ot = (report_deadline(visits, d, day) for d in (Discipline.PT, Discipline.OT))
    assert pt is not None and ot is not None and (pt.treatment_days, ot.treatment_days) == (2, 3)


def test_only_a_therapist_marks_an_open_session_once(repo, clock, settings, data_dir):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.mark_progress_report(session.id)
    with pytest.raises(InvalidChange, match="already marked"):
        repo.commands.mark_progress_report(session.id)
    assert not repo.commands.mark_progress_report(session.id, written=False).progress_report
    repo.commands.close_session(session.id)
    with pytest.raises(InvalidChange, match="closed"):
        repo.commands.mark_progress_report(session.id)
    repo.close()
    assistant = settings.model_copy(update={"role": "assistant"})
    with Repository.open(data_dir, clock, assistant) as as_assistant:
        other = as_assistant.commands.create_session("CD34", "Medicare")
        with pytest.raises(InvalidChange, match="only a therapist writes a progress report"):
            as_assistant.commands.mark_progress_report(other.id)
        assert not as_assistant.queries.session(other.id).progress_report


def test_an_end_moved_before_the_start_is_said_in_the_clinics_time(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    segment = repo.commands.start(session.id, "97110")
    clock.advance(minutes=10)
    repo.commands.stop(session.id)
    with pytest.raises(InvalidChange, match=r"97110 would end at 09:59:00, before it starts at "
                                            r"10:00:00"):
        repo.commands.edit_segment(session.id, segment.id,
                                   end=segment.start - timedelta(minutes=1))
