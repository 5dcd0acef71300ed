"""The forms of a session's segments (add, edit, note, stop at) and of reopening it: each
checks what was typed and saves through the screen, which shows a refusal in the form."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core.models import FurnishedBy, Segment
from core.timeparse import (
    TimeParseError,
    clock_text,
    end_after,
    parse_clock_time,
    parse_minutes,
    parse_when,
)
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import FormDialog, FormField, say_why
from tui.format import local_time

if TYPE_CHECKING:
    from tui.screens.session import SessionScreen


def stop_at(screen: SessionScreen, segment: Segment) -> FormDialog:
    def submit(values: dict[str, str]) -> str | None:
        try:
            at = parse_when(values["at"], screen.tabletime.clock(), screen.tabletime.repo.zone)
        except TimeParseError as error:
            return str(error)
        return screen.tabletime.refusal(
            lambda: screen.commands.stop(screen.session_id, segment.id, at=at))

    started = local_time(segment.start, screen.tabletime.repo.zone)
    return FormDialog(
        f"Stop {segment.code} (running since {started}) at:",
        [FormField("at", "Stopped at (10:05) or minutes ago (6)", placeholder="10:05")],
        submit, save="Stop")


def add(screen: SessionScreen) -> FormDialog:
    repo = screen.tabletime.repo

    favourites = repo.settings.favourites

    def submit(values: dict[str, str]) -> str | None:
        now = screen.tabletime.clock()
        typed = values["code"].strip()
        if typed.isdigit() and 1 <= int(typed) <= len(favourites):
            values = {**values, "code": favourites[int(typed) - 1]}  # its key on the tiles
        try:
            start = parse_when(values["start"], now, repo.zone)
            minutes = values["minutes"].strip()
            if not minutes:
                refused = screen.tabletime.refusal(lambda: screen.commands.start(
                    screen.session_id, values["code"], at=start, note=values["note"]))
                if refused is None:
                    screen.tabletime.tell(f"{values['code'].strip()} runs from "
                                          f"{local_time(start, repo.zone)}")
                return refused
            end = start + timedelta(minutes=parse_minutes(minutes))
        except TimeParseError as error:
            return str(error)
        return screen.tabletime.refusal(lambda: screen.commands.add_segment(
            screen.session_id, values["code"], start, end, note=values["note"]))

    codes = [entry.code for entry in repo.catalog]
    running = screen.view.running_timed if screen.view is not None else None
    return FormDialog("Add a segment", [
        FormField("code", "Code, or its key 1-9 (the running one: its start moves back)",
                  running or "", placeholder="97140 or 3", suggestions=codes),
        FormField("start", "Started: minutes ago (6) or clock time (10:05)", placeholder="6"),
        FormField("minutes", "Minutes (leave empty: it is still running)", placeholder="8"),
        FormField("note", "Note (optional)", placeholder="gait belt, 150 ft x2"),
    ], submit)


def edit(screen: SessionScreen, segment: Segment) -> FormDialog:
    repo = screen.tabletime.repo
    zone = repo.zone
    day = segment.start.astimezone(zone).date()
    shown = {"code": segment.code, "start": clock_text(segment.start, zone),
             "end": "" if segment.end is None else clock_text(segment.end, zone),
             "by": segment.furnished_by.value, "note": segment.note}

    def submit(values: dict[str, str]) -> str | None:
        # A field left as shown keeps the recorded value exactly (a time shown to the
        # second, or in the repeated hour of a DST night, never shifts on its own).
        edited = {name for name, text in shown.items() if values[name] != text}
        changes: dict[str, Any] = {}
        try:
            start = segment.start
            if "start" in edited:
                start = changes["start"] = parse_clock_time(values["start"], day, zone)
            if "end" in edited or ("start" in edited and segment.end is not None):
                if not values["end"].strip():
                    return "give an end time: a stopped segment cannot run again"
                changes["end"] = end_after(start, values["end"], day, zone,
                                           screen.tabletime.clock())
        except TimeParseError as error:
            return str(error)
        if "code" in edited:
            changes["code"] = values["code"]
        if "by" in edited:
            changes["furnished_by"] = FurnishedBy(values["by"])
        if "note" in edited:
            changes["note"] = values["note"]
        if not changes:
            screen.tabletime.tell("Nothing was changed.")
            return None
        if not values["reason"].strip():
            return say_why()
        return screen.tabletime.refusal(lambda: screen.commands.edit_segment(
            screen.session_id, segment.id, reason=values["reason"], **changes))

    return FormDialog(f"Edit {segment.code}", [
        FormField("code", "Code", shown["code"],
                  suggestions=[entry.code for entry in repo.catalog]),
        FormField("start", "Start (HH:MM:SS)", shown["start"]),
        FormField("end", "End (HH:MM:SS; empty while running)", shown["end"]),
        FormField("by", "Furnished by", shown["by"],
                  options=[("therapist", "therapist"), ("assistant", "assistant")]),
        FormField("note", "Note", shown["note"]),
        FormField("reason", "Reason for the change (audited)", placeholder="mistimed"),
    ], submit)


def note(screen: SessionScreen, segment: Segment) -> FormDialog:
    def submit(values: dict[str, str]) -> str | None:
        return screen.tabletime.refusal(lambda: screen.commands.edit_segment(
            screen.session_id, segment.id, note=values["note"], reason="note"))

    return FormDialog(f"Note on {segment.code}", [FormField("note", "Note", segment.note)],
                      submit)


def delete(screen: SessionScreen, segment: Segment) -> ConfirmDialog:
    zone = screen.tabletime.repo.zone
    span = f"{local_time(segment.start, zone)}-{local_time(segment.end, zone)}"
    return ConfirmDialog(f"Delete {segment.code} {span}? (u undoes it)", yes="Delete")


def reopen(screen: SessionScreen) -> FormDialog:
    def submit(values: dict[str, str]) -> str | None:
        return screen.tabletime.refusal(lambda: screen.commands.reopen_session(screen.session_id,
                                                                  values["reason"]))

    return FormDialog("Reopen this session", [
        FormField("reason", "Why (kept in the audit trail)", placeholder="forgot a code")],
        submit, save="Reopen")
