"""Every key of every screen, read from the screens' own bindings (each binding's tooltip says
what it does): the help screen shows this table and README lists it, so neither can go stale.
"""

from __future__ import annotations

from textual.binding import Binding


def screens() -> list[tuple[str, list[Binding]]]:
    """Where, and the bindings there, in the order a user meets them."""
    from tui.app import TabletimeApp
    from tui.screens.day import DaySummaryScreen
    from tui.screens.history import PatientHistoryScreen
    from tui.screens.review import ReviewScreen
    from tui.screens.session import SessionScreen
    from tui.screens.today import TodayScreen

    found = [(where, [b for b in cls.BINDINGS if isinstance(b, Binding)])
             for where, cls in (("today", TodayScreen), ("session", SessionScreen),
                                ("review", ReviewScreen), ("day summary", DaySummaryScreen),
                                ("history", PatientHistoryScreen), ("anywhere", TabletimeApp))]
    return found


def keys() -> list[tuple[str, str, str]]:
    """(where, key, what it does) for every binding a user presses (not the ones that only
    repeat another, such as keys 2-9 of the favourites)."""
    return [(where, _key(binding), binding.tooltip)
            for where, bindings in screens() for binding in bindings if not binding.system]


def _key(binding: Binding) -> str:
    """The key as a person reads it: `1-9` for the favourites, else its name (`delete`)."""
    shown = binding.key_display or ""
    return shown if "-" in shown else binding.key
