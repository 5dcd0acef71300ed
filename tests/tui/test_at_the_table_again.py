"""Issue 17 at the table: the chart note one key away, alerts a therapist sees, notices that
replace each other, help and palette that find the current screen's keys, and the small
things (day 1 of 10, Today in treatment order, a minute's nudge, redo, Home/End)."""

from datetime import timedelta

import pytest
from textual.widgets import TextArea

from tui.screens.chart_note import ChartNoteScreen
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen

from .test_app import new_session, timed

SMALL = (80, 24)


@pytest.fixture
def no_clipboard_program(monkeypatch) -> list[str]:
    taken: list[str] = []

    def copy_text(text: str) -> None:
        taken.append(text)

    monkeypatch.setattr("tui.screens.chart_note.copy_text", copy_text)
    return taken


async def test_y_in_the_session_shows_its_chart_note_full_screen_and_copies_it(
        open_app, clock, no_clipboard_program):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot, "AB12")
        await timed(pilot, clock, ("1", 12))
        await pilot.press("y")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChartNoteScreen) and not screen.is_modal  # nothing behind
        assert "Patient: AB12" in screen.text and "97110" in screen.text
        assert no_clipboard_program == [screen.text] and app.clipboard == screen.text
        area = screen.query_one("#note-text", TextArea)
        assert area.selected_text == screen.text and area.soft_wrap
        assert area.styles.border_left[0] in ("", "none")  # no box picked up by a mouse
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)


async def test_after_a_close_one_key_shows_the_chart_note_of_the_session_just_closed(
        open_app, clock, told, no_clipboard_program):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        first = await new_session(pilot, "AB12")
        await timed(pilot, clock, ("1", 20))
        await pilot.press("escape")
        await new_session(pilot, "CD34")  # a later session: Today lists it below AB12
        await timed(pilot, clock, ("1", 10))
        await pilot.press("escape", "up", "enter")  # back to AB12, close it
        await pilot.pause()
        assert app.screen.session_id == first
        await pilot.press("c", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        assert any(m.startswith("Closed AB12") and "y: its chart note" in m for m, _ in told)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ChartNoteScreen)
        assert "Patient: AB12" in app.screen.text


async def test_y_on_a_closed_session_and_on_today_gives_the_same_text(
        open_app, clock, no_clipboard_program):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot, "AB12")
        await timed(pilot, clock, ("1", 9), ("2", 8), ("space", 0))
        await pilot.press("c", "enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        from_today = app.screen.text
        await pilot.press("escape", "enter", "y")  # the closed session itself
        await pilot.pause()
        assert isinstance(app.screen, ChartNoteScreen) and app.screen.text == from_today
        await pilot.press("escape", "escape", "d", "y")  # and the day summary
        await pilot.pause()
        assert app.screen.text == from_today


async def test_w_saves_the_chart_note_as_a_private_file_named_without_the_patient(
        open_app, clock, told, no_clipboard_program):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot, "O'BRIEN/../X")
        await timed(pilot, clock, ("1", 9))
        await pilot.press("y", "w", "w")
        await pilot.pause()
        text = app.screen.text
    files = sorted((app.repo.data_dir / "exports").glob("chart-note-*.txt"))
    assert len(files) == 2  # a second save never overwrites the first
    assert all(f.read_text() == text and f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert all("BRIEN" not in f.name for f in files)
    assert any(m.startswith("Chart note saved in ") for m, _ in told)
