"""Derived files are trusted as derived, never blindly: a month's index file is read without
the checks of untrusted text only while it is the one the index wrote (its seal in
index/months.json); changed by hand, damaged or cut short, it is derived again from the day
files and never crashes a read or gives wrong numbers."""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from storage.documents import MonthIndexDocument
from storage.repository import Repository
from storage.sealed import seal_of
from storage.views import day_view
from tests.helpers import rebuilt_equals_kept

MONTH = "2026-03"


def march(repo, clock):
    """Three Medicare patients through March, one of them twice a day."""
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    for _ in range(4):
        for patient in ("AB12", "CD34", "AB12", "EF56"):
            session = repo.commands.create_session(patient, "Medicare")
            clock.advance(minutes=25)
            repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=25),
                                      clock.now)
            repo.commands.close_session(session.id)
        clock.advance(days=7)


def figures(repo):
    """What the month's index gives: the year so far and every session's day and amount."""
    end = date(2026, 3, 31)
    return (repo.queries.year_to_date(end),
            sorted((d, v.id, v.amount) for d, e in repo.indexes.month(MONTH).items()
                   for v in e.sessions))


def month_file(data_dir):
    return data_dir / "index" / f"{MONTH}.json"


def first_amount(text, new):
    return re.sub(r'"amount":"[0-9.]+"', f'"amount":{new}', text, count=1)


CHANGES = {
    "valid JSON of the wrong shape": lambda text: json.dumps({"days": {"1": ["2026-03-02"]}}),
    "a list": lambda text: "[]",
    "a field changed to garbage": lambda text: first_amount(text, '"lots"'),
    "a patient with a control character": lambda text: text.replace('"CD34"', '"CD\\u001b34"', 1),
    "an amount changed by hand": lambda text: first_amount(text, '"9999.99"'),
    "a day dropped": lambda text: json.dumps(
        {**json.loads(text), "days": dict(list(json.loads(text)["days"].items())[1:])}),
    "cut short": lambda text: text[: len(text) // 2],
    "emptied": lambda text: "",
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_month_file_changed_by_hand_is_derived_again(data_dir, clock, settings, change):
    with Repository.open(data_dir, clock, settings) as repo:
        march(repo, clock)
        truth = figures(repo)
    path = month_file(data_dir)
    changed = CHANGES[change](path.read_text())
    assert changed != path.read_text()
    path.write_text(changed)
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        assert figures(reader) == truth
    assert path.read_text() == changed  # a reader changes nothing
    with Repository.open(data_dir, clock, settings) as writer:
        assert figures(writer) == truth
        told = " ".join(n.message for n in writer.pop_notices())
        assert "rebuilt from the day files" in told or "moved aside" in told
        rebuilt_equals_kept(writer)
    with Repository.open(data_dir, clock, settings) as again:  # written again, and sealed
        assert figures(again) == truth
        assert again.pop_notices() == []


def test_an_older_copy_of_a_month_file_is_not_taken_for_the_current_one(data_dir, clock,
                                                                          settings):
    with Repository.open(data_dir, clock, settings) as repo:
        march(repo, clock)
        older = month_file(data_dir).read_bytes()
        session = repo.commands.create_session("GH78", "Medicare")
        clock.advance(minutes=30)
        repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=30),
                                  clock.now)
        repo.commands.close_session(session.id)  # still March
        truth = figures(repo)
    month_file(data_dir).write_bytes(older)  # valid, and once the index's own
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        assert figures(reader) == truth


def test_months_json_records_the_seal_of_each_file_as_written(repo, clock):
    march(repo, clock)
    summary = json.loads((repo.data_dir / "index" / "months.json").read_text())
    (entry,) = summary["months"].values()
    assert entry["seal"] == seal_of(month_file(repo.data_dir).read_bytes())
    for record in summary["patients"].values():
        path = repo.data_dir / "index" / "patients" / f"{record['bucket']}.json"
        content = path.read_bytes() if path.exists() else b""
        assert record["seal"] == seal_of(content)


def test_a_sealed_month_file_is_not_validated_field_by_field(data_dir, clock, settings,
                                                             monkeypatch):
    with Repository.open(data_dir, clock, settings) as repo:
        march(repo, clock)
    from storage import document_storage
    from storage.documents import validate as real

    validated: list[str] = []

    def validate(raw, kind, context):
        validated.append(kind.__name__)
        return real(raw, kind, context)

    monkeypatch.setattr(document_storage, "validate", validate)
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        reader.queries.year_to_date(date(2026, 3, 31))
        reader.queries.patients()
        day_view(reader, date(2026, 3, 9), clock.now)
        reader.queries.visits("AB12")
    assert MonthIndexDocument.__name__ not in validated
    assert "IndexSummaryDocument" in validated  # the root of the trust is always validated
