"""One of a few options on one line (`◂ Medicare (cms) ▸`), chosen where it stands: typing the
first letters of an option selects it (then letters it contains), left/right and space step
through them. Nothing pops over the form, so enter still saves it and escape still leaves it.

Labels are shown literally (a payer's name may hold brackets), never as markup."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

HINT = "  type or ←/→"


class Choice(Widget, can_focus=True):
    DEFAULT_CSS = """
    Choice {
        width: 1fr;
        height: 1;
        padding: 0 1 0 0;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        pointer: pointer;
        &:focus {
            background-tint: $foreground 10%;
            text-style: bold;
        }
        & > .choice--arrow {
            color: $foreground 40%;
        }
        &:focus > .choice--arrow {
            color: $accent;
        }
        & > .choice--hint {
            color: $text-muted;
            text-style: not bold italic;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"choice--arrow", "choice--hint"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Previous", show=False),
        Binding("right,space", "step(1)", "Next", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]
    TYPE_AHEAD_SECONDS: ClassVar[float] = 1.0
    """Letters typed within this long of each other make one word to look for."""

    value: reactive[str] = reactive("", init=False)
    """The chosen option's value (one of the options' values, never anything else)."""

    class Changed(Message):
        """The chosen option changed (by a key, a click or the program), as Select says it."""

        def __init__(self, choice: Choice, value: str) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: Sequence[tuple[str, str]], value: str | None = None, *,
                 id: str | None = None,  # noqa: A002 (Textual's own name)
                 classes: str | None = None) -> None:
        """`options`: (label, value) pairs, at least one; `value`: the one chosen (else the
        first)."""
        if not options:
            raise ValueError("a choice needs at least one option")
        super().__init__(id=id, classes=classes)
        self.options = tuple(options)
        self._values = [option_value for _, option_value in self.options]
        self._typed = ""
        self._typed_at = 0.0
        self.set_reactive(Choice.value, self.options[0][1] if value is None else value)
        self.validate_value(self.value)

    def offers(self, value: str) -> bool:
        return value in self._values

    def validate_value(self, value: str) -> str:
        if value not in self._values:
            raise ValueError(f"{value!r} is not one of the options")
        return value

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))

    @property
    def index(self) -> int:
        return self._values.index(self.value)

    @property
    def label(self) -> str:
        return self.options[self.index][0]

    def render(self) -> Text:
        arrow = self.get_component_rich_style("choice--arrow")
        text = Text.assemble(("◂ ", arrow), self.label, (" ▸", arrow), no_wrap=True,
                             end="")
        if (self.has_focus and len(self.options) > 1
                and text.cell_len + len(HINT) <= self.content_region.width):
            text.append(HINT, self.get_component_rich_style("choice--hint"))
        return text

    def action_step(self, by: int) -> None:
        self._typed = ""
        self.value = self._values[(self.index + by) % len(self._values)]

    def action_first(self) -> None:
        self._typed = ""
        self.value = self._values[0]

    def action_last(self) -> None:
        self._typed = ""
        self.value = self._values[-1]

    def on_key(self, event: events.Key) -> None:
        """A letter or digit looks for an option (space steps on: a binding)."""
        if event.character is None or not event.is_printable or event.character == " ":
            return
        event.stop()
        event.prevent_default()
        now = time.monotonic()
        if now - self._typed_at > self.TYPE_AHEAD_SECONDS:
            self._typed = ""
        self._typed_at = now
        self._typed += event.character.casefold()
        found = self.find(self._typed)
        if found is None:  # a new word: the letter alone
            self._typed = event.character.casefold()
            found = self.find(self._typed)
        if found is not None:
            self.value = self._values[found]

    def find(self, typed: str) -> int | None:
        """The option for what was typed: the first whose label starts with it; the same
        letter again steps to the next option starting with it; else the first whose label
        holds it."""
        labels = [label.casefold() for label, _ in self.options]
        starting = [i for i, label in enumerate(labels) if label.startswith(typed)]
        if starting:
            return self.index if self.index in starting else starting[0]
        if len(typed) > 1 and typed == typed[0] * len(typed):
            same = [i for i, label in enumerate(labels) if label.startswith(typed[0])]
            if same:
                after = [i for i in same if i > self.index]
                return (after or same)[0]
        holding = [i for i, label in enumerate(labels) if typed in label]
        if holding:
            return self.index if self.index in holding else holding[0]
        return None

    def on_blur(self) -> None:
        self._typed = ""
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        """A click on the left arrow goes back; anywhere else on it, on."""
        self.focus()
        self.action_step(-1 if event.x < 2 else 1)
