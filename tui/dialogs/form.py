"""A small form in a modal: nothing is saved until the screen's `submit` accepts the values.

`submit` gets the field values and returns None when it saved them, or the message to show
(the dialog stays open with everything the user typed). The fields scroll; the title, the
message and the buttons stay in sight at any terminal size. A placeholder reads "e.g. ...",
dimmed: it is never mistaken for a value.

A form never traps: enter saves from any field (a field of options is a Choice, which selects
by typing where it stands and pops nothing over the form); escape leaves an untouched form at
once and asks before it discards anything typed or changed; tab and shift+tab go top to
bottom through the fields, then Save, then Cancel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Input, Label

from tui.dialogs.confirm import ConfirmDialog
from tui.keys import HELP_IN_A_DIALOG
from tui.widgets.choice import Choice


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


class Field(Input):
    """A form's text field. Its ctrl+v pastes as a terminal's paste does, the first line
    only: Textual's own pastes every line of the app's clipboard (the last chart note
    copied, often another patient's) into the one line, drawn across the dialog."""

    def action_paste(self) -> None:
        self.post_message(events.Paste(self.app.clipboard))


class DiscardDialog(ConfirmDialog):
    """Escape on a form with something typed: discard it (d or y), or keep editing (escape,
    k or n). Its keys are its own: none reaches the screen behind the form."""

    BINDINGS = [Binding("d", "answer(True)", "Discard"), Binding("k", "answer(False)", "Keep")]

    def __init__(self) -> None:
        super().__init__("Discard what you typed?", yes="Discard")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Discard (d)", variant="warning", id="yes", compact=True)
                yield Button("Keep editing (esc)", id="no", compact=True)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#no"))  # enter keeps editing: nothing lost by a slip


class FormDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "save", "Save", show=False),
        # In a form, tab moves on (an Input would take it to accept a suggestion; right does).
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
        HELP_IN_A_DIALOG,
    ]

    def __init__(self, title: str, fields: Sequence[FormField], submit: Submit,
                 changed: Changed | None = None, *, save: str = "Save") -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.submit = submit
        self.changed = changed
        self.save_label = save
        self.initial: dict[str, str] = {}
        """The values as the form opened: escape asks only when they were changed."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll(id="fields", can_focus=False):
                yield from self.compose_fields()
            yield Label("", id="error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(f"{self.save_label} (enter)", variant="primary", id="save",
                             compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def compose_fields(self) -> ComposeResult:
        """Each field under its label, top to bottom (a form with a layout of its own
        overrides this; its fields keep the ids `field-NAME`)."""
        for spec in self.fields:
            yield Label(spec.label, classes="field-label", markup=False)
            yield self.field_widget(spec)

    @staticmethod
    def field_widget(spec: FormField) -> Widget:
        """A Choice for a field of options, else an Input (with its suggestions)."""
        if spec.options:
            return Choice(spec.options, spec.value or spec.options[0][1],
                          id=f"field-{spec.name}")
        suggester = (SuggestFromList(spec.suggestions, case_sensitive=False)
                     if spec.suggestions else None)
        placeholder = f"e.g. {spec.placeholder}" if spec.placeholder else ""
        return Field(spec.value, placeholder=placeholder, suggester=suggester, compact=True,
                     id=f"field-{spec.name}")

    def field(self, name: str) -> Input | Choice:
        widget = self.query_one(f"#field-{name}")
        assert isinstance(widget, Input | Choice)
        return widget

    def on_mount(self) -> None:
        self.initial = self.values()
        self.set_focus(self.field(self.fields[0].name))

    def on_resize(self) -> None:
        self.query_one("#fields").styles.max_height = max(self.size.height - CHROME, 4)

    @on(Input.Changed)
    @on(Choice.Changed)
    def field_changed(self, event: Input.Changed | Choice.Changed) -> None:
        if self.changed is None or event.control.id is None:
            return
        for name, value in self.changed(event.control.id.removeprefix("field-"),
                                        self.values()).items():
            widget = self.field(name)
            if isinstance(widget, Choice) and not widget.offers(value):
                continue  # e.g. a payer no longer in the settings: the choice stays
            if widget.value != value:
                widget.value = value

    def values(self) -> dict[str, str]:
        return {spec.name: self.field(spec.name).value for spec in self.fields}

    @property
    def touched(self) -> bool:
        """Something was typed or changed since the form opened."""
        return self.values() != self.initial

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        error = self.submit(self.values())
        if error:
            self.query_one("#error", Label).update(f"! {error}")
            if isinstance(error, FieldError):
                self.set_focus(self.field(error.field))
        else:
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Leave at once when nothing was typed; else ask before discarding it."""
        if not self.touched:
            self.dismiss(False)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(False)

        self.app.push_screen(DiscardDialog(), answered)
