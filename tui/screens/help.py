"""Every key of every screen, from the screens' own bindings (tui/keys.py), in a list that
scrolls up and down and wraps at any width."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.keys import keys


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close help")]

    def __init__(self, here: str | None = None) -> None:
        """`here`: the place the user pressed f1 on; its keys come first."""
        super().__init__()
        self.here = here

    def compose(self) -> ComposeResult:
        first = f"{self.here} first, then every other screen" if self.here else "every screen"
        with Vertical(classes="dialog", id="help"):
            yield Label(f"Tabletime keys ({first}): up/down, page up/down scroll; escape "
                        "closes", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(self.table(self.here), id="help-keys")

    @staticmethod
    def table(first: str | None = None) -> Table:
        table = Table(box=None, show_header=True, header_style="bold", expand=True,
                      pad_edge=False)
        table.add_column("Where", no_wrap=True)
        table.add_column("Key", no_wrap=True, style="bold")
        table.add_column("Does", ratio=1)
        where_before = ""
        for where, key, does in keys(first):
            table.add_row(Text(where if where != where_before else ""), Text(key), Text(does))
            where_before = where
        return table

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#help-scroll"))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
