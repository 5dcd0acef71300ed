"""CI must run exactly the commands a newcomer reads in README.md."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_commands_verbatim():
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    readme = (ROOT / "README.md").read_text()
    marked = [line.removeprefix("# README: ") for line in script if line.startswith("# README: ")]
    assert len(marked) >= 2
    for command in marked:
        assert command in readme, command
        assert command in script, f"CI announces but does not run: {command}"


def test_readme_lists_every_key_of_the_help_screen():
    from tui.keys import KEYS

    readme = (ROOT / "README.md").read_text()
    for where, key, does in KEYS:
        assert f"| {where} | `{key}` | {does} |" in readme
