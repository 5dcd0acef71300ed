"""Group therapy (billing-spec section 11): 97150 (92508 for speech) for two or more patients
at once, one unit each a date whatever the minutes, treatment minutes never timed minutes, and
no one-on-one timed time beside it."""

from datetime import timedelta

import pytest

from core.models import Discipline
from storage.errors import InvalidChange, OverlapError
from storage.views import day_view
from tests.helpers import rebuilt_equals_kept


def test_three_patients_forty_minutes_bill_97150_once_each(repo, clock):
    known = repo.commands.create_session("CD34", "Commercial", Discipline.OT)
    repo.commands.close_session(known.id)
    clock.advance(days=1)
    repo.commands.create_session("AB12", "Medicare")  # AB12 keeps today's open session
    started = repo.commands.start_group(["AB12", "CD34", " EF56 ", "AB12"])
    assert len(started) == 3 and len({s.start for s in started}) == 1
    clock.advance(minutes=40)
    repo.commands.stop_group()
    day = repo.local(clock.now).date()
    summary = day_view(repo, day, clock.now)
    assert len(summary.sessions) == 3
    for session_day in summary.sessions:
        billing = session_day.billing
        assert billing.line("97150").units == 1
        assert (billing.total_treatment_minutes, billing.total_timed_minutes) == (40, 0)
        assert session_day.session.group_size == 3
    by_patient = {d.session.patient: d.session for d in summary.sessions}
    assert (by_patient["CD34"].payer.name, by_patient["CD34"].discipline) == (
        "Commercial", Discipline.OT)  # a new session takes the patient's last payer
    assert by_patient["EF56"].payer.name == repo.settings.payers[0].name
    rebuilt_equals_kept(repo)


def test_no_one_on_one_timed_time_beside_a_group(repo, clock):
    one = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(one.id, "97110")
    clock.advance(minutes=10)
    repo.commands.start_group(["AB12", "CD34"])
    (ex,) = [s for s in repo.queries.segments_of(one.id) if s.code == "97110"]
    assert ex.end == clock.now  # the one-on-one code stopped where the group began
    assert any("group therapy started" in n.message for n in repo.pop_notices())
    clock.advance(minutes=5)
    with pytest.raises(InvalidChange, match="a group \\(97150\\) runs since 10:10: one-on-one"):
        repo.commands.start(one.id, "97140")
    repo.commands.start(one.id, "97010")  # an untimed code may run alongside
    with pytest.raises(OverlapError, match="97150"):
        repo.commands.add_segment(one.id, "97140", clock.now - timedelta(minutes=3),
                                  clock.now - timedelta(minutes=1))
    repo.commands.stop_group()
    clock.advance(minutes=1)
    repo.commands.start(one.id, "97140")  # after the group: fine
    with pytest.raises(InvalidChange, match="no group is running"):
        repo.commands.stop_group()


def test_a_group_needs_two_valid_patients_and_a_group_code(repo, clock):
    for patients, code, says in [
        (["AB12"], "97150", "two or more patients"),
        (["AB12", " ", "AB12"], "97150", "two or more patients"),
        (["AB12", "CD\x1b34"], "97150", "control character"),
        (["AB12", "CD34"], "97110", "97110 is not a group code"),
    ]:
        with pytest.raises(InvalidChange, match=says):
            repo.commands.start_group(patients, code)
    assert repo.queries.open_sessions() == []  # nothing half-done
    repo.commands.start_group(["AB12", "CD34"], "92508")
    with pytest.raises(InvalidChange, match="running already"):
        repo.commands.start_group(["EF56", "GH78"])


def test_undo_takes_a_group_start_back_in_that_session(repo, clock):
    started = repo.commands.start_group(["AB12", "CD34"])
    session_id = started[0].session_id
    assert repo.commands.undo(session_id) == "start 97150, group size"
    assert repo.queries.segments_of(session_id) == []
    assert repo.queries.session(session_id).group_size is None
