"""The clinic's commands: `tabletime clinic merge` builds one SQLite file from several
therapists' backups (storage/clinic/). Nothing here opens a data folder: the archives are
read, the configured data folder is only where the file may not go.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.text import plural
from storage.clinic.database import merge
from storage.folder import resolve_data_dir
from storage.reports import left_open_text
from tui.cli.args import system_clock
from tui.cli.data import say
from tui.cli.main import EXIT_OK, UsageError


def run_merge(args: argparse.Namespace) -> int:
    if args.first and args.last and args.first > args.last:
        raise UsageError(f"--from {args.first} is after --to {args.last}")
    if args.out == "-":
        raise UsageError("--out needs a file name: a SQLite database cannot go to standard "
                         "output")
    out = Path(args.out).expanduser()
    merged = merge([Path(a).expanduser() for a in args.archives], out,
                   resolve_data_dir(args.data_dir), system_clock(), first=args.first,
                   last=args.last, force=args.force)
    for older, newer in merged.left_out:
        say(f"left out {older.path}: an older backup of {older.who} than {newer.path} "
            f"(written {older.created:%Y-%m-%d %H:%M:%S} UTC, the one merged "
            f"{newer.created:%Y-%m-%d %H:%M:%S} UTC)")
    for archive, still_open in merged.still_open:
        say(f"warning: {archive.who}: {left_open_text(still_open)}")
    for archive, sessions, segments, lines in merged.therapists:
        say(f"merged {archive.who} from {archive.path}: {plural(sessions, 'session')}, "
            f"{plural(segments, 'segment')}, {plural(lines, 'claim line')}")
    say(f"wrote {plural(len(merged.therapists), 'therapist')} to {out}")
    return EXIT_OK
