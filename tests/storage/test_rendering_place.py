"""Who renders a session and where (issue 19): a session is stamped when it opens with the
settings' therapist, NPI, provider code and place of service, and keeps them when the
settings change; a place corrected is audited, undone and redone; a group puts every member
at its place."""

import re

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.audit import Action
from core.place import Place, Telehealth, places
from core.settings import Settings
from storage.commands.sessions import checked_place, default_place
from storage.errors import InvalidChange
from tests.helpers import rebuilt_equals_kept

VIDEO_AT_HOME = Place("10", Telehealth.VIDEO)


def with_identity(repo, **changes):
    repo.change_settings(repo.settings.model_copy(update=changes))


def test_a_session_is_stamped_with_who_renders_it_and_keeps_it(repo):
    with_identity(repo, npi="1234567893", provider_code="DR01", place_of_service="12")
    session = repo.commands.create_session("AB12", "Medicare")
    assert (session.therapist, session.npi, session.provider_code) == (
        "Dana Reyes", "1234567893", "DR01")
    assert session.place == Place("12")  # the settings' place, in person
    with_identity(repo, therapist="Sam Lee", npi="", provider_code="SL9", place_of_service="22")
    kept = repo.queries.session(session.id)
    assert (kept.therapist, kept.npi, kept.provider_code, kept.place) == (
        "Dana Reyes", "1234567893", "DR01", Place("12"))
    assert repo.commands.create_session("CD34", "Medicare").place == Place("22")


def test_old_settings_open_sessions_in_the_office_in_person_without_an_npi(repo):
    session = repo.commands.create_session("AB12", "Medicare")
    assert (session.npi, session.provider_code, session.place) == ("", "", Place("11"))


def test_a_session_opens_where_it_is_told(repo):
    session = repo.commands.create_session("AB12", "Medicare", place=VIDEO_AT_HOME)
    assert repo.queries.session(session.id).place == VIDEO_AT_HOME


def test_a_telehealth_only_default_place_opens_by_video():
    assert default_place(Settings(place_of_service="02")) == Place("02", Telehealth.VIDEO)
    assert default_place(Settings()) == Place("11")


@pytest.mark.parametrize("pos", ["02", "10"])
def test_telehealth_places_are_never_in_person(repo, pos):
    with pytest.raises(InvalidChange, match=f"POS {pos} .* telehealth only"):
        repo.commands.create_session("AB12", "Medicare", place=Place(pos))
    assert repo.queries.open_sessions() == []


@given(st.sampled_from(sorted(places().names)), st.sampled_from([None, *Telehealth]))
@hypothesis_settings(max_examples=60)
def test_every_place_is_accepted_but_telehealth_places_in_person(pos, mode):
    place = Place(pos, mode)
    if mode is None and pos in {"02", "10"}:
        with pytest.raises(InvalidChange):
            checked_place(place)
    else:
        assert checked_place(place) is place


def test_a_place_corrected_is_audited_undone_and_redone(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    clock.advance(minutes=10)
    changed = repo.commands.edit_session(session.id, place=VIDEO_AT_HOME,
                                         reason="seen at home by video")
    assert changed.place == VIDEO_AT_HOME == repo.queries.session(session.id).place
    (entry,) = [e for e in repo.queries.audit_of(session.id) if e.action is Action.EDIT]
    assert entry.before == {"place_of_service": "11", "telehealth": None}
    assert entry.after == {"place_of_service": "10", "telehealth": "video"}
    assert entry.reason == "seen at home by video"
    repo.commands.undo(session.id)
    assert repo.queries.session(session.id).place == Place("11")
    repo.commands.redo(session.id)
    assert repo.queries.session(session.id).place == VIDEO_AT_HOME
    rebuilt_equals_kept(repo)


def test_only_the_mode_changes(repo):
    session = repo.commands.create_session("AB12", "Medicare", place=VIDEO_AT_HOME)
    repo.commands.edit_session(session.id, place=Place("10", Telehealth.AUDIO))
    (entry,) = [e for e in repo.queries.audit_of(session.id) if e.action is Action.EDIT]
    assert (entry.before, entry.after) == ({"telehealth": "video"}, {"telehealth": "audio"})


def test_a_place_correction_is_refused_with_its_reason(repo):
    session = repo.commands.create_session("AB12", "Medicare")
    with pytest.raises(InvalidChange, match="nothing to change"):
        repo.commands.edit_session(session.id, place=Place("11"))
    with pytest.raises(InvalidChange, match="telehealth only"):
        repo.commands.edit_session(session.id, place=Place("10"))
    repo.commands.close_session(session.id)
    with pytest.raises(InvalidChange, match="closed: reopen it"):
        repo.commands.edit_session(session.id, place=VIDEO_AT_HOME)
    assert repo.queries.session(session.id).place == Place("11")


def test_a_group_puts_every_member_at_its_place(repo, clock):
    repo.commands.start_group(["AB12", "CD34"], place=VIDEO_AT_HOME)
    clock.advance(minutes=5)
    repo.commands.join_group("EF56")
    assert {s.patient: s.place for s in repo.queries.open_sessions()} == {
        "AB12": VIDEO_AT_HOME, "CD34": VIDEO_AT_HOME, "EF56": VIDEO_AT_HOME}


def test_a_running_group_members_place_is_the_groups_until_the_group_stops(repo, clock):
    repo.commands.start_group(["AB12", "CD34"], place=VIDEO_AT_HOME)
    clock.advance(minutes=5)
    member = next(s for s in repo.queries.open_sessions() if s.patient == "CD34")
    with pytest.raises(InvalidChange, match="CD34 is in the running group, which is telehealth "
                       r"by video \(patient at home, POS 10\) for everyone in it"):
        repo.commands.edit_session(member.id, place=Place("11"))
    repo.commands.join_group("EF56")
    assert {s.place for s in repo.queries.open_sessions()} == {VIDEO_AT_HOME}
    repo.commands.edit_session(member.id, patient="CD35")  # other corrections still go
    repo.commands.stop_group()
    repo.commands.edit_session(member.id, place=Place("11"))
    assert repo.queries.session(member.id).place == Place("11")


def test_a_group_defaults_to_the_settings_place(repo):
    with_identity(repo, place_of_service="22")
    repo.commands.start_group(["AB12", "CD34"])
    assert {s.place for s in repo.queries.open_sessions()} == {Place("22")}


def test_a_member_elsewhere_is_refused_before_any_write(repo, clock):
    office = repo.commands.create_session("CD34", "Medicare")
    repo.commands.start(office.id, "97110")
    clock.advance(minutes=5)
    with pytest.raises(InvalidChange, match=re.escape(
            "CD34's session today is office (POS 11), the group's telehealth by video "
            "(patient at home, POS 10)")):
        repo.commands.start_group(["AB12", "CD34"], place=VIDEO_AT_HOME)
    assert [s.patient for s in repo.queries.open_sessions()] == ["CD34"]
    assert [s.code for s in repo.queries.running_segments()] == ["97110"]  # not stopped


def test_a_late_patient_elsewhere_is_refused(repo, clock):
    repo.commands.create_session("EF56", "Medicare")
    repo.commands.start_group(["AB12", "CD34"], place=VIDEO_AT_HOME)
    clock.advance(minutes=5)
    with pytest.raises(InvalidChange, match="EF56's session today is office"):
        repo.commands.join_group("EF56")
    assert len(repo.commands.group_members()) == 2
