"""`tabletime summary --from DATE [--to DATE]`: each day of a range (a week by default) with
its productivity and totals. Being built (issue 19): the range is refused until it is."""

from __future__ import annotations

import argparse

from tui.cli.main import UsageError


def run_summary_range(args: argparse.Namespace) -> int:
    raise UsageError("summary --from/--to is not available yet: use --date")
