"""A chart note to read, select and copy: shown selected, so ctrl+c copies it where the
terminal passes copies on."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea
from textual.widgets.text_area import Selection


class NoteDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="note"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield TextArea(self.text, read_only=True, id="note-text")

    def on_mount(self) -> None:
        """All of it selected, the cursor (and so the view) at its first line."""
        area = self.query_one(TextArea)
        area.focus()
        area.selection = Selection(area.document.end, (0, 0))
