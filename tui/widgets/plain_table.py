"""A DataTable that shows text exactly as typed, where Home and End go to the first and last
row.

Textual reads a `str` cell as markup: a note `[flexion 120]` loses its words and `[/red]`
raises. Every table here holds text a person typed or a file holds, so every text cell is
turned into a literal `Text` on its way in; styled cells (a `Text` already) pass unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey


def literal(value: object) -> object:
    return Text(value) if isinstance(value, str) else value


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
        return super().add_row(*(literal(cell) for cell in cells), height=height, key=key,
                               label=label)

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: CellType,
                    *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, literal(value), update_width=update_width)

    def update_cell_at(self, coordinate: Coordinate, value: CellType, *,
                       update_width: bool = False) -> None:
        super().update_cell_at(coordinate, literal(value), update_width=update_width)

    def sync(self, rows: Sequence[tuple[str, Sequence[object]]]) -> None:
        """Show exactly `rows` (key, cells), changing only what differs: a timer switch
        updates a few cells and adds a row instead of drawing the whole table again. A row
        is as high as its cell of most lines."""
        shown = [(key.value, row.height) for key, row in self.rows.items()]
        wanted = [(key, height(cells)) for key, cells in rows]
        if wanted[:len(shown)] != shown:
            self.clear()
            shown = []
        columns = list(self.columns)
        for key, cells in rows[:len(shown)]:
            for column, value in zip(columns, cells, strict=True):
                cell = literal(value)
                if self.get_cell(key, column) != cell:
                    super().update_cell(key, column, cell, update_width=True)
        for key, cells in rows[len(shown):]:
            self.add_row(*cells, key=key, height=height(cells))


def height(cells: Sequence[object]) -> int:
    """The lines of a row: its cell of most lines."""
    return max((str(cell).count("\n") + 1 for cell in cells), default=1)
