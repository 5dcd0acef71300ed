"""A day's billing works out the checks that come from billing itself (Medicare status, NCCI
edits) once, when they are first asked for: the index, Today and the claim lines, which bill
every day they read, never ask."""

import pytest

from core.billing import day as billing_day
from core.billing.day import bill_day
from tests.core.test_day import CATALOG, DAY, T0, seg, session


def test_the_checks_are_worked_out_once_and_only_when_asked(monkeypatch: pytest.MonkeyPatch):
    asked: list[int] = []
    real = billing_day._edit_checks

    def counted(*args):
        asked.append(1)
        return real(*args)

    monkeypatch.setattr(billing_day, "_edit_checks", counted)
    one = session("AB12")
    billed = bill_day([(one, [seg(one, "97164", 0, 20), seg(one, "97110", 20, 15)])],
                      T0.replace(hour=20), CATALOG)
    assert billed.rows and asked == []
    checks = billed.checks
    assert billed.checks is checks and asked == [1]
    assert [check.kind.value for check in checks] == ["re-evaluation-with-treatment"]
    assert billed.rows[0].date_of_service == DAY
