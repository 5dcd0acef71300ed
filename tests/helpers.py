"""Small conveniences the tests share."""

import io
from datetime import date

from storage.exports import write_segments
from storage.repository import Repository


def export_segments(repo: Repository, first: date | None = None, last: date | None = None
                    ) -> str:
    """The segments CSV as one string (the app and the command line stream it)."""
    out = io.StringIO()
    write_segments(repo, first, last, out)
    return out.getvalue()
