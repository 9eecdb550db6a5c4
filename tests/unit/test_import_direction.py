"""The emulator and the product are separate packages, and imports run one way:
the runner's local tooling may use the embedded AWS; the embedded AWS never
imports the runner."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The runner modules that may use the emulator: its local tooling.
LOCAL_TOOLING = {"runners/cli.py", "runners/demo.py"}


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _top_levels(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imported_modules(path)}


def test_no_emulator_module_imports_the_runner():
    offenders = sorted(
        str(path.relative_to(ROOT)) for path in (ROOT / "embedded_aws").rglob("*.py") if "runners" in _top_levels(path)
    )
    assert offenders == []


def test_only_the_runners_local_tooling_imports_the_emulator():
    offenders = sorted(
        relative
        for path in (ROOT / "runners").rglob("*.py")
        if "embedded_aws" in _top_levels(path)
        and not (relative := str(path.relative_to(ROOT))).startswith("runners/local/")
        and relative not in LOCAL_TOOLING
    )
    assert offenders == []


def test_the_glue_executors_have_no_import_cycle():
    glue = ROOT / "embedded_aws" / "glue"
    assert "embedded_aws.glue.executors" not in _imported_modules(glue / "spark.py")
    assert "embedded_aws.glue.spark" not in _imported_modules(glue / "launch.py")
