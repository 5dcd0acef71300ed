"""Launch (issue 18): Today is drawn without loading what only another screen, a dialog, an
export or a crash needs, nor building their models, and its rows are made again only when
the width crosses WIDE."""

import subprocess
import sys
from pathlib import Path

from storage.repository import Repository
from storage.settings_file import save_settings
from tui.format import WIDE
from tui.screens.today import TodayScreen

ROOT = Path(__file__).resolve().parents[2]
NOT_FOR_TODAY = ("tui.screens.session", "tui.screens.day", "tui.screens.review",
                 "tui.screens.history", "tui.screens.chart_note", "tui.screens.help",
                 "tui.screens.group", "tui.screens.settings", "tui.dialogs.first_run",
                 "tui.dialogs.details",
                 "tui.dialogs.segment_forms", "core.formats.chart_note", "storage.exports",
                 "storage.reports", "storage.crash", "storage.backup", "storage.imports")
DRAW_TODAY = """
import asyncio, sys
from datetime import UTC, datetime
from pathlib import Path

from storage.repository import Repository
from tui.app import make_app
from tui.screens.today import TodayScreen


async def draw():
    clock = lambda: datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    with Repository.open(Path(sys.argv[1]), clock) as repo:
        app = make_app(clock, repo)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, TodayScreen) and app.screen.table.row_count == 1
            from core.billing.checks import DayCheck
            from core.billing.summary import DaySummary
            print(" ".join(sys.modules))
            print(" ".join(model.__name__ for model in (DaySummary, DayCheck)
                           if model.__pydantic_complete__))

asyncio.run(draw())
"""


def test_today_is_drawn_without_the_modules_and_models_of_other_screens_and_exports(
        data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        repo.commands.create_session("AB12", "Medicare")
    save_settings(data_dir, settings)  # not a first start: no first-run dialog over Today
    drawn = subprocess.run([sys.executable, "-c", DRAW_TODAY, str(data_dir)],
                           capture_output=True, text=True, cwd=ROOT, check=True)
    modules, built = drawn.stdout.split("\n")[:2]
    assert "tui.screens.today" in modules.split()
    assert not set(modules.split()) & set(NOT_FOR_TODAY)
    assert built == ""  # the day summary's and its checks' models: built at first use


async def test_today_rows_wrap_when_the_width_crosses_wide_and_only_then(open_app, monkeypatch):
    app = open_app()
    longest = "AB1234567890CD1234567890EF1234567890GH12"
    session = app.repo.commands.create_session(longest, "Medicare Advantage")
    app.repo.pop_notices()
    reloads: list[int] = []
    real = TodayScreen.reload

    def counted(screen: TodayScreen) -> None:
        reloads.append(screen.size.width)
        real(screen)

    monkeypatch.setattr(TodayScreen, "reload", counted)

    def patient() -> str:
        return str(app.screen.query_one("PlainTable").get_cell(str(session.id), "patient"))

    async with app.run_test(size=(WIDE + 20, 30)) as pilot:
        await pilot.pause()
        assert patient() == longest
        assert str(app.screen.query_one("#today-title").render()).startswith("Today ")
        before = len(reloads)
        await pilot.resize_terminal(WIDE + 10, 30)  # still wide: the rows stay as they are
        await pilot.pause()
        assert len(reloads) == before
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert patient() != longest and patient().replace("\n", "") == longest
        assert not str(app.screen.query_one("#today-title").render()).startswith("Today ")
        assert len(reloads) == before + 1
        await pilot.resize_terminal(WIDE, 30)
        await pilot.pause()
        assert patient() == longest


async def test_what_was_loaded_to_start_is_left_out_of_the_collectors_walks(open_app):
    import gc

    gc.unfreeze()
    app = open_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert gc.get_freeze_count() > 0
    gc.unfreeze()


async def test_today_reads_the_day_once_to_open_and_again_when_back_on_top(open_app,
                                                                           monkeypatch):
    from tui.screens.help import HelpScreen
    from tui.screens.live import LiveScreen

    app = open_app()
    reloads: list[int] = []
    intervals: list[float] = []
    real_reload, real_interval = TodayScreen.reload, LiveScreen.set_interval

    def counted(screen: TodayScreen) -> None:
        reloads.append(1)
        real_reload(screen)

    def interval(screen: LiveScreen, seconds: float, *args, **kwargs):
        intervals.append(seconds)
        return real_interval(screen, seconds, *args, **kwargs)

    monkeypatch.setattr(TodayScreen, "reload", counted)
    monkeypatch.setattr(LiveScreen, "set_interval", interval)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, TodayScreen)
        assert (len(reloads), intervals.count(1)) == (1, 1)  # one read, one tick a second
        await app.push_screen(HelpScreen())
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        assert len(reloads) == 2  # back on top: read again
