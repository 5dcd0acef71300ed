"""Every key of every screen, read from the screens' own bindings (each binding's tooltip says
what it does): the help screen shows this table and README lists it, so neither can go stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import key_to_character

if TYPE_CHECKING:
    from tui.app import TabletimeApp

SETTINGS_KEY = "f2"
"""The key that opens the settings (a binding of the app; the reminder names it)."""
HELP_IN_A_DIALOG = Binding("question_mark", "app.help", "Help", show=False, system=True)
"""`?` in a dialog too, as f1 (the app's own `?` stops at a dialog; a text field in it types
the character)."""


def unsigned_reminder(app: TabletimeApp) -> str | None:
    """A line to show while chart notes would be signed by nobody (the therapist's name is
    empty: the first run was skipped), else None. (Here, not with the settings screen, so
    that Today is drawn without loading that screen.)"""
    if app.settings.therapist.strip():
        return None
    return (f"Chart notes are unsigned: no therapist's name yet. Press {SETTINGS_KEY} "
            "(Settings) to give yours.")


def places() -> list[tuple[str, type[DOMNode]]]:
    """Where a user is, and the class whose bindings work there, in the order met."""
    from tui.app import TabletimeApp
    from tui.screens.chart_note import ChartNoteScreen
    from tui.screens.day import DaySummaryScreen
    from tui.screens.history import PatientHistoryScreen
    from tui.screens.review import ReviewScreen
    from tui.screens.session import SessionScreen
    from tui.screens.today import TodayScreen

    return [("today", TodayScreen), ("session", SessionScreen), ("review", ReviewScreen),
            ("day summary", DaySummaryScreen), ("history", PatientHistoryScreen),
            ("chart note", ChartNoteScreen), ("anywhere", TabletimeApp)]


def screens() -> list[tuple[str, list[Binding]]]:
    """Where, and the bindings there, in the order a user meets them."""
    return [(where, [b for b in cls.BINDINGS if isinstance(b, Binding)])
            for where, cls in places()]


def place_of(screen: DOMNode) -> str | None:
    """The name help and README give `screen`'s place (None: not one with keys listed)."""
    return next((where for where, cls in places() if isinstance(screen, cls)), None)


def keys(first: str | None = None) -> list[tuple[str, str, str]]:
    """(where, key, what it does) for every binding a user presses (not the ones that only
    repeat another, such as keys 2-9 of the favourites); the place `first` comes first."""
    listed = sorted(screens(), key=lambda found: found[0] != first)
    return [(where, _key(binding), binding.tooltip)
            for where, bindings in listed for binding in bindings if not binding.system]


def _key(binding: Binding) -> str:
    """The key as a person reads it: `1-9` for the favourites, `?` for question_mark, `/`
    (its display) for slash, else its name (`delete`, `space`)."""
    shown = binding.key_display or ""
    if "-" in shown or len(shown) == 1:
        return shown
    character = key_to_character(binding.key)
    return (character if character and character.isprintable() and not character.isspace()
            else binding.key)
