"""A DataTable that shows text exactly as typed, where Home and End go to the first and last
row, and where changing a row redraws that row alone.

Textual reads a `str` cell as markup: a note `[flexion 120]` loses its words and `[/red]`
raises. Every table here holds text a person typed or a file holds, so every text cell is
turned into a literal `Text` on its way in; styled cells (a `Text` already) pass unchanged.

Textual 8.2's DataTable keys its caches (cells, rows, lines) by one update count that
`update_cell` and `add_row` bump, and its rows and lines by where the cursor is: one changed
cell, one row added, a cursor moved, and every visible line was rendered again (a timer
switch spent most of its time there). Here a changed row forgets only its own cells and
lines; a row added below keeps the others' and, in a table of set height, is painted alone,
without a layout; a row the cursor is not on is drawn once, wherever the cursor goes. A
column that changes width draws everything again, as Textual does. This leans on the
DataTable's private caches (Textual is pinned to 8.2.x): tests/tui/test_plain_table.py checks
what is drawn through them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.render import measure
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets._data_table import default_cell_formatter
from textual.widgets.data_table import CellDoesNotExist, CellType, Column, ColumnKey, RowKey

NOWHERE = Coordinate(-2, -2)
"""Where the cursor is, for a row it is not on: no row, no column, not the header (-1)."""


def literal(value: object) -> object:
    return Text(value) if isinstance(value, str) else value


def shows(cell: object, value: object) -> bool:
    """Whether a cell shows `value` already (a text as typed: its literal `Text`)."""
    if isinstance(value, str):
        return isinstance(cell, Text) and cell.plain == value and not cell.spans \
            and not cell.style
    return cell == value


class PlainTable(DataTable[Any]):
    BINDINGS = [
        Binding("home", "row(0)", "First row", show=False),
        Binding("end", "row(-1)", "Last row", show=False),
    ]

    def action_row(self, row: int) -> None:
        """Home and End go to the first and the last row (not the left and right edge)."""
        if self.row_count:
            self.move_cursor(row=row % self.row_count)

    def add_row(self, *cells: CellType, height: int | None = 1, key: str | None = None,
                label: Any = None) -> RowKey:
        """A row below the others of a table measured already (not just cleared). Unless a
        column widens, their cached lines stay true, and the table is only taller: measured
        now, not when idle (Textual's way, after the next frame), a cursor moved to the row
        scrolls it into the same frame."""
        count, measured = self._update_count, not self._require_update_dimensions
        row_key = super().add_row(*(literal(cell) for cell in cells), height=height, key=key,
                                  label=label)
        if not measured or height is None or label is not None or any(
                self._width(cell, height) > column.content_width
                for column, cell in zip(self.ordered_columns, self._data[row_key].values(),
                                        strict=True)):
            return row_key
        self._update_count = count
        self._offset_cache.clear()  # the caches of where rows are: one more row
        self._ordered_row_cache.clear()
        self._new_rows.discard(row_key)
        self._require_update_dimensions = False
        self._grow(height)
        return row_key

    def _grow(self, lines: int) -> None:
        """The table is `lines` taller. One of a set height keeps its place: no layout, and
        only the new row (and the scrollbar) painted; one as high as its rows is laid out."""
        taller = self.virtual_size.with_height(self.virtual_size.height + lines)
        if self.styles.height is None or self.styles.height.is_auto:
            self.virtual_size = taller
            return
        self.set_reactive(Widget.virtual_size, taller)
        self._scroll_update(taller)  # a scrollbar to show is a layout of its own
        self.refresh_row(self.row_count - 1)

    def widen(self, widths: Sequence[int]) -> None:
        """Columns at least `widths` wide (in order), for rows about to be added: one that
        widens draws everything again, as Textual does; rows added then fit."""
        wider = [(column, width) for column, width in zip(self.ordered_columns, widths,
                                                          strict=False)
                 if width > column.content_width]
        for column, width in wider:
            column.content_width = width
        if wider:
            self._update_count += 1  # every cached cell, row and line is of the old widths
            self._require_update_dimensions = True
            self.refresh()

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: CellType,
                    *, update_width: bool = False) -> None:
        self.update_row(row_key, {column_key: value}, update_width=update_width)

    def update_cell_at(self, coordinate: Coordinate, value: CellType, *,
                       update_width: bool = False) -> None:
        row_key, column_key = self.coordinate_to_cell_key(coordinate)
        self.update_row(row_key, {column_key: value}, update_width=update_width)

    def update_row(self, row_key: RowKey | str, cells: Mapping[ColumnKey | str, object], *,
                   update_width: bool = False) -> None:
        """Change some cells of one row and redraw that row alone; with `update_width`, a
        column that must widen or may narrow redraws the whole table."""
        key = RowKey(row_key) if isinstance(row_key, str) else row_key
        wanted = {ColumnKey(c) if isinstance(c, str) else c: value for c, value in cells.items()}
        data = self._data.get(key)
        if data is None or not wanted.keys() <= self.columns.keys():
            raise CellDoesNotExist(f"No cell exists for row_key={key!r}, columns={wanted!r}.")
        changed = {column: literal(value) for column, value in wanted.items()
                   if not shows(data[column], value)}
        if update_width and any(self._resizes(key, self.columns[column], value)
                                for column, value in changed.items()):
            for column, value in changed.items():
                super().update_cell(key, column, value, update_width=True)
            return
        if changed:
            data.update(changed)
            self._forget_row(key)

    def _width(self, cell: object, height: int) -> int:
        """A cell's width as Textual measures it for its column (an empty cell: none)."""
        return 0 if cell is None else measure(
            self.app.console, default_cell_formatter(cell, wrap=height != 1, height=height), 1)

    def _resizes(self, key: RowKey, column: Column, value: object) -> bool:
        """Would `value` in this row change the column's width (wider, or narrower when the
        cell it replaces may have been the widest)?"""
        height = self.rows[key].height
        width, now = self._width(value, height), column.content_width
        if width >= now or self._width(self._data[key][column.key], height) < now:
            return width > now
        widest = max((self._width(value if row == key else cells[column.key],
                                  self.rows[row].height)
                      for row, cells in self._data.items()), default=0)
        return max(widest, measure(self.app.console, column.label, 1)) != now

    def _forget_row(self, key: RowKey) -> None:
        """Drop what Textual cached of this row (its cells, its lines) and repaint it."""
        index = self.get_row_index(key)
        region = self._get_row_region(index)
        row = self._row_locations.get_key(index)  # the very key its caches hold: `is` is quick
        cells, rows = self._cell_render_cache.keys(), self._row_render_cache.keys()
        drop(self._cell_render_cache, [cached for cached in cells if cached[0] is row])
        drop(self._row_render_cache, [cached for cached in rows if cached[0] is row])
        renderables, lines = self._row_renderable_cache.keys(), self._line_cache.keys()
        drop(self._row_renderable_cache, [cached for cached in renderables
                                          if cached[1] == index])
        drop(self._line_cache, [cached for cached in lines
                                if region.y <= cached[0] < region.bottom])
        self.refresh_row(index)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """Textual keys every line it draws (and every row) by where the cursor and the mouse
        are, even on rows they are not on: a cursor moved (a switch selects its new row) or
        a scroll drew every line again. A line of a row they are not on is drawn, and kept,
        as if they were nowhere."""
        try:
            row = self._row_locations.get(self._get_offsets(y)[0])
        except LookupError:  # below the last row
            return super()._render_line(y, x1, x2, base_style)
        here = -1 if row is None else row  # the header's row is -1
        away = [] if self.cursor_type == "column" else [  # a column cursor is on every row
            where for where in (DataTable.cursor_coordinate, DataTable.hover_coordinate)
            if getattr(self, where.name).row != here]
        kept = [getattr(self, where.internal_name) for where in away]
        for where in away:
            setattr(self, where.internal_name, NOWHERE)  # as they are read, not set: no watcher
        try:
            return super()._render_line(y, x1, x2, base_style)
        finally:
            for where, value in zip(away, kept, strict=True):
                setattr(self, where.internal_name, value)

    def sync(self, rows: Sequence[tuple[str, Sequence[object]]]) -> None:
        """Show exactly `rows` (key, cells), changing only what differs: a timer switch
        changes one row and adds one, and the other rows are not drawn again. A row is as
        high as its cell of most lines."""
        shown = [(key.value, row.height) for key, row in self.rows.items()]
        wanted = [(key, height(cells)) for key, cells in rows]
        if wanted[:len(shown)] != shown:
            self.clear()
            shown = []
        columns = list(self.columns)
        for key, cells in rows[:len(shown)]:
            if not all(shows(cell, value) for cell, value in
                       zip(self._data[RowKey(key)].values(), cells, strict=True)):
                self.update_row(key, dict(zip(columns, cells, strict=True)), update_width=True)
        for key, cells in rows[len(shown):]:
            self.add_row(*cells, key=key, height=height(cells))


def drop(cache: LRUCache[Any, Any], keys: list[Any]) -> None:
    for key in keys:
        cache.discard(key)


def height(cells: Sequence[object]) -> int:
    """The lines of a row: its cell of most lines."""
    return max((str(cell).count("\n") + 1 for cell in cells), default=1)
