"""The history screen fills its table a few rows a frame: the first are shown before the rest
are formatted, the UI never waits for a thousand, and the newest visit is selected once all
are in."""

from datetime import timedelta

from rich.cells import cell_len
from textual.widgets import DataTable

from tui.screens import history
from tui.screens.history import PatientHistoryScreen

from .conftest import SIZE


def visits(app, clock, count):
    for _ in range(count):
        session = app.repo.commands.create_session("AB12", "Medicare")
        clock.advance(minutes=20)
        app.repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=20),
                                      clock.now)
        app.repo.commands.close_session(session.id)
        clock.advance(days=1)


async def opened(app, pilot):
    """AB12's history pushed, its read done."""
    screen = PatientHistoryScreen("AB12")
    app.push_screen(screen)
    await pilot.pause()
    await app.workers.wait_for_complete()
    return screen


async def filled(pilot, table, rows):
    """Until the table holds `rows` rows with the last selected (a few frames; 10 s at most)."""
    for _ in range(500):
        if table.row_count == rows and table.cursor_row == rows - 1:
            return
        await pilot.pause(0.02)


async def test_a_long_history_is_added_a_few_rows_a_frame(open_app, clock, monkeypatch):
    monkeypatch.setattr(history, "ROWS_AT_ONCE", 2)
    app = open_app()
    visits(app, clock, 5)
    counts: list[int] = []
    real = PatientHistoryScreen._fill

    def fill(self, filling):
        real(self, filling)
        counts.append(self.query_one(DataTable).row_count)

    monkeypatch.setattr(PatientHistoryScreen, "_fill", fill)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(app, pilot)
        table = screen.query_one(DataTable)
        await filled(pilot, table, 5)
        assert counts == [2, 4, 5]
        assert table.cursor_row == 4  # the newest visit
        assert [str(table.get_row_at(r)[0]) for r in range(5)] == sorted(
            str(table.get_row_at(r)[0]) for r in range(5))


async def test_the_first_rows_come_before_the_rest_and_columns_fit_them_all(open_app, clock,
                                                                            monkeypatch):
    monkeypatch.setattr(history, "ROWS_AT_ONCE", 2)
    app = open_app()
    visits(app, clock, 5)  # the year's Medicare amount grows: later rows are wider
    shown: list[int] = []
    real = PatientHistoryScreen.show

    def show(self, entries, first, drawn):
        shown.append(len(first))
        return real(self, entries, first, drawn)

    monkeypatch.setattr(PatientHistoryScreen, "show", show)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(app, pilot)
        table = screen.query_one(DataTable)
        await filled(pilot, table, 5)
        assert shown == [2]
        for column in table.ordered_columns:
            widest = max(cell_len(str(table.get_cell(row, column.key)))
                         for row in table.rows)
            assert column.content_width >= widest


async def test_a_history_read_again_while_filling_is_shown_once(open_app, clock, monkeypatch):
    monkeypatch.setattr(history, "ROWS_AT_ONCE", 2)
    app = open_app()
    visits(app, clock, 5)
    shown: list[tuple] = []
    rest: list[list] = []
    real_show, real_rest = PatientHistoryScreen.show, PatientHistoryScreen.show_rest

    def show(self, *read):
        shown.append(read)
        return real_show(self, *read)

    def show_rest(self, rows, filling):
        rest.append(rows)
        real_rest(self, rows, filling)

    monkeypatch.setattr(PatientHistoryScreen, "show", show)
    monkeypatch.setattr(PatientHistoryScreen, "show_rest", show_rest)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(app, pilot)
        older = real_show(screen, *shown[0])  # read again (a change recorded) while filling
        newer = real_show(screen, *shown[0])
        real_rest(screen, rest[0], older)  # the rest of the older reading: too late
        real_rest(screen, rest[0], newer)
        table = screen.query_one(DataTable)
        await filled(pilot, table, 5)
        for _ in range(5):
            await pilot.pause()
        assert table.row_count == 5 and table.cursor_row == 4


async def test_a_history_closed_before_its_first_rows_are_drawn_ends_its_read_quietly(
        open_app, clock, monkeypatch):
    """Esc right after the read: the worker neither touches the screen's removed widgets (a
    traceback that would end the app) nor waits for a frame that never comes."""
    monkeypatch.setattr(history, "ROWS_AT_ONCE", 2)
    app = open_app()
    visits(app, clock, 5)
    rest: list[int] = []
    real_show, real_rest = PatientHistoryScreen.show, PatientHistoryScreen.show_rest

    def show(self, entries, first, drawn):
        filling = real_show(self, entries, first, drawn)
        self.dismiss()  # closed before the first rows are drawn
        return filling

    def show_rest(self, rows, filling):
        rest.append(len(rows))
        real_rest(self, rows, filling)

    formatted: list[object] = []
    real_cells = history._cells

    def cells(entry):
        formatted.append(entry)
        return real_cells(entry)

    monkeypatch.setattr(PatientHistoryScreen, "show", show)
    monkeypatch.setattr(PatientHistoryScreen, "show_rest", show_rest)
    monkeypatch.setattr(history, "_cells", cells)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(app, pilot)
        await pilot.pause()
        assert screen not in app.screen_stack
        assert app.is_running and rest == []
        assert len(formatted) == 2  # the first rows only: the rest was never formatted


async def test_y_before_the_rows_settle_shows_the_newest_visits_note_not_the_oldests(
        open_app, clock, monkeypatch):
    """`h y` typed at once: the oldest rows come in first with the cursor on them, the newest
    is selected once all are in; the note is of the visit selected then."""
    monkeypatch.setattr(history, "ROWS_AT_ONCE", 2)
    app = open_app()
    visits(app, clock, 5)
    notes: list[object] = []
    monkeypatch.setattr(type(app), "show_chart_note", lambda self, session_id: notes.append(
        session_id))
    real = PatientHistoryScreen._fill
    pressed: list[int] = []

    def fill(self, filling):
        real(self, filling)
        if not pressed:  # `y` between the first rows' frame and the next
            table = self.query_one(DataTable)
            pressed.append(table.row_count)
            assert table.cursor_row == 0  # on the oldest visit
            self.action_chart_note()

    monkeypatch.setattr(PatientHistoryScreen, "_fill", fill)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(app, pilot)
        await filled(pilot, screen.query_one(DataTable), 5)
        await pilot.pause()
        assert pressed == [2]
        assert notes == [screen.ids[-1]]


async def test_a_year_past_ten_thousand_dollars_fits_80_columns(open_app, clock):
    """The widest row a Medicare patient's history has (the year's amount in five figures,
    units 'pooled') leaves the Payer column whole at 80x24: no sideways scroll."""
    app = open_app()
    for _ in range(120):  # an hour of four codes a day from March: past $10,000 in the summer
        session = app.repo.commands.create_session("AB12", "Medicare")
        for code in ("97110", "97140", "97530", "97112"):
            clock.advance(minutes=15)
            app.repo.commands.add_segment(session.id, code, clock.now - timedelta(minutes=15),
                                          clock.now)
        app.repo.commands.close_session(session.id)
        clock.advance(days=1)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(app, pilot)
        table = screen.query_one(DataTable)
        await filled(pilot, table, 120)
        assert len(str(table.get_row_at(119)[4]).split()[0]) >= len("$10,000.00")
        assert table.virtual_size.width <= table.scrollable_content_region.width
