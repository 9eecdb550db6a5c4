"""The Lambda package: deterministic, complete, and importable on its own."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from runners.build import package
from runners.build.runner import TaskError

ROOT = Path(__file__).resolve().parents[2]

# What the Lambda Python runtime provides (module names), for the import test.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> package.Package:
    return package.package_lambda(ROOT, tmp_path_factory.mktemp("lambda"))


def test_same_input_gives_the_same_bytes(built, tmp_path):
    # A copy of the sources with other timestamps and modes packs to the same bytes.
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "runners", copy / "runners", ignore=shutil.ignore_patterns("__pycache__"))
    for path in (copy / "runners").rglob("*.py"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
        path.chmod(0o600)
    again = package.package_lambda(copy, tmp_path / "out")
    assert again.path.read_bytes() == built.path.read_bytes()
    assert again.sha256 == built.sha256 and again.s3_key == built.s3_key


def test_entries_are_sorted_with_fixed_times_and_modes(built):
    with zipfile.ZipFile(built.path) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)


def test_contents_handlers_and_dependencies_but_not_the_local_aws(built):
    with zipfile.ZipFile(built.path) as archive:
        names = set(archive.namelist())
    assert {"runners/__init__.py", "runners/handlers.py", "runners/service.py", "runners/worker.py"} <= names
    assert not [n for n in names if n.startswith(("runners/local/", "runners/build/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if n.startswith("tests/")]
    for dependency in ("pynamodb/__init__.py", "structlog/__init__.py", "tenacity/__init__.py", "aws_croniter/__init__.py"):
        assert dependency in names
    assert not [n for n in names if n.split("/")[0] in {"boto3", "botocore"}]  # in the Lambda runtime
    assert not [n for n in names if n.endswith("/RECORD")]
    assert set(built.bundled) == set(package.BUNDLED) >= {"pynamodb", "structlog", "tenacity", "aws-croniter", "openlineage-python"}
    # Compiled accelerators with a pure-Python twin stay out (the zip serves any architecture).
    assert not [n for n in names if n.endswith(".so")] and "yaml/__init__.py" in names and "charset_normalizer/md.py" in names
    # The OpenLineage client and what it imports add about half a megabyte to the runners' own.
    assert built.size == built.path.stat().st_size and built.size < 2_000_000


def test_handlers_import_from_the_extracted_zip_alone(built, tmp_path):
    app = tmp_path / "task"  # as /var/task
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(app)
    runtime = tmp_path / "runtime"  # what the Lambda runtime adds: boto3 and friends
    runtime.mkdir()
    for module in RUNTIME_MODULES:
        spec = importlib.util.find_spec(module)
        assert spec and spec.origin
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source)
    code = f"""
import sys
sys.path[:0] = [{str(app)!r}, {str(runtime)!r}]
assert not [p for p in sys.path if "site-packages" in p], sys.path
import runners.handlers, pynamodb, structlog, tenacity
import openlineage.client, yaml, requests, runners.run_ended
for module in (runners.handlers, pynamodb, structlog, tenacity, openlineage.client, yaml, requests):
    assert module.__file__.startswith({str(app)!r}), module.__file__
for name in ("all_runners", "job_events", "object_created", "pipeline_trigger"):
    assert callable(getattr(runners.handlers, name))
try:
    import runners.local
except ModuleNotFoundError:
    pass
else:
    raise AssertionError("runners.local is in the package")
try:
    runners.handlers.all_runners({{}}, None)
except RuntimeError as exc:
    print("handler ran:", exc)
"""
    env = {"PATH": os.environ.get("PATH", ""), "ETL_LOG_FORMAT": "json"}
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "handler ran: none of ETL_GLUE_ACTIVITY_ARN, ETL_ATHENA_ACTIVITY_ARN, ETL_WAIT_ACTIVITY_ARN is set" in done.stdout


def test_function_names_are_checked():
    assert package.functions_from([]) == ["all_runners", "job_events", "object_created", "pipeline_trigger"]
    with pytest.raises(TaskError, match="unknown Lambda function"):
        package.functions_from(["gluerunner"])


def test_the_bundle_covers_the_project_requirements(monkeypatch):
    package.check_bundle_complete()
    monkeypatch.setattr(package, "BUNDLED", ("pynamodb", "tenacity"))
    with pytest.raises(TaskError, match="structlog"):
        package.check_bundle_complete()


def test_packagelambda_reports_the_size_as_a_process(tmp_path):
    env = {**os.environ, "ETL_BUILD_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "build.py", "packagelambda[object_created]"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    size = (tmp_path / "lambda" / package.PACKAGE_NAME).stat().st_size
    assert f"{size:,} bytes" in done.stdout
    assert "object_created: handler runners.handlers.object_created" in done.stdout
    assert "all_runners" not in done.stdout
