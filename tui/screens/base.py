"""What every screen shares: the app, typed (Textual's `self.app` is the generic App), and a
footer that keeps the keys that matter when the terminal is narrow."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual.screen import ActiveBinding, Screen

if TYPE_CHECKING:
    from tui.app import TabletimeApp

from tui.format import WIDE

ResultT = TypeVar("ResultT")


class TabletimeScreen(Screen[ResultT]):
    NARROW_HIDDEN: ClassVar[frozenset[str]] = frozenset()
    """Actions whose key the footer leaves out below WIDE columns (f1 lists every key)."""

    @property
    def tabletime(self) -> TabletimeApp:
        return cast("TabletimeApp", self.app)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        found = super().active_bindings
        if self.size.width >= WIDE or not self.NARROW_HIDDEN:
            return found
        return {key: (active._replace(binding=replace(active.binding, show=False))
                      if active.binding.action in self.NARROW_HIDDEN else active)
                for key, active in found.items()}

    def on_resize(self) -> None:
        self.refresh_bindings()
