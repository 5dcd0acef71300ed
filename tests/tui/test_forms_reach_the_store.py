"""Every field of every form reaches the store: each dialog driven with every field filled,
then the file on disk read back (not the app's cache)."""

import json
import tomllib
from datetime import timedelta

from core.models import Discipline, FurnishedBy
from tests.helpers import day_on_disk
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import FormDialog
from tui.screens.history import PatientHistoryScreen
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen

from .conftest import SIZE
from .test_app import fill, new_session


def on_disk(app, table):
    """A table of today's day file, as the disk has it."""
    day = app.repo.local(app.clock()).date()
    return list(day_on_disk(app.repo.store.day_path(day))[table].values())


def audit_reasons(app):
    return [entry["reason"] for entry in on_disk(app, "audit")]


async def test_forgot_to_switch_with_a_note_keeps_the_note(open_app, clock):
    """`a`, code, tab, 6, tab, tab, a note, enter: the advertised quick path."""
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot)
        await pilot.press("1")
        clock.advance(minutes=20)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"97140", "tab", "6", "tab", "tab", *"gait belt", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
    stored = {s["code"]: s for s in on_disk(app, "segments")}
    assert stored["97140"]["note"] == "gait belt"
    assert stored["97140"]["end"] is None


async def test_add_a_finished_segment_with_every_field(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_session(pilot)
        clock.advance(minutes=30)
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, code="97530", start="20", minutes="12", note="stairs x4")
    (stored,) = on_disk(app, "segments")
    assert (stored["code"], stored["note"]) == ("97530", "stairs x4")
    assert stored["end"] is not None


async def test_new_session_with_every_field(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, patient="DOE, J", payer="Commercial", discipline="OT")
    (stored,) = on_disk(app, "sessions")
    assert (stored["patient"], stored["payer"]["name"], stored["discipline"]) == (
        "DOE, J", "Commercial", "OT")


async def test_edit_with_every_field(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        clock.advance(minutes=30)
        start = clock.now - timedelta(minutes=25)
        app.repo.commands.add_segment(session_id, "97110", start, start + timedelta(minutes=9))
        app.screen.reload()
        await pilot.press("e")
        await pilot.pause()
        local = app.repo.local(start)
        await fill(pilot, code="97112", start=f"{local + timedelta(minutes=1):%H:%M:%S}",
                   end=f"{local + timedelta(minutes=12):%H:%M:%S}", by="assistant",
                   note="balance", reason="mistimed")
        assert isinstance(app.screen, SessionScreen)
    (stored,) = on_disk(app, "segments")
    assert (stored["code"], stored["furnished_by"], stored["note"]) == (
        "97112", "assistant", "balance")
    assert "mistimed" in audit_reasons(app)


async def test_note_stop_at_reopen_and_details_with_every_field(open_app, clock):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        session_id = await new_session(pilot)
        await pilot.press("1")
        clock.advance(minutes=20)
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, note="theraband red")
        await pilot.press("s")
        await pilot.pause()
        await fill(pilot, at="5")
        await pilot.press("p")
        await pilot.pause()
        await fill(pilot, patient="AB13", payer="Medicaid", discipline="SLP",
                   reason="wrong chart")
        app.repo.commands.close_session(session_id)
        app.screen.reload()
        await pilot.press("o")
        await pilot.pause()
        await fill(pilot, reason="forgot a code")
    (segment,) = on_disk(app, "segments")
    assert segment["note"] == "theraband red"
    assert segment["end"] == (clock.now - timedelta(minutes=5)).isoformat().replace(
        "+00:00", "Z")
    (session,) = on_disk(app, "sessions")
    assert (session["patient"], session["payer"]["name"], session["discipline"],
            session["closed_at"]) == ("AB13", "Medicaid", "SLP", None)
    assert {"wrong chart", "forgot a code"} <= set(audit_reasons(app))


async def test_group_with_every_field_and_a_quoted_reference(open_app, told):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await fill(pilot, patients='"DOE, J", AB12', code="97150", payer="Medicaid")
        assert isinstance(app.screen, ConfirmDialog)  # both are new: listed, then confirmed
        assert "\"DOE, J\" (Medicaid), AB12 (Medicaid)" in app.screen.question
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
    sessions = on_disk(app, "sessions")
    assert sorted((s["patient"], s["payer"]["name"], s["group_size"]) for s in sessions) == [
        ("AB12", "Medicaid", 2), ("DOE, J", "Medicaid", 2)]
    assert {s["code"] for s in on_disk(app, "segments")} == {"97150"}


async def test_group_with_new_patients_can_be_called_off(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await fill(pilot, patients="DOE,J")  # unquoted: two references, both new
        assert isinstance(app.screen, ConfirmDialog)
        assert "DOE (Medicare), J (Medicare)" in app.screen.question
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        assert app.screen.values()["patients"] == "DOE,J"  # what was typed is kept
    assert app.repo.queries.open_sessions() == []


async def test_used_elsewhere_with_every_field(open_app):
    app = open_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(PatientHistoryScreen("AB12"))
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        await fill(pilot, year="2026", bucket="OT", amount="850.00",
                   note="eligibility check 03/01")
    stored = json.loads((app.repo.data_dir / "patients.json").read_bytes())
    (entry,) = stored["elsewhere"].values()
    assert (entry["patient"], entry["year"], entry["bucket"], entry["amount"], entry["note"]) \
        == ("AB12", 2026, "OT", "850.00", "eligibility check 03/01")


async def test_first_run_with_every_field(data_dir, clock):
    from storage.repository import Repository
    from tui.app import make_app

    with Repository.open(data_dir, clock) as repo:
        app = make_app(clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await fill(pilot, therapist="Dana Reyes", credentials="OTR/L", discipline="OT",
                       timezone="America/Chicago")
    saved = tomllib.loads((data_dir / "settings.toml").read_text())
    assert (saved["therapist"], saved["credentials"], saved["discipline"],
            saved["timezone"]) == ("Dana Reyes", "OTR/L", "OT", "America/Chicago")
    assert Discipline(saved["discipline"]) is Discipline.OT
    assert FurnishedBy(saved["role"]) is FurnishedBy.THERAPIST
