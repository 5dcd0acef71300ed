"""The progress-report clock where a therapist sees it (issue 12): Today's column and line,
the session header and its notice, m in the session and at the review."""

from datetime import timedelta

from core.models import Discipline
from tui.screens.review import ReviewScreen
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen
from tui.widgets.session_header import SessionHeader

NARROW = (80, 24)


def earlier_visits(app, clock, patient, count):
    """`count` closed 20-minute visits, one a day, up to yesterday."""
    for _ in range(count):
        session = app.repo.commands.create_session(patient, "Medicare")
        clock.advance(minutes=20)
        app.repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=20),
                                      clock.now)
        app.repo.commands.close_session(session.id)
        clock.advance(days=1, minutes=-20)


async def test_the_9th_visit_says_due_next_visit_and_m_at_the_10th_clears_it(open_app, clock,
                                                                             told):
    app = open_app()
    earlier_visits(app, clock, "AB12", 8)
    ninth = app.repo.commands.create_session("AB12", "Medicare")
    app.repo.commands.start(ninth.id, "97110")
    clock.advance(minutes=20)
    async with app.run_test(size=NARROW) as pilot:
        today = app.screen
        assert isinstance(today, TodayScreen)
        assert "due next" in str(today.table.get_cell(str(ninth.id), "report"))
        assert str(today.query_one("#today-clocks").render()).startswith(
            "AB12: progress report due next visit (PT treatment day 9")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert "report due next visit" in str(app.screen.query_one(SessionHeader).render())
        assert any(m.startswith("AB12: progress report due next visit") for m, _ in told)
        await pilot.press("c", "enter", "enter")  # review, close, stop and close
        await pilot.pause()
    app.repo.close()
    clock.advance(days=1)
    app = open_app()
    tenth = app.repo.commands.create_session("AB12", "Medicare")
    app.repo.commands.start(tenth.id, "97110")
    async with app.run_test(size=NARROW) as pilot:
        today = app.screen
        assert "due today" in str(today.table.get_cell(str(tenth.id), "report"))
        await pilot.press("enter", "m")
        await pilot.pause()
        assert app.repo.queries.session(tenth.id).progress_report
        assert "report written" in str(app.screen.query_one(SessionHeader).render())
        await pilot.press("escape")
        await pilot.pause()
        assert str(today.table.get_cell(str(tenth.id), "report")) == "written"
        assert not today.query_one("#today-clocks").display
        await pilot.press("enter", "u")  # undone: due again
        await pilot.pause()
        assert not app.repo.queries.session(tenth.id).progress_report
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert "progress report due today" in str(app.screen.query_one("#review-warnings")
                                                   .render())
        await pilot.press("m")
        await pilot.pause()
        assert app.repo.queries.session(tenth.id).progress_report
        assert "marked written" in str(app.screen.query_one("#review-warnings").render())


def test_the_demo_has_a_patient_on_the_9th_treatment_day(tmp_path, clock):
    from core.models import Discipline
    from storage.repository import Repository
    from tui.demo import seed_demo

    seed_demo(tmp_path / "demo", clock.now)
    with Repository.open(tmp_path / "demo", clock, read_only=True) as repo:
        day = repo.local(clock.now).date()
        visits = repo.queries.visits("JS5520")
        assert len({d for d, _ in visits}) == 9 and max(d for d, _ in visits) == day
        clocks = repo.queries.report_deadlines(day, repo.queries.day_sessions(day))
        assert clocks[("JS5520", Discipline.PT)].short == "due next"
        balances = repo.queries.authorization_balances(day, repo.queries.day_sessions(day))
        assert balances[("AL0093", "Commercial")].visits_left == 2


async def test_two_authorized_visits_left_are_flagged_on_today_and_in_the_session(
        open_app, clock, told):
    app = open_app()
    app.repo.patients.set_authorization("KT2231", "Commercial", visits=5, units=None,
                                        start=clock.now.date(), until=clock.now.date()
                                        + timedelta(days=60), now=clock.now)
    for _ in range(2):
        session = app.repo.commands.create_session("KT2231", "Commercial")
        clock.advance(minutes=20)
        app.repo.commands.add_segment(session.id, "97530", clock.now - timedelta(minutes=20),
                                      clock.now)
        app.repo.commands.close_session(session.id)
        clock.advance(days=1, minutes=-20)
    today = app.repo.commands.create_session("KT2231", "Commercial")
    app.repo.commands.start(today.id, "97530")
    async with app.run_test(size=NARROW) as pilot:
        line = str(app.screen.query_one("#today-clocks").render())
        assert "KT2231: Commercial authorization: 2 authorized visits left" in line
        await pilot.press("enter")
        await pilot.pause()
        assert any(m.startswith("KT2231: Commercial authorization: 2 authorized visits left")
                   for m, severity in told if severity == "warning")


async def test_g_times_a_group_of_three_with_one_key_and_stops_it_for_all(open_app, clock,
                                                                         told):
    from tests.tui.test_app import fill

    app = open_app()
    async with app.run_test(size=NARROW) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await fill(pilot, patients="AB12")  # one patient is no group: the dialog stays
        assert "two or more patients" in str(app.screen.query_one("#error").render())
        await fill(pilot, patients="AB12, CD34, EF56")
        await pilot.press("y")  # three new patients: listed with their payer, confirmed
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        running = app.repo.queries.running_segments()
        assert sorted(s.code for s in running) == ["97150"] * 3
        assert ("Group 97150 started for 3 patients (g: add, let one leave, stop, close)",
                "information") in told
        await pilot.press("enter", "1")  # one-on-one during the group: refused, said why
        await pilot.pause()
        assert any("one-on-one time cannot overlap it" in m for m, _ in told)
        assert [s.code for s in app.repo.queries.running_segments()] == ["97150"] * 3
        clock.advance(minutes=40)
        await pilot.press("escape", "g", "s")
        await pilot.pause()
        assert app.repo.queries.running_segments() == []
        day = app.repo.local(clock.now).date()
        for session in app.repo.queries.sessions_on(day):
            view = app.repo.queries.session_view(session.id)
            assert view.billing.line("97150").units == 1
            assert view.billing.total_timed_minutes == 0 and session.group_size == 3


async def test_the_review_names_an_expired_plan_and_a_low_authorization(open_app, clock):
    app = open_app()
    today = clock.now.date()
    app.repo.patients.set_episode("AB12", Discipline.PT, today - timedelta(days=95),
                                  certified_until=None, signed=today - timedelta(days=90),
                                  now=clock.now)
    app.repo.patients.set_authorization("AB12", "Medicare", visits=1, units=None,
                                        start=today, until=today + timedelta(days=30),
                                        now=clock.now)
    session = app.repo.commands.create_session("AB12", "Medicare")
    app.repo.commands.start(session.id, "97110")
    async with app.run_test(size=NARROW) as pilot:
        await pilot.press("enter", "c")
        await pilot.pause()
        warnings = str(app.screen.query_one("#review-warnings").render())
        assert "treating past the PT plan of care certified through" in warnings
        assert "Medicare authorization: 0 authorized visits left" in warnings
