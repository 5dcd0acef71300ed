"""billing-spec section 2 (segments -> whole minutes) and model validation."""

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from pydantic import ValidationError

from core.billing.minutes import code_minutes
from core.models import FurnishedBy, Segment

SESSION = uuid4()
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def seg(code, start_s, seconds, by=FurnishedBy.THERAPIST):
    start = T0 + timedelta(seconds=start_s)
    end = None if seconds is None else start + timedelta(seconds=seconds)
    return Segment(session_id=SESSION, code=code, start=start, end=end, furnished_by=by)


def test_seven_minutes_fifty_nine_seconds_is_seven_minutes():
    assert code_minutes([seg("97110", 0, 479)], T0)[0].minutes == 7


def test_episodes_add_up_in_seconds_before_rounding_down():
    segments = [seg("97110", 0, 450), seg("97140", 500, 60), seg("97110", 900, 450)]
    minutes = code_minutes(segments, T0)
    assert [(m.code, m.minutes) for m in minutes] == [("97110", 15), ("97140", 1)]


def test_codes_are_ordered_by_first_start():
    minutes = code_minutes([seg("97140", 600, 60), seg("97110", 0, 60)], T0)
    assert [m.code for m in minutes] == ["97110", "97140"]


def test_a_running_segment_counts_up_to_now():
    now = T0 + timedelta(minutes=9, seconds=30)
    assert code_minutes([seg("97110", 0, None)], now)[0].minutes == 9


def test_a_running_segment_never_counts_negative_time():
    assert code_minutes([seg("97110", 60, None)], T0)[0].minutes == 0


def test_assistant_minutes_are_kept_per_code():
    minutes = code_minutes(
        [seg("97110", 0, 600), seg("97110", 700, 330, FurnishedBy.ASSISTANT)], T0
    )[0]
    assert (minutes.minutes, minutes.assistant_minutes) == (15, 5)


def test_segment_end_before_start_is_refused():
    with pytest.raises(ValidationError, match=r"ends at .* before it starts"):
        Segment(session_id=SESSION, code="97110", start=T0, end=T0 - timedelta(seconds=1))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValidationError):
        Segment(session_id=SESSION, code="97110", start=datetime(2026, 3, 2, 9, 0))


def test_instants_are_normalised_to_utc():
    eastern = timezone(timedelta(hours=-5))
    start = datetime(2026, 3, 2, 9, tzinfo=eastern)
    segment = Segment(session_id=SESSION, code="97110", start=start)
    assert segment.start == T0 and segment.start.tzinfo is UTC


def test_dst_change_is_neither_lost_nor_doubled():
    # US spring-forward 2026-03-08: 01:30 EST to 03:30 EDT is one real hour.
    start = datetime(2026, 3, 8, 1, 30, tzinfo=timezone(timedelta(hours=-5)))
    end = datetime(2026, 3, 8, 3, 30, tzinfo=timezone(timedelta(hours=-4)))
    segment = Segment(session_id=SESSION, code="97110", start=start, end=end)
    assert code_minutes([segment], end)[0].minutes == 60
