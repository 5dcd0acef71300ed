"""What a person sees, frozen: a fixed clock and fixed data, every screen and dialog at 80 x 24
(the smallest terminal Tabletime promises) and at 120 x 34. Review changes in the report."""

from datetime import timedelta

import pytest

SIZES = [pytest.param((80, 24), id="80x24"),
         pytest.param((120, 34), id="120x34", marks=pytest.mark.slow)]  # the tight size first


@pytest.fixture(autouse=True)
def _no_clipboard_program(monkeypatch):
    """The chart note's title depends on the machine's clipboard programs: none here."""
    monkeypatch.setattr("tui.screens.chart_note.copy_text", lambda text: None)


@pytest.fixture
def day(open_app, clock):
    """A morning: one closed session, one with 97140 running for 6:30 and a hot pack."""
    app = open_app()
    repo = app.repo
    closed = repo.commands.create_session("RB1187", "Medicare")
    start = clock.now
    clock.advance(minutes=40)
    repo.commands.add_segment(closed.id, "97110", start, start + timedelta(minutes=33),
                              note="gait belt, 150 ft x2")
    repo.commands.add_segment(closed.id, "97140", start + timedelta(minutes=33), clock.now)
    repo.commands.close_session(closed.id)
    clock.advance(minutes=5)
    running = repo.commands.create_session("JS5520", "Commercial")
    repo.commands.start(running.id, "97110")
    repo.commands.start(running.id, "97010")
    clock.advance(minutes=12)
    repo.commands.start(running.id, "97140")
    clock.advance(minutes=6, seconds=30)
    repo.pop_notices()
    return app


@pytest.fixture
def day_with_warnings(open_app, clock):
    """One patient seen twice (pooled), per-code units beyond the clock time, a session open."""
    app = open_app()
    repo = app.repo
    first = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=10)
    repo.commands.add_segment(first.id, "97110", clock.now - timedelta(minutes=10), clock.now)
    repo.commands.close_session(first.id)
    other = repo.commands.create_session("CD34", "Commercial")
    clock.advance(minutes=20)
    repo.commands.add_segment(other.id, "97530", clock.now - timedelta(minutes=20),
                              clock.now - timedelta(minutes=10))
    repo.commands.add_segment(other.id, "97116", clock.now - timedelta(minutes=10), clock.now)
    clock.advance(hours=3)
    second = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=10)
    repo.commands.add_segment(second.id, "97110", clock.now - timedelta(minutes=10), clock.now)
    repo.commands.close_session(second.id)
    repo.commands.close_session(other.id)
    late = repo.commands.create_session("EF56", "Medicare")
    repo.commands.start(late.id, "97140")
    clock.advance(minutes=5)
    repo.pop_notices()
    return app


# (what, keys pressed) on the morning: every screen and dialog a therapist reaches
MORNING = [
    ("today", []),
    ("session", ["enter"]),
    ("review", ["enter", "c"]),
    ("help", ["f1"]),
    ("new-session", ["n"]),
    ("delete-session", ["down", "delete"]),
    ("session-details", ["enter", "p"]),
    ("add-segment", ["enter", "a"]),
    ("edit-segment", ["enter", "e"]),
    ("delete-segment", ["enter", "delete"]),
    ("stop-at", ["enter", "s"]),
    ("closed-session", ["up", "enter"]),
    ("reopen", ["up", "enter", "o"]),
    ("chart-note", ["d", "y"]),
    ("session-chart-note", ["enter", "y"]),
    ("session-help", ["enter", "f1"]),
    ("settings", ["f2"]),
]
# and the day summary with its checks, the history and their dialogs
EVENING = [
    ("day-summary", ["d"]),
    ("go-to-date", ["d", "g"]),
    ("export-lines", ["d", "x"]),
    ("history", ["d", "h"]),
    ("used-elsewhere", ["d", "h", "m"]),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("what", "keys"), MORNING, ids=[what for what, _ in MORNING])
def test_the_morning(snap_compare, day, size, what, keys):
    assert snap_compare(day, press=keys, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("what", "keys"), EVENING, ids=[what for what, _ in EVENING])
def test_the_evening(snap_compare, day_with_warnings, size, what, keys):
    assert snap_compare(day_with_warnings, press=keys, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_an_empty_first_day_asks_who_bills(snap_compare, open_app, size):
    app = open_app()
    app.repo.first_run = True
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_an_empty_day_says_what_to_do(snap_compare, open_app, size):
    assert snap_compare(open_app(), terminal_size=size)


def cut_cells(screen) -> list[str]:
    """Every table cell the screen shows only in part: a table wider than its room cuts its
    rightmost cells at the edge, and a column narrower than a cell cuts the cell."""
    from textual.widgets import DataTable

    cut = []
    for table in screen.query(DataTable):
        if not table.display or not table.row_count:
            continue
        room = table.scrollable_content_region.width
        edge = 0
        for column in table.ordered_columns:
            width = column.get_render_width(table)
            edge += width
            for row in table.ordered_rows:
                cell = table.get_cell(row.key, column.key)
                lines = str(cell).split("\n")
                if any(len(line) > width - 2 * table.cell_padding for line in lines) or \
                        edge > room:
                    cut.append(f"{table.id} {column.label}: {cell!s}")
    return cut


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("fixture", "what", "keys"), [
    *(("day", what, keys) for what, keys in MORNING),
    *(("day_with_warnings", what, keys) for what, keys in EVENING)],
    ids=[what for what, _ in MORNING + EVENING])
async def test_no_table_cell_is_cut_on_any_screen(request, size, fixture, what, keys):
    app = request.getfixturevalue(fixture)
    async with app.run_test(size=size) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        for screen in app.screen_stack:
            assert cut_cells(screen) == [], (what, screen)
