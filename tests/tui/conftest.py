"""App tests: the real app on a real data folder under tmp_path, with a fake clock."""

import gc
from collections.abc import Callable, Iterator

import pytest
from textual.widgets import Input

from storage.repository import Repository
from tui.app import TabletimeApp, make_app

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch):
    """Snapshots and keypresses must not depend on a blinking cursor."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture(autouse=True)
def _collector_thawed():
    """The app freezes what it loaded out of the collector's walks; a test process runs many
    apps, whose leftovers the collector must still free."""
    yield
    gc.unfreeze()


@pytest.fixture
def told(monkeypatch) -> list[tuple[str, str]]:
    """Every message the app shows, with its severity."""
    messages: list[tuple[str, str]] = []
    real = TabletimeApp.tell

    def spy(self, message, severity="information", kind=None):
        messages.append((message, severity))
        real(self, message, severity, kind)

    monkeypatch.setattr(TabletimeApp, "tell", spy)
    return messages


@pytest.fixture
def open_app(data_dir, clock, settings) -> Iterator[Callable[[], TabletimeApp]]:
    """A factory: each call opens the data folder (taking its lock) and builds the app."""
    opened: list[Repository] = []

    def build() -> TabletimeApp:
        repo = Repository.open(data_dir, clock, settings)
        opened.append(repo)
        return make_app(clock, repo)

    yield build
    for repo in opened:
        repo.close()
