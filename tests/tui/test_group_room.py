"""The group follows the room on Today (issue 17): g with a group running offers add (a),
leave (l), stop (s) and close (c); a late patient typed in runs the group code, one leaves
while the others keep running, and one review closes every session of the group."""

from datetime import timedelta

import pytest

from storage.errors import InvalidChange
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import FormDialog
from tui.screens.group import GroupMenu, GroupReviewScreen, LeavePicker
from tui.screens.today import TodayScreen
from tui.widgets.plain_table import PlainTable

NARROW = (80, 24)
SIZES = [pytest.param((80, 24), id="80x24"),
         pytest.param((120, 34), id="120x34", marks=pytest.mark.slow)]


def patients_running(app):
    """Who runs what: {patient: [codes]}."""
    found: dict[str, list[str]] = {}
    for segment in app.repo.queries.running_segments():
        patient = app.repo.queries.session(segment.session_id).patient
        found.setdefault(patient, []).append(segment.code)
    return found


def today_sessions(app):
    day = app.repo.local(app.clock()).date()
    return {s.patient: s for s in app.repo.queries.sessions_on(day)}


async def press(pilot, *keys):
    await pilot.press(*keys)
    await pilot.pause()


@pytest.fixture
def group_of_three(open_app, clock):
    """10:00 AB12 works one-on-one (97110, 12 min); 10:15 a group of AB12, CD34 and EF56
    (EF56 seen yesterday under Commercial), 20 minutes in."""
    app = open_app()
    repo = app.repo
    yesterday = repo.commands.create_session("EF56", "Commercial")
    repo.commands.close_session(yesterday.id)
    clock.advance(days=1)
    ab12 = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(ab12.id, "97110")
    clock.advance(minutes=12)
    repo.commands.stop(ab12.id)
    clock.advance(minutes=3)
    repo.commands.start_group(["AB12", "CD34", "EF56"])
    clock.advance(minutes=20)
    repo.pop_notices()
    return app


async def test_g_adds_a_late_patient_typed_in_who_then_runs_the_group_code(group_of_three,
                                                                          clock, told):
    app = group_of_three
    async with app.run_test(size=NARROW) as pilot:
        await press(pilot, "g")
        assert isinstance(app.screen, GroupMenu)
        await press(pilot, "a")
        assert isinstance(app.screen, FormDialog)
        await press(pilot, *"GH78", "enter")
        assert isinstance(app.screen, ConfirmDialog)  # never seen: the payer is confirmed
        assert "GH78 gets a new session on Medicare" in app.screen.question
        await press(pilot, "y")
        assert isinstance(app.screen, TodayScreen)
        assert ("GH78 joined group 97150: 4 patients (g, l lets one leave)",
                "information") in told
        sessions = today_sessions(app)
        assert patients_running(app) == {p: ["97150"] for p in ("AB12", "CD34", "EF56",
                                                                "GH78")}
        (joined,) = app.repo.queries.segments_of(sessions["GH78"].id)
        assert joined.start == clock.now  # from the moment they joined
        assert {s.group_size for s in sessions.values() if s.is_open} == {4}
        assert str(app.screen.table.get_cell(str(sessions["GH78"].id), "running")).startswith(
            "97150")


async def test_a_patient_in_the_group_already_is_refused_in_the_form(group_of_three):
    app = group_of_three
    async with app.run_test(size=NARROW) as pilot:
        await press(pilot, "g", "a", *"CD34", "enter")
        assert isinstance(app.screen, FormDialog)  # what was typed is kept, and why not said
        assert "CD34 is in the group already (since 10:15)" in str(
            app.screen.query_one("#error").render())
        assert app.screen.values()["patient"] == "CD34"
    assert len(app.repo.commands.group_members()) == 3


async def test_l_lets_one_leave_and_the_others_keep_running(group_of_three, clock, told):
    app = group_of_three
    async with app.run_test(size=NARROW) as pilot:
        await press(pilot, "g", "l")
        assert isinstance(app.screen, LeavePicker)
        await press(pilot, "down", "enter")  # the second one: CD34
        assert isinstance(app.screen, TodayScreen)
        assert patients_running(app) == {"AB12": ["97150"], "EF56": ["97150"]}
        cd34 = today_sessions(app)["CD34"]
        (left,) = app.repo.queries.segments_of(cd34.id)
        assert left.end == clock.now
        assert ("CD34 left the group at 10:35; 2 patients keep going", "information") in told
        await press(pilot, "g", "l")  # two left: no group of one; said, nothing asked
        assert isinstance(app.screen, TodayScreen)
        assert any("stop it for both instead (g, s)" in m for m, s in told if s == "warning")
        assert patients_running(app) == {"AB12": ["97150"], "EF56": ["97150"]}


async def test_escape_changes_nothing_and_s_stops_the_group_for_all(group_of_three, told):
    app = group_of_three
    async with app.run_test(size=NARROW) as pilot:
        await press(pilot, "g", "n", "escape")  # n is no choice while the group runs
        assert isinstance(app.screen, TodayScreen)
        assert len(patients_running(app)) == 3
        await press(pilot, "g", "s")
        assert isinstance(app.screen, TodayScreen)
        assert patients_running(app) == {}
        assert ("Group 97150 stopped for 3 patients (g, c closes their sessions)",
                "information") in told
        await press(pilot, "g")  # stopped, not closed: close them, or a new group
        assert isinstance(app.screen, GroupMenu)
        assert "The last group's 3 sessions are open: AB12, CD34, EF56" in app.screen.title_text
        await press(pilot, "n")
        assert isinstance(app.screen, FormDialog)
        assert "#field-patients" in [f"#{w.id}" for w in app.screen.query("Input")]


async def test_c_reviews_the_three_in_one_screen_and_enter_closes_all(group_of_three, clock,
                                                                     told):
    app = group_of_three
    clock.advance(minutes=20)  # 40 minutes of group
    async with app.run_test(size=NARROW) as pilot:
        await press(pilot, "g", "c")
        review = app.screen
        assert isinstance(review, GroupReviewScreen)
        table = review.query_one("#group-lines", PlainTable)
        rows = [[str(cell) for cell in table.get_row_at(r)] for r in range(table.row_count)]
        assert [(r[0], r[1], r[3]) for r in rows] == [
            ("AB12", "97110", "1"), ("", "97150 (untimed)", "1"),
            ("CD34", "97150 (untimed)", "1"), ("EF56", "97150 (untimed)", "1")]
        assert [r[4] for r in rows] == ["GP", "GP", "GP", "GP"]
        assert all(r[5].startswith("$") for r in rows)
        notes = str(review.query_one("#group-why").render())
        assert "AB12 (Medicare, PT): 97110-GP x1, 97150-GP x1 · 2 units (1 timed)" in notes
        assert "EF56 (Commercial, PT): 97150-GP x1" in notes
        assert "97150 is still running: closing stops it at 10:55" in notes
        await press(pilot, "enter")  # what runs is asked about first, as the review does
        assert isinstance(app.screen, ConfirmDialog)
        assert "still running: stop at 10:55 and close all 3 sessions?" in app.screen.question
        await press(pilot, "y")
        assert isinstance(app.screen, TodayScreen)
    sessions = today_sessions(app)
    assert all(not s.is_open for s in sessions.values())
    assert {p: s.billing.units for p, s in sessions.items() if s.billing} == {
        "AB12": {"97110": 1, "97150": 1}, "CD34": {"97150": 1}, "EF56": {"97150": 1}}
    assert ("Closed 3 sessions of the group: AB12 97110-GP x1, 97150-GP x1; CD34 97150-GP "
            "x1; EF56 97150-GP x1", "information") in told


async def test_one_that_is_not_closed_is_named_and_stays_in_the_review(group_of_three,
                                                                       monkeypatch, told):
    app = group_of_three
    sessions = app.repo.commands._group._sessions
    real = sessions.close

    def refusing(session_id, **options):
        if app.repo.queries.session(session_id).patient == "CD34":
            raise InvalidChange("CD34 refused here")
        return real(session_id, **options)

    monkeypatch.setattr(sessions, "close", refusing)
    async with app.run_test(size=NARROW) as pilot:
        await press(pilot, "g", "c", "enter", "y")
        review = app.screen
        assert isinstance(review, GroupReviewScreen)  # still there, with what is left
        assert ("Not closed: CD34 (CD34 refused here) (the others are closed)",
                "error") in told
        assert any(m.startswith("Closed 2 sessions of the group: AB12") for m, _ in told)
        table = review.query_one("#group-lines", PlainTable)
        assert [str(table.get_row_at(r)[0]) for r in range(table.row_count)] == ["CD34"]
    assert [s.patient for s in app.repo.queries.open_sessions()] == ["CD34"]


@pytest.fixture
def snapshot_group(group_of_three, clock):
    """The group of three with a hot pack on AB12 and one patient gone: what the menu and
    the review show at the end of it."""
    app = group_of_three
    repo = app.repo
    sessions = {s.patient: s for s in repo.queries.open_sessions()}
    repo.commands.start(sessions["AB12"].id, "97010")
    clock.advance(minutes=5)
    repo.commands.leave_group(sessions["CD34"].id)
    clock.advance(minutes=15, seconds=30)
    repo.commands.join_group("GH78", new_payer="Medicaid")
    clock.advance(minutes=2)
    repo.commands.add_segment(sessions["AB12"].id, "97140", clock.now - timedelta(hours=1),
                              clock.now - timedelta(minutes=59))
    repo.pop_notices()
    return app


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("what", "keys"), [("group-menu", ["g"]),
                                            ("group-leave", ["g", "l"]),
                                            ("group-review", ["g", "c"])],
                         ids=["group-menu", "group-leave", "group-review"])
def test_the_group_screens(snap_compare, snapshot_group, size, what, keys):
    assert snap_compare(snapshot_group, press=keys, terminal_size=size)
