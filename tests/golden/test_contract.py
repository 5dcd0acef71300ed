"""The command line's contract, frozen: `units --json` over a broad set of cases, and
`summary --json` and every export kind over a generated multi-week folder, compared byte for
byte with the files in tests/golden/files/. A refactor must leave them unchanged; a
deliberate change rewrites them (TABLETIME_UPDATE_GOLDEN=1 pytest tests/golden) in a commit
of its own that says why.

Session and segment ids are random: each is replaced by `<id N>` in the order it first
appears, so the files compare across runs."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.golden.folder import DATES, NOW, build_folder
from tui.cli.main import main

FILES = Path(__file__).parent / "files"
UPDATE = os.environ.get("TABLETIME_UPDATE_GOLDEN") == "1"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

UNITS_CASES = [
    "97110=33 97140=7",
    "97112=24 97110=23",
    "97112=20 97110=20",
    "97110=18 97140=13 97116=10 97035=8",
    "97140=35 97035=7",
    "97110=7 97140=7 97116=7",
    "97110=7",
    "--method per-code 97110=10 97116=10",
    "--method per-code 97110=7 97140=7 97116=7",
    "97110=20 97161 G0283=15",
    "97129=40",
    "97129=10 97130=12",
    "97550=40 97551=20",
    "92626=75",
    "96125=31 96105=29",
    "97110=30 --assistant 97110=10",
    "97110=23 --assistant 97140=22",
    "--discipline OT 97530=30 --assistant 97535=15",
    "--discipline SLP 92507=40 97129=25",
    "97010=15 97014 97110=12",
    "97026=10 97110=8",
    "97164=20 97110=15",
    "97750=30 97161",
    "97150=45",
    "--no-medicare 97110=10 97010",
    "--method per-code --medicare 97110=12 97140=5",
    "--date 2025-06-02 97110=38 97140=22",
    "--date 2024-02-01 97110=23",
    "97110=1440",
]


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command reads the same "now" as the folder was written against."""
    monkeypatch.setattr("tui.cli.data.system_clock", lambda: NOW)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("golden") / "data"
    build_folder(path)
    return path


def normalised(text: str) -> str:
    """Each distinct id as `<id N>`, numbered by first appearance."""
    seen: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"<id {seen.setdefault(match.group(), len(seen) + 1)}>"

    return UUID.sub(number, text)


def compare(name: str, text: str) -> None:
    path = FILES / name
    if UPDATE:
        FILES.mkdir(exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as out:  # CSV lines end in \r\n
            out.write(text)
    assert path.exists(), f"{name} missing: run with TABLETIME_UPDATE_GOLDEN=1 once"
    with path.open(encoding="utf-8", newline="") as golden:
        assert text == golden.read(), f"{name} differs from its golden file"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def test_units_json(capsys: pytest.CaptureFixture[str]) -> None:
    results = {}
    for case in UNITS_CASES:
        argv = case.split()
        if "--date" not in argv:
            argv = ["--date", "2026-03-02", *argv]
        results[case] = json.loads(run(capsys, "units", "--json", *argv))
    compare("units.json", json.dumps(results, indent=1, sort_keys=True) + "\n")


def days_json(capsys: pytest.CaptureFixture[str], folder: Path) -> Iterator[tuple[str, str]]:
    for day in DATES:
        yield day, run(capsys, "--data-dir", str(folder), "summary", "--date", day, "--json")


@pytest.mark.usefixtures("fixed_now")
def test_summary_json(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    summaries = {day: json.loads(text) for day, text in days_json(capsys, folder)}
    compare("summary.json", normalised(json.dumps(summaries, indent=1, sort_keys=True)) + "\n")


@pytest.mark.usefixtures("fixed_now")
@pytest.mark.parametrize("kind", ["lines", "sessions", "segments"])
def test_exports(capsys: pytest.CaptureFixture[str], folder: Path, kind: str) -> None:
    text = run(capsys, "--data-dir", str(folder), "export", "--kind", kind, "--from",
               "2025-12-01", "--to", "2026-03-31")
    compare(f"{kind}.csv", normalised(text))
