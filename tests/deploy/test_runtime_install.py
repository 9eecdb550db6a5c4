"""A production install: `pip install .` with the runtime dependencies only
runs a worker, starts fast and never imports the embedded AWS."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import make_activity, results_location, settings_for, single_task_machine, start, wait_execution, worker_env

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_MODULES = ("moto", "pyspark", "duckdb", "sqlglot", "flask", "werkzeug", "runners.local")

# What `serve` loads, listed from inside the process that parsed its arguments.
IMPORTS_OF_SERVE = """
import sys
from runners import cli
cli.build_parser().parse_args(["serve", "glue", "--activity-arn", "arn:aws:states:us-east-1:123456789012:activity:a"])
import runners.service, runners.worker
print("\\n".join(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def runtime_venv(tmp_path_factory) -> Path:
    """A fresh venv holding the package and its runtime dependencies, nothing else."""
    base = tmp_path_factory.mktemp("runtime")
    source = base / "src"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "runners", source / "runners", ignore=shutil.ignore_patterns("__pycache__"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


def _python(venv: Path) -> str:
    return str(venv / "bin" / "python")


@pytest.mark.timeout(900)
def test_the_runtime_install_has_no_emulator_and_serve_imports_none(runtime_venv):
    probe = subprocess.run([_python(runtime_venv), "-c", "import moto"], capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0, "the runtime install must not bring the emulator's dependencies"
    loaded = subprocess.run([_python(runtime_venv), "-c", IMPORTS_OF_SERVE], capture_output=True, text=True, timeout=60, cwd="/")
    assert loaded.returncode == 0, loaded.stderr
    modules = loaded.stdout.split()
    assert not [m for m in modules if m.split(".")[0] in EMULATOR_MODULES or m.startswith("runners.local")]


def test_serve_help_starts_in_well_under_a_second(runtime_venv):
    etl_runner = str(runtime_venv / "bin" / "etl-runner")
    subprocess.run([etl_runner, "serve", "--help"], capture_output=True, timeout=60)  # warm the file cache
    timings = []
    for _ in range(3):
        began = time.monotonic()
        done = subprocess.run([etl_runner, "serve", "glue", "--help"], capture_output=True, text=True, timeout=60)
        timings.append(time.monotonic() - began)
        assert done.returncode == 0 and "usage: etl-runner serve" in done.stdout, done.stderr
    assert sorted(timings)[1] < 1.0, f"etl-runner serve --help took {timings}"


def test_a_worker_from_the_runtime_install_completes_a_task_on_the_embedded_aws(aws, runtime_venv):
    """The embedded AWS runs here (the test environment); the worker in the
    runtime-only venv talks to it over HTTP, as it would talk to AWS."""
    activity = make_activity()
    settings = settings_for("athena", activity)
    execution = start(single_task_machine(activity), {"AthenaQueryString": "SELECT 42 AS answer", "AthenaResultOutputLocation": results_location("runtime")})
    env = {k: v for k, v in worker_env(settings, "athena").items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    worker = subprocess.Popen(
        [str(runtime_venv / "bin" / "etl-runner"), "serve", "athena", "--create-table"],
        env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        result = wait_execution(execution, timeout=60)
    finally:
        worker.terminate()
        _, logs = worker.communicate(timeout=60)
    assert result["status"] == "SUCCEEDED", logs[-3000:]
    assert json.loads(result["output"])["State"] == "SUCCEEDED"
    assert worker.returncode == 0, logs[-3000:]
    assert "worker_stopped" in logs
