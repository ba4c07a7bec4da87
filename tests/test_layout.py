"""The package's layout rules (DESIGN.md §10): imports run one way, no Streamlit inside.

Read from the source (every import statement, relative ones resolved) and checked once more
at run time in a fresh interpreter, so a lazy import inside a function is caught too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "convexviz"
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, name: str, is_package: bool = False) -> set[str]:
    """Absolute names of every module imported anywhere in ``source`` (functions included),
    for a module called ``name``; relative imports are resolved against its package."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def imports_of(path: Path) -> set[str]:
    return imported_modules(
        path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
    )


def is_ui(name: str) -> bool:
    return name == "convexviz.ui" or name.startswith("convexviz.ui.")


def test_the_layout_has_a_math_side_and_a_ui_side():
    names = [module_name(p) for p in MODULES]
    assert "convexviz.lasso" in names and "convexviz.ui.state" in names
    assert sum(is_ui(n) for n in names) >= 5 and sum(not is_ui(n) for n in names) >= 10


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_no_module_imports_streamlit(path):
    assert not {m for m in imports_of(path) if m.split(".")[0] == "streamlit"}


MATH_MODULES = [p for p in MODULES if not is_ui(module_name(p))]


@pytest.mark.parametrize("path", MATH_MODULES, ids=module_name)
def test_math_modules_never_import_the_ui_side(path):
    assert not {m for m in imports_of(path) if is_ui(m)}


def test_the_import_rules_hold_at_run_time():
    """Importing every math module loads neither the UI side nor Streamlit."""
    math_modules = [module_name(p) for p in MATH_MODULES if p.stem != "__main__"]
    code = (
        "import importlib, sys\n"
        f"for name in {math_modules!r}: importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.startswith(('convexviz.ui', 'streamlit'))]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    assert out.stdout.strip() == ""


def test_the_rule_catches_a_violation():
    """Relative imports are resolved (else the checks above could never fail)."""
    source = "from ..ui.state import AppState\nfrom . import columns\nimport streamlit as st\n"
    names = imported_modules(source, "convexviz.dictionary.probe")
    assert {"convexviz.ui.state", "convexviz.dictionary.columns", "streamlit"} <= names
    assert "convexviz.ui.canvas" in imported_modules(
        "from .canvas import protocol", "convexviz.ui", True
    )
