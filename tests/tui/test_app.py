"""Every key of the design table, every dialog's validation, restart, with a fake clock."""

from datetime import timedelta

from textual.widgets import DataTable

from core.models import FurnishedBy
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import FormDialog
from tui.screens.help import HelpScreen
from tui.screens.review import ReviewScreen
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen
from tui.widgets.code_tile import CodeTile

from .conftest import SIZE


async def fill(pilot, **values):
    """Type into the open form's fields by name, then submit it."""
    for name, value in values.items():
        pilot.app.screen.query_one(f"#field-{name}").value = value  # an Input or a Select
    await pilot.press("enter")
    await pilot.pause()


async def new_session(pilot, patient="AB12", payer="Medicare"):
    await pilot.press("n")
    await pilot.pause()
    await fill(pilot, patient=patient, payer=payer)
    assert isinstance(pilot.app.screen, SessionScreen)
    return pilot.app.screen.session_id


def segments(app, session_id):
    return app.repo.queries.segments_of(session_id)


async def timed(pilot, clock, *steps):
    """Press each key, then let that many minutes pass: timed(pilot, clock, ("1", 10))."""
    for key, minutes in steps:
        await pilot.press(key)
        clock.advance(minutes=minutes)
    await pilot.pause()


async def chart_note_of_ab12(pilot, clock):
    """AB12's new session, 12 minutes of 97110, then y: its chart note on screen, copied."""
    await new_session(pilot, "AB12")
    await timed(pilot, clock, ("1", 12))
    await pilot.press("y")
    await pilot.pause()
    return pilot.app.screen


async def test_new_session_from_today_opens_it(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, TodayScreen)
        session_id = await new_session(pilot, "AB12", "Commercial")
        session = app.repo.queries.session(session_id)
        assert (session.patient, session.payer.name) == ("AB12", "Commercial")


async def test_new_session_validation_keeps_the_dialog_and_saves_nothing(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, patient="   ")
        assert isinstance(app.screen, FormDialog)
        assert "patient reference" in str(app.screen.query_one("#error").render())
        assert app.repo.queries.open_sessions() == []


async def test_enter_opens_the_selected_session_and_escape_goes_back(open_app, clock):
    app = open_app()
    first = app.repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=1)
    second = app.repo.commands.create_session("CD34", "Medicare")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen) and app.screen.session_id == second.id
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        await pilot.press("up", "enter")
        await pilot.pause()
        assert app.screen.session_id == first.id


async def test_number_keys_switch_codes_and_space_r_pause_and_resume(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1")
        clock.advance(minutes=10)
        await pilot.press("2")
        await pilot.pause()
        first, second = segments(app, session_id)
        assert (first.code, second.code) == ("97110", "97140")
        assert first.end == second.start and second.running
        clock.advance(minutes=5)
        await pilot.press("space")
        await pilot.pause()
        assert not any(s.running for s in segments(app, session_id))
        clock.advance(minutes=2)
        await pilot.press("r")
        await pilot.pause()
        assert segments(app, session_id)[-1].code == "97140"
        assert segments(app, session_id)[-1].running
        tile = app.screen.query_one("#tile-2", CodeTile)
        assert tile.has_class("-running")


async def test_untimed_codes_run_alongside(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1", "8")  # 97110, then a hot pack
        await pilot.pause()
        assert [s.running for s in segments(app, session_id)] == [True, True]


async def test_one_pair_of_hands_across_sessions_with_a_notice(open_app, clock, told):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot, "AB12")
        await pilot.press("1")
        await pilot.press("escape")
        clock.advance(minutes=9)
        second = await new_session(pilot, "CD34")
        await pilot.press("3")
        await pilot.pause()
        assert ("Stopped 97110 on AB12: one pair of hands", "information") in told
        assert [s.code for s in app.repo.queries.running_segments()] == ["97530"]
        assert segments(app, second)[0].running


async def test_add_backdates_a_start_in_one_quick_entry(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1")
        clock.advance(minutes=20)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"97140", "tab", "6", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        first, second = segments(app, session_id)
        assert second.code == "97140" and second.running
        assert second.start == clock.now - timedelta(minutes=6) == first.end


async def test_add_a_finished_segment_and_bad_input_stays_in_the_dialog(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        clock.advance(minutes=30)
        await pilot.press("a")
        await pilot.pause()
        for values, message in (
            ({"code": "97532", "start": "20", "minutes": "10"}, "deleted code"),
            ({"code": "97530", "start": "soon", "minutes": "10"}, "minutes ago"),
            ({"code": "97530", "start": "20", "minutes": "0"}, "whole minutes"),
            ({"code": "97530", "start": "5", "minutes": "10"}, "in the future"),
        ):
            await fill(pilot, **values)
            assert isinstance(app.screen, FormDialog)
            assert message in str(app.screen.query_one("#error").render())
            assert segments(app, session_id) == []
        await fill(pilot, code="97530", start="20", minutes="12", note="stairs")
        (added,) = segments(app, session_id)
        assert added.end - added.start == timedelta(minutes=12) and added.note == "stairs"


async def test_edit_validates_before_saving(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 10), ("2", 10), ("space", 0))
        first, second = segments(app, session_id)
        await pilot.press("e")  # the last row (97140) is selected
        await pilot.pause()
        start = app.repo.local(first.start).strftime("%H:%M:%S")
        await fill(pilot, start=start, reason="mistimed")
        assert isinstance(app.screen, FormDialog)
        assert "overlaps 97110" in str(app.screen.query_one("#error").render())
        await fill(pilot, start="", reason="mistimed")
        assert "not a clock time" in str(app.screen.query_one("#error").render())
        later = app.repo.local(second.start + timedelta(minutes=2)).strftime("%H:%M:%S")
        await fill(pilot, start=later, reason="")
        assert "say why" in str(app.screen.query_one("#error").render())
        await fill(pilot, start=later, by="assistant", reason="PTA started late")
        assert isinstance(app.screen, SessionScreen)
        edited = segments(app, session_id)[1]
        assert edited.start == second.start + timedelta(minutes=2)
        assert edited.furnished_by is FurnishedBy.ASSISTANT
        assert app.repo.queries.audit_of(session_id)[-1].reason == "PTA started late"


async def test_delete_asks_first_and_undo_brings_it_back(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 10))
        await pilot.press("space", "delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert len(segments(app, session_id)) == 1
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert segments(app, session_id) == []
        await pilot.press("u")
        await pilot.pause()
        assert [s.code for s in segments(app, session_id)] == ["97110"]


async def test_note_and_assistant_toggle(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 10))
        await pilot.press("space", "n")
        await pilot.pause()
        await fill(pilot, note="[bold]knee[/] flexion")
        await pilot.press("t")
        await pilot.pause()
        (segment,) = segments(app, session_id)
        assert segment.note == "[bold]knee[/] flexion"
        assert segment.furnished_by is FurnishedBy.ASSISTANT
        table = app.screen.query_one("#segments", DataTable)
        assert [str(cell) for cell in table.get_row_at(0)[-2:]] == ["assistant",
                                                                    "[bold]knee[/] flexion"]


async def test_forgotten_timer_is_flagged_and_stopped_at_a_chosen_time(open_app, clock, told):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1")
        started = segments(app, session_id)[0].start
        clock.advance(minutes=75)
        app.check_forgotten()
        app.screen.tick()
        await pilot.pause()
        assert any("has run 75 min" in message for message, _ in told)
        assert app.screen.query_one("#tile-1", CodeTile).has_class("-forgotten")
        await pilot.press("s")
        await pilot.pause()
        await fill(pilot, at="soon")
        assert "clock time" in str(app.screen.query_one("#error").render())
        before = app.repo.local(started - timedelta(minutes=5)).strftime("%H:%M")
        await fill(pilot, at=before)
        assert "cannot stop at" in str(app.screen.query_one("#error").render())
        assert segments(app, session_id)[0].running
        stop_at = app.repo.local(started + timedelta(minutes=25)).strftime("%H:%M")
        await fill(pilot, at=stop_at)
        (segment,) = segments(app, session_id)
        assert segment.end == started + timedelta(minutes=25)


async def test_the_units_approved_in_the_review_are_the_units_billed(open_app, clock):
    """A code still running: the review is worked out at the instant it opened, and the
    close stops the code there, however long the therapist reads it (7 minutes shown and
    approved, 8 would have billed a unit)."""
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 7))
        await pilot.press("c")
        await pilot.pause()
        shown = app.screen.review()
        assert shown.billing.total_timed_minutes == 7 and shown.billing.timed_units == 0
        reviewed_at = clock.now
        clock.advance(minutes=2)  # reading the review, then confirming
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        closed = app.repo.queries.session(session_id)
        assert closed.billing == shown.billing
        (segment,) = segments(app, session_id)
        assert segment.end == reviewed_at


async def test_close_reviews_then_enter_closes_and_o_reopens(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("1", 33), ("2", 7))
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("enter")  # 97140 still runs: asks first
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        closed = app.repo.queries.session(session_id)
        assert closed.billing is not None
        assert closed.billing.units == {"97110": 2, "97140": 1}
        app.open_session(session_id)
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        await fill(pilot, reason="")
        assert "needs a reason" in str(app.screen.query_one("#error").render())
        await fill(pilot, reason="forgot gait")
        assert app.repo.queries.session(session_id).is_open


async def test_review_tie_choice_is_kept(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await timed(pilot, clock, ("4", 20), ("1", 20))
        await pilot.press("space", "c")
        await pilot.pause()
        await pilot.press("t", "enter")
        await pilot.pause()
        billing = app.repo.queries.session(session_id).billing
        assert billing is not None and billing.units == {"97112": 1, "97110": 2}


async def test_t_cycles_through_every_allocation_of_a_three_way_tie(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot)
        await timed(pilot, clock, ("1", 7), ("2", 7), ("4", 7), ("space", 0))
        await pilot.press("c")
        await pilot.pause()
        seen = []
        for _ in range(3):
            await pilot.press("t")
            await pilot.pause()
            seen.append(tuple(sorted(app.screen.review().billing.units.items())))
        assert len(set(seen)) == 3  # each of the three codes takes the one unit in turn
        assert all(sum(units for _, units in choice) == 1 for choice in seen)


async def test_refusals_are_shown_not_swallowed(open_app, told):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert ("nothing to resume: no timed code has run in this session yet", "error") in told


async def test_help_lists_every_key_scrolls_and_closes(open_app):
    from tui.keys import keys

    app = open_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.table()
        assert table.row_count == len(keys())
        scroll = app.screen.query_one("#help-scroll")
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y > 0 and scroll.scroll_x == 0
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)


async def test_palette_starts_any_code_by_number(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"start 97542")
        await pilot.pause(0.3)  # the palette searches in a worker
        await pilot.press("enter")
        await pilot.pause()
        assert [s.code for s in segments(app, session_id)] == ["97542"]


async def test_ctrl_q_quits_and_a_restart_finds_the_timer_running(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1")
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
    app.repo.close()
    clock.advance(minutes=13, seconds=20)
    again = open_app()
    async with again.run_test(size=SIZE) as pilot:
        table = again.screen.query_one("#sessions", DataTable)
        assert [str(cell) for cell in table.get_row_at(0)[2:4]] == ["97110 13:20", "13"]
        await pilot.press("enter")
        await pilot.pause()
        assert again.screen.session_id == session_id
        assert again.screen.query_one("#tile-1", CodeTile).has_class("-running")
