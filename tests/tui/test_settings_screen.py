"""Settings in the app (issue 17): the name that signs chart notes, the favourites on keys 1-9
(evaluation codes too), the payer offered first and the alert, saved atomically into
settings.toml; a refusal is said in the form with everything typed kept."""

import pytest

from core.models import Method, PayerProfile
from core.settings import Settings
from storage.settings_file import load_settings
from tui.dialogs.form import FormDialog
from tui.keys import SETTINGS_KEY, unsigned_reminder
from tui.screens.session import SessionScreen
from tui.screens.settings import SettingsDialog, settings_dialog
from tui.widgets.code_tile import CodeTile

from .conftest import SIZE
from .test_app import new_session
from .test_hostile_app import screen_text


async def open_settings(pilot) -> SettingsDialog:
    dialog = settings_dialog(pilot.app)
    await pilot.app.push_screen(dialog)
    await pilot.pause()
    return dialog


async def retype(pilot, dialog, name, text):
    """Put the cursor in a field, clear it and type `text`, as a person would."""
    field = dialog.field(name)
    field.focus()
    await pilot.pause()
    await pilot.press("end", *["backspace"] * len(field.value), *text)


def error(dialog) -> str:
    return str(dialog.query_one("#error").render())


async def test_saves_favourites_with_an_evaluation_code_and_the_alert(open_app, data_dir):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_settings(pilot)
        assert dialog.values()["fav9"] == "G0283"
        await retype(pilot, dialog, "fav9", "97161")
        assert str(dialog.query_one("#name-fav9").render()) == "PT eval L"
        await retype(pilot, dialog, "fav8", "")
        await retype(pilot, dialog, "fav9", "")
        await retype(pilot, dialog, "fav8", "97161")  # keys 1-8: fewer than nine
        dialog.field("alert").focus()
        await pilot.press(*"fla", "enter")  # "flash only, no bell", saved from the choice
        await pilot.pause()
        assert not isinstance(app.screen, FormDialog)
    saved = load_settings(data_dir)
    assert saved.favourites == ("97110", "97140", "97530", "97112", "97116", "97535", "97035",
                                "97161")
    assert saved.alert == "visual"
    assert app.settings == saved  # the app works with them from now on
    assert (saved.therapist, saved.credentials) == ("Dana Reyes", "PT, DPT")  # kept


async def test_refuses_an_unknown_code_by_name_and_keeps_what_was_typed(open_app, data_dir):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_settings(pilot)
        await retype(pilot, dialog, "therapist", "Sam Lee")
        await retype(pilot, dialog, "fav3", "97999")
        assert str(dialog.query_one("#name-fav3").render()) == "unknown"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        assert "key 3" in error(dialog) and "97999" in error(dialog)
        assert app.focused is dialog.field("fav3")
        assert dialog.values()["therapist"] == "Sam Lee"
        assert dialog.values()["fav3"] == "97999"
    assert not (data_dir / "settings.toml").exists()  # nothing written


@pytest.mark.parametrize(("typed", "said"), [
    ({"fav2": ""}, "key 2 is empty but key 9 is not"),
    ({"fav4": "97110"}, "97110 is on key 1 and key 4"),
    ({f"fav{slot}": "" for slot in range(1, 10)}, "at least one favourite"),
])
async def test_refuses_gaps_repeats_and_no_favourite(open_app, typed, said):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_settings(pilot)
        for name, text in typed.items():
            await retype(pilot, dialog, name, text)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        assert said in error(dialog)
    assert app.settings.favourites[1] == "97140"  # nothing saved


async def test_a_refusal_of_the_store_shows_in_the_form(open_app, data_dir):
    """settings.toml edited by hand while the app runs: kept, and the form says so."""
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_settings(pilot)
        path = data_dir / "settings.toml"
        path.write_text('therapist = "Dana Reyes"\n# edited by hand\n')
        await retype(pilot, dialog, "credentials", "PT")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        assert "settings.toml" in error(dialog) and "changed" in error(dialog)
        assert dialog.values()["credentials"] == "PT"
    assert path.read_bytes().endswith(b"# edited by hand\n")


async def test_the_payer_offered_first_is_first_in_the_new_session_form(open_app, data_dir):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_settings(pilot)
        dialog.field("payer").focus()
        await pilot.press(*"com", "enter")
        await pilot.pause()
        assert [p.name for p in app.settings.payers] == [
            "Commercial", "Medicare", "Medicare Advantage", "Medicaid", "TRICARE"]
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.values()["payer"] == "Commercial"
    assert load_settings(data_dir).payers[0].name == "Commercial"


async def test_name_and_discipline_sign_and_the_reminder_goes(open_app, data_dir, clock,
                                                              settings):
    from storage.repository import Repository
    from tui.app import make_app

    unsigned = settings.model_copy(update={"therapist": "", "credentials": ""})
    with Repository.open(data_dir, clock, unsigned) as repo:
        app = make_app(clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            reminder = unsigned_reminder(app)
            assert reminder is not None and SETTINGS_KEY in reminder
            await open_settings(pilot)
            await pilot.press(*"Sam Lee", "tab", *"OTR/L", "tab", *"ot", "enter")
            await pilot.pause()
            assert not isinstance(app.screen, FormDialog)
            assert unsigned_reminder(app) is None
    saved = load_settings(data_dir)
    assert (saved.therapist, saved.credentials, saved.discipline.value) == (
        "Sam Lee", "OTR/L", "OT")


async def test_how_long_the_flash_lasts(open_app, data_dir):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_settings(pilot)
        for typed in ("soon", "²"):  # ² is a digit to Python, not to int()
            await retype(pilot, dialog, "alert_seconds", typed)
            await pilot.press("enter")
            await pilot.pause()
            assert dialog.is_current and "whole number of seconds" in error(dialog)
        await retype(pilot, dialog, "alert_seconds", "12")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, FormDialog)
    assert load_settings(data_dir).model_dump()["alert_seconds"] == 12


async def test_escape_after_a_change_asks(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_settings(pilot)
        await retype(pilot, dialog, "fav1", "97112")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not dialog
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is dialog and dialog.values()["fav1"] == "97112"


async def test_payer_names_and_code_names_are_literal(data_dir, clock, settings):
    from storage.repository import Repository
    from tui.app import make_app

    odd = settings.model_copy(update={"payers": (
        PayerProfile(name="[bold]Blue[/bold] Cross", method=Method.PER_CODE),)})
    with Repository.open(data_dir, clock, odd) as repo:
        app = make_app(clock, repo)
        async with app.run_test(size=(120, 34)) as pilot:
            await open_settings(pilot)
            shown = screen_text(app)
            assert "◂ [bold]Blue[/bold] Cross (per-code) ▸" in shown
            assert "Payers: [bold]Blue[/bold] Cross" in shown


async def test_new_favourites_reach_an_open_session_when_it_shows_again(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot)
        session = app.screen
        dialog = await open_settings(pilot)
        await retype(pilot, dialog, "fav1", "97161")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is session and isinstance(session, SessionScreen)
        tile = session.query_one("#tile-1", CodeTile)
        assert tile.entry.code == "97161"


SIZES = [pytest.param((80, 24), id="80x24"),
         pytest.param((120, 34), id="120x34", marks=pytest.mark.slow)]  # as test_snapshots


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_the_settings(snap_compare, open_app, size):
    app = open_app()

    async def show(pilot):
        await pilot.app.push_screen(settings_dialog(pilot.app))
        await pilot.pause()

    assert snap_compare(app, run_before=show, press=["tab", "tab"], terminal_size=size)


def test_the_settings_fields_are_the_settings_own():
    """Every setting the form writes is a field of Settings (a rename would be caught)."""
    assert {"therapist", "credentials", "discipline", "alert", "favourites",
            "payers"} <= set(Settings.model_fields)
