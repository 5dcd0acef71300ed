"""The app, typed, for every screen (Textual's `self.app` is the generic App)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from tui.app import TabletimeApp

ResultT = TypeVar("ResultT")


class TabletimeScreen(Screen[ResultT]):
    @property
    def tabletime(self) -> TabletimeApp:
        return cast("TabletimeApp", self.app)
