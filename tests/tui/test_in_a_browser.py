"""The app in a browser (App.is_web, under `tabletime serve`): the chart note goes to the
page's clipboard (the server's clipboard programs are not the tablet's), a file exported or
saved is also downloaded to the device, and there is no quit key (closing the tab is the
way out), help and palette are on ? and / (a browser may keep f1 and ctrl+p). In a
terminal, none of it changes but the footer."""

from pathlib import Path

import pytest

from tui.app import TabletimeApp
from tui.screens.chart_note import ChartNoteScreen

from .test_app import chart_note_of_ab12, new_session, timed

SMALL = (80, 24)


@pytest.fixture
def delivered(monkeypatch) -> list[Path]:
    """What the app hands the browser as a download (in a terminal, Textual would save it
    into the user's Downloads folder: never called there)."""
    files: list[Path] = []
    monkeypatch.setattr(TabletimeApp, "deliver_text",
                        lambda self, path, **options: files.append(Path(path)))
    return files


@pytest.fixture(params=[True, False], ids=["browser", "terminal"])
def web(request, monkeypatch) -> bool:
    monkeypatch.setattr(TabletimeApp, "is_web", property(lambda self: request.param))
    return bool(request.param)


async def test_the_chart_note_goes_to_the_page_s_clipboard(open_app, clock, monkeypatch, web):
    programs: list[str] = []

    def copy_text(text: str) -> str:
        programs.append(text)
        return "xclip"

    monkeypatch.setattr("tui.screens.chart_note.copy_text", copy_text)
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        screen = await chart_note_of_ab12(pilot, clock)
        assert isinstance(screen, ChartNoteScreen) and app.clipboard == screen.text
        if web:
            assert programs == [] and "copied to this browser's clipboard" in screen.title_text
        else:
            assert programs == [screen.text] and "copied to the clipboard (xclip)" in \
                screen.title_text


async def test_an_export_is_also_downloaded_in_a_browser(open_app, clock, delivered, web):
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot, "AB12")
        await timed(pilot, clock, ("1", 12))
        app.export_today()
        await app.workers.wait_for_complete()
        await pilot.pause()
        written = sorted((app.repo.data_dir / "exports").glob("segments-*.csv"))
        assert len(written) == 1
        assert delivered == (written if web else [])


def footer_keys(app) -> str:
    return " | ".join(str(key.render()) for key in app.screen.query("FooterKey"))


async def test_no_quit_key_in_a_browser(open_app, web):
    app = open_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        footer = footer_keys(app)
        assert ("Quit" in footer) is not web and "Help" in footer
        assert app.check_action("quit", ()) is (not web)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running is web


async def test_help_and_palette_on_keys_a_browser_leaves_alone(open_app, web):
    """f1 and ctrl+p may be the browser's (its help, printing): its footer shows ? and /,
    a terminal's f1 as before; both keys work in either."""
    from textual.command import CommandPalette

    from tui.screens.help import HelpScreen

    app = open_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        footer = footer_keys(app)
        assert ("? Help" in footer and "/ Palette" in footer) is web
        assert ("f1 Help" in footer) is not web
        assert bool(app.screen.query("FooterKey.-command-palette")) is not web  # Textual's ^p
        hint = str(app.screen.query_one("#today-hint").render())
        assert ("? for every key" in hint) is web and ("f1 for every key" in hint) is not web
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")  # closes it, as f1 again does
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_in_a_text_field_question_mark_and_slash_are_typed(open_app):
    from textual.widgets import Input

    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        await pilot.press("A", "question_mark", "slash", "1")
        await pilot.pause()
        assert app.screen is dialog
        assert isinstance(app.focused, Input) and app.focused.value == "A?/1"


async def test_the_footer_s_help_can_be_tapped(open_app, monkeypatch):
    """A tablet has no f1: tapping the footer's ? opens help (at 80 columns too)."""
    from textual.widgets._footer import FooterKey

    from tui.screens.help import HelpScreen

    monkeypatch.setattr(TabletimeApp, "is_web", property(lambda self: True))
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await new_session(pilot, "AB12")
        help_key = next(key for key in app.screen.query(FooterKey) if key.key == "question_mark")
        await pilot.click(help_key)
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_question_mark_opens_help_over_a_dialog_too(open_app):
    """As f1 does: on a form's button, and on a question (where f1 may be the browser's,
    ? is the only way); help closes back to the dialog, nothing typed lost."""
    from textual.widgets import Button

    from tui.dialogs.form import DiscardDialog, FormDialog
    from tui.screens.help import HelpScreen

    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("n", "A", "B")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormDialog)
        while not isinstance(app.focused, Button):
            await pilot.press("tab")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen_stack[-1] is form and form.values()["patient"] == "AB"
        await pilot.press("escape")  # something typed: the question
        await pilot.pause()
        assert isinstance(app.screen, DiscardDialog)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_ctrl_v_in_a_field_pastes_one_line_never_a_whole_chart_note(open_app, clock):
    """Ctrl+V (a browser's paste key) in a text field pastes the app's clipboard, which
    holds the last chart note copied: its first line only, as a terminal's paste gives,
    never every line of it drawn across the dialog."""
    app = open_app()
    async with app.run_test(size=SMALL) as pilot:
        await chart_note_of_ab12(pilot, clock)
        note = app.clipboard
        assert note.count("\n") > 3
        await pilot.press("escape", "escape")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+v")
        await pilot.pause()
        assert app.focused is not None
        assert getattr(app.focused, "value", None) == note.splitlines()[0]
