"""The app against what people type and what goes wrong: text shown exactly as typed on every
screen, a crash that names its report and shows no patient data, a full disk, a removed custom
code, a DST night."""

import csv
import errno
import stat
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import Input

from core.catalog import CatalogEntry
from core.formats.segments_csv import COLUMNS
from core.models import Discipline, PayerProfile
from storage.imports import import_segments
from storage.repository import Repository
from tui.app import make_app
from tui.dialogs.form import FormDialog
from tui.screens.day import DaySummaryScreen
from tui.screens.history import PatientHistoryScreen
from tui.screens.review import ReviewScreen
from tui.screens.session import SessionScreen

SIZE = (160, 40)


def screen_text(app) -> str:
    """What the screen shows, as text (the compositor's own lines)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def show(pilot, screen):
    await pilot.app.push_screen(screen)
    await pilot.pause()
    return screen_text(pilot.app)


HOSTILE = ["AB[/]12", "[bold]x[/bold]", "[/red]", "[@click=app.quit]q[/]", "[link=x]y",
           "🦵 knee", "שלום 12", "مرحبا", "a\\[b]", "$var ${x}"]
fragments = st.sampled_from([*HOSTILE, "[", "]", "/", "=", "x", " "])


async def walk_every_screen(app, pilot, session_id, patient, note):
    """Today, the session, its review, the day, the history, the chart note, the palette."""
    await pilot.pause()
    assert patient in screen_text(app)
    shown = await show(pilot, SessionScreen(session_id))
    assert patient in shown and note in shown
    app.pop_screen()
    assert patient in await show(pilot, ReviewScreen(session_id))
    app.pop_screen()
    day = app.repo.queries.session(session_id).date_of_service
    assert patient in await show(pilot, DaySummaryScreen(day))
    app.pop_screen()
    assert patient in await show(pilot, PatientHistoryScreen(patient))
    app.pop_screen()
    app.show_chart_note(session_id)
    await pilot.pause()
    assert patient in app.screen.query_one("#note-text").text
    app.pop_screen()


@pytest.mark.slow
@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(patient=st.lists(fragments, min_size=1, max_size=4).map("".join),
       note=st.lists(fragments, min_size=1, max_size=5).map("".join))
async def test_imported_text_is_shown_literally_on_every_screen(tmp_path_factory, patient, note):
    patient = patient.strip()[:40] or "AB[/]12"
    clock_now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    folder = tmp_path_factory.mktemp("data")
    source = folder.parent / f"{folder.name}.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([
            COLUMNS,
            ["0b0b0b0b-0000-4000-8000-000000000001", "2026-03-02", patient, "Medicare", "cms",
             "PT", "97110", "2026-03-02T09:00:00-05:00", "2026-03-02T09:20:00-05:00", "1200",
             "therapist", note],
        ])
    with Repository.open(folder, lambda: clock_now) as repo:
        report = import_segments(repo, source)
        assert report.errors == ()
        (session,) = repo.queries.sessions_on(clock_now.date())
        app = make_app(lambda: clock_now, repo)
        async with app.run_test(size=SIZE) as pilot:
            await walk_every_screen(app, pilot, session.id, patient, note)


async def test_a_bracketed_note_and_patient_live_through_every_screen(open_app, clock):
    """The exact probe: a note `[/red] L knee [flexion 120]` crashed the app for good."""
    app = open_app()
    session = app.repo.commands.create_session("AB[/]12", "Medicare")
    note = "[/red] L knee [flexion 120]"
    app.repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=20),
                         clock.now - timedelta(minutes=5), note=note)
    async with app.run_test(size=SIZE) as pilot:
        await walk_every_screen(app, pilot, session.id, "AB[/]12", note)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"AB[")
        await pilot.pause(0.3)  # the palette searches in a worker
        assert "Open session AB[/]12" in screen_text(app)


async def test_payer_and_code_names_with_brackets_are_literal(data_dir, clock, settings):
    custom = CatalogEntry(code="S9131", descriptor="[i]Dry needling[/i]", short="[x]",
                          timed=True, disciplines=(Discipline.PT,))
    odd = settings.model_copy(update={
        "payers": (PayerProfile(name="[b]Blue[/b] Cross", method="per-code"),),
        "custom_codes": (custom,), "therapist": "[red]Dana", "favourites": ("S9131",)})
    with Repository.open(data_dir, clock, odd) as repo:
        session = repo.commands.create_session("AB12", "[b]Blue[/b] Cross")
        app = make_app(clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "[b]Blue[/b] Cross" in screen_text(app)
            shown = await show(pilot, SessionScreen(session.id))
            assert "[x]" in shown and "[b]Blue[/b] Cross" in shown
            await pilot.press("n")  # the new-session dialog lists the payer literally
            app.pop_screen()
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, FormDialog)
            assert "[b]Blue[/b] Cross (per-code)" in screen_text(app)


async def test_an_unexpected_error_exits_1_with_a_report_and_no_patient_data(open_app, clock,
                                                                             monkeypatch):
    app = open_app()
    session = app.repo.commands.create_session("AB12", "Medicare")
    note = "John Q Public DOB 1950-01-01"
    app.repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=20),
                         clock.now - timedelta(minutes=5), note=note)

    def broken(self, code):
        segments = self.tabletime.repo.queries.segments_of(self.session_id)
        raise KeyError(segments[0].note)  # the data is in the error and in local variables

    monkeypatch.setattr(SessionScreen, "start", broken)
    with pytest.raises(KeyError):  # a test run still sees the error
        async with app.run_test(size=SIZE) as pilot:
            app.open_session(session.id)
            await pilot.pause()
            await pilot.press("1")
            await pilot.pause()
    assert app.return_code == 1
    message = app.crash
    assert message is not None
    assert "unexpected error" in message and "KeyError" in message
    assert "1950" not in message and "AB12" not in message
    (report,) = (app.repo.data_dir / "crashes").iterdir()
    assert str(report) in message and stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text()
    assert "KeyError" in text and "broken" in text
    assert "1950" not in text and "John" not in text and "AB12" not in text


async def test_a_full_disk_on_a_switch_is_a_message_and_the_app_lives(open_app, clock, told,
                                                                      monkeypatch):
    from storage import document_storage as store
    from storage import journal

    app = open_app()
    session = app.repo.commands.create_session("AB12", "Medicare")
    app.repo.commands.start(session.id, "97110")
    clock.advance(minutes=9)

    def full(path, content, **options):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    async with app.run_test(size=SIZE) as pilot:
        app.open_session(session.id)
        await pilot.pause()
        monkeypatch.setattr(store, "write_atomic", full)
        monkeypatch.setattr(journal, "append", full)  # a switch appends to the day's journal
        await pilot.press("2")
        await pilot.pause()
        assert any("not saved: no space left on device" in m for m, s in told if s == "error")
        monkeypatch.undo()
        assert [s.code for s in app.repo.queries.running_segments()] == ["97110"]
        await pilot.press("2")  # room again: the switch works
        await pilot.pause()
        assert [s.code for s in app.repo.queries.running_segments()] == ["97140"]


async def test_a_removed_custom_code_is_shown_never_a_crash(data_dir, clock, settings):
    custom = CatalogEntry(code="S9131", descriptor="Dry needling", timed=True,
                          disciplines=(Discipline.PT,))
    with Repository.open(data_dir, clock, settings.model_copy(
            update={"custom_codes": (custom,)})) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        repo.commands.start(session.id, "S9131")
        clock.advance(minutes=12)
    with Repository.open(data_dir, clock, settings) as repo:
        app = make_app(clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "S9131" in await show(pilot, SessionScreen(session.id))
            app.pop_screen()
            assert "not defined" in await show(pilot, ReviewScreen(session.id))
            app.pop_screen()
            assert "S9131" in await show(pilot, DaySummaryScreen(session.date_of_service))


async def test_a_dst_night_edit_changes_only_what_was_typed(data_dir, settings):
    from tests.conftest import FakeClock

    clock = FakeClock(datetime(2026, 11, 1, 7, 0, tzinfo=UTC))  # 02:00 EST, after fall back
    with Repository.open(data_dir, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        start = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
        end = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST, an hour later
        segment = repo.commands.add_segment(session.id, "97110", start, end)
        app = make_app(clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            app.open_session(session.id)
            await pilot.pause()
            await pilot.press("e")
            await pilot.pause()
            dialog = app.screen
            assert dialog.query_one("#field-start", Input).value == "01:30:00 EDT"
            assert dialog.query_one("#field-end", Input).value == "01:30:00 EST"
            dialog.query_one("#field-note", Input).value = "gait belt"
            dialog.query_one("#field-reason", Input).value = "note"
            await pilot.press("enter")
            await pilot.pause()
            (after,) = repo.queries.segments_of(session.id)
            assert (after.start, after.end, after.note) == (start, end, "gait belt")
            await pilot.press("e")
            await pilot.pause()
            app.screen.query_one("#field-start", Input).value = "01:30"
            app.screen.query_one("#field-reason", Input).value = "retimed"
            await pilot.press("enter")
            await pilot.pause()
            error = str(app.screen.query_one("#error").render())
            assert "01:30 EDT or 01:30 EST" in error
            assert repo.queries.segments_of(session.id)[0].start == segment.start
