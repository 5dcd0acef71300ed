"""The progress-report clock (billing-spec section 11): treatment days per patient and
discipline, a therapist's report restarting the count, warnings from the 8th day."""

from datetime import date, timedelta
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from core.billing.checks import CheckKind
from core.care.deadlines import REPORT_EVERY, day_report_deadlines, report_deadline
from core.care.history import Visit
from core.models import Discipline
from tests.core.test_day import CATALOG, NY, T0, seg, session

START = date(2026, 3, 2)
PT, OT = Discipline.PT, Discipline.OT


def visit(discipline=PT, treated=True, report=False, patient="AB12"):
    return Visit(id=uuid4(), patient=patient, discipline=discipline, payer="Medicare",
                 medicare=True, open=False, treated=treated, progress_report=report)


def days(count, first=START, **kwargs):
    """`count` treatment days, two days apart."""
    return [(first + timedelta(days=2 * i), visit(**kwargs)) for i in range(count)]


def clock_on(visits, day, discipline=PT):
    return report_deadline(visits, discipline, day)


def test_the_8th_9th_10th_and_11th_treatment_days_warn_in_a_therapists_words():
    history = days(11)
    expected = {
        1: (None, "day 1 of 10"),
        7: (None, "day 7 of 10"),
        8: ("progress-report-due", "due in 2"),
        9: ("progress-report-due", "due next"),
        10: ("progress-report-due", "due today"),
        11: ("progress-report-overdue", "overdue"),
    }
    for count, (kind, short) in expected.items():
        clock = clock_on(history[:count], history[count - 1][0])
        assert clock is not None
        assert (clock.treatment_days, clock.kind, clock.short) == (count, kind, short)
    assert clock_on(history[:8], history[7][0]).message.startswith(
        "progress report due in 2 visits (PT treatment day 8 since the episode's first day")
    assert clock_on(history[:9], history[8][0]).message.startswith("progress report due next visit")
    assert clock_on(history[:10], history[9][0]).message.startswith(
        "progress report due today: this visit")
    assert clock_on(history, history[10][0]).message.startswith(
        "progress report overdue: PT treatment day 11")


def test_two_sessions_on_one_date_are_one_treatment_day():
    history = days(8)
    doubled = history + [(day, visit()) for day, _ in history]
    assert clock_on(doubled, history[-1][0]).treatment_days == 8


def test_each_discipline_keeps_its_own_clock():
    history = days(9, discipline=PT) + days(3, discipline=OT)
    last = history[8][0]
    assert clock_on(history, last, PT).treatment_days == 9
    assert clock_on(history, last, OT).treatment_days == 3
    assert clock_on(days(3, discipline=OT), last, PT) is None


def test_a_report_ends_its_period_and_the_next_visit_is_day_1():
    history = days(10)
    marked = [*history[:9], (history[9][0], visit(report=True))]
    on_report_day = clock_on(marked, marked[-1][0])
    assert (on_report_day.treatment_days, on_report_day.kind) == (0, None)
    later = marked + days(3, first=marked[-1][0] + timedelta(days=2))
    clock = clock_on(later, later[-1][0])
    assert (clock.treatment_days, clock.last_report) == (3, marked[-1][0])
    assert "since the report of" in clock.message


def test_a_date_without_treatment_and_a_later_date_do_not_count():
    history = [*days(8), (START + timedelta(days=40), visit(treated=False))]
    assert clock_on(history, START + timedelta(days=40)).treatment_days == 8
    assert clock_on(history, history[4][0]).treatment_days == 5  # as it stood that day


def test_the_days_own_sessions_count_as_they_are_now():
    """Today's visit comes from its session (a segment makes it a treatment day)."""
    earlier = {"AB12": days(8)}
    today = START + timedelta(days=30)
    treated = session("AB12", day=today)
    clocks = day_report_deadlines(today, [(treated, [seg(treated, "97110", 0, 20)])], earlier)
    assert clocks[("AB12", PT)].treatment_days == 9
    empty = session("AB12", day=today)
    assert day_report_deadlines(today, [(empty, [])], earlier)[("AB12", PT)].treatment_days == 8
    marked = treated.model_copy(update={"progress_report": True})
    assert day_report_deadlines(today, [(marked, [seg(marked, "97110", 0, 20)])],
                      earlier)[("AB12", PT)].kind is None


def test_the_day_summary_carries_the_clock_as_a_check_on_that_patients_sessions():
    from core.billing.summary import summarize_day

    today = START + timedelta(days=30)
    ab, cd = session("AB12", day=today), session("CD34", 60, day=today)
    pairs = [(ab, [seg(ab, "97110", 0, 20)]), (cd, [seg(cd, "97110", 60, 20)])]
    clocks = day_report_deadlines(today, pairs, {"AB12": days(10), "CD34": days(2)})
    now = T0 + timedelta(days=30, hours=8)
    summary = summarize_day(today, pairs, now, CATALOG, NY, report_deadlines=clocks)
    (check,) = [c for c in summary.checks if c.kind is CheckKind.PROGRESS_REPORT_OVERDUE]
    assert check.session_ids == (ab.id,) and check.message.startswith("AB12: progress report")
    assert "220.3" in check.source
    assert summary.sessions[1].checks == () and "progress report" in summary.sessions[0].checks[0]


@given(st.lists(st.tuples(st.integers(0, 60), st.sampled_from([PT, OT]), st.booleans(),
                          st.booleans()), max_size=40), st.integers(0, 60))
def test_the_count_never_exceeds_the_treatment_dates_since_the_last_report(entries, on):
    history = [(START + timedelta(days=d), visit(discipline, treated, report))
               for d, discipline, treated, report in entries]
    day = START + timedelta(days=on)
    clock = report_deadline(history, PT, day)
    dates = {d for d, v in history if v.discipline is PT and v.treated and d <= day}
    if clock is None:
        assert not dates
        return
    reports = [d for d, v in history if v.discipline is PT and v.treated and v.progress_report
               and d <= day]
    assert clock.last_report == max(reports, default=None)
    assert clock.treatment_days == len([d for d in dates if not reports or d > max(reports)])
    assert (clock.kind is None) == (clock.treatment_days < 8)
    assert (clock.kind == "progress-report-overdue") == (clock.treatment_days > REPORT_EVERY)


def authorization(visits=None, units=None, start=START, until=START + timedelta(days=60),
                  payer="Commercial"):
    from datetime import UTC, datetime

    from core.care.patients import Authorization, authorization_key

    return Authorization(id=authorization_key("AB12", payer), patient="AB12", payer=payer,
                         visits=visits, units=units, start=start, until=until,
                         entered_at=datetime(2026, 3, 1, tzinfo=UTC))


def paid(day, payer="Commercial", units=2, open_=False, treated=True):
    return (day, Visit(id=uuid4(), patient="AB12", discipline=PT, payer=payer,
                       medicare=False, open=open_, treated=treated,
                       timed_units=None if open_ else units))


def test_an_authorization_counts_visit_dates_under_its_payer_from_its_start():
    from core.care.deadlines import authorization_balance

    visits = [paid(START - timedelta(days=1)),  # before it starts
              paid(START), paid(START),  # one date, two sessions
              paid(START + timedelta(days=2), payer="Medicare"),  # another payer
              paid(START + timedelta(days=4)), paid(START + timedelta(days=6), open_=True)]
    balance = authorization_balance(authorization(visits=5, units=20), visits,
                                    START + timedelta(days=6))
    assert (balance.visits_used, balance.units_used) == (3, 6)  # the open one: no units yet
    assert (balance.visits_left, balance.units_left, balance.kind) == (2, 14, "authorization-low")
    assert balance.message.startswith("Commercial authorization: 2 authorized visits left, "
                                      "14 units left, ends")


def test_low_and_exceeded_on_visits_units_and_dates():
    from core.care.deadlines import authorization_balance

    def kind(auth, count, on=START + timedelta(days=20)):
        visits = [paid(START + timedelta(days=i)) for i in range(count)]
        return authorization_balance(auth, visits, on).kind

    assert kind(authorization(visits=10), 7) is None
    assert kind(authorization(visits=10), 8) == "authorization-low"
    assert kind(authorization(visits=10), 11) == "authorization-exceeded"
    assert kind(authorization(units=30), 10) is None  # 20 units used, 10 left
    assert kind(authorization(units=30), 11) == "authorization-low"  # 8 left
    assert kind(authorization(units=30), 16) == "authorization-exceeded"
    ends = authorization(visits=50, until=START + timedelta(days=27))
    assert kind(ends, 1, START + timedelta(days=19)) is None  # 8 days left
    assert kind(ends, 1, START + timedelta(days=20)) == "authorization-low"  # a week left
    assert kind(ends, 1, START + timedelta(days=28)) == "authorization-exceeded"
    exceeded = authorization_balance(ends, [paid(START)], START + timedelta(days=28))
    assert "ended" in exceeded.message


def test_an_authorization_needs_a_count_and_an_order():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="visits, of units, or both"):
        authorization()
    with pytest.raises(ValidationError, match="ends"):
        authorization(visits=3, until=START - timedelta(days=1))


def episode(start=START, until=None, signed=None, discipline=PT):
    from datetime import UTC, datetime

    from core.care.patients import Episode, episode_key

    return Episode(id=episode_key("AB12", discipline, start), patient="AB12",
                   discipline=discipline, start=start,
                   certified_until=until or start + timedelta(days=89), signed=signed,
                   entered_at=datetime(2026, 3, 1, tzinfo=UTC))


def plan_on(visits, day, care=()):
    from core.care.deadlines import plan_of_care_deadline

    clock = plan_of_care_deadline(visits, PT, day, care)
    assert clock is not None
    return clock


def test_the_plan_of_care_warns_14_days_before_on_the_last_day_and_after():
    care = [episode(signed=START + timedelta(days=5))]
    last = START + timedelta(days=89)  # 90 calendar days, the first counted
    cases = {last - timedelta(days=15): None, last - timedelta(days=14): "certification-ending",
             last: "certification-ending", last + timedelta(days=1): "certification-expired"}
    for day, kind in cases.items():
        assert plan_on([], day, care).kind == kind, day
    assert "it ends today, recertify" in plan_on([], last, care).message
    assert "treating past the PT plan of care certified through 30 May 2026" in \
        plan_on([], last + timedelta(days=1), care).message


def test_an_unsigned_initial_certification_warns_after_30_days_once_entered():
    unsigned = [episode()]
    assert plan_on([], START + timedelta(days=30), unsigned).kind is None
    late = plan_on([], START + timedelta(days=31), unsigned)
    assert late.kind == "certification-unsigned" and "not signed 31 days after" in late.message
    history = days(3)  # no episode entered: from the first treatment day, signature unknown
    implicit = plan_on(history, START + timedelta(days=40))
    assert (implicit.start, implicit.entered, implicit.kind) == (START, False, None)
    assert "enter the episode" in implicit.message
    from core.care.deadlines import plan_of_care_deadline

    assert plan_of_care_deadline(history, OT, START) is None


def test_a_new_episode_restarts_the_report_count_and_an_episode_must_fit_90_days():
    import pytest
    from pydantic import ValidationError

    from core.care.deadlines import patient_deadlines

    history = days(9)
    new_start = history[6][0]  # a new start of care on the 7th visit
    report, plan = patient_deadlines(history, [episode(start=new_start)], history[-1][0])[PT]
    assert report is not None and plan is not None
    assert report.treatment_days == 3 and plan.start == new_start and plan.entered
    with pytest.raises(ValidationError, match="90 days"):
        episode(until=START + timedelta(days=90))
    with pytest.raises(ValidationError, match="before the start of care"):
        episode(signed=START - timedelta(days=1))
