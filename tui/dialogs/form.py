"""A small form in a modal: nothing is saved until the screen's `submit` accepts the values.

`submit` gets the field values and returns None when it saved them, or the message to show
(the dialog stays open with everything the user typed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    options: Sequence[tuple[str, str]] = ()
    suggestions: Sequence[str] = field(default_factory=tuple)


Submit = Callable[[dict[str, str]], str | None]


class FormDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # In a form, tab moves on (an Input would take it to accept a suggestion; right does).
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    def __init__(self, title: str, fields: Sequence[FormField], submit: Submit) -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.submit = submit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            for spec in self.fields:
                yield Label(spec.label, classes="field-label", markup=False)
                if spec.options:
                    options = [(Text(label), value) for label, value in spec.options]
                    yield Select(options, value=spec.value or spec.options[0][1],
                                 allow_blank=False, compact=True, id=f"field-{spec.name}")
                else:
                    suggester = (SuggestFromList(spec.suggestions, case_sensitive=False)
                                 if spec.suggestions else None)
                    yield Input(spec.value, placeholder=spec.placeholder, suggester=suggester,
                                compact=True, id=f"field-{spec.name}")
            yield Label("", id="error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def values(self) -> dict[str, str]:
        result = {}
        for spec in self.fields:
            widget = self.query_one(f"#field-{spec.name}")
            value = widget.value if isinstance(widget, Input | Select) else ""
            result[spec.name] = "" if value is Select.NULL else str(value)
        return result

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def save(self) -> None:
        error = self.submit(self.values())
        if error:
            self.query_one("#error", Label).update(error)
        else:
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
