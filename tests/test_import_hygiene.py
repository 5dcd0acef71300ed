"""core and storage must run without the UI: importing them never loads Textual."""

import subprocess
import sys


def test_core_and_storage_do_not_import_textual():
    code = (
        "import sys, core.units, core.fees, core.modifiers, core.minutes, storage; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'tui')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_units_command_does_not_import_textual():
    code = (
        "import sys; from tui.cli import main; main(['units', '97110=8']); "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")
