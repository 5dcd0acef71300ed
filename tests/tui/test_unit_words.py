"""One unit vocabulary on every screen: Today, the session, the review, the close notice, the
day summary and history say the same numbers in the same words; a group session shows its
unit; a code Medicare never pays is never "x1" without "not billed"."""

import json
from datetime import timedelta

from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from storage.views import day_view
from tui.cli.output import summary_text
from tui.screens.day import DaySummaryScreen
from tui.screens.history import PatientHistoryScreen
from tui.screens.review import ReviewScreen
from tui.widgets.session_header import SessionHeader

from .conftest import SIZE


def cell(table: DataTable, row: int, column: str) -> str:
    return str(table.get_cell_at(Coordinate(row, [c.key.value for c in table.columns.values()]
                                            .index(column))))


def a_day(app, clock):
    """A group of two for 47 seconds, then AB12's exercise with a hot pack (Medicare)."""
    repo = app.repo
    repo.commands.start_group(["AB12", "CD34"])
    clock.advance(seconds=47)
    repo.commands.stop_group()
    ab12 = next(s for s in repo.queries.open_sessions() if s.patient == "AB12")
    repo.commands.start(ab12.id, "97110")
    repo.commands.start(ab12.id, "97010")
    clock.advance(minutes=20)
    repo.commands.stop(ab12.id)
    return ab12


async def test_today_and_the_day_summary_tell_the_same_units(open_app, clock):
    app = open_app()
    a_day(app, clock)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(DataTable)
        units = {cell(table, row, "patient"): cell(table, row, "units") for row in range(2)}
        assert units == {"AB12": "2", "CD34": "1"}  # 97150 x1 each, 97110 x1; 97010 bundled
        title = str(app.screen.query_one("#today-title", Static).render())
        assert "3 units (1 timed)" in title
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DaySummaryScreen)
        day_title = str(app.screen.query_one("#day-title", Static).render())
        assert "3 units (1 timed)" in day_title
        table = app.screen.query_one(DataTable)
        texts = [cell(table, row, "units") for row in range(table.row_count)]
        # one claim line a line in the cell: wrapped, never cut at the screen's edge
        assert "97150-GP x1\n97110-GP x1\n97010 not billed (bundled)" in texts
        assert "97150-GP x1" in texts


async def test_the_session_header_counts_the_groups_unit(open_app, clock):
    app = open_app()
    a_day(app, clock)
    cd34 = next(s for s in app.repo.queries.open_sessions() if s.patient == "CD34")
    async with app.run_test(size=SIZE) as pilot:
        app.open_session(cd34.id)
        await pilot.pause()
        header = str(app.screen.query_one(SessionHeader).render())
        assert "timed 0 min = 0 timed units │ 1 untimed unit │ no timed code running" in header


async def test_a_47_second_group_is_reviewed_and_closed_in_the_same_words(open_app, clock,
                                                                          told):
    app = open_app()
    ab12 = a_day(app, clock)
    cd34 = next(s for s in app.repo.queries.open_sessions() if s.patient == "CD34")
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ReviewScreen(cd34.id))
        await pilot.pause()
        why = str(app.screen.query_one("#review-why", Static).render())
        assert "nothing is billable" not in why
        assert "no timed unit is billable; untimed code 97150: one unit for the date" in why
        title = str(app.screen.query_one("#review-title", Static).render())
        assert "1 unit (0 timed)" in title
        await pilot.press("enter")
        await pilot.pause()
        app.push_screen(ReviewScreen(ab12.id))
        await pilot.pause()
        await pilot.press("enter", "y")  # the hot pack still runs: stopped at the close
        await pilot.pause()
    closes = [m for m, _ in told if m.startswith("Closed")]
    assert closes == ["Closed CD34: 97150-GP x1. y: its chart note",
                      "Closed AB12: 97150-GP x1, 97110-GP x1; 97010 not billed (bundled). y: its "
                      "chart note"]
    text = summary_text(day_view(app.repo, app.today(), clock.now))
    assert "97010 x1" not in text and "97010 not billed (bundled)" in text
    assert "3 units (1 timed)" in text


async def test_history_shows_a_group_sessions_unit_and_a_pooled_session(open_app, clock):
    app = open_app()
    repo = app.repo
    first = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(first.id, "97110")
    clock.advance(minutes=10)
    repo.commands.close_session(first.id, stop_running=True)
    clock.advance(hours=2)
    second = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(second.id, "97110")
    clock.advance(minutes=10)
    repo.commands.close_session(second.id, stop_running=True)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(PatientHistoryScreen("AB12"))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(row)] for row in range(table.row_count)]
        assert [row[3] for row in rows][1] == "pooled"  # Est.: its amount is on the first
        assert [row[6] for row in rows] == ["1", "pooled"]  # 10 + 10 pooled = one unit
    index = json.loads(next((repo.data_dir / "index").glob("2026-*.json")).read_bytes())
    assert index  # the history reads the index, kept on disk
    assert clock.now - first.opened_at > timedelta(hours=2)
