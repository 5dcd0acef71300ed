"""`tabletime summary --from DATE [--to DATE]`: each day of a range (a week by default) with
its sessions, productivity, units and estimate, then the totals."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta

from core.kinds import LATEST_YEAR
from storage.folder import resolve_data_dir
from storage.repository import Repository
from storage.views import range_view
from tui.cli.args import system_clock
from tui.cli.data import report_notices, skipped_json
from tui.cli.main import EXIT_OK, UsageError
from tui.cli.output import printable_lines, range_json, range_text

WEEK = 7
MAX_DAYS = 366
"""The longest range, a year: ~2 s on five years of 20 sessions a day (each day file read and
billed once); longer is an export's job."""


def checked_range(first: date, last: date | None) -> tuple[date, date]:
    """--from and --to as a range: a week from --from without --to, at most a year."""
    last = last or min(first + timedelta(days=WEEK - 1), date(LATEST_YEAR, 12, 31))
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise UsageError(f"{first} to {last} is {days} days: a range is at most {MAX_DAYS} "
                         "days (a year); for more, export --kind lines")
    return first, last


def run_summary_range(args: argparse.Namespace) -> int:
    first, last = checked_range(args.first, args.last)
    with Repository.open(resolve_data_dir(args.data_dir), system_clock, read_only=True) as repo:
        view = range_view(repo, first, last, system_clock())
        skipped = skipped_json(repo)
        report_notices(repo)
    print(json.dumps({**range_json(view), "skipped": skipped}, indent=2) if args.json
          else printable_lines(range_text(view)))
    return EXIT_OK
