"""Keys typed fast reach the screen they were typed for.

Textual hands a key to the focused widget's queue and goes on: in a burst (`a 3 tab 6 enter`,
`n AB12 enter`), the keys after `a` are queued for the session's table before `a` has opened
the dialog, come back unhandled once it is on top, and are dropped; and a dialog takes keys
only once its first field has focus. Here a key that comes back from a screen no longer on
top is typed again on the one that is, keys wait (at most HOLD_SECONDS) while a screen just
opened has not yet put its focus anywhere, keys typed after enter in a form's text field wait
until the form has acted on it (`n ZZ9 enter 1` typed the 1 into the form before its
enter was acted on: patient ZZ91), held keys go on one at a time (each may open the screen
the next is for), and the app's own keys (help, quit) wait behind the keys typed before
them, so that they arrive in the order typed."""

from __future__ import annotations

import time
from typing import Any

from textual import events
from textual.app import App
from textual.timer import Timer
from textual.widgets import Input

from tui.dialogs.form import FormDialog

HOLD_SECONDS = 0.5
"""The longest a key waits for a new screen's focus."""
SUBMIT_SECONDS = 5
"""The longest a key waits for a form to act on its enter (it always does, at once unless
the machine is very busy: typed into the form, the key would change what was submitted)."""


class TypeAhead(App[None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[events.Key] = []
        self._hold_timer: Timer | None = None
        self._top: object = None
        self._top_since = 0.0
        self._replaying = False
        """The first held key is on its way through the app's queue again."""
        self._submitting = False
        """An enter went to a form's text field: later keys wait until the form acted on it
        (its Submitted bubbles up here after the form's handler; Textual's palette stops its
        own, and takes no keys typed ahead)."""

    def _takes_keys(self) -> bool:
        """The screen on top takes keys: it has focus, nothing to focus, or had its time."""
        screen = self.screen
        if screen is not self._top:
            self._top, self._top_since = screen, time.monotonic()
        return (screen.focused is not None or not screen.focus_chain
                or time.monotonic() - self._top_since > HOLD_SECONDS)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            replayed = getattr(event, "replayed", False)
            if replayed:
                self._replaying = False
            if self._submitting or not self._takes_keys() or (self._held and not replayed):
                if not replayed:  # a replayed key is still the first held: it stays there
                    self._held.append(event)
                self._hold()
                return
            if replayed:
                self._held.pop(0)
            self._submitting = (event.key == "enter" and isinstance(self.screen, FormDialog)
                                and isinstance(self.screen.focused, Input))
            await self._deliver(event)
            if self._held:
                if self._submitting or not self._takes_keys():
                    self._hold()
                else:
                    self._replay_next()
            return
        if isinstance(event, events.Key) and self._covered(event):
            # no widget took it, and it was typed for a screen another has since covered
            # (the dialog an earlier key of the burst opened): it is typed again there
            await self.on_event(events.Key(event.key, event.character))
            return
        await super().on_event(event)

    async def _deliver(self, event: events.Key) -> None:
        """A key to the screen on top. The app would take its own keys (help) at once, ahead
        of keys typed before them that are still on their way up from the focused widget to
        the screen's bindings (`h f1`: help opened over the day and `h` was lost): they take
        the same way, behind those, and the app takes them when they reach it."""
        focused = self.screen.focused
        if (focused is not None and self._priority(event.key)
                and not getattr(event, "behind", False)):
            again = events.Key(event.key, event.character)
            again.behind = True  # type: ignore[attr-defined]
            focused.post_message(again)
            return
        event.typed_on = self.screen  # type: ignore[attr-defined]
        await super().on_event(event)

    def _priority(self, key: str) -> bool:
        """Whether the app's own binding of `key` comes before every screen's."""
        return any(binding.priority for binding in self._bindings.key_to_bindings.get(key, ()))

    def _covered(self, event: events.Key) -> bool:
        typed_on = getattr(event, "typed_on", None)
        return typed_on is not None and typed_on is not self.screen

    def on_input_submitted(self) -> None:
        """A field's enter has been acted on (its form, the screens it handled, bubbled up
        before it reached here): the keys typed after it go where it led."""
        self._submitting = False
        self.call_after_refresh(self._release_once_focused)

    def _hold(self) -> None:
        """Keys wait: for the screen on top's focus (HOLD_SECONDS at most from the first) or
        for the form's enter (SUBMIT_SECONDS)."""
        if self._hold_timer is None:
            self._hold_timer = self.set_timer(
                SUBMIT_SECONDS if self._submitting else HOLD_SECONDS, self._release)
        self.call_after_refresh(self._release_once_focused)

    async def _release_once_focused(self) -> None:
        if self._held and not self._submitting and self._takes_keys():
            self._release()

    def _release(self) -> None:
        if self._hold_timer is not None:  # a later hold gets its own full time
            self._hold_timer.stop()
            self._hold_timer = None
        self._submitting = False  # its time is up too (an enter that submitted nothing)
        self._replay_next()

    def _replay_next(self) -> None:
        """The first held key typed again, through the app's queue like any key: the rest
        stay held (keys typed meanwhile queue behind them) until it has been handed on, so
        each reaches the screen the one before it opened, in the order typed."""
        if self._held and not self._replaying:
            self._replaying = True
            again = events.Key(self._held[0].key, self._held[0].character)
            again.replayed = True  # type: ignore[attr-defined]
            self.post_message(again)
