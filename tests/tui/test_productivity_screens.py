"""Productivity on screen: the day summary's notes, and what Today's title line ends with
(TodayView.productivity, core.billing.productivity.title_part) as the clock runs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from textual.widgets import Static

from core.billing.productivity import title_part
from tui.screens.day import DaySummaryScreen
from tui.screens.today import TodayScreen


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"productivity_target": 80,
                                       "scheduled_hours": Decimal("8")})


@pytest.fixture
def morning(open_app, clock):
    """30 minutes of 97110, 10 of bundled 97010 (clock time only), a running 97530."""
    app = open_app()
    repo = app.repo
    start = clock.now
    first = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=40)
    repo.commands.add_segment(first.id, "97110", start, start + timedelta(minutes=30))
    repo.commands.add_segment(first.id, "97010", start + timedelta(minutes=30), clock.now)
    repo.commands.close_session(first.id)
    second = repo.commands.create_session("CD34", "Commercial")
    repo.commands.start(second.id, "97530")
    clock.advance(minutes=10)
    repo.pop_notices()
    return app


@pytest.mark.parametrize("size", [(80, 24), (120, 34)])
async def test_the_day_summary_says_the_days_productivity(morning, size):
    app = morning
    async with app.run_test(size=size) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DaySummaryScreen)
        details = str(app.screen.query_one("#day-details", Static).render())
        assert details.startswith(
            "Productivity: 40 of 50 clock min billable (80%), target 80%: met; 8% of 480 "
            "scheduled min; a timer is running")


async def test_todays_title_ends_with_the_figure_and_follows_the_clock(morning, clock):
    app = morning
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TodayScreen) and screen.view is not None
        figure = screen.view.productivity()
        assert figure is not None
        assert (figure.billable_minutes, figure.clock_minutes, figure.running) == (40, 50, True)
        assert title_part(figure, wide=False) == " · 80% prod"
        assert title_part(figure, wide=True) == " · 80% prod (target 80%)"
        clock.advance(minutes=10)
        screen.tick()
        figure = screen.view.productivity()
        assert figure is not None and (figure.billable_minutes, figure.clock_minutes) == (50, 60)


async def test_no_figure_before_the_first_segment(open_app):
    app = open_app()
    app.repo.commands.create_session("AB12", "Medicare")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.view.productivity() is None
        await pilot.press("d")
        await pilot.pause()
        details = str(app.screen.query_one("#day-details", Static).render())
        assert details.startswith("Productivity: no figure (no segment, or under a minute "
                                  "of clock time)")


@pytest.mark.parametrize(("size", "ending"), [((80, 24), " · 80% prod"),
                                              ((120, 34), " · 80% prod (target 80%)")])
async def test_todays_title_line_shows_the_figure(morning, size, ending):
    app = morning
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        title = str(app.screen.query_one("#today-title", Static).render())
        assert title.endswith(ending), title
        assert len(title) <= size[0]


async def test_a_busy_days_title_keeps_the_figures_word_at_80_columns(open_app, clock):
    app = open_app()
    clock.advance(hours=8)
    start = clock.now - timedelta(hours=8)
    for number in range(14):
        session = app.repo.commands.create_session(f"P{number:02d}", "Medicare")
        first = start + timedelta(minutes=30 * number)
        app.repo.commands.add_segment(session.id, "97110", first, first + timedelta(minutes=23))
        app.repo.commands.close_session(session.id)
    app.repo.pop_notices()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        title = str(app.screen.query_one("#today-title", Static).render())
        assert title.endswith("· 322 timed min · 28 units · 77% prod"), title  # 322 of 413
        assert len(title) <= 78
