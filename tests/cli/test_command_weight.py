"""A command loads what it needs and no more (issue 18: `summary` and `patient` answer within
250 ms, most of it the time to load modules): looked at in a fresh interpreter."""

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
OTHER_COMMANDS = {"storage.backup", "storage.check", "storage.imports", "storage.exports",
                  "storage.reports", "storage.commands", "tarfile", "textual", "rich",
                  "tui.app"}


def loaded_by(*argv: str) -> set[str]:
    script = ("import sys\nfrom tui.cli.main import main\n"
              "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
              "print(' '.join(sys.modules), file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True,
                         text=True, cwd=ROOT, check=True)
    return set(run.stderr.split())


@pytest.mark.parametrize("command", [["summary", "--date", "2026-03-02"],
                                     ["patient", "AB12", "--json"]],
                         ids=["summary", "patient"])
def test_summary_and_patient_load_nothing_of_the_other_commands_nor_the_app(data, command):
    loaded = loaded_by("--data-dir", str(data), *command)
    assert "storage.views" in loaded
    assert not loaded & OTHER_COMMANDS
    assert "platformdirs" not in loaded  # the folder is given: no default folder looked up


def test_version_loads_neither_storage_nor_pydantic():
    loaded = loaded_by("--version")
    assert not loaded & {"storage.repository", "pydantic", "textual", "tui.cli.data"}


@pytest.mark.parametrize(("command", "collecting"), [
    (["summary"], False), (["patient", "AB12"], False), (["export"], True)])
def test_only_summary_and_patient_run_without_the_cyclic_collector_and_it_comes_back(
        data, monkeypatch, capsys, command, collecting):
    """They read, print and end: the collector's walks over what they read free nothing."""
    from tui.cli import data as commands

    seen: list[bool] = []
    name = f"run_{command[0]}"
    real = getattr(commands, name)

    def spying(args):
        seen.append(gc.isenabled())
        return real(args)

    monkeypatch.setattr(commands, name, spying)
    assert gc.isenabled()
    assert main(["--data-dir", str(data), *command]) == 0
    assert seen == [collecting] and gc.isenabled()


ENDING = """import atexit, sys
from tui.cli.main import main
atexit.register(lambda: print("torn down", file=sys.stderr))
how = sys.argv.pop(1)
status = main(None if how == "program" else sys.argv[1:])
print(f"returned {status}", file=sys.stderr)
"""


@pytest.mark.parametrize("command", [["summary", "--date", "2026-03-02"],
                                     ["patient", "AB12", "--json"]],
                         ids=["summary", "patient"])
def test_summary_and_patient_as_the_program_end_without_the_teardown_once_printed(
        data, capsys, command):
    """The program (main() reading sys.argv) ends as soon as its output is out; a caller of
    main() in its own process gets the status back, with the same output."""
    argv = ["--data-dir", str(data), *command]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    ended = {how: subprocess.run([sys.executable, "-c", ENDING, how, *argv], cwd=ROOT,
                                 capture_output=True, text=True, check=False)
             for how in ("program", "caller")}
    assert ended["program"].returncode == ended["caller"].returncode == 0
    assert ended["program"].stdout == ended["caller"].stdout == printed
    assert ended["program"].stderr == ""
    assert ended["caller"].stderr == "returned 0\ntorn down\n"
