"""At the treatment table (issue 11): unit alerts, untimed toggles, fixing a session's patient
or payer, deleting a mistaken session, first run, the theme kept, keys that refuse at once."""

from contextlib import contextmanager
from datetime import timedelta

import pytest

from core.models import Discipline
from storage.repository import Repository
from storage.settings_file import load_settings
from tui.app import make_app
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import FormDialog
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen
from tui.widgets.code_tile import CodeTile
from tui.widgets.session_header import SessionHeader

from .conftest import SIZE
from .test_app import fill, new_session, segments

NARROW = (80, 24)


@pytest.fixture
def rang(monkeypatch) -> list[int]:
    """Each terminal bell the app rings."""
    bells: list[int] = []
    monkeypatch.setattr("textual.app.App.bell", lambda self: bells.append(1))
    return bells


@contextmanager
def app_on_folder(data_dir, clock):
    """The app with the folder's own settings, as `tabletime` opens it (a first run when the
    folder has none)."""
    with Repository.open(data_dir, clock) as repo:
        yield make_app(clock, repo)


def header(app) -> str:
    return str(app.screen.query_one(SessionHeader).render())


async def at(pilot, clock, **elapsed):
    """Let time pass and let the screen's second tick see it."""
    clock.advance(**elapsed)
    pilot.app.screen.tick()
    await pilot.pause()


def alerts(told):
    return [message for message, _ in told if "reached" in message]


@pytest.mark.parametrize("size", [SIZE, NARROW])
async def test_a_unit_rings_and_shows_at_8_00_and_at_23_00(open_app, clock, told, rang, size):
    app = open_app()
    async with app.run_test(size=size) as pilot:
        await new_session(pilot, "AB12", "Medicare")
        await pilot.press("1")
        await at(pilot, clock, minutes=7, seconds=59)
        assert "next unit in 0:01" in header(app)
        assert alerts(told) == [] and rang == []
        await at(pilot, clock, seconds=1)
        assert alerts(told) == ["1 unit reached: timed total 8 min"] and rang == [1]
        assert app.screen.query_one(SessionHeader).has_class("-unit")
        assert app.screen.query_one("#tile-1", CodeTile).has_class("-unit")
        assert "timed 8 min = 1 timed unit" in header(app) and "next unit in 15:00" in header(app)
        await at(pilot, clock, minutes=14, seconds=59)  # 22:59: nothing new
        assert len(alerts(told)) == 1 and "next unit in 0:01" in header(app)
        await at(pilot, clock, seconds=1)
        assert alerts(told)[-1] == "2 units reached: timed total 23 min" and rang == [1, 1]


async def test_switching_codes_keeps_counting_the_day_total_under_medicare(open_app, clock,
                                                                         told, rang):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot, "AB12", "Medicare")
        await pilot.press("1")
        await at(pilot, clock, minutes=5)
        await pilot.press("2")  # 5 min of 97110 + 3 of 97140 make the first unit
        await at(pilot, clock, minutes=3)
        assert alerts(told) == ["1 unit reached: timed total 8 min"] and rang == [1]


async def test_per_code_the_running_codes_own_total_rings(open_app, clock, told, rang):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot, "AB12", "Commercial")
        await pilot.press("1")
        await at(pilot, clock, minutes=7)
        await pilot.press("2")
        await at(pilot, clock, minutes=7)
        assert alerts(told) == [] and rang == []  # 7 + 7 min: each code on its own, no unit
        await pilot.press("1")  # back to 97110: its total goes on from 7:00
        await pilot.pause()
        assert "▶7:00" in str(app.screen.query_one("#tile-1", CodeTile).render())
        await at(pilot, clock, minutes=1)
        assert alerts(told) == ["1 unit reached: 97110 8 min"] and rang == [1]


@pytest.mark.parametrize(("mode", "bells", "lit"), [("visual", 0, True), ("off", 0, False)])
async def test_the_alert_setting_chooses_bell_visual_or_off(open_app, clock, told, rang,
                                                            settings, mode, bells, lit):
    app = open_app()
    app.use_settings(settings.model_copy(update={"alert": mode}))
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot)
        await pilot.press("1")
        await at(pilot, clock, minutes=8)
        assert len(rang) == bells
        assert app.screen.query_one(SessionHeader).has_class("-unit") is lit
        assert len(alerts(told)) == (1 if lit else 0)


async def test_stopping_a_code_under_8_minutes_per_code_says_what_it_costs(open_app, clock,
                                                                          told):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot, "AB12", "Commercial")
        await pilot.press("2")
        clock.advance(minutes=5)
        await pilot.press("1")
        await pilot.pause()
        assert ("97140 stopped under 8 minutes: under this payer's per-code rule it bills no "
                "unit (3 more min would make one)", "warning") in told
        clock.advance(minutes=9)
        await pilot.press("space")  # 9 minutes: a unit, nothing to say
        await pilot.pause()
        assert not [m for m, _ in told if m.startswith("97110 stopped")]


async def test_stopping_under_medicare_costs_nothing_to_say(open_app, clock, told):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot, "AB12", "Medicare")
        await pilot.press("2")
        clock.advance(minutes=5)
        await pilot.press("1")
        await pilot.pause()
        assert not [m for m, _ in told if "stopped under 8 minutes" in m]


async def test_pressing_8_twice_starts_and_stops_the_hot_pack(open_app, clock, told):
    app = open_app()
    async with app.run_test(size=NARROW) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1", "8")
        clock.advance(minutes=12)
        await pilot.press("8")
        await pilot.pause()
        ex, pack = segments(app, session_id)
        assert (pack.code, pack.running, pack.duration(clock.now)) == \
            ("97010", False, timedelta(minutes=12))
        assert ex.running  # the timed code goes on
        assert ("Stopped 97010 after 12:00", "information") in told
        await pilot.press("8")  # and once more starts it again
        await pilot.pause()
        assert [s.code for s in segments(app, session_id) if s.running] == ["97110", "97010"]


async def test_space_names_the_untimed_code_and_its_key(open_app, told):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot)
        await pilot.press("8", "space")
        await pilot.pause()
        assert ("No timed code is running (97010 runs untimed: its key stops it).",
                "warning") in told


async def test_a_wrong_payer_is_corrected_with_p_and_undone_with_u(open_app, clock):
    app = open_app()
    async with app.run_test(size=NARROW) as pilot:
        session_id = await new_session(pilot, "AB12", "Medicare")
        await pilot.press("1")
        clock.advance(minutes=10)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        await fill(pilot, payer="Commercial", discipline="OT", reason="wrong payer")
        assert isinstance(app.screen, SessionScreen)
        session = app.repo.queries.session(session_id)
        assert (session.payer.name, session.discipline) == ("Commercial", Discipline.OT)
        assert "Commercial (per code) · OT" in header(app)
        audit = app.repo.queries.audit_of(session_id)
        assert audit[-1].reason == "wrong payer"
        await pilot.press("u")
        await pilot.pause()
        session = app.repo.queries.session(session_id)
        assert (session.payer.name, session.discipline) == ("Medicare", Discipline.PT)
        assert "Medicare (8-minute rule) · PT" in header(app)


async def test_p_without_a_reason_keeps_the_dialog_and_changes_nothing(open_app):
    app = open_app()
    async with app.run_test(size=NARROW) as pilot:
        session_id = await new_session(pilot, "AB12", "Medicare")
        await pilot.press("p")
        await pilot.pause()
        await fill(pilot, patient="AB13")
        assert isinstance(app.screen, FormDialog)
        assert "say why" in str(app.screen.query_one("#error").render())
        assert app.repo.queries.session(session_id).patient == "AB12"


async def test_keys_that_change_a_closed_session_refuse_at_once(open_app, clock, told):
    app = open_app()
    session = app.repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=10)
    app.repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=10),
                                  clock.now)
    app.repo.commands.close_session(session.id)
    before = app.repo.queries.session_view(session.id)
    async with app.run_test(size=NARROW) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        for key in ("a", "e", "delete", "backspace", "p", "s", "n", "1", "8", "space", "t"):
            told.clear()
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, SessionScreen), key  # no dialog opened
            assert any("closed" in message for message, _ in told), key
        assert app.repo.queries.session_view(session.id) == before


async def test_backspace_deletes_a_segment_after_asking(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1")
        clock.advance(minutes=3)
        await pilot.press("space", "backspace")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert segments(app, session_id) == []


async def test_a_mistaken_session_is_deleted_from_today_and_u_brings_it_back(open_app, clock,
                                                                           told):
    app = open_app()
    kept = app.repo.commands.create_session("AB12", "Medicare")
    mistaken = app.repo.commands.create_session("John Smit", "Medicare")
    app.repo.commands.start(mistaken.id, "97110")
    clock.advance(minutes=4)
    async with app.run_test(size=NARROW) as pilot:
        today = app.screen
        assert isinstance(today, TodayScreen)
        assert today.selected() == mistaken.id  # the one with the running timer
        await pilot.press("backspace")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # no: nothing happens
        await pilot.pause()
        assert {s.id for s in app.repo.queries.sessions_on(clock.now.date())} == \
            {kept.id, mistaken.id}
        await pilot.press("delete", "y")
        await pilot.pause()
        assert [s.id for s in app.repo.queries.open_sessions()] == [kept.id]
        assert app.repo.queries.running_segments() == []
        assert ("Deleted the session of John Smit (u brings it back)", "information") in told
        await pilot.press("u")
        await pilot.pause()
        assert {s.id for s in app.repo.queries.open_sessions()} == {kept.id, mistaken.id}
        assert [s.code for s in app.repo.queries.segments_of(mistaken.id)] == ["97110"]
        assert today.selected() == mistaken.id


async def test_a_closed_session_is_not_deleted_from_today(open_app, told):
    app = open_app()
    session = app.repo.commands.create_session("AB12", "Medicare")
    app.repo.commands.close_session(session.id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        assert any("closed" in message for message, severity in told if severity == "warning")
        assert app.repo.queries.session(session.id).patient == "AB12"


async def test_a_known_patient_comes_with_their_last_payer_and_discipline(open_app, clock):
    app = open_app()
    earlier = app.repo.commands.create_session("MRN-2002", "Commercial", Discipline.OT)
    app.repo.commands.close_session(earlier.id)
    clock.advance(days=7)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#field-patient").value = "MRN-2002"
        await pilot.pause()
        assert app.screen.query_one("#field-payer").value == "Commercial"
        assert app.screen.query_one("#field-discipline").value == "OT"
        app.screen.query_one("#field-patient").value = "NEW-1"  # a new patient: no change
        await pilot.pause()
        assert app.screen.query_one("#field-payer").value == "Commercial"
        await pilot.press("enter")
        await pilot.pause()
        session = app.repo.queries.session(app.screen.session_id)
        assert (session.patient, session.payer.name) == ("NEW-1", "Commercial")


async def test_first_run_asks_who_bills_and_writes_the_settings(data_dir, clock):
    with app_on_folder(data_dir, clock) as app:
        assert app.repo.first_run
        async with app.run_test(size=NARROW) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, FormDialog)
            assert "Welcome" in str(app.screen.query_one(".dialog-title").render())
            await fill(pilot, therapist="Dana Reyes", credentials="PT, DPT", discipline="OT",
                       timezone="America/Denver")
            assert isinstance(app.screen, TodayScreen)
    saved = load_settings(data_dir)
    assert (saved.therapist, saved.credentials, saved.discipline, saved.timezone) == \
        ("Dana Reyes", "PT, DPT", Discipline.OT, "America/Denver")
    with Repository.open(data_dir, clock) as reopened:
        assert not reopened.first_run  # asked once


async def test_a_first_run_closed_unanswered_asks_again(data_dir, clock):
    """The app closed (a terminal killed, a page reloaded) before the questions were
    answered: nothing written, so the next start asks again, never leaving the machine's
    zone unasked; a skip (escape) writes the defaults and asks no more."""
    with app_on_folder(data_dir, clock) as app:
        async with app.run_test(size=NARROW) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, FormDialog)
    assert not (data_dir / "settings.toml").exists()
    with app_on_folder(data_dir, clock) as app:
        assert app.repo.first_run
        async with app.run_test(size=NARROW) as pilot:
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, TodayScreen)
    assert (data_dir / "settings.toml").exists()
    with Repository.open(data_dir, clock) as reopened:
        assert not reopened.first_run


async def test_first_run_refuses_a_time_zone_it_does_not_know_and_escape_skips(data_dir, clock):
    with app_on_folder(data_dir, clock) as app:
        async with app.run_test(size=NARROW) as pilot:
            await pilot.pause()
            await fill(pilot, therapist="Dana", timezone="Mars/Olympus")
            assert isinstance(app.screen, FormDialog)
            assert "Mars/Olympus" in str(app.screen.query_one("#error").render())
            await pilot.press("escape", "d")  # typed text: escape asks, d discards
            await pilot.pause()
            assert isinstance(app.screen, TodayScreen)
    assert (data_dir / "settings.toml").exists()  # skipped: asked no more
    assert load_settings(data_dir).therapist == ""


async def test_the_chosen_theme_is_there_after_a_restart(data_dir, clock):
    for theme in ("nord", None):  # chosen, then found at the next start
        with app_on_folder(data_dir, clock) as app:
            async with app.run_test(size=SIZE) as pilot:
                await pilot.press("escape")  # the first run's questions
                if theme is not None:
                    app.theme = theme
                await pilot.pause()
                assert app.theme == "nord"
    assert load_settings(data_dir).theme == "nord"


async def test_todays_cursor_starts_on_the_newest_and_follows_the_session_used(open_app, clock):
    app = open_app()
    first = app.repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=30)
    newest = app.repo.commands.create_session("CD34", "Medicare")
    async with app.run_test(size=NARROW) as pilot:
        today = app.screen
        assert isinstance(today, TodayScreen)
        assert today.selected() == newest.id
        await pilot.press("up", "enter")
        await pilot.pause()
        assert app.screen.session_id == first.id
        await pilot.press("escape")
        await pilot.pause()
        assert today.selected() == first.id
        assert "2 sessions" in str(today.query_one("#today-title").render())


async def test_todays_cursor_stays_where_the_user_put_it(open_app, clock):
    """Closing a dialog or a screen never moves it: the next p or enter acts on that row."""
    app = open_app()
    first = app.repo.commands.create_session("AB12", "Medicare")
    app.repo.commands.start(first.id, "97110")
    clock.advance(minutes=5)
    second = app.repo.commands.create_session("CD34", "Commercial")
    async with app.run_test(size=NARROW) as pilot:
        today = app.screen
        assert isinstance(today, TodayScreen)
        assert today.selected() == first.id  # at start: the running timer's session
        await pilot.press("down")
        for keys in (["p", "escape"], ["f1", "escape"], ["d", "escape"], ["delete", "n"]):
            await pilot.press(*keys)
            await pilot.pause()
            assert app.screen is today and today.selected() == second.id, keys
        clock.advance(seconds=1)
        today.tick()
        assert today.selected() == second.id


async def test_u_never_undoes_a_close(open_app, clock, told):
    """Undoing a close would reopen it without a reason and bill the time it sat closed."""
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1")
        clock.advance(minutes=10)
        await pilot.press("c", "enter", "enter")  # review, close, stop the timer and close
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        closed = app.repo.queries.session_view(session_id)
        clock.advance(minutes=5)
        await pilot.press("enter", "u")
        await pilot.pause()
        assert app.repo.queries.session_view(session_id) == closed
        assert any("closed" in message for message, _ in told)


async def test_a_closed_sessions_footer_offers_reopen_not_the_timers(open_app, clock):
    app = open_app()
    session = app.repo.commands.create_session("AB12", "Medicare")
    app.repo.commands.close_session(session.id)
    async with app.run_test(size=NARROW) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        shown = {b.binding.action for b in app.screen.active_bindings.values() if b.binding.show}
        timers = {"start_slot(1)", "dialog('add')", "segment('edit')", "review"}
        assert "dialog('reopen')" in shown and not shown & timers
        await pilot.press("o")
        await pilot.pause()
        await fill(pilot, reason="forgot a code")
        shown = {b.binding.action for b in app.screen.active_bindings.values() if b.binding.show}
        assert "dialog('reopen')" not in shown and timers <= shown


async def test_add_backdates_the_running_code_when_it_was_started_late(open_app, clock, told):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1")
        clock.advance(minutes=20)
        await pilot.press("2")  # pressed 5 minutes late
        clock.advance(minutes=2)
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, code="97140", start="7")
        assert isinstance(app.screen, SessionScreen)
        ex, manual = segments(app, session_id)
        assert ex.end == manual.start == clock.now - timedelta(minutes=7) and manual.running
        assert ("97140 runs from 10:15", "information") in told


async def test_a_reason_left_out_puts_the_cursor_in_the_reason_field(open_app, clock):
    app = open_app()
    async with app.run_test(size=NARROW) as pilot:
        await new_session(pilot)
        await pilot.press("1")
        clock.advance(minutes=10)
        await pilot.press("space", "e")
        await pilot.pause()
        await fill(pilot, end="10:08")
        assert "say why" in str(app.screen.query_one("#error").render())
        assert app.screen.focused is app.screen.query_one("#field-reason")


async def test_first_run_wants_a_name_to_sign_chart_notes(data_dir, clock):
    with app_on_folder(data_dir, clock) as app:
        async with app.run_test(size=NARROW) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, FormDialog)
            assert "your name" in str(app.screen.query_one("#error").render())
            assert app.screen.focused is app.screen.query_one("#field-therapist")
