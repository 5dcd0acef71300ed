"""Command palette (ctrl+p): start any code by number or words, open a session, export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

if TYPE_CHECKING:
    from tui.app import TabletimeApp


class TabletimeCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app = cast("TabletimeApp", self.app)
        from tui.screens.session import SessionScreen
        from tui.screens.today import TodayScreen

        # self.screen is the screen the palette was opened from (app.screen is the palette).
        if isinstance(self.screen, SessionScreen):
            for entry in app.repo.catalog:
                kind = "timed" if entry.timed else "untimed"
                yield (f"Start {entry.code} {entry.descriptor}", f"{kind}, in this session",
                       partial(app.start_code, entry.code))
        today = app.repo.local(app.clock()).date()
        sessions = {s.id: s for s in app.repo.queries.sessions_on(today)}
        sessions.update({s.id: s for s in app.repo.queries.open_sessions()})
        for session in sessions.values():
            state = "open" if session.is_open else "closed"
            yield (f"Open session {session.patient} ({session.payer.name})",
                   f"{state}, {session.date_of_service:%d %b}",
                   partial(app.open_session, session.id))
        if isinstance(self.screen, TodayScreen):
            yield ("New session", "patient reference and payer", self.screen.action_new_session)
        yield ("Day summary (today)", "sessions, claim lines, totals and checks",
               app.open_day_summary)
        yield ("Export today's segments (CSV)", "into the data folder's exports/",
               app.export_today)
        yield ("Keys (help)", "every key of Tabletime", app.action_help)

    async def discover(self) -> Hits:
        for title, help_text, command in self._commands():
            if not title.startswith("Start "):
                yield DiscoveryHit(Content(title), command, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, command in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, _highlight(matcher, title), command, text=title, help=help_text)


def _highlight(matcher: Matcher, title: str) -> Content:
    """The matched letters highlighted in a title shown literally (Textual's own `highlight`
    reads the title as markup, and a patient reference may hold brackets)."""
    content = Content(title)
    _, offsets = matcher.fuzzy_search.match(matcher.query, title)
    for offset in offsets:
        if not title[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
