"""PlainTable changes a row without drawing the table again (issue 18), and still shows what it
holds: a changed cell, a row added, a column that widens or narrows."""

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.widgets.plain_table import PlainTable

from .test_session_live import record_repaints

ROWS = [(f"r{n}", [f"row {n}", str(n)]) for n in range(5)]


class TableApp(App[None]):
    CSS = "PlainTable { height: 1fr; }"  # as the session's segments

    def compose(self) -> ComposeResult:
        yield PlainTable(id="table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(PlainTable)
        table.add_column("Name", key="name")
        table.add_column("N", key="n")
        table.sync(ROWS)


def shown(table: PlainTable, row: int) -> str:
    """The text the table draws for a row now (through every cache it keeps)."""
    return table.render_line(row + 1).text  # under the header


async def test_a_changed_row_and_a_row_added_repaint_themselves_alone(monkeypatch):
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(PlainTable)
        await pilot.pause()
        painted = record_repaints(monkeypatch)
        table.update_cell("r2", "name", "[b]r2")  # text as typed, not markup
        await pilot.pause()
        assert painted == [("table", 3)]
        assert shown(table, 2).split() == ["[b]r2", "2"]
        assert shown(table, 3).split() == ["row", "3", "3"]
        painted.clear()
        table.add_row("row 5", "5", key="r5")
        await pilot.pause()
        assert painted == [("table", 6)] and shown(table, 5).split() == ["row", "5", "5"]


async def test_a_row_added_below_is_scrolled_to_in_its_own_frame(monkeypatch):
    app = TableApp()
    async with app.run_test(size=(40, 5)) as pilot:  # the header and four rows
        table = app.query_one(PlainTable)
        table.move_cursor(row=4)
        await pilot.pause()
        before = table.scroll_y
        seen: list[float] = []
        real = app._display

        def display(screen, renderable):
            seen.append(table.scroll_y)
            real(screen, renderable)

        monkeypatch.setattr(app, "_display", display)
        table.sync([*ROWS, ("r5", ["row 5", "5"])])
        table.move_cursor(row=5)
        await pilot.pause()
        assert seen[0] == table.scroll_y == before + 1  # not a frame later (Textual's way)
        assert table.render_line(4).text.split() == ["row", "5", "5"]  # the last line


async def test_a_cursor_moved_draws_the_rows_it_left_and_reached_and_no_other(monkeypatch):
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(PlainTable)
        table.refresh()  # drawn once at its size (Textual draws again after its first resize)
        await pilot.pause()
        drawn: list[str] = []
        real = DataTable._render_line_in_row

        def render_line_in_row(table, row_key, *args, **kwargs):
            drawn.append(row_key.value)
            return real(table, row_key, *args, **kwargs)

        monkeypatch.setattr(DataTable, "_render_line_in_row", render_line_in_row)
        table.move_cursor(row=3)
        table.refresh()  # every line painted again (as a scroll does)
        await pilot.pause()
        assert sorted(drawn) == ["r0", "r3"]
        assert shown(table, 3).split() == ["row", "3", "3"]


class AutoTableApp(TableApp):
    CSS = "PlainTable { height: auto; }"  # as Today's sessions


async def test_a_table_as_high_as_its_rows_grows_with_one():
    app = AutoTableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(PlainTable)
        await pilot.pause()
        assert table.size.height == 6
        table.add_row("row 5", "5", key="r5")
        await pilot.pause()
        assert table.size.height == 7 and not table.show_vertical_scrollbar
        assert shown(table, 5).split() == ["row", "5", "5"]


async def test_rows_made_again_at_another_height_show_every_line():
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(PlainTable)
        for cells, lines in ((["longreference", "0"], [["longreference", "0"], []]),
                             (["long\nreference", "0"], [["long", "0"], ["reference"]]),
                             (["longreference", "0"], [["longreference", "0"], []])):
            table.sync([("r0", cells)])  # Today's row made again as the width crosses WIDE
            await pilot.pause()
            assert [shown(table, line).split() for line in (0, 1)] == lines


async def test_a_column_widens_and_narrows_with_its_widest_cell():
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(PlainTable)
        table.add_row("a much longer row", "5", key="r5")
        await pilot.pause()
        assert table.columns[table.ordered_columns[0].key].content_width == 17
        assert shown(table, 0).rindex("0") > 17  # the row drawn before is drawn again, wider
        table.update_cell("r5", "name", "short", update_width=True)
        await pilot.pause()
        assert table.ordered_columns[0].content_width == len("row 0")
        assert shown(table, 0).rindex("0") < 17
