"""What the today, session and day screens share: redrawn from the store whole when something
changed (`reload`), and each second what the clock alone changes (`tick`) while the screen can
be seen. A screen under another (Today under a session) is drawn again when it is back on
top; its ticks meanwhile would make Textual composite the screen above it again each second
(it paints the screen below through the top one)."""

from __future__ import annotations

from typing import ClassVar

from tui.screens.base import TabletimeScreen
from tui.widgets.plain_table import PlainTable


class LiveScreen(TabletimeScreen[None]):
    _covered = False
    """Whether a screen was pushed over this one since it was last read: it reads again when
    back on top, not at the resume that follows its mount (launch read the day twice)."""

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(1, self._second)

    def _second(self) -> None:
        if self.seen():
            self.tick()

    def seen(self) -> bool:
        """On top, or seen through every screen above it (a dialog's dimmed backdrop)."""
        stack = self.app.screen_stack
        return self in stack and all(screen.styles.background.a < 1
                                     for screen in stack[stack.index(self) + 1:])

    def on_screen_suspend(self) -> None:
        self._covered = True

    async def on_screen_resume(self) -> None:
        """Async, so that a screen's own resume handler (run first) may await a remount."""
        if self._covered:
            self._covered = False
            self.reload()

    def reload(self) -> None:
        """Read from the store and redraw everything."""
        raise NotImplementedError

    def tick(self) -> None:
        """Redraw what changes with the clock alone (elapsed times), from stored starts."""
        raise NotImplementedError


class LiveTableScreen(LiveScreen):
    """A live screen around one table of TABLE_ID with COLUMNS."""

    TABLE_ID: ClassVar[str]
    COLUMNS: ClassVar[tuple[tuple[str, str], ...]]

    @property
    def table(self) -> PlainTable:
        return self.query_one(f"#{self.TABLE_ID}", PlainTable)

    def on_mount(self) -> None:
        """The columns, before LiveScreen's own on_mount reads the rows (Textual calls each
        class's handler, the subclass's first: calling it here too read and ticked twice)."""
        for key, label in self.COLUMNS:
            self.table.add_column(label, key=key)
