"""Close a session: per-code minutes, units with modifiers, estimate, why, ties and warnings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from core.billing.live import near_units
from core.billing.modifiers import billed_text, describe, units_words
from core.billing.recorded import bill_recorded
from core.billing.session import SessionBill, prefer_for
from core.formats.money import dollars
from storage.views import day_view
from tui.dialogs.confirm import ConfirmDialog
from tui.format import local_time
from tui.screens.base import TabletimeScreen
from tui.widgets.footer import KeysFooter
from tui.widgets.notices import NoticeBar
from tui.widgets.plain_table import PlainTable


def bill_rows(bill: SessionBill) -> list[tuple[str, str, str, str, str]]:
    """A session's lines as a review shows them: each claim line (code, minutes, units,
    modifiers, estimate), and a code that bills nothing with why."""
    amounts = [fee.amount for fee in bill.fees.lines] if bill.fees else []
    priced = list(zip(bill.claim, amounts or [None] * len(bill.claim), strict=True))
    rows = []
    for line in bill.billing.lines:
        name = line.code + ("" if line.timed else " (untimed)")
        claimed = [(claim, amount) for claim, amount in priced if claim.code == line.code]
        for claim, amount in claimed:
            rows.append((name, "-" if claim.minutes is None else str(claim.minutes),
                         str(claim.units), " ".join(claim.modifiers), dollars(amount)))
        if not claimed:
            reason = bill.not_billed.get(line.code)
            rows.append((name, "-" if line.minutes is None else str(line.minutes),
                         "-" if reason else str(line.units), "",
                         f"not billed ({reason})" if reason else
                         "not billed" if line.units else ""))
    return rows


class ReviewScreen(TabletimeScreen[bool]):
    """Dismissed with True once the session is closed."""

    BINDINGS = [
        Binding("enter", "confirm", "Close session",
                tooltip="close the session with these units"),
        Binding("t", "next_choice", "Tie choice",
                tooltip="choose another acceptable allocation when codes tie"),
        Binding("m", "progress_report", "Report", tooltip=(
            "mark the progress report written at this visit (a therapist's; again unmarks)")),
        Binding("escape", "back", "Back", tooltip="back to the session"),
    ]

    def __init__(self, session_id: UUID) -> None:
        super().__init__()
        self.session_id = session_id
        self.choice = 0
        self.prefer: list[str] = []
        self.at = datetime.min.replace(tzinfo=UTC)
        """(Set when shown) The instant the review is worked out at: a code still running
        stops there when the session closes, so the units approved are the units billed."""

    def compose(self) -> ComposeResult:
        yield Static(id="review-title", markup=False)
        yield PlainTable(id="review-lines", cursor_type="none")
        with VerticalScroll(id="review-notes"):
            yield Static(id="review-warnings", markup=False)
            yield Static(id="review-why", markup=False)
        yield NoticeBar()
        yield KeysFooter()

    def on_mount(self) -> None:
        self.at = self.tabletime.clock()
        table = self.query_one("#review-lines", DataTable)
        for key, label in (("code", "Code"), ("minutes", "Minutes"), ("units", "Units"),
                           ("modifiers", "Modifiers"), ("amount", "Est. amount")):
            table.add_column(label, key=key)
        self.show()
        self.set_focus(self.query_one("#review-notes"))

    def review(self, prefer: Sequence[str] | None = None) -> SessionBill:
        """The review with the therapist's tie pick (or with `prefer` given instead)."""
        repo = self.tabletime.repo
        session = repo.queries.session(self.session_id)
        segments = repo.queries.segments_of(self.session_id)
        return bill_recorded(session, segments, self.at, repo.catalog,
                             prefer=self.prefer if prefer is None else prefer,
                             forgotten_minutes=repo.settings.forgotten_timer_minutes)

    def show(self) -> None:
        session = self.tabletime.repo.queries.session(self.session_id)
        review = self.review()
        billing = review.billing
        table = self.query_one("#review-lines", DataTable)
        table.clear()
        for row in bill_rows(review):
            table.add_row(*row)
        total = dollars(review.fees.total) if review.fees else "$0.00"
        units = units_words(sum(c.units for c in review.claim), billing.timed_units)
        self.query_one("#review-title", Static).update(
            f"Close {session.patient} · {session.payer.name} · {session.discipline} · "
            f"{session.date_of_service:%d %b %Y}\n"
            f"timed {billing.total_timed_minutes} min → {units} · treatment "
            f"{billing.total_treatment_minutes} min · estimate {total}")
        why = ["Why (up/down scroll):", f"  {billing.summary}",
               *(f"  {line.why}" for line in billing.lines)]
        if review.choices:
            current = ", ".join(f"{c} x{u}" for c, u in review.billing.units.items()
                                if review.billing.line(c).timed)
            why += ["", f"Tie: the payer accepts {len(review.choices)} allocations; now "
                    f"{current}. Press t for another."]
        shared = {line.code: line.why for line in review.claim if line.why}
        why += [f"  {code} therapist/assistant: {text}" for code, text in shared.items()]
        if review.fees:
            why += ["", f"Estimate: {review.fees.source}. Not a payment."]
            why += [f"  {describe(fee.line)}: {fee.why}" for fee in review.fees.lines]
        self.query_one("#review-why", Static).update("\n".join(why))
        warnings = list(review.warnings)
        warnings += near_units(session.payer.method, billing)
        at = local_time(self.at, self.tabletime.repo.zone, seconds=True)
        warnings += [f"{code} is still running: closing stops it at {at}"
                     for code in review.running]
        queries = self.tabletime.repo.queries
        day, here = session.date_of_service, [(session, queries.segments_of(session.id))]
        if session.progress_report:
            warnings.append("progress report marked written at this visit (m unmarks)")
        else:
            clock = queries.report_deadlines(day, here).get((session.patient, session.discipline))
            if clock is not None and clock.kind is not None:
                warnings.append(f"{clock.message}: m marks it written")
        plan = queries.plan_of_care_deadlines(day, here).get((session.patient,
                                                            session.discipline))
        balance = queries.authorization_balances(day, here).get((session.patient,
                                                                 session.payer.name))
        warnings += [other.message for other in (plan, balance)
                     if other is not None and other.kind is not None]
        warnings += day_view(self.tabletime.repo, day, self.tabletime.clock()).day_notes(
            session.id)
        text = "\n".join(f"! {w}" for w in warnings) if warnings else "No warnings."
        self.query_one("#review-warnings", Static).update(f"Warnings:\n{text}\n")

    def action_progress_report(self) -> None:
        session = self.tabletime.repo.queries.session(self.session_id)
        written = not session.progress_report
        if self.tabletime.attempt(lambda: self.tabletime.repo.commands.mark_progress_report(
                self.session_id, written)):
            self.tabletime.tell("Progress report marked written at this visit"
                                if written else "Progress report unmarked")
        self.show()

    def action_next_choice(self) -> None:
        # Cycle over the choices without a pick: their order does not move as the pick does.
        base = self.review(prefer=())
        if not base.choices:
            self.tabletime.tell("No tie: there is only one way to allocate these units.")
            return
        self.choice = (self.choice + 1) % len(base.choices)
        self.prefer = prefer_for(base.choices[self.choice], base.billing,
                                 self.tabletime.repo.catalog)
        self.show()

    def action_confirm(self) -> None:
        review = self.review()
        if not review.running:
            self.close_session(stop_running=False)
            return
        codes = ", ".join(review.running)

        def answered(yes: bool | None) -> None:
            if yes:
                self.close_session(stop_running=True)

        at = local_time(self.at, self.tabletime.repo.zone, seconds=True)
        self.app.push_screen(ConfirmDialog(f"{codes} still running. Stop it at {at} (as "
                                           "reviewed) and close?", yes="Stop and close"),
                             answered)

    def close_session(self, stop_running: bool) -> None:
        repo = self.tabletime.repo
        closed = self.tabletime.attempt(lambda: repo.commands.close_session(
            self.session_id, stop_running=stop_running, prefer=self.prefer, stop_at=self.at))
        if closed is None:
            return
        bill = bill_recorded(closed, (), self.tabletime.clock(), repo.catalog)  # as stored
        pooled = day_view(repo, closed.date_of_service, self.tabletime.clock()).pooled_note(
            closed.id)
        self.tabletime.last_session = closed.id  # Today's cursor: y there is its chart note
        self.tabletime.tell(f"Closed {closed.patient}: {billed_text(bill.claim, bill.not_billed)}"
                            + (f"; {pooled}" if pooled else "") + ". y: its chart note")
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
