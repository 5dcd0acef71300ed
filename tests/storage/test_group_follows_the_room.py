"""The group follows the room (issue 17): a late patient joins the running group, one leaves
early, and the group's sessions close together; every refusal writes nothing, and what was
written is what a new process reads back."""

import errno
from datetime import timedelta

import pytest

from core.audit import Action
from core.models import Discipline
from core.session import MAX_GROUP
from storage.errors import InvalidChange
from storage.repository import Repository
from tests.helpers import rebuilt_equals_kept


def day_file(repo):
    """The bytes of today's day file (None: there is none)."""
    path = repo.store.day_path(repo.local(repo.clock()).date())
    return path.read_bytes() if path.exists() else None


def by_patient(repo):
    day = repo.local(repo.clock()).date()
    return {s.patient: s for s in repo.queries.sessions_on(day)}


def group_segments(repo, session_id):
    return [s for s in repo.queries.segments_of(session_id) if s.code == "97150"]


def test_a_late_patient_joins_and_the_group_size_follows_from_then_on(data_dir, repo, clock,
                                                                       settings):
    started = repo.commands.start_group(["AB12", "CD34"])
    began = started[0].start
    clock.advance(minutes=10)
    joined = repo.commands.join_group("EF56")
    assert (joined.code, joined.start, joined.end) == ("97150", clock.now, None)
    sessions = by_patient(repo)
    assert {p: s.group_size for p, s in sessions.items()} == {"AB12": 3, "CD34": 3, "EF56": 3}
    assert [m.patient for m, _ in repo.commands.group_members()] == ["AB12", "CD34", "EF56"]
    (grown,) = [e for e in repo.queries.audit_of(sessions["AB12"].id)
                if e.action is Action.EDIT and e.after == {"group_size": 3}]
    assert grown.before == {"group_size": 2} and grown.reason == "group of 3"
    clock.advance(minutes=30)
    repo.commands.stop_group()
    for patient, minutes in (("AB12", 40), ("CD34", 40), ("EF56", 30)):
        view = repo.queries.session_view(sessions[patient].id)
        assert view.billing.line("97150").units == 1
        assert (view.billing.total_treatment_minutes, view.billing.total_timed_minutes) == (
            minutes, 0)
    assert [s.start for s in group_segments(repo, sessions["AB12"].id)] == [began]
    rebuilt_equals_kept(repo)
    repo.close()
    with Repository.open(data_dir, clock, settings) as again:  # as a new process reads it
        assert {p: s.group_size for p, s in by_patient(again).items()} == {
            "AB12": 3, "CD34": 3, "EF56": 3}
        assert [s.start for s in group_segments(again, sessions["EF56"].id)] == [joined.start]
        assert again.store.moved_aside == []


def test_a_joining_patient_keeps_todays_session_or_gets_one_on_their_last_payer(repo, clock):
    earlier = repo.commands.create_session("OT77", "Commercial", Discipline.OT)
    repo.commands.close_session(earlier.id)
    clock.advance(days=1)
    here = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(here.id, "97110")
    clock.advance(minutes=15)
    repo.commands.stop(here.id)
    repo.commands.start_group(["CD34", "EF56"])
    assert repo.commands.join_group_newcomer("AB12") is None  # today's open session
    assert repo.commands.join_group_newcomer("OT77") is None  # their last payer
    assert repo.commands.join_group_newcomer("NEW1", "Medicaid") == "Medicaid"
    assert repo.commands.join_group_newcomer("NEW1") == repo.settings.payers[0].name
    repo.commands.join_group("AB12")
    repo.commands.join_group("OT77", new_payer="Medicaid")  # not new: the payer is not theirs
    repo.commands.join_group("NEW1", new_payer="Medicaid")
    sessions = by_patient(repo)
    assert sessions["AB12"].id == here.id  # one session: the one-on-one time and the group
    assert [s.code for s in repo.queries.segments_of(here.id)] == ["97110", "97150"]
    assert (sessions["OT77"].payer.name, sessions["OT77"].discipline) == (
        "Commercial", Discipline.OT)
    assert sessions["NEW1"].payer.name == "Medicaid"
    assert {s.group_size for s in sessions.values()} == {5}
    view = repo.queries.session_view(here.id)
    assert view.billing.units == {"97110": 1, "97150": 1}
    rebuilt_equals_kept(repo)


def test_a_join_is_refused_without_writing_anything(repo, clock):
    with pytest.raises(InvalidChange, match="no group is running"):
        repo.commands.join_group("AB12")
    assert day_file(repo) is None and repo.queries.open_sessions() == []
    busy = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(busy.id, "97110")  # one-on-one time of AB12 runs ...
    by_hand = [repo.commands.create_session(p, "Medicare") for p in ("CD34", "EF56")]
    for session in by_hand:  # ... and 97150 started by hand in two other sessions
        repo.commands.start(session.id, "97150")
    clock.advance(minutes=5)
    before, sessions = day_file(repo), repo.queries.open_sessions()
    for patient, payer, says in [
        ("AB12", None, "AB12 has 97110 running one-on-one: one pair of hands"),
        ("CD34", None, "CD34 is in the group already \\(since 10:00\\)"),
        (" EF56 ", None, "EF56 is in the group already"),
        ("GH\x1b78", None, "patient reference: .*control character"),
        ("", None, "patient reference"),
        ("GH78", "Nobody", "no payer profile"),
    ]:
        with pytest.raises(InvalidChange, match=says):
            repo.commands.join_group(patient, new_payer=payer)
        assert day_file(repo) == before  # nothing half-written, not even a new session
        assert repo.queries.open_sessions() == sessions


def test_a_group_of_the_maximum_takes_nobody_more(repo, clock):
    repo.commands.start_group([f"P{number:03d}" for number in range(MAX_GROUP)])
    before = day_file(repo)
    with pytest.raises(InvalidChange, match=f"at most {MAX_GROUP} patients: this one has "
                                            f"{MAX_GROUP}"):
        repo.commands.join_group("LATE1")
    assert day_file(repo) == before
    assert "LATE1" not in by_patient(repo)


def test_one_leaves_early_and_the_others_keep_running(data_dir, repo, clock, settings):
    repo.commands.start_group(["AB12", "CD34", "EF56"])
    clock.advance(minutes=20)
    sessions = by_patient(repo)
    (left,) = repo.commands.leave_group(sessions["CD34"].id)
    assert (left.code, left.end) == ("97150", clock.now)
    assert sorted(m.patient for m, _ in repo.commands.group_members()) == ["AB12", "EF56"]
    assert {s.group_size for s in by_patient(repo).values()} == {3}  # the most at once
    (stop,) = [e for e in repo.queries.audit_of(sessions["CD34"].id) if e.action is Action.STOP]
    assert stop.reason == "left the group"
    clock.advance(minutes=20)
    repo.commands.join_group("GH78")  # in again: three at once, never more
    assert {s.group_size for s in by_patient(repo).values()} == {3}
    repo.close()
    with Repository.open(data_dir, clock, settings) as again:
        running = sorted(again.queries.session(s.session_id).patient
                         for s in again.queries.running_segments())
        assert running == ["AB12", "EF56", "GH78"]
        assert again.queries.session_view(sessions["CD34"].id).billing \
            .total_treatment_minutes == 20


def test_a_leave_is_refused_without_writing_anything(repo, clock):
    alone = repo.commands.create_session("ZZ99", "Medicare")
    with pytest.raises(InvalidChange, match="no group is running"):
        repo.commands.leave_group(alone.id)
    repo.commands.start_group(["AB12", "CD34", "EF56"])
    clock.advance(minutes=5)
    sessions = by_patient(repo)
    before = day_file(repo)
    with pytest.raises(InvalidChange, match="ZZ99 is not in the running group"):
        repo.commands.leave_group(alone.id)
    assert day_file(repo) == before
    repo.commands.leave_group(sessions["AB12"].id)
    with pytest.raises(InvalidChange, match="AB12 is not in the running group"):
        repo.commands.leave_group(sessions["AB12"].id)  # left already
    before = day_file(repo)
    with pytest.raises(InvalidChange, match=r"CD34 is one of the last two: .* stop the group"):
        repo.commands.leave_group(sessions["CD34"].id)
    assert day_file(repo) == before
    assert len(repo.commands.group_members()) == 2


def test_undo_takes_a_leave_back(repo, clock):
    repo.commands.start_group(["AB12", "CD34", "EF56"])
    clock.advance(minutes=5)
    cd34 = by_patient(repo)["CD34"]
    repo.commands.leave_group(cd34.id)
    assert repo.commands.undo(cd34.id) == "stop 97150"
    assert len(repo.commands.group_members()) == 3


def test_the_groups_sessions_close_together_each_with_its_line(data_dir, repo, clock,
                                                               settings):
    morning = repo.commands.start_group(["OLD1", "OLD2"])  # an earlier group, closed
    clock.advance(minutes=30)
    repo.commands.stop_group()
    for segment in morning:
        repo.commands.close_session(segment.session_id)
    clock.advance(hours=1)
    one_on_one = repo.commands.create_session("AB12", "Medicare")  # then into the group
    repo.commands.add_segment(one_on_one.id, "97140", clock.now - timedelta(minutes=20),
                              clock.now - timedelta(minutes=11))
    other = repo.commands.create_session("SOLO", "Medicare")  # one-on-one, never in a group
    repo.commands.start(other.id, "97110")
    clock.advance(minutes=10)
    repo.commands.start_group(["AB12", "CD34", "EF56"])  # SOLO's 97110 stops there
    clock.advance(minutes=10)
    repo.commands.leave_group(by_patient(repo)["EF56"].id)
    clock.advance(minutes=5)
    repo.commands.join_group("GH78")
    clock.advance(minutes=25)
    sessions = repo.commands.group_sessions()
    assert [s.patient for s in sessions] == ["AB12", "CD34", "EF56", "GH78"]
    done = repo.commands.close_group([s.id for s in sessions])
    assert done.refused == [] and [s.patient for s in done.closed] == [
        "AB12", "CD34", "EF56", "GH78"]
    ends = {s.end for session in sessions for s in group_segments(repo, session.id)
            if session.patient != "EF56"}
    assert ends == {clock.now}  # the group stopped at one instant for all
    assert repo.commands.group_members() == [] and repo.commands.group_sessions() == []
    repo.close()
    with Repository.open(data_dir, clock, settings) as again:
        closed = {s.patient: s for s in again.queries.sessions_on(clock.now.date())}
        units = {p: s.billing.units for p, s in closed.items() if s.billing is not None}
        assert units == {"OLD1": {"97150": 1}, "OLD2": {"97150": 1}, "CD34": {"97150": 1},
                         "EF56": {"97150": 1}, "GH78": {"97150": 1},
                         "AB12": {"97140": 1, "97150": 1}}
        assert closed["SOLO"].is_open  # never in the group: left as it is
        rebuilt_equals_kept(again)


def test_the_last_group_with_an_open_session_is_the_one_closed(repo, clock):
    first = repo.commands.start_group(["AB12", "CD34"])
    clock.advance(minutes=30)
    repo.commands.stop_group()
    clock.advance(hours=2)
    second = repo.commands.start_group(["EF56", "GH78"])
    clock.advance(minutes=30)
    repo.commands.stop_group()
    assert {s.id for s in repo.commands.group_sessions()} == {s.session_id for s in second}
    repo.commands.close_group([s.session_id for s in second])
    assert {s.id for s in repo.commands.group_sessions()} == {s.session_id for s in first}


def test_closing_a_group_with_a_closed_session_writes_nothing(repo, clock):
    repo.commands.start_group(["AB12", "CD34", "EF56"])
    clock.advance(minutes=30)
    sessions = repo.commands.group_sessions()
    repo.commands.leave_group(sessions[2].id)
    repo.commands.close_session(sessions[2].id)
    before = day_file(repo)
    with pytest.raises(InvalidChange, match="the session of EF56 is closed"):
        repo.commands.close_group([s.id for s in sessions])
    assert day_file(repo) == before
    with pytest.raises(InvalidChange, match="no open session"):
        repo.commands.close_group([])
    assert [s.patient for s in repo.commands.group_sessions()] == ["AB12", "CD34"]


def test_one_session_that_cannot_be_closed_is_named_and_the_others_close(repo, clock,
                                                                          monkeypatch):
    repo.commands.start_group(["AB12", "CD34", "EF56"])
    clock.advance(minutes=30)
    sessions = repo.commands.group_sessions()
    group = repo.commands._group
    real = group._sessions.close

    def failing(session_id, **options):
        patient = repo.queries.session(session_id).patient
        if patient == "CD34":
            raise OSError(errno.ENOSPC, "No space left on device", "2026-03-02.json")
        if patient == "EF56":
            raise InvalidChange("EF56 refused")
        return real(session_id, **options)

    monkeypatch.setattr(group._sessions, "close", failing)
    done = repo.commands.close_group([s.id for s in sessions])
    assert [s.patient for s in done.closed] == ["AB12"]
    assert [(s.patient, why) for s, why in done.refused] == [
        ("CD34", "not saved: no space left on device: 2026-03-02.json"),
        ("EF56", "EF56 refused")]
    assert [s.patient for s in repo.queries.open_sessions()] == ["CD34", "EF56"]
