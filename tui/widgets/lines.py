"""A widget of a few lines of literal text where a line that changes is repainted alone.

The session's timer changes every second; the lines beside it (the session's title, a tile's
code and name) were drawn once and stay as they are. A `Static` repaints all its lines and
lays the whole screen out again at each `update`."""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Region
from textual.widget import Widget


class Lines(Widget):
    def __init__(self, *lines: str, id: str | None = None,  # noqa: A002 (Textual's own name)
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines = list(lines)

    def render(self) -> Content:
        """Every line, as typed (never markup: a patient reference is data)."""
        return Content("\n".join(self._lines))

    def set_line(self, y: int, text: str) -> None:
        """Line `y` says `text` now: repaint that line if it changed, nothing else."""
        if text != self._lines[y]:
            self._lines[y] = text
            self.refresh(Region(0, y, self.size.width, 1))
