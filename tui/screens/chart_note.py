"""A chart note where the therapist is: full screen, plain text and nothing else (no border,
no hard wrap, no screen behind it), on the clipboard when a clipboard program took it, sent
to the terminal's clipboard (OSC 52) as well, and shown selected so ctrl+c copies it whole."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, TextArea
from textual.widgets.text_area import Selection

from storage.errors import StorageError, disk_problem
from storage.exports import write_export
from tui.clipboard import copy_text
from tui.screens.base import TabletimeScreen
from tui.widgets.footer import KeysFooter
from tui.widgets.notices import NoticeBar


class ChartNoteScreen(TabletimeScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Back", tooltip="back to where the chart note was asked"),
        Binding("c", "copy", "Copy again",
                tooltip="copy the chart note again (clipboard program and OSC 52)"),
        Binding("w", "write", "Save file", tooltip=(
            "save the chart note as a text file in the data folder's exports/ (where no "
            "clipboard reaches)")),
    ]

    def __init__(self, patient: str, text: str, name: str, *, draft: bool = False) -> None:
        """`name`: the file name `w` saves under (no patient reference: it names no one);
        `draft`: the session is still open, so the note is not final."""
        super().__init__()
        self.patient = patient
        self.draft = draft
        self.text = text
        self.name_of_file = name
        self.title_text = ""

    def compose(self) -> ComposeResult:
        yield Static(id="note-title", markup=False)
        yield TextArea(self.text, read_only=True, soft_wrap=True, show_line_numbers=False,
                       compact=True, id="note-text")
        yield NoticeBar()
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.action_copy()
        area = self.query_one(TextArea)
        self.set_focus(area)
        area.selection = Selection(area.document.end, (0, 0))  # all of it, view at the top

    def action_copy(self) -> None:
        """The clipboard program's answer decides the words: OSC 52 gives none. In a
        browser, OSC 52 is the page's own clipboard (the server's programs are not the
        tablet's)."""
        self.app.copy_to_clipboard(self.text)
        tool = None if self.app.is_web else copy_text(self.text)
        if self.app.is_web:
            how = "copied to this browser's clipboard; escape goes back"
        elif tool is not None:
            how = f"copied to the clipboard ({tool}); escape goes back"
        else:
            how = ("no clipboard program took it; sent to the terminal (OSC 52, which tmux "
                   "and some terminals ignore). It is selected: ctrl+c copies it, w saves a "
                   "file")
        draft = " (session still open: NOT FINAL)" if self.draft else ""
        self.title_text = f"Chart note of {self.patient}{draft}: {how}"
        self.query_one("#note-title", Static).update(self.title_text)

    def action_write(self) -> None:
        try:
            path, _ = write_export(self.tabletime.repo.data_dir, self.name_of_file,
                                   lambda stream: stream.write(self.text) and 1)
        except (StorageError, OSError) as error:
            problem = disk_problem(error) if isinstance(error, OSError) else str(error)
            self.tabletime.tell(f"The chart note was not saved: {problem}", "error")
            return
        self.tabletime.tell(f"Chart note saved in {path}")
        self.tabletime.deliver(path)
