"""Command palette (ctrl+p): every action of the screen it is opened from, by name, first;
then any code to start, any session of the day, the group, the day summary, the export,
the settings and the keys."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

if TYPE_CHECKING:
    from tui.app import TabletimeApp


IN_DETAIL = frozenset({"start_slot(1)", "group"})
"""Actions the palette lists one entry per case instead ("Start 97110", "Group: add a
patient"...)."""


class TabletimeCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app = cast("TabletimeApp", self.app)
        from tui.screens.session import SessionScreen
        from tui.screens.today import TodayScreen

        # self.screen is the screen the palette was opened from (app.screen is the palette).
        yield from self._actions_here()
        if isinstance(self.screen, SessionScreen):
            for entry in app.repo.catalog:
                if entry.group:
                    continue  # a group code runs for a group: "Group: start one"
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
        from tui.screens import group

        for title, help_text, command in (
                ("Group: start one", "two or more patients at once (97150, 92508)",
                 group.start_group),
                ("Group: add a patient", "a late patient joins the running group",
                 group.add_to_group),
                ("Group: let one leave", "their group time ends now, the others' goes on",
                 group.leave_group),
                ("Group: stop it for all", "at one instant", group.stop_group),
                ("Group: close its sessions", "one review of every patient's lines",
                 group.close_group)):
            yield title, help_text, partial(command, app)
        if not isinstance(self.screen, TodayScreen):
            yield ("Day summary (today)", "sessions, claim lines, totals and checks",
                   app.open_day_summary)
        yield ("Export today's segments (CSV)", "into the data folder's exports/",
               app.export_today)
        yield ("Settings", "your name, NPI and place of service, favourites 1-9, the payer "
               "offered first, the alert", app.action_settings)
        yield ("Keys (help)", "every key of Tabletime, this screen's first", app.action_help)

    def _actions_here(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        """Every action of the screen the palette was opened from, by its name, with its key
        (what the screen refuses now, such as changes to a closed session, is left out)."""
        screen = self.screen
        seen: set[str] = set()
        for binding in screen.BINDINGS:
            if (not isinstance(binding, Binding) or binding.system or not binding.description
                    or binding.action in seen or binding.action == "back"
                    or binding.action in IN_DETAIL):
                continue
            seen.add(binding.action)
            name, parameters = binding.action.partition("(")[::2]
            arguments = tuple(p.strip("'\"") for p in parameters.rstrip(")").split(",") if p)
            if not screen.check_action(name, arguments):
                continue
            key = binding.key_display or binding.key
            yield (f"{binding.description} ({key})", binding.tooltip or "",
                   partial(screen.run_action, binding.action))

    async def discover(self) -> Hits:
        for title, help_text, command in self._commands():
            if not title.startswith("Start "):
                yield DiscoveryHit(Content(title), command, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        here = {title for title, _, _ in self._actions_here()}
        for title, help_text, command in self._commands():
            fuzzy = matcher.match(title)  # unbounded: brought under the words' 1
            score = max(0.9 * fuzzy / (fuzzy + 10), _words_match(query, title, help_text))
            if score > 0:
                score += 0.5 if title in here else 0  # this screen's own action first
                yield Hit(score, _highlight(matcher, title), command, text=title, help=help_text)


def _words_match(query: str, title: str, help_text: str) -> float:
    """Every word typed begins a word of the title (1) or of the title and its help (0.6):
    "close session" finds "Close (c)", whose help says "close the session"."""
    typed = query.lower().split()
    if not typed:
        return 0.0
    for score, text in ((1.0, title), (0.6, f"{title} {help_text}")):
        words = re.findall(r"\w+", text.lower())
        if all(any(word.startswith(t) for word in words) for t in typed):
            return score
    return 0.0


def _highlight(matcher: Matcher, title: str) -> Content:
    """The matched letters highlighted in a title shown literally (Textual's own `highlight`
    reads the title as markup, and a patient reference may hold brackets)."""
    content = Content(title)
    _, offsets = matcher.fuzzy_search.match(matcher.query, title)
    for offset in offsets:
        if not title[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
