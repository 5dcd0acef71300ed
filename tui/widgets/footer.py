"""Textual's footer, with its keys in the screen's first frame, recomposed only when they
change, and without keeping the keys it replaced.

Textual's Footer composes no key until the screen first publishes its bindings, then
recomposes after a refresh: every new screen showed its content a frame or more (0.1-0.4 s)
before its keys. The screen's bindings are known when the footer is composed, so this one
composes them at once. Textual's also recomposes after every publication (focus, resume, a
reload, a resize: 3 to 6 times as a screen opens, and Today's behind every dialog opened over
it, 15 ms each), and each recompose keeps the keys it removed alive (each key watches the
footer's `compact`, and Textual forgets closed watchers only when `compact` changes): Today's
footer grew by 14 keys and their render caches at every dialog, and the garbage collector's
full passes with them (a quarter of a second after a hundred dialogs). This one recomposes at
most once a refresh, only on the screen on top, only when the keys shown changed, and lets
go of the keys it replaced."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[str, str, str, bool, str | None], ...]


class KeysFooter(Footer):
    def __init__(self, **options: Any) -> None:
        super().__init__(compact=True, **options)
        self.set_reactive(Footer._bindings_ready, True)
        self._shown: Shown | None = None
        self._pending = False

    def _keys(self) -> Shown:
        return tuple((binding.key, binding.action, binding.description, enabled,
                      binding.key_display)
                     for _, binding, enabled, _ in self.screen.active_bindings.values()
                     if binding.show)

    def compose(self) -> ComposeResult:
        if self.app.is_web:  # Textual's ^p there (a browser's print); ours is / among the keys
            self.set_reactive(Footer.show_command_palette, False)
        self._shown = self._keys()
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if (self._pending or not screen.app.app_focus or not self.is_attached
                or screen is not self.screen):
            return
        self._pending = True
        self.call_after_refresh(self._update)

    async def _update(self) -> None:
        """A screen behind another catches up when it is resumed (it publishes then)."""
        self._pending = False
        if self.is_attached and self.screen.is_current and self._keys() != self._shown:
            await self.recompose()

    async def recompose(self) -> None:
        await super().recompose()
        for watchers in getattr(self, "__watchers", {}).values():
            watchers[:] = [(node, callback) for node, callback in watchers if node.is_attached]
