"""What every screen shares: the app, typed (Textual's `self.app` is the generic App), and a
footer that keeps the keys that matter when the terminal is narrow."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual.binding import Binding
from textual.screen import ActiveBinding, Screen

if TYPE_CHECKING:
    from tui.app import TabletimeApp

from tui.format import WIDE

ResultT = TypeVar("ResultT")
BROWSER_KEYS = frozenset({"question_mark", "slash"})
"""Help and palette where a browser may take f1 and ctrl+p: in its footer, not a terminal's."""
TERMINAL_KEYS = frozenset({"f1", "ctrl+p"})


class TabletimeScreen(Screen[ResultT]):
    NARROW_HIDDEN: ClassVar[frozenset[str]] = frozenset()
    """Actions whose key the footer leaves out below WIDE columns (help lists every key; quit
    is always left out there)."""

    @property
    def tabletime(self) -> TabletimeApp:
        return cast("TabletimeApp", self.app)

    def footer_hidden(self) -> frozenset[str]:
        """The actions whose key the footer leaves out, besides each binding's own `show`:
        below WIDE columns the secondary ones go."""
        narrow = self.NARROW_HIDDEN | {"quit"}  # ctrl+q is in f1's list; f1 itself stays
        return frozenset() if self.size.width >= WIDE else narrow

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """As Textual finds them, but a key the screen shows in its footer (enter: Open) is
        shown as the screen's even where the focused table binds it too, unshown (the table's
        enter selects the row, and the screen opens it: in the order the keys came, which a
        priority binding would not keep)."""
        found = super().active_bindings
        own = {b.key: b for b in self.BINDINGS if isinstance(b, Binding) and b.show}
        found = {key: (active._replace(node=self, binding=own[key])
                       if key in own and not active.binding.show else active)
                 for key, active in found.items()}
        hidden = self.footer_hidden()
        other_keys = TERMINAL_KEYS if self.app.is_web else BROWSER_KEYS
        return {key: (active._replace(binding=replace(active.binding, show=False))
                      if active.binding.action in hidden or key in other_keys else active)
                for key, active in found.items()}

    def on_mount(self) -> None:
        """A screen opened anew starts without the news of the one before (a warning or an
        error stays its time): "Closed AB12" is not said under AB12's chart note."""
        self.tabletime.forget("information")

    def on_resize(self) -> None:
        self.refresh_bindings()
