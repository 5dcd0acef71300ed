"""Shared test settings and fixtures: a fake clock, settings, a repository on a real folder."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings as hypothesis_settings

from core.settings import Settings

if TYPE_CHECKING:
    from storage.repository import Repository

# No wall-clock assertions anywhere: Hypothesis's per-example deadline would be one.
hypothesis_settings.register_profile("tabletime", deadline=None, max_examples=200)
hypothesis_settings.load_profile("tabletime")


class FakeClock:
    """A clock that moves only when told to: tests never sleep."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def clock() -> FakeClock:
    # 10:00 in New York on a Monday.
    return FakeClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))


@pytest.fixture
def settings() -> Settings:
    return Settings(therapist="Dana Reyes", credentials="PT, DPT", timezone="America/New_York")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def repo(data_dir: Path, clock: FakeClock, settings: Settings) -> Iterator["Repository"]:
    from storage.repository import Repository

    with Repository.open(data_dir, clock, settings) as repository:
        yield repository


@pytest.fixture
def disk_writes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files written durably from now on, in order."""
    from storage import atomic, journal
    from storage import document_storage as store

    written: list[Path] = []
    real = atomic.write_atomic

    def counting(path: Path, content: str | bytes) -> None:
        written.append(path)
        real(path, content)

    def appending(path: Path, lines: bytes, **options: bool) -> None:
        written.append(path)
        real_append(path, lines, **options)

    real_append = journal.append
    monkeypatch.setattr(atomic, "write_atomic", counting)
    monkeypatch.setattr(store, "write_atomic", counting)
    monkeypatch.setattr(journal, "append", appending)
    return written


@pytest.fixture(autouse=True)
def _never_the_real_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A safety net: nothing a test runs may touch the user's real data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("TABLETIME_DATA_DIR", raising=False)
