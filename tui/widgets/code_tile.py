"""A favourite code on a key: its code, a short name, and its time in the session (live, the
code's whole total so far, while it runs)."""

from __future__ import annotations

from datetime import timedelta

from textual.message import Message
from textual.widgets import Static

from core.catalog import CatalogEntry
from tui.format import elapsed


class CodeTile(Static):
    class Pressed(Message):
        """The tile was clicked: start (or, for an untimed code running, stop) its code."""

        def __init__(self, slot: int) -> None:
            super().__init__()
            self.slot = slot

    def __init__(self, slot: int, entry: CatalogEntry) -> None:
        super().__init__(id=f"tile-{slot}", classes="tile", markup=False)
        self.slot = slot
        self.entry = entry
        self._shown = ""
        if not entry.timed:
            self.add_class("-untimed")
        self.show(timedelta(0), running=False, forgotten=False)

    def show(self, total: timedelta, *, running: bool, forgotten: bool) -> None:
        """`total`: the code's time in this session so far (running segments up to now)."""
        minutes = int(total.total_seconds()) // 60
        state = f"▶{elapsed(total)}" if running else (f"{minutes} min" if total else "-")
        text = f"{self.slot} {self.entry.code}\n{self.entry.label}\n{state}"
        if text != self._shown:  # nine tiles, redrawn every second: only the ones that changed
            self._shown = text
            self.update(text)
        self.set_class(running, "-running")
        self.set_class(forgotten, "-forgotten")

    def flash(self, lit: bool = True) -> None:
        """A unit was reached on this code: lit until the screen puts it
        out (at the next key, or after the setting `alert_seconds`)."""
        self.set_class(lit, "-unit")

    def on_click(self) -> None:
        self.post_message(self.Pressed(self.slot))
