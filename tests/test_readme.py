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
        ran = {command, f"{command} || exit 1"}  # a failure inside && must stop CI too
        assert ran & set(script), f"CI announces but does not run: {command}"


def test_readme_lists_every_key_of_the_help_screen():
    from tui.keys import keys

    readme = (ROOT / "README.md").read_text()
    for where, key, does in keys():
        assert f"| {where} | `{key}` | {does} |" in readme


def test_every_key_a_person_presses_says_what_it_does_in_help():
    from tui.keys import keys, screens

    listed = {(where, key) for where, key, _ in keys()}
    for where, bindings in screens():
        for binding in bindings:
            if binding.system:
                continue
            assert binding.tooltip, f"{where} {binding.key} has no help text"
            shown = {"question_mark": "?", "slash": "/"}.get(
                binding.key, binding.key_display if "-" in (binding.key_display or "")
                else binding.key)
            assert (where, shown) in listed


def test_readme_points_nowhere_outside_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "../" not in readme and "billing-spec" not in readme and "design.md" not in readme
