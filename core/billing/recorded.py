"""A recorded session billed: its stored segments and payer profile to `bill_session`.

A closed session keeps the billing stored at its close (with the therapist's tie pick); an open
one is billed live, its running timers counted up to `now`. Either is billed where and how it
was furnished (`Session.place`: its telehealth modifier, its fee rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.billing.minutes import code_minutes
from core.billing.session import SessionBill, Terms, bill_session
from core.catalog import Catalog
from core.models import PayerProfile, Segment
from core.session import Session
from core.timing import forgotten_timers


def terms_of(payer: PayerProfile) -> Terms:
    return Terms(method=payer.method, medicare=payer.medicare, fee_table=payer.fee_table,
                 fee_year=payer.fee_year)


def bill_recorded(session: Session, segments: Sequence[Segment], now: datetime,
                  catalog: Catalog, *, prefer: Sequence[str] = (),
                  forgotten_minutes: int | None = None) -> SessionBill:
    """The session billed: as stored at its close, else live at `now` with the tie pick
    `prefer`; `forgotten_minutes` adds a warning for each timer running longer."""
    spans = [(s.code, s.start, s.end) for s in segments if s.end is not None]
    running = tuple(s.code for s in segments if s.running)
    notes = tuple(f"{s.code} has been running {int(s.duration(now).total_seconds()) // 60} "
                  "min: a forgotten timer?"
                  for s in (forgotten_timers(segments, now, forgotten_minutes)
                            if forgotten_minutes is not None else ()))
    terms = terms_of(session.payer)
    if session.billing is not None:
        return SessionBill(session.billing, terms, session.discipline,
                           session.date_of_service, catalog, tuple(spans), running, notes,
                           session.place)
    return bill_session(code_minutes(segments, now), terms, session.discipline,
                        session.date_of_service, catalog, prefer=prefer, spans=spans,
                        running=running, notes=notes, place=session.place)
