"""Textual's footer, with its keys in the screen's first frame.

Textual's Footer composes no key until the screen first publishes its bindings, then
recomposes after a refresh: every new screen showed its content a frame or more (0.1-0.4 s)
before its keys. The screen's bindings are known when the footer is composed, so this one
composes them at once (and recomposes on later changes as Textual's does)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class KeysFooter(Footer):
    def __init__(self, **options: Any) -> None:
        super().__init__(compact=True, **options)
        self.set_reactive(Footer._bindings_ready, True)
