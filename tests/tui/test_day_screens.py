"""The day summary and patient history screens, with their keys."""

from datetime import timedelta
from decimal import Decimal

import pytest
from textual.widgets import DataTable, TextArea

from core.billing.modifiers import TherapyBucket
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import FormDialog
from tui.screens.chart_note import ChartNoteScreen
from tui.screens.day import DaySummaryScreen
from tui.screens.history import PatientHistoryScreen
from tui.screens.review import ReviewScreen
from tui.screens.session import SessionScreen

from .conftest import SIZE


@pytest.fixture
def busy_day(open_app, clock):
    """Yesterday one session; today a closed overlap pair, a pooled patient, an open session."""
    app = open_app()
    repo = app.repo

    def closed_session(patient, minutes):
        session = repo.commands.create_session(patient, "Medicare")
        clock.advance(minutes=minutes)
        repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=minutes),
                                  clock.now)
        repo.commands.close_session(session.id)

    closed_session("OLD1", 20)
    clock.advance(days=1)
    closed_session("AB12", 10)
    clock.advance(hours=2)
    closed_session("AB12", 10)
    still = repo.commands.create_session("CD34", "Commercial")
    repo.commands.start(still.id, "97530")
    clock.advance(minutes=12)
    repo.pop_notices()
    return app


async def test_d_opens_the_day_with_pooling_and_checks(busy_day):
    app = busy_day
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DaySummaryScreen) and screen.summary is not None
        summary = screen.summary
        assert [s.session.patient for s in summary.sessions] == ["AB12", "AB12", "CD34"]
        assert [(r.patient, r.code, r.units) for r in summary.rows] == [
            ("AB12", "97110", 1), ("CD34", "97530", 1)]
        kinds = {c.kind.value for c in summary.checks}
        assert kinds == {"pooling", "open-session"}
        assert screen.table.row_count == 3


async def test_brackets_move_between_days_and_g_jumps(busy_day, clock):
    app = busy_day
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "[")
        await pilot.pause()
        screen = app.screen
        assert [s.session.patient for s in screen.summary.sessions] == ["OLD1"]
        await pilot.press("]", "]")
        await pilot.pause()
        assert screen.summary.sessions == ()
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("ctrl+a")
        field = app.screen.query_one("#field-day")
        field.value = "not a date"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        field.value = (clock.now - timedelta(days=1)).date().isoformat()
        await pilot.press("enter")
        await pilot.pause()
        assert [s.session.patient for s in screen.summary.sessions] == ["OLD1"]


async def test_w_jumps_to_the_next_session_with_a_check(busy_day, told):
    app = busy_day
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "w")
        await pilot.pause()
        # the open CD34 is listed first (row 0), then the first AB12 session, flagged
        assert app.screen.table.cursor_row == 1
        await pilot.press("w")
        await pilot.pause()
        assert app.screen.table.cursor_row == 2  # the second AB12, pooled
        await pilot.press("w")
        await pilot.pause()
        assert app.screen.table.cursor_row == 0  # round to the open one
        assert any("still open" in message for message, _ in told)


async def test_c_reviews_and_closes_an_open_session_from_the_day(busy_day):
    app = busy_day
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "c")  # the open session is listed first
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("enter", "y")
        await pilot.pause()
        assert isinstance(app.screen, DaySummaryScreen) and app.screen.summary is not None
        assert all(not s.session.is_open for s in app.screen.summary.sessions)


async def test_enter_opens_a_session_and_escape_returns(busy_day):
    app = busy_day
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DaySummaryScreen)


async def test_h_shows_the_patient_history_and_y_the_chart_note(busy_day):
    app = busy_day
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "down", "h")  # AB12, below the open CD34
        await pilot.pause()
        assert isinstance(app.screen, PatientHistoryScreen)
        assert app.screen.query_one(DataTable).row_count == 2
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ChartNoteScreen)
        assert "Patient: AB12" in app.screen.text
        assert app.clipboard == app.screen.text
        await pilot.press("escape", "escape", "y")
        await pilot.pause()
        assert isinstance(app.screen, ChartNoteScreen)
        assert "Therapist: Dana Reyes, PT, DPT" in app.screen.text


async def test_x_exports_claim_lines_and_names_the_file(busy_day, told):
    app = busy_day
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "x")
        await pilot.pause()
        app.screen.query_one("#field-last").value = "2020-01-01"
        await pilot.press("enter")
        await pilot.pause()
        assert "is after" in str(app.screen.query_one("#error").render())
        day = app.repo.local(app.clock()).date().isoformat()
        app.screen.query_one("#field-last").value = day
        await pilot.press("enter")
        await pilot.pause()
        # CD34's session is open: named, and nothing is written before the user agrees.
        assert isinstance(app.screen, ConfirmDialog)
        assert "CD34" in app.screen.question
        path = app.repo.data_dir / "exports" / f"lines-{day}-{day}.csv"
        assert not path.exists()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DaySummaryScreen)
        assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
        assert path.read_text().count("\n") == 2  # header and AB12's pooled line
        assert any(m.startswith(f"Wrote 1 claim line to {path}") and
                   "left out 1 open session" in m and "CD34" in m for m, _ in told)


async def test_x_with_an_open_session_can_be_called_off(busy_day):
    app = busy_day
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "x", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)  # back in the form, what was typed kept
        assert "open sessions" in str(app.screen.query_one("#error").render())
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        assert not (app.repo.data_dir / "exports").exists()


async def test_history_records_what_other_providers_billed(busy_day):
    app = busy_day
    async with app.run_test(size=(120, 34)) as pilot:
        patient = "AB12"
        app.push_screen(PatientHistoryScreen(patient))
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#field-amount").value = "12.345"
        await pilot.press("enter")
        await pilot.pause()
        assert "not an amount in dollars and cents" in str(dialog.query_one("#error").render())
        dialog.query_one("#field-amount").value = "$2,500"
        await pilot.press("enter")
        await pilot.pause()
        year = app.repo.local(app.clock()).year
        used = app.repo.patients.used_elsewhere(year)
        assert used[(patient, TherapyBucket.PT_SLP)] == Decimal("2500")


@pytest.mark.parametrize(("tool", "words"), [("xclip", "copied to the clipboard"),
                                             (None, "no clipboard program took it")])
async def test_the_chart_note_says_copied_only_when_a_clipboard_program_took_it(
        busy_day, monkeypatch, tool, words):
    import tui.screens.chart_note

    taken: list[str] = []

    def copy_text(text: str) -> str | None:
        taken.append(text)
        return tool

    monkeypatch.setattr(tui.screens.chart_note, "copy_text", copy_text)
    app = busy_day
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d", "y")
        await pilot.pause()
        assert isinstance(app.screen, ChartNoteScreen) and words in app.screen.title_text
        assert taken == [app.screen.text]
        area = app.screen.query_one("#note-text", TextArea)
        assert area.selected_text == app.screen.text  # selected: ctrl+c copies it too


async def test_x_writes_nothing_when_a_day_the_claims_need_cannot_be_read(busy_day, told):
    app = busy_day
    yesterday = app.today() - timedelta(days=1)
    path = app.repo.store.day_path(yesterday)  # OLD1's day: KX counts the year so far
    path.unlink()
    path.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "x", "enter", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert not list((app.repo.data_dir / "exports").glob("*.csv"))
    assert any(m.startswith("Nothing exported: the export would lack 1 file") and
               str(path) in m and severity == "error" for m, severity in told)


async def test_help_typed_right_after_h_opens_over_the_history_h_opened(busy_day):
    """`h f1` in one burst: the app's own key (help) waits behind `h` on its way to the day
    summary's bindings; it took it at once before, and `h` arrived on the help and was lost."""
    from tui.screens.help import HelpScreen

    from .test_at_the_table_again import burst

    app = busy_day
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "down")
        await pilot.pause()
        burst(app, "h", "f1")
        await pilot.pause(0.3)
        assert [type(s) for s in app.screen_stack][-3:] == [
            DaySummaryScreen, PatientHistoryScreen, HelpScreen]
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, PatientHistoryScreen)
