"""A small form in a modal: nothing is saved until the screen's `submit` accepts the values.

`submit` gets the field values and returns None when it saved them, or the message to show
(the dialog stays open with everything the user typed). The fields scroll; the title, the
message and the buttons stay in sight at any terminal size. A placeholder reads "e.g. ...",
dimmed: it is never mistaken for a value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
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


class FieldError(str):
    """A refusal about one field: the form shows it and puts the cursor in that field."""

    field: str

    def __new__(cls, field: str, message: str) -> FieldError:
        error = super().__new__(cls, message)
        error.field = field
        return error


def say_why(field: str = "reason") -> FieldError:
    """A change without its reason: the audit trail keeps one for every change."""
    return FieldError(field, "say why (it is kept in the audit trail)")


Submit = Callable[[dict[str, str]], str | None]
Changed = Callable[[str, dict[str, str]], dict[str, str]]
"""Given the field that changed and every value, new values for other fields (or none)."""
CHROME = 12
"""Rows a dialog needs besides its fields: border, title, message, buttons."""


class FormDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # In a form, tab moves on (an Input would take it to accept a suggestion; right does).
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    def __init__(self, title: str, fields: Sequence[FormField], submit: Submit,
                 changed: Changed | None = None, *, save: str = "Save") -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.submit = submit
        self.changed = changed
        self.save_label = save

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll(id="fields"):
                for spec in self.fields:
                    yield Label(spec.label, classes="field-label", markup=False)
                    if spec.options:
                        options = [(Text(label), value) for label, value in spec.options]
                        yield Select(options, value=spec.value or spec.options[0][1],
                                     allow_blank=False, compact=True, id=f"field-{spec.name}")
                    else:
                        suggester = (SuggestFromList(spec.suggestions, case_sensitive=False)
                                     if spec.suggestions else None)
                        placeholder = f"e.g. {spec.placeholder}" if spec.placeholder else ""
                        yield Input(spec.value, placeholder=placeholder, suggester=suggester,
                                    compact=True, id=f"field-{spec.name}")
            yield Label("", id="error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(f"{self.save_label} (enter)", variant="primary", id="save",
                             compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(f"#field-{self.fields[0].name}").focus()

    def on_resize(self) -> None:
        self.query_one("#fields").styles.max_height = max(self.size.height - CHROME, 4)

    @on(Input.Changed)
    @on(Select.Changed)
    def field_changed(self, event: Input.Changed | Select.Changed) -> None:
        if self.changed is None or event.control.id is None:
            return
        for name, value in self.changed(event.control.id.removeprefix("field-"),
                                        self.values()).items():
            widget = self.query_one(f"#field-{name}")
            if isinstance(widget, Input | Select) and widget.value != value:
                widget.value = value

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
            self.query_one("#error", Label).update(f"! {error}")
            if isinstance(error, FieldError):
                self.query_one(f"#field-{error.field}").focus()
        else:
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
