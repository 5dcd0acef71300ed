"""Issue 15 at the store: a note typed with a backdated start is kept, a group has a documented
maximum checked before any write, new group patients are listed first, a second session of a
patient's date and a session of another discipline are said at once, an assistant never
furnishes an evaluation, and imports refuse what cannot be true without echoing notes."""

import csv
import io
import json
from datetime import timedelta

import pytest

from core.formats.segments_csv import COLUMNS
from core.models import Discipline, FurnishedBy
from core.session import MAX_GROUP
from core.settings import Settings
from storage.errors import InvalidChange
from storage.imports import import_segments
from storage.repository import Repository
from tests.helpers import day_on_disk


def day_file(repo, day=None):
    """The day file as it is on disk (not the store's cache)."""
    day = day or repo.local(repo.clock()).date()
    return day_on_disk(repo.store.day_path(day))


# ---- a note given with a start ("forgot to switch") ---------------------------------------

def test_a_backdated_start_keeps_its_note(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=10)
    segment = repo.commands.start(session.id, "97110", at=clock.now - timedelta(minutes=6),
                                  note="gait belt, 150 ft x2")
    stored = [s for s in day_file(repo)["segments"].values() if s["id"] == str(segment.id)]
    assert stored[0]["note"] == "gait belt, 150 ft x2"


def test_a_note_for_the_code_already_running_goes_on_it_with_the_earlier_start(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    running = repo.commands.start(session.id, "97110")
    clock.advance(minutes=10)
    moved = repo.commands.start(session.id, "97110", at=running.start - timedelta(minutes=2),
                                note="late key")
    assert moved.id == running.id and moved.note == "late key"
    again = repo.commands.start(session.id, "97110", note="only the note")
    assert (again.start, again.note) == (moved.start, "only the note")
    repo.commands.undo(session.id)  # one undoable change each
    assert repo.queries.segments_of(session.id)[0].note == "late key"


def test_a_note_with_a_control_character_is_refused_by_name(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    with pytest.raises(InvalidChange, match="note: contains a control character"):
        repo.commands.start(session.id, "97110", note="a\x1b[2Jb")
    assert repo.queries.segments_of(session.id) == []


# ---- groups -------------------------------------------------------------------------------

def test_a_group_over_the_maximum_is_refused_before_anything_is_written(repo):
    before = repo.store.day_path(repo.local(repo.clock()).date()).exists()
    names = [f"P{number:03d}" for number in range(MAX_GROUP + 1)]
    with pytest.raises(InvalidChange, match=f"at most {MAX_GROUP} patients: {MAX_GROUP + 1}"):
        repo.commands.start_group(names)
    assert repo.store.day_path(repo.local(repo.clock()).date()).exists() == before
    assert repo.queries.open_sessions() == []


def test_a_group_of_the_maximum_is_written_and_read_back(repo, data_dir, clock, settings):
    started = repo.commands.start_group([f"P{number:03d}" for number in range(MAX_GROUP)])
    assert len(started) == MAX_GROUP
    repo.close()
    with Repository.open(data_dir, clock, settings) as again:
        sessions = again.queries.sessions_on(again.local(clock.now).date())
        assert {s.group_size for s in sessions} == {MAX_GROUP}
        assert again.store.moved_aside == []


def test_new_group_patients_are_listed_with_the_payer_they_will_get(repo, clock):
    known = repo.commands.create_session("CD34", "Commercial")
    repo.commands.close_session(known.id)
    clock.advance(days=1)
    repo.commands.create_session("AB12", "Medicare")
    assert repo.commands.group_newcomers(["AB12", "CD34", "XY99", "ZZ11"], "Medicaid") == {
        "XY99": "Medicaid", "ZZ11": "Medicaid"}
    assert repo.commands.group_newcomers(["AB12", "XY99"]) == {"XY99": "Medicare"}
    started = repo.commands.start_group(["AB12", "CD34", "XY99"], new_payer="Medicaid")
    payers = {repo.queries.session(s.session_id).patient:
              repo.queries.session(s.session_id).payer.name for s in started}
    assert payers == {"AB12": "Medicare", "CD34": "Commercial", "XY99": "Medicaid"}


def test_a_reference_holding_a_comma_stays_one_patient(repo):
    started = repo.commands.start_group(["DOE, J", "AB12"])
    assert sorted(repo.queries.session(s.session_id).patient for s in started) == [
        "AB12", "DOE, J"]


# ---- sessions said at once ----------------------------------------------------------------

def test_a_second_session_of_the_patients_date_and_discipline_is_said_at_once(repo, clock):
    repo.pop_notices()
    first = repo.commands.create_session("AB12", "Medicare")
    assert repo.pop_notices() == []
    clock.advance(hours=2)
    repo.commands.create_session("AB12", "Medicare")
    notices = repo.pop_notices()
    assert [n.severity for n in notices] == ["warning"]
    opened = repo.local(first.opened_at)
    assert notices[0].message == (f"AB12 already has a PT session today (opened "
                                  f"{opened:%H:%M}, open): the two are billed together on "
                                  "their pooled minutes")
    repo.commands.create_session("AB12", "Medicare", Discipline.OT)  # another discipline:
    assert not any("already has" in n.message for n in repo.pop_notices())  # not pooled


def test_a_session_of_another_discipline_than_the_therapists_is_said_at_once(repo):
    repo.pop_notices()
    repo.commands.create_session("AB12", "Medicare", Discipline.OT)
    assert [n.message for n in repo.pop_notices()] == [
        "AB12: an OT session, but the settings say you are a PT: the day summary flags it "
        "and the chart note is signed as PT"]


# ---- an assistant never furnishes an evaluation --------------------------------------------

@pytest.fixture
def assistant(data_dir, clock, settings):
    role = settings.model_copy(update={"role": FurnishedBy.ASSISTANT})
    with Repository.open(data_dir, clock, Settings.model_validate(role.model_dump())) as repo:
        yield repo


def test_an_assistant_cannot_start_or_add_an_evaluation(assistant, clock):
    session = assistant.commands.create_session("AB12", "Medicare")
    with pytest.raises(InvalidChange, match=r"97161 is an evaluation: .*§230\.1"):
        assistant.commands.start(session.id, "97161")
    with pytest.raises(InvalidChange, match="97162 is an evaluation"):
        assistant.commands.add_segment(session.id, "97162", clock.now - timedelta(minutes=30),
                                       clock.now)
    assert assistant.queries.segments_of(session.id) == []
    assistant.commands.start(session.id, "97110")  # treatment is the assistant's to furnish


def test_an_evaluation_cannot_be_made_an_assistants(repo, clock):
    session = repo.commands.create_session("AB12", "Medicare")
    evaluation = repo.commands.add_segment(session.id, "97161",
                                           clock.now - timedelta(minutes=30), clock.now)
    with pytest.raises(InvalidChange, match="97161 is an evaluation"):
        repo.commands.edit_segment(session.id, evaluation.id,
                                   furnished_by=FurnishedBy.ASSISTANT)
    exercise = repo.commands.add_segment(session.id, "97110",
                                         clock.now - timedelta(minutes=50),
                                         clock.now - timedelta(minutes=30),
                                         furnished_by=FurnishedBy.ASSISTANT)
    with pytest.raises(InvalidChange, match="97164 is an evaluation"):
        repo.commands.edit_segment(session.id, exercise.id, code="97164")
    kept = {s.code: s.furnished_by for s in repo.queries.segments_of(session.id)}
    assert kept == {"97161": FurnishedBy.THERAPIST, "97110": FurnishedBy.ASSISTANT}


# ---- imports --------------------------------------------------------------------------------

def rows_csv(*rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def row(session, code, start, end, by="therapist", note="", patient="AB12",
        day="2026-03-01"):
    seconds = ""
    return [session, day, patient, "Medicare", "cms", "PT", code, start, end, seconds, by,
            note]


S1 = "11111111-1111-4111-8111-111111111111"
S2 = "22222222-2222-4222-8222-222222222222"
S3 = "33333333-3333-4333-8333-333333333333"


def write(tmp_path, text):
    path = tmp_path / "in.csv"
    path.write_text(text)
    return path


def test_import_refuses_one_on_one_time_inside_the_group(repo, tmp_path):
    text = rows_csv(
        row(S1, "97150", "2026-03-01T09:00:00-05:00", "2026-03-01T09:45:00-05:00"),
        row(S2, "97150", "2026-03-01T09:00:00-05:00", "2026-03-01T09:45:00-05:00",
            patient="CD34"),
        row(S3, "97110", "2026-03-01T09:30:00-05:00", "2026-03-01T09:50:00-05:00",
            patient="EF56"))
    report = import_segments(repo, write(tmp_path, text))
    assert [(e.line, e.column) for e in report.errors] == [(4, "start")]
    assert "overlaps the group 97150 of line 2" in report.errors[0].message
    assert repo.queries.days() == []


def test_import_refuses_time_inside_a_stored_group(repo, clock, tmp_path):
    repo.commands.start_group(["AB12", "CD34"])
    clock.advance(minutes=30)
    repo.commands.stop_group()
    start = (clock.now - timedelta(minutes=20)).isoformat()
    end = (clock.now - timedelta(minutes=10)).isoformat()
    report = import_segments(repo, write(tmp_path, rows_csv(
        row(S3, "97110", start, end, patient="EF56", day="2026-03-02"))))
    assert "overlaps the group 97150 of a stored session" in report.errors[0].message


def test_import_refuses_a_patients_date_over_a_day_of_minutes(repo, tmp_path):
    rows = [row(S1, "97010", f"2026-03-01T{hour:02d}:00:00-05:00",
                f"2026-03-01T{hour + 11:02d}:00:00-05:00") for hour in (0, 1, 2)]
    report = import_segments(repo, write(tmp_path, rows_csv(*rows)))
    assert [e.line for e in report.errors] == [4]
    assert "add up to 1,980 minutes with this one, more than the 1,440 of a day" in \
        report.errors[0].message


def test_an_imported_assistant_evaluation_is_imported_and_flagged(repo, tmp_path):
    report = import_segments(repo, write(tmp_path, rows_csv(
        row(S1, "97162", "2026-03-01T09:00:00-05:00", "2026-03-01T09:40:00-05:00",
            by="assistant"))))
    assert report.errors == () and report.sessions == 1
    assert [(w.line, w.column) for w in report.warnings] == [(2, "furnished_by")]
    assert "97162 is an evaluation furnished by an assistant" in report.warnings[0].message


def test_import_errors_never_repeat_a_note(repo, tmp_path):
    secret = "pt reports fall at home, daughter " + "x" * 500
    report = import_segments(repo, write(tmp_path, rows_csv(
        row(S1, "97110", "2026-03-01T09:00:00-05:00", "2026-03-01T09:20:00-05:00",
            note=secret))))
    assert [(e.column) for e in report.errors] == ["note"]
    assert "fall" not in str(report.errors[0]) and "500" in str(report.errors[0])


# ---- an evaluation is one-on-one time too ---------------------------------------------------

def test_an_evaluation_inside_the_therapists_group_is_refused_live(repo, clock):
    repo.commands.start_group(["AB12", "CD34"])
    clock.advance(minutes=10)
    other = repo.commands.create_session("EF56", "Medicare")
    with pytest.raises(InvalidChange, match="one-on-one time cannot overlap it"):
        repo.commands.start(other.id, "97161")
    with pytest.raises(InvalidChange, match="one-on-one time cannot overlap the therapist's "
                                            "own group"):
        repo.commands.add_segment(other.id, "97162", clock.now - timedelta(minutes=8),
                                  clock.now - timedelta(minutes=2))
    assert repo.queries.segments_of(other.id) == []


def test_an_imported_evaluation_inside_a_group_is_refused(repo, tmp_path):
    text = rows_csv(
        row(S1, "97150", "2026-03-01T09:00:00-05:00", "2026-03-01T09:45:00-05:00"),
        row(S2, "97150", "2026-03-01T09:00:00-05:00", "2026-03-01T09:45:00-05:00",
            patient="CD34"),
        row(S3, "97161", "2026-03-01T09:10:00-05:00", "2026-03-01T09:40:00-05:00",
            patient="EF56"))
    report = import_segments(repo, write(tmp_path, text))
    assert [(e.line, e.column) for e in report.errors] == [(4, "start")]
    assert "one-on-one time cannot overlap the therapist's own group" in report.errors[0].message


def test_check_finds_one_on_one_time_a_hand_edit_put_inside_a_group(repo, clock, data_dir,
                                                                  settings):
    from storage.check import check_folder

    repo.commands.start_group(["AB12", "CD34"])
    clock.advance(minutes=40)
    repo.commands.stop_group()
    other = repo.commands.create_session("EF56", "Medicare")
    evaluation = repo.commands.add_segment(other.id, "97161", clock.now, clock.now)
    repo.close()
    path = repo.store.day_path(repo.local(clock.now).date())
    raw = json.loads(path.read_bytes())
    for record in raw["segments"].values():
        if record["id"] == str(evaluation.id):  # moved back by hand into the group's time
            record["start"] = (clock.now - timedelta(minutes=30)).isoformat()
    path.write_text(json.dumps(raw))
    report = check_folder(data_dir, clock)
    assert [f.kind for f in report.findings if not f.fixed] == ["group-overlap"]


def test_a_known_patient_whose_payer_is_gone_is_listed_for_the_group(data_dir, clock,
                                                                     settings):
    with Repository.open(data_dir, clock, settings) as repo:
        session = repo.commands.create_session("CD34", "Commercial")
        repo.commands.close_session(session.id)
    fewer = settings.model_copy(update={"payers": tuple(
        p for p in settings.payers if p.name != "Commercial")})
    clock.advance(days=1)
    with Repository.open(data_dir, clock, fewer) as repo:
        assert repo.commands.group_newcomers(["CD34", "AB12"], "Medicaid") == {
            "CD34": "Medicaid", "AB12": "Medicaid"}
