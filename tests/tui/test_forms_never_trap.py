"""Forms never trap (issue 17): enter saves from any field, a field of options selects by
typing where it stands, escape asks before it discards what was typed (and none of its keys
reaches the screen behind), tab goes top to bottom. Driven by keys, as a therapist would."""

import pytest

from core.models import Method, PayerProfile
from tui.dialogs.form import DiscardDialog, FormDialog
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen
from tui.widgets.choice import Choice

from .conftest import SIZE
from .test_app import new_session
from .test_hostile_app import screen_text


async def open_new_session_form(pilot):
    await pilot.press("n")
    await pilot.pause()
    assert isinstance(pilot.app.screen, FormDialog)
    return pilot.app.screen


async def test_enter_on_the_payer_choice_saves_the_new_session(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        await pilot.press(*"AB12", "tab", "right")
        assert app.focused is form.field("payer")
        assert isinstance(app.focused, Choice)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)  # saved, and the session opened
        session = app.repo.queries.session(app.screen.session_id)
    assert (session.patient, session.payer.name) == ("AB12", "Medicare Advantage")


async def test_typing_com_on_the_payer_field_selects_commercial(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        await pilot.press(*"CD34", "tab", *"com")
        assert form.values()["payer"] == "Commercial"
        assert isinstance(app.screen, FormDialog)  # nothing popped over the form
        await pilot.press("enter")
        await pilot.pause()
        opened = app.screen
        assert isinstance(opened, SessionScreen)
        session = app.repo.queries.session(opened.session_id)
    assert session.payer.name == "Commercial"


@pytest.mark.parametrize(("typed", "chosen"), [
    ("medicaid", "Medicaid"),  # the first letters, then more of them
    ("adv", "Medicare Advantage"),  # no option starts so: one that holds it
    ("mm", "Medicare Advantage"),  # the same letter again: the next option starting with it
    ("t", "TRICARE"),
    ("x", "Medicare"),  # nothing matches: the choice stays
])
async def test_the_payer_field_types_ahead(open_app, typed, chosen):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        await pilot.press("tab", *typed)
        assert form.values()["payer"] == chosen


async def test_left_right_and_space_step_through_the_options(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        await pilot.press("tab", "left")
        assert form.values()["payer"] == "Commercial"  # from the first, back to the last
        await pilot.press("space", "right")
        assert form.values()["payer"] == "Medicare Advantage"


async def test_escape_with_typed_text_asks_and_keep_editing_keeps_it(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        await pilot.press(*"AB12", "tab", *"com", "escape")
        await pilot.pause()
        assert isinstance(app.screen, DiscardDialog)
        assert app.screen.question == "Discard what you typed?"
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert form.is_current
        assert form.values() == {"patient": "AB12", "payer": "Commercial", "discipline": "PT",
                                 "pos": "11 office", "mode": ""}
        assert app.focused is form.field("payer")
        await pilot.press("escape", "k")  # k keeps editing too
        await pilot.pause()
        assert form.is_current and form.values()["patient"] == "AB12"


async def test_discard_closes_with_nothing_saved_and_today_gets_no_key(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        today = app.screen
        await open_new_session_form(pilot)
        # escape, escape, ... only ever goes between the form and the question
        await pilot.press(*"AB12", "escape", "escape", "escape", "escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, DiscardDialog)
        await pilot.press("d")  # discards; Today's d (the day summary) never sees it
        await pilot.pause()
        assert app.screen is today and isinstance(today, TodayScreen)
        assert len(app.screen_stack) == 2  # Textual's default screen, Today
        assert app.repo.queries.open_sessions() == []


async def test_in_a_session_escapes_in_a_form_never_go_back_to_today(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        session = app.screen
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"97140", *["escape"] * 6)  # an even number: the form again
        await pilot.pause()
        assert isinstance(app.screen, FormDialog) and app.screen.values()["code"] == "97140"
        await pilot.press("escape", "y")  # y discards too (as in every question)
        await pilot.pause()
        assert app.screen is session  # the session's escape (back to Today) was not pressed
        assert app.repo.queries.segments_of(session_id) == []


async def test_escape_on_an_untouched_form_closes_at_once(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        today = app.screen
        await open_new_session_form(pilot)
        await pilot.press("tab", "right", "left")  # changed and changed back: untouched
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is today
        assert app.repo.queries.open_sessions() == []


async def test_cancel_with_typed_text_asks_too(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        await pilot.press(*"AB12", *["tab"] * 6)
        assert app.focused is form.query_one("#cancel")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DiscardDialog)
        assert app.focused is app.screen.query_one("#no")  # enter here keeps editing
        await pilot.press("enter")
        await pilot.pause()
        assert form.is_current and form.values()["patient"] == "AB12"


async def test_tab_goes_top_to_bottom_then_save_then_cancel(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        order = ["field-patient", "field-payer", "field-discipline", "field-pos", "field-mode",
                 "save", "cancel"]
        seen = [app.focused.id]
        for _ in range(len(order)):
            await pilot.press("tab")
            seen.append(app.focused.id)
        assert seen == [*order, order[0]]  # and round again
        back = []
        for _ in range(len(order)):
            await pilot.press("shift+tab")
            back.append(app.focused.id)
        assert back == [order[-1], *order[-2::-1]]
        assert form.is_current


async def test_enter_on_a_choice_submits_every_form_and_a_refusal_points_at_its_field(
        open_app):
    """The correction form: enter on its payer choice submits it; no reason, no change."""
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("p")
        await pilot.pause()
        form = app.screen
        await pilot.press("tab", *"tri", "enter")
        await pilot.pause()
        assert form.is_current
        assert "say why" in str(form.query_one("#error").render())
        assert app.focused is form.field("reason")
        await pilot.press(*"wrong card", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert app.repo.queries.session(session_id).payer.name == "TRICARE"


async def test_a_payer_name_with_markup_shows_literally(data_dir, clock, settings):
    from storage.repository import Repository
    from tui.app import make_app

    odd = settings.model_copy(update={"payers": (
        PayerProfile(name="[bold]Blue[/bold] Cross", method=Method.PER_CODE),
        PayerProfile(name="Medicare", method=Method.CMS, medicare=True))})
    with Repository.open(data_dir, clock, odd) as repo:
        app = make_app(clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            form = await open_new_session_form(pilot)
            await pilot.press("tab")
            assert "◂ [bold]Blue[/bold] Cross (per-code) ▸" in screen_text(app)
            await pilot.press(*"blue")
            assert form.values()["payer"] == "[bold]Blue[/bold] Cross"


async def test_a_filled_in_value_the_choice_does_not_offer_leaves_it_as_it_is(open_app):
    """A known patient whose last payer is gone from the settings: the payer stays."""
    from tui.dialogs.form import FormField

    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = FormDialog("Form", [FormField("patient", "Patient"),
                                   FormField("payer", "Payer", options=[("Medicare", "Medicare")])],
                          lambda values: None, lambda field, values: {"payer": "Gone Health"})
        await app.push_screen(form)
        await pilot.pause()
        await pilot.press(*"AB")
        assert form.values() == {"patient": "AB", "payer": "Medicare"}


def test_a_choice_refuses_a_value_it_does_not_offer():
    choice = Choice([("Medicare (cms)", "Medicare")], "Medicare")
    with pytest.raises(ValueError, match="not one of the options"):
        choice.value = "Medicaid"
    assert choice.value == "Medicare"


SIZES = [pytest.param((80, 24), id="80x24"),
         pytest.param((120, 34), id="120x34", marks=pytest.mark.slow)]  # as test_snapshots


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_the_new_session_form_on_its_payer_choice(snap_compare, open_app, size):
    """The payer choice focused after typing: its arrows, its hint, one line."""
    assert snap_compare(open_app(), press=["n", *"AB12", "tab", *"com"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_the_question_before_discarding(snap_compare, open_app, size):
    assert snap_compare(open_app(), press=["n", *"AB12", "escape"], terminal_size=size)
