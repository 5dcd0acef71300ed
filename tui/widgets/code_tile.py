"""A favourite code on a key: its minutes so far and, while it runs, a live m:ss."""

from __future__ import annotations

from datetime import timedelta

from textual.message import Message
from textual.widgets import Static

from core.catalog import CatalogEntry
from tui.format import clock


class CodeTile(Static):
    class Pressed(Message):
        """The tile was clicked: start its code."""

        def __init__(self, slot: int) -> None:
            super().__init__()
            self.slot = slot

    def __init__(self, slot: int, entry: CatalogEntry) -> None:
        super().__init__(id=f"tile-{slot}", classes="tile", markup=False)
        self.slot = slot
        self.entry = entry
        if not entry.timed:
            self.add_class("-untimed")
        self.show(0, None, forgotten=False)

    def show(self, minutes: int, running: timedelta | None, *, forgotten: bool) -> None:
        state = f"> {clock(running)}" if running is not None else f"{minutes} min"
        self.update(f"{self.slot} {self.entry.code}\n{self.entry.label}\n{state}")
        self.set_class(running is not None, "-running")
        self.set_class(forgotten, "-forgotten")

    def on_click(self) -> None:
        self.post_message(self.Pressed(self.slot))
