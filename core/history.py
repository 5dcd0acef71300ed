"""A patient's sessions over time, with Medicare's calendar-year amounts against KX.

billing-spec section 7: PT and SLP count together, OT on its own; once the year's allowed amount
passes the threshold, the line that passes it and every later line carry KX; warnings at 90% of
the threshold and at the $3,000 targeted-review threshold. Amounts are this app's estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from core.catalog import Catalog
from core.day import SessionData, session_billing
from core.fees import estimate_fees
from core.models import Frozen
from core.modifiers import (
    KX_THRESHOLDS,
    TherapyBucket,
    claim_lines,
    therapy_bucket,
    threshold_status,
)
from core.review import fee_year
from core.session import Session
from core.units import BillingResult


class HistoryEntry(Frozen):
    session: Session
    billing: BillingResult
    amount: Decimal | None
    bucket: TherapyBucket
    year_to_date: Decimal | None
    """Medicare only: the bucket's estimated amount this calendar year, this session included."""
    kx: bool
    messages: tuple[str, ...]


def session_amount(session: Session, billing: BillingResult, catalog: Catalog) -> Decimal | None:
    lines = claim_lines(billing, session.discipline, session.payer.medicare)
    if not lines:
        return Decimal(0)
    fees = estimate_fees(lines, fee_year(session, catalog), medicare=session.payer.medicare,
                         fee_table=session.payer.fee_table, catalog=catalog)
    return fees.total


def patient_history(sessions: Sequence[SessionData], now: datetime,
                    catalog: Catalog) -> list[HistoryEntry]:
    """Oldest first; the Medicare amounts run per calendar year and bucket."""
    entries = []
    running: dict[tuple[int, TherapyBucket], Decimal] = {}
    for session, segments in sorted(sessions, key=lambda pair: pair[0].opened_at):
        billing = session_billing(session, segments, now, catalog)
        amount = session_amount(session, billing, catalog)
        bucket = therapy_bucket(session.discipline)
        year = session.date_of_service.year
        ytd = None
        kx = False
        messages: tuple[str, ...] = ()
        if session.payer.medicare:
            ytd = running.get((year, bucket), Decimal(0)) + (amount or Decimal(0))
            running[(year, bucket)] = ytd
            if year in KX_THRESHOLDS:
                status = threshold_status(year, bucket, ytd)
                kx, messages = status.kx, status.messages
        entries.append(HistoryEntry(session=session, billing=billing, amount=amount,
                                    bucket=bucket, year_to_date=ytd, kx=kx, messages=messages))
    return entries
