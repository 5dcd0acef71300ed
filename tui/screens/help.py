"""Every key, from the same table the README lists."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from tui.keys import KEYS
from tui.widgets.plain_table import PlainTable


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close help")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Label("Tabletime keys (escape closes)", classes="dialog-title")
            yield PlainTable(id="help-keys", cursor_type="none", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Where", "Key", "Does")
        for where, key, does in KEYS:
            table.add_row(where, key, does)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
