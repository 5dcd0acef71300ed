"""core and storage run without the UI, and `tabletime units` without storage: every module is
imported in a fresh interpreter and what it loaded is looked at (an import-linter contract in
CI says the same of the source)."""

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def modules(package: str) -> list[str]:
    return [info.name for info in pkgutil.walk_packages([str(ROOT / package)],
                                                        prefix=f"{package}.")]


def loaded_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return {name.split(".")[0] for name in out.stdout.split()} | set(out.stdout.split())


def test_every_module_of_core_and_storage_imports_without_the_ui():
    names = modules("core") + modules("storage")
    assert "core.billing.units" in names and "storage.store" in names and len(names) > 25
    loaded = loaded_after("\n".join(f"import {name}" for name in names))
    assert not loaded & {"textual", "rich", "tui"}


def test_core_loads_no_storage_library():
    loaded = loaded_after("\n".join(f"import {name}" for name in modules("core")))
    assert not loaded & {"storage", "tinydb", "filelock", "platformdirs", "orjson", "textual"}


def test_the_units_command_loads_neither_storage_nor_the_ui_nor_pydantic():
    """`tabletime units` is a calculator: it starts in a fraction of the time the app takes."""
    loaded = loaded_after("from tui.cli.main import main\nmain(['units', '97110=8'])")
    assert not loaded & {"textual", "tinydb", "filelock", "platformdirs", "storage.store",
                         "storage.repository", "pydantic", "pydantic_core", "orjson"}
