"""A session's segments, one row each: code, name, start, end, duration, who furnished it,
its note. Redraws only what changed (a switch adds a row and ends another), never with the
clock: a running segment's live time is the header's and its tile's, not a cell's."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID
from zoneinfo import ZoneInfo

from rich.cells import cell_len

from core.catalog import Catalog
from core.models import FurnishedBy, Segment
from core.timeparse import clock_text
from tui.format import elapsed
from tui.widgets.plain_table import PlainTable

RUNNING = "▶ live"
"""A running segment's duration cell: the header's live line and the tile count it."""
COLUMNS = (("code", "Code"), ("name", "Name"), ("start", "Start"), ("end", "End"),
           ("duration", "Duration"), ("by", "By"), ("note", "Note"))


class SegmentTable(PlainTable):
    def __init__(self, catalog: Catalog, zone: ZoneInfo, likely: Sequence[str] = ()) -> None:
        """`likely`: the codes most rows will be of (the favourites)."""
        super().__init__(id="segments", cursor_type="row", zebra_stripes=True)
        self._catalog = catalog
        self._zone = zone
        self._likely = likely
        self._shown: dict[Segment, list[str]] = {}
        """The cells of each segment last shown: a switch makes those of two segments."""

    def on_mount(self) -> None:
        """The columns, as wide as the favourites' rows need but for their names (a code, a
        clock time, a duration, who: a name as wide as the longest favourite's would cut
        the notes off a narrow terminal): the first switches of a session add rows without
        widening a column, which draws the whole table again and lays the screen out."""
        for key, label in COLUMNS:
            self.add_column(label, key=key)
        self.widen([max(map(cell_len, self._likely), default=0), 0, len("00:00:00"),
                    len("00:00:00"), cell_len(RUNNING), len("therapist")])

    def show(self, segments: Sequence[Segment], keep: UUID | None) -> None:
        """The segments; the cursor on `keep` when it is there, else on the last."""
        self._shown = {segment: self._shown.get(segment) or self._cells(segment)
                       for segment in segments}
        self.sync([(str(segment.id), cells) for segment, cells in self._shown.items()])
        if keep is not None and any(s.id == keep for s in segments):
            self.move_cursor(row=self.get_row_index(str(keep)))
        elif segments:
            self.move_cursor(row=len(segments) - 1)

    def selected_id(self) -> UUID | None:
        if not self.row_count or not 0 <= self.cursor_row < self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return UUID(key) if key else None

    def _cells(self, segment: Segment) -> list[str]:
        entry = self._catalog.find(segment.code)
        name = ("not defined in the settings" if entry is None
                else entry.label + ("" if entry.timed else " (untimed)"))
        return [
            segment.code,
            name,
            clock_text(segment.start, self._zone),
            "running" if segment.end is None else clock_text(segment.end, self._zone),
            RUNNING if segment.end is None else elapsed(segment.duration(segment.end)),
            "assistant" if segment.furnished_by is FurnishedBy.ASSISTANT else "therapist",
            segment.note,
        ]
