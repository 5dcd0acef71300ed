"""Where and how in the app (issue 19): the new-session form, p (correct) and the group form
set the place of service and the mode (02 and 10 suggest video), a bad code is refused at its
field; the settings and the first run take the NPI, provider code, billing entity, default
place, productivity target and scheduled hours, each refused by name; Today marks a
telehealth session; the chart note says where and how and the NPI; the demo shows both."""

import tomllib
from datetime import UTC, datetime

import pytest

from core.billing.recorded import bill_recorded
from core.formats.chart_note import chart_note
from core.place import Place, Telehealth
from storage.repository import Repository
from storage.settings_file import load_settings
from tui.app import make_app
from tui.demo import seed_demo
from tui.dialogs.form import FormDialog
from tui.screens.session import SessionScreen
from tui.screens.settings import settings_dialog
from tui.screens.today import TodayScreen
from tui.widgets.session_header import SessionHeader

from .conftest import SIZE
from .test_app import fill
from .test_forms_never_trap import open_new_session_form
from .test_snapshots import cut_cells

NARROW = (80, 24)


def error(dialog) -> str:
    return str(dialog.query_one("#error").render())


async def details_form(pilot, session_id) -> FormDialog:
    """`p` on the session's screen: its correction form."""
    pilot.app.open_session(session_id)
    await pilot.pause()
    await pilot.press("p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, FormDialog)
    return pilot.app.screen


async def test_a_telehealth_place_suggests_video_and_the_session_keeps_both(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        assert (form.values()["pos"], form.values()["mode"]) == ("11 office", "")
        await pilot.press(*"AB12")
        form.field("pos").focus()
        await pilot.press("ctrl+u", "1", "0")  # typed: 10, telehealth at home
        await pilot.pause()
        assert form.values()["mode"] == "video"
        form.field("mode").focus()
        await pilot.press("right")  # the therapist may still choose audio only
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        session = app.repo.queries.session(app.screen.session_id)
        assert session.place == Place("10", Telehealth.AUDIO)


async def test_a_known_patient_comes_with_their_last_place_and_mode(open_app, clock):
    app = open_app()
    last = app.repo.commands.create_session("AB12", "Commercial",
                                            place=Place("10", Telehealth.VIDEO))
    app.repo.commands.start(last.id, "97110")
    clock.advance(minutes=20)
    app.repo.commands.close_session(last.id, stop_running=True)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        await pilot.press(*"AB12")
        await pilot.pause()
        assert {key: form.values()[key] for key in ("payer", "pos", "mode")} == {
            "payer": "Commercial", "pos": "10 telehealth, patient at home", "mode": "video"}
        await pilot.press("enter")
        await pilot.pause()
        assert app.repo.queries.session(app.screen.session_id).place == Place(
            "10", Telehealth.VIDEO)


@pytest.mark.parametrize(("typed", "said"), [
    ("1a", "'1a' is not a place of service code"),
    ("13", ""),  # any CMS code is taken: 13 assisted living facility
    ("12 office", "POS 12 is home: type the code alone"),
    ("10 telehealth, patient at home", ""),  # as suggested
])
async def test_any_cms_place_is_taken_and_a_bad_one_refused_at_its_field(open_app, typed,
                                                                          said):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        await fill(pilot, patient="AB12", pos=typed)
        if said:
            assert app.screen is form and said in error(form)
            assert app.focused is form.field("pos")
            assert app.repo.queries.open_sessions() == []
        else:
            (session,) = app.repo.queries.open_sessions()
            assert session.place_of_service == typed[:2]


async def test_an_in_person_visit_at_a_telehealth_place_is_refused(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_session_form(pilot)
        form.field("pos").value = "02"
        await pilot.pause()
        assert form.values()["mode"] == "video"  # suggested
        await fill(pilot, patient="AB12", mode="")  # and taken back
        assert app.screen is form and "POS 02" in error(form) and "telehealth only" in error(form)
        assert app.repo.queries.open_sessions() == []


async def test_today_marks_a_telehealth_session_and_fits_80_columns(open_app, clock):
    app = open_app()
    by_video = app.repo.commands.create_session("AB123456", "Medicaid",
                                                place=Place("10", Telehealth.VIDEO))
    app.repo.commands.start(by_video.id, "97010")
    app.repo.commands.start(by_video.id, "97110")
    app.repo.commands.create_session("CD34", "Medicare")
    clock.advance(minutes=12)
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        table = app.screen.table
        now = {str(table.get_row_at(row)[0]): str(table.get_row_at(row)[2])
               for row in range(table.row_count)}
        assert now == {"AB123456": "97110 12:00 +1 · video", "CD34": "open"}
        assert cut_cells(app.screen) == []
        table.move_cursor(row=list(now).index("AB123456"))
        await pilot.press("enter")
        await pilot.pause()
        header = str(app.screen.query_one(SessionHeader).render())
        assert header.startswith("AB123456 · Medicaid (8-minute rule) · PT · video · "), header


async def test_p_corrects_the_place_and_u_puts_it_back(open_app, told):
    app = open_app()
    session = app.repo.commands.create_session("AB12", "Medicare")
    async with app.run_test(size=SIZE) as pilot:
        form = await details_form(pilot, session.id)
        assert form.values()["pos"] == "11 office"
        await fill(pilot, pos="02", reason="seen from the clinic down the road")
        assert isinstance(app.screen, SessionScreen)
        assert app.repo.queries.session(session.id).place == Place("02", Telehealth.VIDEO)
        assert any("telehealth by video" in message for message, _ in told)
        await pilot.press("u")
        await pilot.pause()
        assert app.repo.queries.session(session.id).place == Place("11")


async def test_p_refuses_a_bad_place_by_name_and_keeps_the_form(open_app):
    app = open_app()
    session = app.repo.commands.create_session("AB12", "Medicare")
    async with app.run_test(size=SIZE) as pilot:
        form = await details_form(pilot, session.id)
        await fill(pilot, pos="100", reason="typo test")
        assert app.screen is form and "'100' is not a place of service code" in error(form)
        assert form.values()["reason"] == "typo test"
    assert app.repo.queries.session(session.id).place == Place("11")


async def test_the_group_form_puts_every_member_at_its_place(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        assert app.screen.values()["pos"] == "11 office"
        app.repo.commands.create_session("AB12", "Medicare")  # known: no newcomer question
        app.repo.commands.create_session("CD34", "Medicare")
        await fill(pilot, patients="AB12, CD34", pos="12")
        assert "a session has one place" in error(app.screen)  # their sessions are at 11
        await fill(pilot, pos="11")
        assert not isinstance(app.screen, FormDialog)
    assert {s.place for s in app.repo.queries.open_sessions()} == {Place("11")}


async def test_a_group_elsewhere_is_refused_at_the_place_before_any_question(open_app):
    app = open_app()
    app.repo.commands.create_session("MN34", "Medicare", place=Place("12"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await fill(pilot, patients="MN34, OP56")  # OP56 is new: a question would come
        assert isinstance(app.screen, FormDialog)
        assert "MN34's session today is home (POS 12)" in error(app.screen)
        assert app.focused is app.screen.field("pos")
    assert [s.patient for s in app.repo.queries.open_sessions()] == ["MN34"]


async def test_a_group_at_home_by_video(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await fill(pilot, patients="AB12, CD34", pos="10")
        await pilot.press("enter")  # the newcomers' question: start
        await pilot.pause()
    assert {s.place for s in app.repo.queries.open_sessions()} == {
        Place("10", Telehealth.VIDEO)}


CLAIMS = {"npi": "1234567893", "provider_code": "DREYES", "billing_entity": "Reyes Therapy",
          "place_of_service": "12", "productivity_target": "85%", "scheduled_hours": "7.5"}


async def test_the_settings_take_who_bills_and_the_productivity_aimed_for(open_app, data_dir):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(settings_dialog(app))
        await pilot.pause()
        await fill(pilot, **CLAIMS)
        assert not isinstance(app.screen, FormDialog), error(app.screen)
    saved = tomllib.loads((data_dir / "settings.toml").read_text())
    assert {key: saved[key] for key in CLAIMS} == {
        **CLAIMS, "productivity_target": 85, "scheduled_hours": "7.5"}
    assert app.repo.commands.create_session("AB12", "Medicare").place == Place("12")


@pytest.mark.parametrize(("field", "typed", "said"), [
    ("npi", "1234567890", "NPI: that NPI's check digit is wrong"),
    ("npi", "12345", "NPI: an NPI is 10 digits, not 5"),
    ("provider_code", "X" * 31, "Provider code (billing system)"),
    ("billing_entity", "\x1b[2J", "Billing entity (the practice)"),
    ("place_of_service", "77", "default place of service: '77' is not a place"),
    ("productivity_target", "150", "productivity target: a whole percent from 1 to 100"),
    ("productivity_target", "8.5", "productivity target"),
    ("scheduled_hours", "25", "scheduled hours: the hours of a treatment day"),
    ("scheduled_hours", "NaN", "scheduled hours"),
    ("scheduled_hours", "7.125", "to the hundredth"),
])
async def test_a_bad_setting_is_refused_naming_its_field(open_app, data_dir, field, typed,
                                                         said):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = settings_dialog(app)
        await app.push_screen(dialog)
        await pilot.pause()
        await fill(pilot, **{field: typed})
        assert app.screen is dialog and said in error(dialog)
        assert app.focused is dialog.field(field)
    assert not (data_dir / "settings.toml").exists()


async def test_the_first_run_asks_for_the_claim_settings_too(data_dir, clock):
    with Repository.open(data_dir, clock) as repo:
        app = make_app(clock, repo)
        async with app.run_test(size=NARROW) as pilot:
            await pilot.pause()
            form = app.screen
            await fill(pilot, therapist="Dana Reyes", npi="1234567890")
            assert app.screen is form and "NPI: that NPI's check digit" in error(form)
            await fill(pilot, npi="1234567893", place_of_service="10", scheduled_hours="8")
            assert isinstance(app.screen, TodayScreen)
    saved = load_settings(data_dir)
    assert (saved.npi, saved.place_of_service, str(saved.scheduled_hours),
            saved.productivity_target) == ("1234567893", "10", "8", None)


def test_the_chart_note_says_where_how_and_the_npi(repo, clock):
    repo.change_settings(repo.settings.model_copy(update={"npi": "1234567893"}))
    session = repo.commands.create_session("AB12", "Medicare",
                                           place=Place("10", Telehealth.VIDEO))
    office = repo.commands.create_session("CD34", "Medicare")

    def note(each, signer="Dana Reyes"):
        stored = repo.queries.session(each.id)
        bill = bill_recorded(stored, [], clock(), repo.catalog)
        return chart_note(stored, [], bill, repo.zone, therapist=signer,
                          credentials="PT").splitlines()

    assert ("Place of service: telehealth by video (patient at home, POS 10)"
            in note(session))
    assert "Therapist: Dana Reyes, PT (NPI 1234567893)   signature: ____________" in note(session)
    assert not any("Place of service" in line for line in note(office))  # office, in person
    signed_by_another = note(session, signer="Sam Lee")  # the settings' name changed since
    assert "Therapist: Sam Lee, PT   signature: ____________" in signed_by_another
    assert "Rendering therapist: Dana Reyes, NPI 1234567893" in signed_by_another


def test_the_demo_shows_an_npi_and_a_visit_by_video(tmp_path):
    now = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    seed_demo(tmp_path / "demo", now)
    with Repository.open(tmp_path / "demo", lambda: now, read_only=True) as repo:
        assert repo.settings.npi == "1234567893"
        today = repo.queries.sessions_on(now.astimezone(repo.zone).date())
        by_video = [s for s in today if s.telehealth is Telehealth.VIDEO]
        assert [(s.patient, s.place_of_service) for s in by_video] == [("RB1187", "10")]
        assert all(s.npi == "1234567893" for s in today)
