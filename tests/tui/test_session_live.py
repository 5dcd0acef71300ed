"""The session's live parts redraw alone (issue 18): each second only the live line and the
running codes' times are painted again, a switch paints the table's two rows it changed, and
a screen under another does not tick."""

from textual._styles_cache import StylesCache

from tui.dialogs.form import FormDialog
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen
from tui.widgets.segment_table import RUNNING, SegmentTable

from .conftest import SIZE
from .test_app import new_session, segments


def record_repaints(monkeypatch) -> list[tuple[str, int]]:
    """Every line a widget renders again from now on (not taken from its cache): (id, y)."""
    painted: list[tuple[str, int]] = []
    real = StylesCache.render_widget

    def render_widget(cache, widget, crop):
        painted.extend((widget.id or type(widget).__name__, y) for y in crop.line_range
                       if y in cache._dirty_lines or y not in cache._cache)
        return real(cache, widget, crop)

    monkeypatch.setattr(StylesCache, "render_widget", render_widget)
    return painted


async def test_a_second_repaints_the_live_line_and_the_running_codes_times_alone(
        open_app, clock, monkeypatch):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot)
        await pilot.press("1", "8")  # 97110 and a hot pack (untimed), both running
        clock.advance(minutes=3)
        await pilot.pause()
        painted = record_repaints(monkeypatch)
        for _ in range(3):
            clock.advance(seconds=1)
            app.screen.tick()
            await pilot.pause()
        assert sorted(set(painted)) == [("session-header", 1), ("tile-1", 2), ("tile-8", 2)]
        assert len(painted) == 3 * 3  # each second: the live line and the two times, once


async def test_a_switch_paints_the_row_it_ended_and_the_row_it_added(open_app, clock,
                                                                      monkeypatch):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot)
        for key in "1231":
            await pilot.press(key)
            clock.advance(minutes=1)  # no unit reached: its notice would take a line
        await pilot.pause()
        painted = record_repaints(monkeypatch)
        await pilot.press("2")
        await pilot.pause()
        table = app.screen.query_one(SegmentTable)
        rows = {y - 1 for widget, y in painted if widget == "segments"}  # under the header
        assert rows == {3, 4} and table.cursor_row == 4  # the 97110 stopped, the 97140 begun
        assert {widget for widget, _ in painted} == {"segments", "session-header", "tile-1",
                                                     "tile-2"}


async def test_a_running_segment_shows_its_time_above_not_in_the_table(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1")
        clock.advance(minutes=5, seconds=12)
        await pilot.press("2")
        clock.advance(minutes=1)
        app.screen.tick()
        await pilot.pause()
        table = app.screen.query_one(SegmentTable)
        first, second = segments(app, session_id)
        assert [str(cell) for cell in table.get_row(str(first.id))[3:5]] == ["10:05:12",
                                                                              "5:12"]
        assert [str(cell) for cell in table.get_row(str(second.id))[3:5]] == ["running",
                                                                               RUNNING]
        assert "▶ 97140 1:00" in str(app.screen.query_one("#session-header").render())
        assert "▶1:00" in str(app.screen.query_one("#tile-2").render())


async def test_a_screen_under_another_does_not_tick_until_it_is_seen(open_app, monkeypatch):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        today = app.screen
        assert isinstance(today, TodayScreen) and today.seen()
        ticks: list[str] = []
        monkeypatch.setattr(today, "tick", lambda: ticks.append("today"))
        await new_session(pilot)
        session = app.screen
        assert isinstance(session, SessionScreen) and not today.seen()
        today._second()  # what its interval calls each second
        await pilot.press("a")  # a dialog: the session is seen through its backdrop
        await pilot.pause()
        assert isinstance(app.screen, FormDialog) and session.seen() and not today.seen()
        assert ticks == []  # its own seconds meanwhile too
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert today.seen() and not session.seen()
        before = len(ticks)
        today._second()
        assert len(ticks) == before + 1


async def test_the_favourites_first_rows_widen_no_column_but_their_names(open_app, clock):
    """A widened column draws the whole table again: the columns are made as wide as the
    favourites' rows need (but for the names: the notes would be cut off a narrow terminal),
    so that a session's first switches add rows alone."""
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot)
        table = app.screen.query_one(SegmentTable)
        await pilot.pause()
        def widths() -> list[int]:
            return [column.content_width for column in table.ordered_columns
                    if column.key.value != "name"]

        before = widths()
        for key in "123456789":
            await pilot.press(key)
            clock.advance(minutes=1)
        await pilot.pause()
        assert table.row_count >= 9
        assert widths() == before
