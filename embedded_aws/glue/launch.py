"""The executor contract: how a Glue job run becomes a local OS process.

The run engine (``glue.engine``) owns states, timeouts and stopping; an
executor only knows how to launch the job's script. This module holds the
contract (``RunLaunch``, ``JobExecutor``) and the Python shell executor;
``glue.spark`` implements it for ``glueetl`` and ``glue.executors`` picks one
per Command.Name. Imports run one way: executors -> spark -> launch.
"""

from __future__ import annotations

import abc
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from embedded_aws.glue.job_env import JOB_RUNTIME, PYTHON_PATHS_ENV


@dataclass(frozen=True)
class RunLaunch:
    """Everything an executor needs to start one run's process."""

    job_name: str
    run_id: str
    script_path: Path
    #: Glue-style argv after the script: ``--JOB_NAME n --JOB_RUN_ID id --KEY value ...``
    arguments: list[str]
    env: dict[str, str]
    workdir: Path
    stdout: IO[bytes]
    stderr: IO[bytes]
    #: The job definition as GetJob returns it (Command, WorkerType, ...).
    job: dict = field(default_factory=dict)


class JobExecutor(abc.ABC):
    """Launches the process of one Glue job run for one kind of Command."""

    @abc.abstractmethod
    def launch(self, launch: RunLaunch) -> subprocess.Popen[bytes]:
        """Start the run's process and return it without waiting.

        The process must be a session leader (``start_new_session=True``) so
        the engine can stop the whole process group.
        """


class PythonScriptExecutor(JobExecutor):
    """Runs the job script with the current interpreter, as Glue's Python shell does."""

    def __init__(self, python: str | None = None):
        self._python = python or sys.executable

    def launch(self, launch: RunLaunch) -> subprocess.Popen[bytes]:
        env = dict(launch.env)
        # Glue's Python shell has awsglue (getResolvedOptions) and the job's extra modules.
        parts = [str(JOB_RUNTIME), *[p for p in env.get(PYTHON_PATHS_ENV, "").split(os.pathsep) if p]]
        env["PYTHONPATH"] = os.pathsep.join(parts + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        return subprocess.Popen(
            [self._python, str(launch.script_path), *launch.arguments],
            cwd=launch.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=launch.stdout,
            stderr=launch.stderr,
            start_new_session=True,
        )
