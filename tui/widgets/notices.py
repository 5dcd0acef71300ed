"""What the app has to say, in the screen's own layout just above its footer: a notice never
covers the header or a row (the screen gives up a line to it instead), a newer notice replaces
an older one of the same kind, and each goes after its seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from textual.widgets import Static

SECONDS = {"information": 5.0, "warning": 8.0, "error": 12.0}
"""How long a notice of each severity stays."""
MARK = {"information": "", "warning": "! ", "error": "!! "}


@dataclass(frozen=True)
class Notice:
    message: str
    severity: str
    until: float
    """time.monotonic() after which it is gone."""


@dataclass
class Notices:
    """The notices being shown, one per kind, oldest first."""

    shown: dict[str, Notice] = field(default_factory=dict)

    def add(self, kind: str, message: str, severity: str) -> float:
        """Show `message`, replacing the notice of its kind; the seconds it stays."""
        seconds = SECONDS.get(severity, SECONDS["information"])
        self.shown.pop(kind, None)
        self.shown[kind] = Notice(message, severity, time.monotonic() + seconds)
        return seconds

    def drop(self, *kinds: str) -> None:
        for kind in kinds:
            self.shown.pop(kind, None)

    def current(self) -> list[Notice]:
        now = time.monotonic()
        self.shown = {kind: n for kind, n in self.shown.items() if n.until > now}
        return list(self.shown.values())


class NoticeBar(Static):
    """Every screen has one, above its footer; the app redraws it when its notices change."""

    def __init__(self) -> None:
        super().__init__(classes="notices", markup=False)

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        notices: Notices | None = getattr(self.app, "notices", None)
        current = [] if notices is None else notices.current()
        self.display = bool(current)
        # the newest first: when they do not all fit, an older one is the one cut
        self.update("\n".join(MARK.get(n.severity, "") + n.message for n in reversed(current)))
        severities = {n.severity for n in current}
        self.set_class("error" in severities, "-error")
        self.set_class("warning" in severities and "error" not in severities, "-warning")
