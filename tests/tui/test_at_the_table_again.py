"""Issue 17 at the table: the chart note one key away, alerts a therapist sees, notices that
replace each other, help and palette that find the current screen's keys, and the small
things (day 1 of 10, Today in treatment order, a minute's nudge, redo, Home/End)."""

import asyncio
import time
from datetime import timedelta

import pytest
from textual import events
from textual.binding import Binding
from textual.widgets import Input, TextArea

from core.models import Segment
from tui.format import local_time
from tui.screens.chart_note import ChartNoteScreen
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen

from .test_app import chart_note_of_ab12, new_session, timed
from .test_table_side import at

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
        screen = await chart_note_of_ab12(pilot, clock)
        assert isinstance(screen, ChartNoteScreen) and not screen.is_modal  # nothing behind
        assert "Patient: AB12" in screen.text and "97110" in screen.text
        assert "(session still open: NOT FINAL)" in screen.title_text
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
        assert "NOT FINAL" not in app.screen.title_text  # closed: the note is final
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


def header(app) -> str:
    return str(app.screen.query_one("#session-header").render())


def lit(app) -> bool:
    return app.screen.query_one("#session-header").has_class("-unit")


@pytest.mark.parametrize("seconds", [0, 1])
async def test_the_visual_cue_stays_until_the_next_key_or_the_settings_seconds(
        open_app, clock, settings, seconds):
    app = open_app()
    app.use_settings(settings.model_copy(update={"alert": "visual", "alert_seconds": seconds}))
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot)
        await timed(pilot, clock, ("1", 7))
        await at(pilot, clock, minutes=1)  # the tick that sees the unit
        assert lit(app) and app.screen.query_one("#tile-1").has_class("-unit")
        await at(pilot, clock, seconds=30)
        await pilot.pause(1.3)  # the settings' seconds pass, when set
        assert lit(app) is (seconds == 0)
        await pilot.press("down")
        assert not lit(app) and not app.screen.query_one("#tile-1").has_class("-unit")


@pytest.mark.parametrize(("payer", "steps", "said"), [
    ("Medicare", [("1", 37)], "timed 37 min: 1 more minute makes unit 3"),
    ("Medicare", [("1", 20), ("2", 16)], "timed 36 min: 2 more minutes make unit 3"),
    ("Medicare", [("1", 7)], "timed 7 min: 1 more minute makes unit 1"),
    ("Commercial", [("1", 7), ("2", 22)], "97110 7 min: 1 more minute makes unit 1"),
    ("Commercial", [("1", 7), ("2", 22)], "97140 22 min: 1 more minute makes unit 2"),
])
async def test_paused_and_at_the_review_one_more_minute_is_said(open_app, clock, payer, steps,
                                                                 said):
    app = open_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await new_session(pilot, payer=payer)
        await timed(pilot, clock, *steps)
        assert said not in header(app)  # running: the countdown says it
        await pilot.press("space")
        await pilot.pause()
        assert said in header(app) and "paused" in header(app)
        await pilot.press("c")
        await pilot.pause()
        assert f"! {said}" in str(app.screen.query_one("#review-warnings").render())


async def test_38_minutes_say_nothing_more(open_app, clock):
    app = open_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await new_session(pilot)
        await timed(pilot, clock, ("1", 38), ("space", 0))
        assert "more minute" not in header(app) and "timed 38 min = 3 timed units" in header(app)


async def test_starting_a_bundled_code_under_medicare_says_so_and_not_for_commercial(
        open_app, told):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot, "AB12", "Medicare")
        app.screen.start("97010")
        await pilot.pause()
        assert ("97010 started, but 97010 is bundled by Medicare (status B): never paid "
                "separately, so it is left off the claim", "warning") in told
        await pilot.press("escape")
        told.clear()
        await new_session(pilot, "CD34", "Commercial")
        app.screen.start("97010")
        await pilot.pause()
        assert not [m for m, _ in told if "bundled" in m]


async def test_a_forgotten_timer_is_flagged_in_the_session_header(open_app, clock):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot)
        await timed(pilot, clock, ("1", 59))
        await at(pilot, clock)
        assert "forgotten" not in header(app)
        await at(pilot, clock, minutes=2)
        assert "! forgotten? s stops it" in header(app)


@pytest.mark.parametrize(("keys", "here", "first_key"), [
    ([], "today", "n"), (["n"], "today", "n"), (["d"], "day summary", "["),
])
async def test_f1_opens_on_the_keys_of_the_screen_the_user_is_on(open_app, keys, here,
                                                                 first_key):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.table(app.screen.here)
        assert app.screen.here == here
        assert (str(table.columns[0]._cells[0]), str(table.columns[1]._cells[0])) == (
            here, first_key)


async def test_f1_in_a_session_starts_with_the_session_keys(open_app):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.here == "session"
        table = app.screen.table(app.screen.here)
        assert str(table.columns[0]._cells[0]) == "session"
        assert "today" not in [str(cell) for cell in table.columns[0]._cells[:10]]


async def palette(pilot, words: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*words)
    await pilot.pause(0.3)  # the palette searches in a worker
    await pilot.press("enter")
    await pilot.pause()


@pytest.mark.parametrize(("words", "then"), [
    ("close session", "ReviewScreen"), ("chart note", "ChartNoteScreen"),
    ("progress report", "SessionScreen"), ("undo", "SessionScreen"),
])
async def test_the_palette_lists_the_screens_actions_by_name(open_app, clock, words, then,
                                                             no_clipboard_program):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 10))
        await palette(pilot, words)
        assert type(app.screen).__name__ == then
        if words == "progress report":
            assert app.repo.queries.session(session_id).progress_report
        if words == "undo":
            assert app.repo.queries.segments_of(session_id) == []


async def test_the_palette_pauses_and_leaves_out_what_a_closed_session_refuses(open_app,
                                                                                clock):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 10))
        await palette(pilot, "pause")
        assert not [s for s in app.repo.queries.segments_of(session_id) if s.running]
        await pilot.press("c", "enter", "enter")  # closed; Today; opened again
        await pilot.pause()
        from tui.palette import TabletimeCommands

        provider = TabletimeCommands(app.screen, None)
        titles = [title for title, _, _ in provider._commands()]
        assert "Reopen (o)" in titles and "Chart note (y)" in titles
        assert "Close (c)" not in titles and "Undo (u)" not in titles


async def test_six_undos_show_one_notice_above_the_footer_never_over_a_row(open_app, clock):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot)
        await timed(pilot, clock, ("1", 1), ("2", 1), ("3", 1), ("4", 1), ("5", 1), ("6", 1))
        await pilot.press(*"uuuuuu")
        await pilot.pause()
        bar = app.screen.query_one(".notices")
        assert bar.display and str(bar.render()).count("Undone") == 1
        table = app.screen.query_one("#segments")
        header = app.screen.query_one("#session-header")
        assert not bar.region.overlaps(table.region) and not bar.region.overlaps(header.region)


async def test_ctrl_r_redoes_what_a_stray_u_took_back(open_app, clock, told):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 10), ("2", 5))
        before = [(s.code, s.end) for s in app.repo.queries.segments_of(session_id)]
        await pilot.press("u")
        await pilot.pause()
        assert [s.code for s in app.repo.queries.segments_of(session_id)] == ["97110"]
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert [(s.code, s.end) for s in app.repo.queries.segments_of(session_id)] == before
        assert any(m.startswith("Redone: ") for m, _ in told)


async def test_the_palette_adds_a_patient_to_the_running_group(open_app, clock):
    app = open_app()
    app.repo.commands.start_group(["AB12", "CD34"], "97150")
    async with app.run_test(size=SMALL) as pilot:
        await palette(pilot, "group add")
        assert app.screen.query_one("#field-patient")
        app.screen.query_one("#field-patient").value = "EF56"
        await pilot.press("enter")
        await pilot.pause()
        if type(app.screen).__name__ == "ConfirmDialog":  # a newcomer: their payer asked
            await pilot.press("y")
            await pilot.pause()
        assert sorted(s.patient for s, _ in app.repo.commands.group_members()) == [
            "AB12", "CD34", "EF56"]


async def test_a_minute_nudge_moves_the_selected_segments_start_or_end_and_u_undoes(
        open_app, clock):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 10), ("2", 5), ("space", 0))
        first, second = app.repo.queries.segments_of(session_id)
        await pilot.press("-", "-")  # the last segment is selected: its end 2 min earlier
        await pilot.pause()
        moved = app.repo.queries.segments_of(session_id)[1]
        assert moved.end == second.end - timedelta(minutes=2) and moved.start == second.start
        await pilot.press("up", "[")  # the first one starts a minute earlier
        await pilot.pause()
        assert app.repo.queries.segments_of(session_id)[0].start == (
            first.start - timedelta(minutes=1))
        await pilot.press("]", "+", "=")  # back, and its end later: into the next one, refused
        await pilot.pause()
        assert app.repo.queries.segments_of(session_id)[0].start == first.start
        assert app.repo.queries.segments_of(session_id)[0].end == first.end
        await pilot.press("u", "u", "u", "u")  # four moves: four undos
        await pilot.pause()
        assert app.repo.queries.segments_of(session_id) == [first, second]


async def test_a_running_segment_has_no_end_to_nudge(open_app, clock, told):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot)
        await timed(pilot, clock, ("1", 10))
        await pilot.press("+")
        await pilot.pause()
        assert any("97110 is running: it has no end yet" in m for m, _ in told)


async def test_home_and_end_jump_to_the_first_and_last_row(open_app, clock):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 3), ("2", 3), ("3", 3), ("space", 0))
        table = app.screen.query_one("#segments")
        assert table.cursor_row == 2  # the last segment is selected
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == 2 and app.screen.session_id == session_id


async def test_todays_widest_row_fits_80_columns_uncut(open_app, clock):
    """The widest Today the issue met: a payer named Commercial, a session open since an
    earlier day, a timer over an hour with an untimed one beside it, a report due next."""
    from .test_deadlines_app import earlier_visits
    from .test_snapshots import cut_cells

    app = open_app()
    earlier_visits(app, clock, "AB1234567", 8)
    left_open = app.repo.commands.create_session("ZZ99", "Commercial")
    app.repo.commands.start(left_open.id, "97530")
    app.repo.commands.stop(left_open.id)
    clock.advance(days=1)
    ninth = app.repo.commands.create_session("AB1234567", "Commercial")
    app.repo.commands.start(ninth.id, "97110")
    app.repo.commands.start(ninth.id, "97010")
    clock.advance(hours=1, minutes=5)
    app.repo.pop_notices()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        table = app.screen.table
        assert str(table.get_cell(str(left_open.id), "running")).startswith("open since ")
        assert str(table.get_cell(str(ninth.id), "report")) == "due next"
        assert cut_cells(app.screen) == []


async def test_forgot_to_switch_takes_the_favourites_key_for_the_code(open_app, clock):
    """a, 3, tab, 6, enter: 97530 (key 3) started 6 minutes ago; the code before ends there."""
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 10))
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.query_one("#field-code").value == "97110"  # the running code
        await pilot.press("3", "tab", "6", "enter")
        await pilot.pause()
        first, second = app.repo.queries.segments_of(session_id)
        assert (first.code, second.code) == ("97110", "97530")
        assert second.start == clock.now - timedelta(minutes=6) == first.end


async def test_pressed_late_moves_the_running_codes_start_back_in_four_keys(open_app, clock):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 10), ("2", 1))
        await pilot.press("a", "tab", "4", "enter")  # 97140 really began 4 minutes ago
        await pilot.pause()
        first, second = app.repo.queries.segments_of(session_id)
        assert second.code == "97140" and second.start == clock.now - timedelta(minutes=4)
        assert first.end == second.start


async def test_the_news_of_one_screen_is_not_said_under_the_next(open_app, clock,
                                                                no_clipboard_program):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot)
        await timed(pilot, clock, ("1", 9), ("space", 0))
        await pilot.press("c", "enter")
        await pilot.pause()
        assert "Closed AB12" in str(app.screen.query_one(".notices").render())
        await pilot.press("y")
        await pilot.pause()
        bar = app.screen.query_one(".notices")
        assert not bar.display and "Closed" not in str(bar.render())


def test_no_screen_opens_or_closes_ahead_of_the_keys_typed_before_enter():
    """A priority binding runs as the key arrives, before the keys typed just before it
    reach the table (up, enter opened the row above's neighbour: the wrong patient)."""
    from tui.keys import places

    assert [(where, b.key) for where, cls in places() for b in cls.BINDINGS
            if isinstance(b, Binding) and b.priority and b.key == "enter"] == []


def burst(app, *keys: str) -> None:
    """Keys as a fast typist sends them: all queued before the first is handled."""
    from textual.keys import _character_to_key

    for key in keys:
        character = key if len(key) == 1 else None
        name = _character_to_key(key) if len(key) == 1 else key
        app.post_message(events.Key(name, character))


async def test_a_burst_backdates_in_the_dialog_the_first_key_opened(open_app, clock):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 10))
        burst(app, "a", "3", "tab", "6", "enter")
        await pilot.pause(0.3)  # under HOLD_SECONDS: released by the dialog's focus
        for _ in range(100):  # the dialog's work follows the keys: a loaded machine waits
            codes = [s.code for s in app.repo.queries.segments_of(session_id)]
            if len(codes) > 1 and isinstance(app.screen, SessionScreen):
                break
            await pilot.pause(0.05)
        assert codes == ["97110", "97530"] and isinstance(app.screen, SessionScreen)


async def test_a_burst_opens_the_session_the_cursor_moved_to(open_app, clock):
    app = open_app()
    for patient in ("AB12", "CD34", "EF56"):
        app.repo.commands.create_session(patient, "Medicare")
        clock.advance(minutes=1)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("end")
        burst(app, "up", "up", "enter")
        await pilot.pause(0.5)
        assert isinstance(app.screen, SessionScreen) and app.screen.session.patient == "AB12"


async def test_a_burst_types_a_new_patient_into_the_form_it_opened(open_app):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        burst(app, "n", "Z", "Z", "9", "enter")
        await pilot.pause(0.3)  # under HOLD_SECONDS: released by the dialog's focus
        assert isinstance(app.screen, SessionScreen)
        for _ in range(100):  # the session is read after the keys: a loaded machine waits
            if app.screen.view is not None:
                break
            await pilot.pause(0.05)
        assert app.screen.session.patient == "ZZ9"


async def running_once_shown(pilot) -> list[Segment]:
    """The timers the session on top shows, once it shows one (5 s at most)."""
    for _ in range(100):
        screen = pilot.app.screen
        if isinstance(screen, SessionScreen) and screen.view is not None and screen.view.running:
            return list(screen.view.running)
        await pilot.pause(0.05)
    return []


async def test_keys_after_a_form_s_enter_go_where_it_leads(open_app):
    """`n ZZ9 enter 1` in one burst (a fast typist, or keys bunched by a slow network to a
    browser): the 1 starts a timer in the new session, never types into the form (ZZ91)."""
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        burst(app, "n", "Z", "Z", "9", "enter", "1")
        assert [s.code for s in await running_once_shown(pilot)] == ["97110"]
        assert isinstance(app.screen, SessionScreen) and app.screen.session.patient == "ZZ9"


async def test_a_burst_from_a_new_patient_to_a_backdated_code(open_app, clock):
    """The keys of `n ZZ9 enter a 1 tab 20 enter` each reach the screen the one before
    opened: a new session whose 97110 began 20 minutes ago."""
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        burst(app, "n", "Z", "Z", "9", "enter", "a", "1", "tab", "2", "0", "enter")
        (running,) = await running_once_shown(pilot)
        assert isinstance(app.screen, SessionScreen) and app.screen.session.patient == "ZZ9"
        assert running.code == "97110" and running.start == clock.now - timedelta(minutes=20)


async def typed(app, *keys: tuple[str, str]) -> None:
    """Keys a few milliseconds apart with their characters, as a page's terminal sends them."""
    for name, character in keys:
        app.post_message(events.Key(name, character))
        await asyncio.sleep(0.003)


async def test_keys_typed_as_a_dialog_opens_reach_the_field_it_focuses(open_app, clock):
    """`a 1 tab` typed just after a session opened: the tab moves to the start field (the
    dialog's own focus on its first field, a moment late, took it back: 20 replaced 97110)."""
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await typed(app, ("n", "n"))
        await pilot.pause(1)
        burst(app, "A", "B", "1", "2")
        await pilot.pause(1)
        await typed(app, ("enter", "\r"), ("a", "a"), ("1", "1"), ("tab", "\t"))
        await pilot.pause(1)
        assert app.focused is not None and app.focused.id == "field-start"
        assert app.screen.query_one("#field-code").value == "1"


async def test_keys_wait_for_a_form_s_enter_on_a_busy_machine(open_app, monkeypatch):
    """The form acts on its enter a second late (a loaded server): the 1 typed after it
    still waits for it, and starts the timer in ZZ9's session (never patient ZZ91)."""
    submit = Input.action_submit

    async def late(self) -> None:
        await asyncio.sleep(1)
        await submit(self)

    monkeypatch.setattr(Input, "action_submit", late)
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        burst(app, "n", "Z", "Z", "9", "enter", "1")
        await pilot.pause(1.5)
        assert [s.code for s in await running_once_shown(pilot)] == ["97110"]
        assert isinstance(app.screen, SessionScreen) and app.screen.session.patient == "ZZ9"


async def test_held_keys_stay_ahead_of_keys_typed_after_them(open_app):
    """A held key goes on before one typed after it that was still in the app's queue when
    the hold ended (that one was handed on first: B before A)."""
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("n")
        await pilot.pause()
        field = app.focused
        assert isinstance(field, Input)
        app._submitting = True  # as after a form's enter
        app.post_message(events.Key("A", "A"))
        await pilot.pause()
        app.post_message(events.Key("B", "B"))  # typed after A, not yet handled
        app._release()  # what the hold's timer or the new screen's refresh does
        await pilot.pause()
        assert field.value == "AB"


@pytest.mark.parametrize("gap", [0.001, 0.01])
@pytest.mark.parametrize("slow", [0.0, 0.1, 0.3])
async def test_a_typist_ahead_of_a_slow_server(open_app, clock, monkeypatch, slow, gap):
    """`n ZZ9`, then `enter a 1 tab 20 enter` a few ms apart, the new session drawn slowly
    (a tablet's server under load): one 97110 begun 20 minutes ago, nothing else."""
    drawn = SessionScreen.reload

    def reload(self, *args, **options):
        time.sleep(slow)
        return drawn(self, *args, **options)

    monkeypatch.setattr(SessionScreen, "reload", reload)
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await typed(app, ("n", "n"))
        await pilot.pause(0.6)
        await typed(app, ("Z", "Z"), ("Z", "Z"), ("9", "9"))
        await pilot.pause(0.6)
        for key in ("enter", "a", "1", "tab", "2", "0", "enter"):
            app.post_message(events.Key(key, {"enter": "\r", "tab": "\t"}.get(key, key)))
            await asyncio.sleep(gap)
        assert len(await running_once_shown(pilot)) == 1
        await pilot.pause(0.5)
        screen = app.screen
        assert isinstance(screen, SessionScreen) and screen.session.patient == "ZZ9"
        assert [(s.code, s.start) for s in app.repo.queries.segments_of(screen.session_id)] \
            == [("97110", clock.now - timedelta(minutes=20))]


async def test_a_group_started_over_a_one_on_one_says_both(open_app, clock):
    app = open_app()
    session = app.repo.commands.create_session("AB12", "Medicare")
    app.repo.commands.start(session.id, "97140")
    clock.advance(minutes=9)
    app.repo.pop_notices()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("g")
        await pilot.pause()
        app.screen.query_one("#field-patients").value = "AB12, CD34"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")  # CD34 is new: its payer confirmed
        await pilot.pause()
        shown = str(app.screen.query_one(".notices").render())
        assert "Stopped 97140 on AB12" in shown and "Group 97150 started" in shown


@pytest.mark.parametrize("keys", [[], ["d"]], ids=["today", "day summary"])
async def test_a_40_character_reference_and_a_long_payer_wrap_at_80_columns(open_app, clock,
                                                                           keys):
    from .test_snapshots import cut_cells

    app = open_app()
    longest = "AB1234567890CD1234567890EF1234567890GH12"  # 40: the most a reference holds
    session = app.repo.commands.create_session(longest, "Medicare Advantage")
    app.repo.commands.start(session.id, "97110")
    app.repo.commands.start(session.id, "97010")
    clock.advance(hours=1, minutes=5)
    app.repo.pop_notices()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        assert cut_cells(app.screen) == []
        table = app.screen.query_one("PlainTable")
        patient = str(table.get_cell(str(session.id), "patient"))
        assert patient.replace("\n", "") == longest


async def test_the_day_summary_keeps_the_cursor_on_the_session_just_closed(
        open_app, clock, no_clipboard_program):
    """Open sessions are listed first: once AB12 is closed it moves down, and y must still be
    AB12's chart note, not the session that took its row."""
    app = open_app()
    for patient in ("AB12", "CD34"):
        session = app.repo.commands.create_session(patient, "Medicare")
        clock.advance(minutes=15)
        app.repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=12),
                                      clock.now - timedelta(minutes=2))
    app.repo.pop_notices()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.selected() is not None
        first = app.repo.queries.session(app.screen.selected()).patient
        await pilot.press("c", "enter")
        await pilot.pause()
        assert app.repo.queries.session(app.screen.selected()).patient == first
        await pilot.press("y")
        await pilot.pause()
        assert f"Patient: {first}" in app.screen.text


async def test_today_lists_a_back_filled_morning_patient_in_the_morning(open_app, clock):
    """Sessions in the order treated (first segment), not the order opened."""
    app = open_app()
    afternoon = app.repo.commands.create_session("PM01", "Medicare")
    app.repo.commands.start(afternoon.id, "97110")
    clock.advance(minutes=20)
    app.repo.commands.stop(afternoon.id)
    morning = app.repo.commands.create_session("AM01", "Medicare")  # entered after the fact
    app.repo.commands.add_segment(morning.id, "97140", clock.now - timedelta(hours=3),
                                  clock.now - timedelta(hours=2, minutes=30))
    app.repo.pop_notices()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        table = app.screen.table
        assert [str(table.get_row_at(r)[0]) for r in range(table.row_count)] == [
            "AM01", "PM01"]
        assert str(table.get_cell(str(morning.id), "from")) == local_time(
            clock.now - timedelta(hours=3), app.repo.zone)


async def test_the_newest_notice_comes_first_so_a_long_one_is_never_the_one_cut(open_app):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        app.tell("an older warning", "warning")
        app.tell("Wrote 1 claim line; left out ZZ9, Q7, AB12, CD34", kind="export")
        await pilot.pause()
        lines = str(app.screen.query_one(".notices").render()).split("\n")
        assert lines[0].startswith("Wrote 1 claim line") and lines[-1] == "! an older warning"


def test_the_group_names_a_reference_with_a_comma_as_it_is_typed():
    from tui.screens.group import named, quoted

    assert named([quoted("DOE, J"), quoted("AB12")]) == '"DOE, J", AB12'
