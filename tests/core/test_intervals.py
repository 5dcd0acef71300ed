"""The clock time segments cover, shared time once: checked against counting each second."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from core.intervals import covered, covered_time
from core.models import Segment

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SESSION = uuid4()


def segment(start: int, length: int | None) -> Segment:
    return Segment(session_id=SESSION, code="97110", start=T0 + timedelta(seconds=start),
                   end=None if length is None else T0 + timedelta(seconds=start + length))


@given(st.lists(st.tuples(st.integers(0, 600), st.integers(0, 300) | st.none()), max_size=8),
       st.integers(0, 900))
def test_covered_time_counts_every_second_once(spans, later):
    now = T0 + timedelta(seconds=later)
    segments = [segment(start, length) for start, length in spans]
    seconds = {second for start, length in spans
               for second in range(start, max(start, later if length is None
                                              else start + length))}
    assert covered_time(segments, now) == timedelta(seconds=len(seconds))
    intervals = covered(segments, now)
    assert all(a[1] < b[0] for a, b in pairwise(intervals))


def test_touching_segments_make_one_interval_and_a_running_one_reaches_now():
    now = T0 + timedelta(minutes=30)
    assert covered([segment(0, 600), segment(600, 300), segment(1200, None)], now) == [
        (T0, T0 + timedelta(minutes=15)), (T0 + timedelta(minutes=20), now)]
