"""The Glue scripts we ship and test are plain Glue 5.0 scripts: nothing local-only in them.

Glue 5.0 runs Python 3.11 with awsglue, pyspark and boto3; a script that
imports anything else, mentions the embedded AWS or branches on a local
environment would pass here and fail on AWS.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted([*REPO.glob("glue-scripts/*.py"), *REPO.glob("tests/glue_corpus/scripts/*.py")])
GLUE_MODULES = {"awsglue", "awsgluedq", "pyspark", "boto3", "botocore"}
#: The corpus's own team library, shipped to its job with --extra-py-files (as users ship theirs).
SHIPPED_WITH_THE_JOB = {p.name for p in REPO.glob("tests/glue_corpus/libs/*") if p.is_dir()}
LOCAL_ONLY = ("embedded_aws", "runners", "AWS_ENDPOINT_URL", "localhost", "127.0.0.1", "moto")


def _top_level_imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_there_are_scripts_to_check():
    assert len(SCRIPTS) >= 3


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_a_script_imports_only_what_glue_provides(script: Path):
    tree = ast.parse(script.read_text(), filename=str(script), feature_version=(3, 11))
    foreign = _top_level_imports(tree) - GLUE_MODULES - SHIPPED_WITH_THE_JOB - set(sys.stdlib_module_names)
    assert not foreign, f"{script.name} imports {sorted(foreign)}, which Glue 5.0 does not have"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_a_script_has_no_local_only_branch(script: Path):
    text = script.read_text()
    assert not [word for word in LOCAL_ONLY if word in text]
    tree = ast.parse(text)
    handlers = [h for node in ast.walk(tree) if isinstance(node, ast.Try) for h in node.handlers]
    assert not [h for h in handlers if isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")], \
        f"{script.name} falls back when an import fails"
