"""What a Glue run's Python needs beyond its script: the local awsglue, extra modules, its job bookmark.

``prepare`` runs before the engine launches a run and returns the variables to
add to the run's environment; ``finish`` runs when the process has ended and
keeps the bookmark ``Job.commit()`` wrote, if the run succeeded.

- ``--extra-py-files`` (``.py``, ``.zip``, ``.whl``, ``.egg`` in S3) and the S3
  wheels of ``--additional-python-modules`` are downloaded into the run's
  folder and put on its ``sys.path``. A module *name* in
  ``--additional-python-modules`` must already be installed where the
  embedded AWS runs (there is no pip install per run); otherwise the run
  fails at once, naming it.
- Job bookmarks: see ``bookmarks``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedded_aws.glue import bookmarks
from embedded_aws.glue.job_env import BOOKMARK_IN_ENV, BOOKMARK_OUT_ENV, PYTHON_PATHS_ENV
from embedded_aws.s3.objects import S3LocationError, S3Uri, read_object

BOOKMARK_OPTION = "--job-bookmark-option"
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class RunSetupError(Exception):
    """The run cannot start: its message becomes the run's ErrorMessage."""


@dataclass
class RunSetup:
    env: dict[str, str]
    bookmark_option: str
    bookmark_out: Path


def _stage_python_files(account_id: str, region: str, arguments: dict[str, str], folder: Path) -> list[str]:
    paths: list[str] = []
    uris = [u.strip() for u in arguments.get("--extra-py-files", "").split(",") if u.strip()]
    for spec in [m.strip() for m in arguments.get("--additional-python-modules", "").split(",") if m.strip()]:
        if spec.startswith("s3://"):
            uris.append(spec)
            continue
        match = _REQUIREMENT_NAME.match(spec)
        name = match.group(1) if match else spec
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise RunSetupError(
                f"--additional-python-modules: {spec!r} is not installed where the embedded AWS runs; installing "
                "modules per run is not supported locally (install it into that Python environment)"
            ) from None
    for uri in uris:
        try:
            location = S3Uri.parse(uri)
            body = read_object(account_id, region, location)
        except S3LocationError as exc:
            raise RunSetupError(f"Cannot load Python module file {uri}: {exc}") from exc
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / (Path(location.key).name or "module.py")
        target.write_bytes(body)
        entry = str(folder) if target.suffix == ".py" else str(target)
        if entry not in paths:
            paths.append(entry)
    return paths


def prepare(backend: Any, job_name: str, run_id: str, arguments: dict[str, str], run_dir: Path) -> RunSetup:
    """The environment additions for one run (``arguments`` merged as the run sees them)."""
    extra = _stage_python_files(backend.account_id, backend.region_name, arguments, run_dir / "python")
    option = arguments.get(BOOKMARK_OPTION, "job-bookmark-disable")
    bookmark_in, bookmark_out = run_dir / "bookmark-in.json", run_dir / "bookmark-out.json"
    bookmark_in.write_text(json.dumps(bookmarks.store(backend).state(job_name)), encoding="utf-8")
    env = {
        PYTHON_PATHS_ENV: os.pathsep.join(extra),
        BOOKMARK_IN_ENV: str(bookmark_in),
        BOOKMARK_OUT_ENV: str(bookmark_out),
    }
    return RunSetup(env=env, bookmark_option=option, bookmark_out=bookmark_out)


def finish(backend: Any, job_name: str, run_id: str, setup: RunSetup, succeeded: bool) -> None:
    """Keep the bookmark the run committed (enabled bookmarks, successful runs only)."""
    if not succeeded or setup.bookmark_option != "job-bookmark-enable" or not setup.bookmark_out.is_file():
        return
    state = json.loads(setup.bookmark_out.read_text(encoding="utf-8"))
    bookmarks.store(backend).commit(job_name, run_id, state)
