"""Undoing the group's changes (review of issue 17): no undo or redo brings a group back
over one-on-one time."""

import pytest

from storage.errors import OverlapError

from .test_group_follows_the_room import by_patient, group_segments


def test_undoing_a_leave_never_brings_the_group_back_over_one_on_one_time(repo, clock):
    repo.commands.start_group(["AB12", "CD34", "EF56"])
    clock.advance(minutes=10)
    cd34 = by_patient(repo)["CD34"]
    repo.commands.leave_group(cd34.id)
    clock.advance(minutes=5)
    repo.commands.stop_group()
    ab12 = by_patient(repo)["AB12"]
    repo.commands.start(ab12.id, "97110")
    clock.advance(minutes=5)
    before = [(s.code, s.end) for s in group_segments(repo, cd34.id)]
    with pytest.raises(OverlapError):
        repo.commands.undo(cd34.id)  # 97150 would run again beside AB12's 97110
    assert [(s.code, s.end) for s in group_segments(repo, cd34.id)] == before
