"""Opening the Textual app from the command line: `tabletime` and `tabletime demo`. The only
module of the command line that imports the app (the app never imports the command line).
It imports what opening the folder and the app need, nothing of the other commands: the
time to Today is mostly the time to load modules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from storage.folder import resolve_data_dir
from storage.repository import Repository
from tui.app import make_app
from tui.cli.args import system_clock
from tui.cli.main import EXIT_OK


def run_app(args: argparse.Namespace) -> int:
    """Open the app on the data folder."""
    with Repository.open(resolve_data_dir(args.data_dir), system_clock,
                         before_long_rebuild=_say_the_wait) as repo:
        app = make_app(system_clock, repo)
        app.run()
    return app.return_code or EXIT_OK


def run_demo(args: argparse.Namespace) -> int:
    import tempfile

    from tui.demo import seed_demo

    folder = Path(tempfile.mkdtemp(prefix="tabletime-demo-")) / "data"
    seed_demo(folder, system_clock())
    with Repository.open(folder, system_clock) as repo:
        app = make_app(system_clock, repo, banner=f"Demo: sample data in {folder}")
        app.run()
    print(f"The demo's data stays in {folder} until you delete it.")
    return app.return_code or EXIT_OK


def _say_the_wait(days: int) -> None:
    """Before the screen is drawn, so that a long first open does not look like a hang."""
    print(f"tabletime: reading {days:,} day files to bring the index up to date (the folder "
          "was copied or restored); this takes a moment...", file=sys.stderr, flush=True)
