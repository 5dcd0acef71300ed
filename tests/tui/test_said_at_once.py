"""What a new session or a change means for billing is said on the screen at once: a second
session of the patient's date (pooled), a session of another discipline than the therapist's,
an evaluation made an assistant's (refused)."""

from datetime import timedelta

from core.models import Discipline
from tui.screens.session import SessionScreen

from .conftest import SIZE
from .test_app import fill


async def test_a_second_session_for_the_patient_today_is_said_when_it_opens(open_app, clock,
                                                                            told):
    app = open_app()
    first = app.repo.commands.create_session("AB12", "Medicare")
    app.repo.commands.close_session(first.id)
    clock.advance(hours=3)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, patient="AB12", payer="Medicare")
        assert isinstance(app.screen, SessionScreen)
    said = [m for m, severity in told if severity == "warning"]
    assert any(m.startswith("AB12 already has a PT session today") and "closed" in m and
               "pooled minutes" in m for m in said)


async def test_an_ot_session_opened_by_a_pt_is_said_and_signed_so(open_app, told):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, patient="AB12", payer="Medicare", discipline="OT")
        assert isinstance(app.screen, SessionScreen)
    assert ("AB12: an OT session, but the settings say you are a PT: the day summary flags "
            "it and the chart note is signed as PT", "warning") in told


async def test_t_on_an_evaluation_is_refused_with_the_rule(open_app, clock, told):
    app = open_app()
    session = app.repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=45)
    app.repo.commands.add_segment(session.id, "97161", clock.now - timedelta(minutes=40),
                                  clock.now)
    async with app.run_test(size=SIZE) as pilot:
        app.open_session(session.id)
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
    assert any(m.startswith("97161 is an evaluation: an assistant may not furnish") and
               severity == "error" for m, severity in told)
    (segment,) = app.repo.queries.segments_of(session.id)
    assert segment.furnished_by.value == "therapist"


async def test_the_review_says_what_only_the_day_knows(open_app, clock, told):
    """A second session is billed with the first: its review and its close notice say how;
    an OT session of a PT says so at the review too."""
    from tui.screens.review import ReviewScreen

    app = open_app()
    repo = app.repo
    first = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=15)
    repo.commands.add_segment(first.id, "97110", clock.now - timedelta(minutes=12), clock.now)
    repo.commands.close_session(first.id)
    clock.advance(hours=2)
    second = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=12)
    repo.commands.add_segment(second.id, "97110", clock.now - timedelta(minutes=10), clock.now)
    other = repo.commands.create_session("EF56", "Medicare", Discipline.OT)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ReviewScreen(second.id))
        await pilot.pause()
        warnings = str(app.screen.query_one("#review-warnings").render())
        assert ("billed with the patient's other PT session of the day on the pooled minutes: "
                "97110-GP x1 for both") in warnings
        await pilot.press("enter")
        await pilot.pause()
        app.push_screen(ReviewScreen(other.id))
        await pilot.pause()
        assert "an OT session recorded by a PT" in str(
            app.screen.query_one("#review-warnings").render())
    assert ("Closed AB12: 97110-GP x1; billed with the patient's other PT session of the day "
            "on the pooled minutes: 97110-GP x1 for both. y: its chart note", "information") in told


async def test_many_new_group_patients_are_counted_so_the_question_fits(open_app):
    from tui.dialogs.confirm import ConfirmDialog

    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await fill(pilot, patients=", ".join(f"P{n:02d}" for n in range(30)))
        assert isinstance(app.screen, ConfirmDialog)
        assert "P07 (Medicare) and 22 more" in app.screen.question
        assert "P08" not in app.screen.question
