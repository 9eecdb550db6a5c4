"""Real Glue job runs for the embedded AWS.

moto's job runs are fakes that report SUCCEEDED without running anything.
Here StartJobRun loads the job's script from the embedded S3 and runs it as
a real process (see ``glue.launch`` and ``glue.executors``), and the run moves through the
states AWS uses:

    WAITING (queued) -> STARTING -> RUNNING -> SUCCEEDED | FAILED | TIMEOUT
                                    RUNNING -> STOPPING -> STOPPED (BatchStopJobRun)

ERROR and EXPIRED cannot happen to a local process; tests reach them with
``GlueEngine.force_run_state``. MaxConcurrentRuns is enforced as on AWS
(ConcurrentRunsExceededException, or WAITING when JobRunQueuingEnabled).

One engine serves the whole process (moto's backends are process-wide);
its run books live on each moto Glue backend, so moto's reset drops them.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from moto.core.responses import ActionResult
from moto.glue.exceptions import (
    ConcurrentRunsExceededException,
    InvalidInputException,
    JobRunNotFoundException,
)
from moto.glue.models import FakeJob, GlueBackend, glue_backends
from moto.glue.responses import GlueResponse

from embedded_aws.backend_state import backend_state
from embedded_aws.glue import bookmarks, job_setup
from embedded_aws.glue.executors import default_executors
from embedded_aws.glue.job_setup import RunSetup, RunSetupError
from embedded_aws.glue.launch import JobExecutor, RunLaunch
from embedded_aws.s3.objects import S3LocationError, S3Uri, read_object

WAITING = "WAITING"
STARTING = "STARTING"
RUNNING = "RUNNING"
STOPPING = "STOPPING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
STOPPED = "STOPPED"
TIMEOUT = "TIMEOUT"
ERROR = "ERROR"
EXPIRED = "EXPIRED"

ACTIVE_STATES = frozenset({STARTING, RUNNING, STOPPING})
TERMINAL_STATES = frozenset({SUCCEEDED, FAILED, STOPPED, TIMEOUT, ERROR, EXPIRED})
ALL_STATES = ACTIVE_STATES | TERMINAL_STATES | {WAITING}

DEFAULT_TIMEOUT_MINUTES = 2880  # Glue's default job timeout (48 h)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 200
MAX_STOP_IDS = 25


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.timezone.utc)


#: Called as listener(run, previous_state) after every change of a run's
#: state, under the engine lock: it must be quick and must not call back into
#: the engine (``glue.state_events`` only queues an EventBridge event).
state_listeners: list[Callable[["GlueRun", str], None]] = []


@dataclass(eq=False)
class GlueRun:
    """One job run. Mutated only under the engine lock."""

    run_id: str
    job_runs: "JobRuns"
    account_id: str
    region: str
    arguments: dict[str, str]
    timeout_minutes: int
    worker_type: str | None = None
    number_of_workers: int | None = None
    max_capacity: float | None = None
    allocated_capacity: int | None = None
    security_configuration: str | None = None
    notification_property: dict | None = None
    execution_class: str | None = None
    previous_run_id: str | None = None
    queuing_enabled: bool | None = None
    state: str = STARTING
    started_on: datetime.datetime = field(default_factory=_now)
    last_modified_on: datetime.datetime = field(default_factory=_now)
    completed_on: datetime.datetime | None = None
    error_message: str | None = None
    process: subprocess.Popen[bytes] | None = None
    stop_requested: bool = False
    #: Put in its state by force_run_state: the queue must not start it.
    forced: bool = False
    clock_start: float = field(default_factory=time.monotonic)
    log_dir: Path | None = None
    #: The run's Python environment and bookmark files (``job_setup.prepare``).
    setup: RunSetup | None = None

    @property
    def job(self) -> FakeJob:
        return self.job_runs.job

    def set_state(self, state: str, error_message: str | None = None) -> None:
        previous = self.state
        self.state = state
        self.last_modified_on = _now()
        if error_message is not None:
            self.error_message = error_message
        if state in TERMINAL_STATES:
            self.completed_on = self.last_modified_on
        if state != previous:
            for listener in list(state_listeners):
                try:
                    listener(self, previous)
                except Exception:  # a listener must never break the run
                    logging.getLogger(__name__).exception("Glue state listener %r failed", listener)

    def describe(self) -> dict[str, Any]:
        """The run as GetJobRun returns it."""
        job = self.job
        out: dict[str, Any] = {
            "Id": self.run_id,
            "Attempt": 0,
            "JobName": job.name,
            "JobMode": "SCRIPT",
            "StartedOn": self.started_on,
            "LastModifiedOn": self.last_modified_on,
            "JobRunState": self.state,
            "Arguments": dict(self.arguments),
            "PredecessorRuns": [],
            "ExecutionTime": 0,
            "Timeout": self.timeout_minutes,
            "LogGroupName": "/aws-glue/jobs",
            "GlueVersion": job.glue_version,
            "ExecutionClass": self.execution_class or job.execution_class,
        }
        optional = {
            "PreviousRunId": self.previous_run_id,
            "JobRunQueuingEnabled": self.queuing_enabled,
            "CompletedOn": self.completed_on,
            "ErrorMessage": self.error_message,
            "WorkerType": self.worker_type,
            "NumberOfWorkers": self.number_of_workers,
            "MaxCapacity": self.max_capacity,
            "AllocatedCapacity": self.allocated_capacity,
            "SecurityConfiguration": self.security_configuration,
            "NotificationProperty": self.notification_property,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.completed_on is not None:
            out["ExecutionTime"] = int((self.completed_on - self.started_on).total_seconds())
        return out


class JobRuns:
    """All runs of one Glue job, oldest first."""

    def __init__(self, job: FakeJob):
        self.job = job
        self.runs: list[GlueRun] = []

    @property
    def max_concurrent_runs(self) -> int:
        return int((self.job.execution_property or {}).get("MaxConcurrentRuns", 1))

    def active_count(self) -> int:
        return sum(1 for run in self.runs if run.state in ACTIVE_STATES)

    def find(self, run_id: str) -> GlueRun | None:
        return next((run for run in self.runs if run.run_id == run_id), None)


class RunBook:
    """Glue run state of one (account, region): runs per job, queuing flags."""

    def __init__(self) -> None:
        self._jobs: dict[str, JobRuns] = {}
        #: JobRunQueuingEnabled given to CreateJob (moto does not keep it).
        self.job_queuing: dict[str, bool] = {}

    def runs_of(self, job: FakeJob) -> JobRuns:
        entry = self._jobs.get(job.name)
        if entry is None or entry.job is not job:  # new, or deleted and created again
            entry = JobRuns(job)
            self._jobs[job.name] = entry
        return entry

    def all_runs(self) -> list[GlueRun]:
        return [run for entry in self._jobs.values() for run in entry.runs]


def run_book(backend: GlueBackend) -> RunBook:
    return backend_state(backend, "glue_runs", RunBook)


def _glue_args(arguments: dict[str, str]) -> list[str]:
    argv: list[str] = []
    for key, value in arguments.items():
        argv += [key if key.startswith("--") else f"--{key}", str(value)]
    return argv


def _last_line(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 65536))
            tail = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1] if lines else None


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            process.kill()
        except OSError:
            pass


class GlueEngine:
    """Runs Glue job runs as local processes and answers the run APIs."""

    def __init__(self) -> None:
        #: Wall-clock seconds per Glue "minute" (Timeout); tests shrink it.
        self.minute_seconds = 60.0
        #: Endpoint the run's process should use for AWS calls.
        self.endpoint_url: str | None = None
        self._executors: dict[str, JobExecutor] = default_executors()
        self._lock = threading.RLock()
        self._drivers: dict[threading.Thread, GlueRun] = {}
        self._workdir: Path | None = None
        #: Called as hook(run, "started") once a run's process is running and
        #: hook(run, "ended") once it has exited, before its final state is set
        #: (``glue.logs`` ships the run's output to Logs). Errors are logged.
        self.run_hooks: list[Callable[[GlueRun, str], None]] = []

    def register_executor(self, command_name: str, executor: JobExecutor) -> None:
        """Use ``executor`` for jobs whose Command.Name is ``command_name``."""
        self._executors[command_name] = executor

    # --- API ---------------------------------------------------------------

    def start_job_run(
        self,
        backend: GlueBackend,
        job_name: str,
        *,
        arguments: dict[str, str] | None = None,
        timeout: int | None = None,
        worker_type: str | None = None,
        number_of_workers: int | None = None,
        max_capacity: float | None = None,
        allocated_capacity: int | None = None,
        security_configuration: str | None = None,
        notification_property: dict | None = None,
        execution_class: str | None = None,
        previous_run_id: str | None = None,
        queuing_enabled: bool | None = None,
    ) -> str:
        job = backend.get_job(job_name)  # EntityNotFoundException
        book = run_book(backend)
        if queuing_enabled is None:
            queuing_enabled = book.job_queuing.get(job_name)
        with self._lock:
            job_runs = book.runs_of(job)
            full = job_runs.active_count() >= job_runs.max_concurrent_runs
            if full and not queuing_enabled:
                raise ConcurrentRunsExceededException(
                    f"Concurrent runs exceeded for {job_name}"
                )
            run = GlueRun(
                run_id=f"jr_{uuid.uuid4().hex}{uuid.uuid4().hex}",
                job_runs=job_runs,
                account_id=backend.account_id,
                region=backend.region_name,
                arguments=dict(arguments or {}),
                timeout_minutes=timeout or job.timeout or DEFAULT_TIMEOUT_MINUTES,
                worker_type=worker_type or job.worker_type,
                number_of_workers=number_of_workers or job.number_of_workers,
                max_capacity=max_capacity if max_capacity is not None else job.max_capacity,
                allocated_capacity=allocated_capacity or job.allocated_capacity,
                security_configuration=security_configuration or job.security_configuration,
                notification_property=notification_property or job.notification_property,
                execution_class=execution_class,
                previous_run_id=previous_run_id,
                queuing_enabled=queuing_enabled,
                state=WAITING if full else STARTING,
            )
            job_runs.runs.append(run)
            if not full:
                self._spawn(run)
        return run.run_id

    def get_job_run(self, backend: GlueBackend, job_name: str, run_id: str) -> dict[str, Any]:
        with self._lock:
            return self._run(backend, job_name, run_id).describe()

    def get_job_runs(
        self,
        backend: GlueBackend,
        job_name: str,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of runs, newest first; the token is the Id of the next run."""
        page_size = max_results or DEFAULT_PAGE_SIZE
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidInputException("GetJobRuns", f"MaxResults must be 1..{MAX_PAGE_SIZE}")
        job = backend.get_job(job_name)
        with self._lock:
            runs = list(reversed(run_book(backend).runs_of(job).runs))
            start = 0
            if next_token:
                ids = [run.run_id for run in runs]
                if next_token not in ids:
                    raise InvalidInputException("GetJobRuns", "Invalid NextToken")
                start = ids.index(next_token)
            page = runs[start : start + page_size]
            rest = runs[start + page_size :]
            return [run.describe() for run in page], (rest[0].run_id if rest else None)

    def batch_stop_job_run(
        self, backend: GlueBackend, job_name: str, run_ids: list[str]
    ) -> dict[str, list[dict[str, Any]]]:
        if not run_ids or len(run_ids) > MAX_STOP_IDS:
            raise InvalidInputException("BatchStopJobRun", f"JobRunIds must hold 1..{MAX_STOP_IDS} ids")
        job = backend.get_job(job_name)
        stopped: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        with self._lock:
            job_runs = run_book(backend).runs_of(job)
            for run_id in run_ids:
                run = job_runs.find(run_id)
                if run is None:
                    errors.append(
                        self._stop_error(job_name, run_id, "EntityNotFoundException", f"Job run {run_id} not found.")
                    )
                elif run.state in TERMINAL_STATES:
                    errors.append(
                        self._stop_error(
                            job_name, run_id, "InvalidInputException",
                            f"Job run {run_id} cannot be stopped in state {run.state}.",
                        )
                    )
                else:
                    self._request_stop(run)
                    stopped.append({"JobName": job_name, "JobRunId": run_id})
        return {"SuccessfulSubmissions": stopped, "Errors": errors}

    def force_run_state(
        self,
        backend: GlueBackend,
        job_name: str,
        run_id: str,
        state: str,
        error_message: str | None = None,
    ) -> None:
        """Emulator control: put a run in any JobRunState, e.g. ERROR or EXPIRED.

        A terminal state ends the run: its process is killed if still alive
        and CompletedOn is set. A non-terminal state (e.g. WAITING) only
        relabels the run; its process keeps running and its exit still
        decides the final state.
        """
        if state not in ALL_STATES:
            raise ValueError(f"Unknown JobRunState {state!r}; expected one of {sorted(ALL_STATES)}")
        with self._lock:
            run = self._run(backend, job_name, run_id)
            run.forced = True
            run.set_state(state, error_message)
            if state in TERMINAL_STATES and run.process is not None and run.process.poll() is None:
                _kill(run.process)
            self._promote(run.job_runs)

    def run_logs(self, backend: GlueBackend, job_name: str, run_id: str) -> tuple[str, str]:
        """(stdout, stderr) of a run's process so far; empty if it never started."""
        with self._lock:
            run = self._run(backend, job_name, run_id)
        if run.log_dir is None:
            return "", ""
        return tuple(  # type: ignore[return-value]
            (run.log_dir / name).read_text(errors="replace") if (run.log_dir / name).exists() else ""
            for name in ("stdout.log", "stderr.log")
        )

    def shutdown(self, wait_seconds: float = 5.0) -> None:
        """Stop every live run (state STOPPED) and remove the run directories."""
        with self._lock:
            drivers = list(self._drivers.items())
            for _, run in drivers:
                if run.state not in TERMINAL_STATES:
                    self._request_stop(run)
        deadline = time.monotonic() + wait_seconds
        for thread, _ in drivers:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    # --- internals -------------------------------------------------------------

    @staticmethod
    def _stop_error(job_name: str, run_id: str, code: str, message: str) -> dict[str, Any]:
        return {
            "JobName": job_name,
            "JobRunId": run_id,
            "ErrorDetail": {"ErrorCode": code, "ErrorMessage": message},
        }

    def _run(self, backend: GlueBackend, job_name: str, run_id: str) -> GlueRun:
        job = backend.get_job(job_name)
        run = run_book(backend).runs_of(job).find(run_id)
        if run is None:
            raise JobRunNotFoundException(run_id)
        return run

    def _request_stop(self, run: GlueRun) -> None:
        # Caller holds the lock. A WAITING run never started: it stops at once.
        run.stop_requested = True
        if run.state == WAITING:
            run.set_state(STOPPED)
            return
        run.set_state(STOPPING)
        if run.process is not None and run.process.poll() is None:
            _kill(run.process)

    def _spawn(self, run: GlueRun) -> None:
        # Caller holds the lock.
        run.clock_start = time.monotonic()
        thread = threading.Thread(target=self._drive, args=(run,), name=f"glue-{run.run_id[:11]}", daemon=True)
        self._drivers[thread] = run
        thread.start()

    def _drive(self, run: GlueRun) -> None:
        try:
            if self._launch(run):
                self._notify(run, "started")
                self._supervise(run)
        except Exception as exc:  # an engine fault must still end the run
            with self._lock:
                if run.state not in TERMINAL_STATES:
                    run.set_state(FAILED, f"Local Glue engine error: {exc!r}")
        finally:
            with self._lock:
                self._drivers.pop(threading.current_thread(), None)
                self._promote(run.job_runs)

    def _finish_unless_ended(self, run: GlueRun, state: str, message: str | None = None) -> None:
        with self._lock:
            if run.state not in TERMINAL_STATES:
                run.set_state(STOPPED if run.stop_requested else state, None if run.stop_requested else message)

    def _launch(self, run: GlueRun) -> bool:
        """Load the script and start the process; False if the run ended instead."""
        job_def = run.job.as_dict()
        command = job_def.get("Command") or {}
        executor = self._executors.get(command.get("Name", ""))
        if executor is None:
            message = f"Command.Name {command.get('Name')!r} is not supported by the local Glue engine"
            self._finish_unless_ended(run, FAILED, message)
            return False
        try:
            script_uri = S3Uri.parse(command.get("ScriptLocation", ""))
            script = read_object(run.account_id, run.region, script_uri)
        except S3LocationError as exc:
            self._finish_unless_ended(run, FAILED, f"Cannot load job script: {exc}")
            return False

        log_dir = self._run_dir(run)
        script_path = log_dir / (Path(script_uri.key).name or "script.py")
        script_path.write_bytes(script)
        merged = {**(run.job.default_arguments or {}), **run.arguments, **(run.job.non_overridable_arguments or {})}
        merged = {key if key.startswith("--") else f"--{key}": str(value) for key, value in merged.items()}
        argv = ["--JOB_NAME", run.job.name, "--JOB_RUN_ID", run.run_id, *_glue_args(merged)]
        try:
            run.setup = job_setup.prepare(self._backend(run), run.job.name, run.run_id, merged, log_dir)
        except RunSetupError as exc:
            self._finish_unless_ended(run, FAILED, str(exc))
            return False

        with self._lock:
            if run.state in TERMINAL_STATES or run.stop_requested:
                self._finish_unless_ended(run, STOPPED)
                return False
            with (log_dir / "stdout.log").open("wb") as out, (log_dir / "stderr.log").open("wb") as err:
                run.process = executor.launch(
                    RunLaunch(
                        job_name=run.job.name,
                        run_id=run.run_id,
                        script_path=script_path,
                        arguments=argv,
                        env={**self._process_env(run), **run.setup.env},
                        workdir=log_dir,
                        stdout=out,
                        stderr=err,
                        job=job_def,
                    )
                )
            run.set_state(RUNNING)
        return True

    def _supervise(self, run: GlueRun) -> None:
        process = run.process
        assert process is not None
        budget = run.timeout_minutes * self.minute_seconds
        try:
            code = process.wait(timeout=max(0.0, run.clock_start + budget - time.monotonic()))
        except subprocess.TimeoutExpired:
            with self._lock:
                if run.state not in TERMINAL_STATES:
                    run.set_state(TIMEOUT, f"Job run timed out after {run.timeout_minutes} minute(s)")
                _kill(process)
            process.wait()
            self._notify(run, "ended")
            return
        self._notify(run, "ended")
        if run.setup is not None:
            job_setup.finish(self._backend(run), run.job.name, run.run_id, run.setup, succeeded=code == 0)
        if code == 0:
            self._finish_unless_ended(run, SUCCEEDED)
        else:
            assert run.log_dir is not None
            reason = _last_line(run.log_dir / "stderr.log") or f"Command failed with exit code {code}"
            self._finish_unless_ended(run, FAILED, reason)

    def _notify(self, run: GlueRun, event: str) -> None:
        for hook in list(self.run_hooks):
            try:
                hook(run, event)
            except Exception:  # a hook must never break the run
                logging.getLogger(__name__).exception("Glue run hook %r failed on %s", hook, event)

    def _promote(self, job_runs: JobRuns) -> None:
        # Caller holds the lock: start WAITING runs while there is a free slot.
        for run in list(job_runs.runs):
            if job_runs.active_count() >= job_runs.max_concurrent_runs:
                return
            if run.state == WAITING and not run.forced:
                run.set_state(STARTING)
                self._spawn(run)

    @staticmethod
    def _backend(run: GlueRun) -> GlueBackend:
        return glue_backends[run.account_id][run.region]

    def _run_dir(self, run: GlueRun) -> Path:
        with self._lock:
            if self._workdir is None:
                self._workdir = Path(tempfile.mkdtemp(prefix="etl-local-glue-"))
            run.log_dir = self._workdir / run.job.name / run.run_id
        run.log_dir.mkdir(parents=True, exist_ok=True)
        return run.log_dir

    def _process_env(self, run: GlueRun) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
        env.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=run.region,
            AWS_REGION=run.region,
            PYTHONUNBUFFERED="1",
        )
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        return env


# --- API actions, bound onto moto's GlueResponse by install() ------------------

_ENGINE: GlueEngine | None = None


def engine() -> GlueEngine:
    """The process-wide engine (created by ``install``)."""
    if _ENGINE is None:
        raise RuntimeError("embedded_aws.glue.engine.install() has not been called")
    return _ENGINE


def start_job_run(self: GlueResponse) -> ActionResult:
    if self._get_int_param("AllocatedCapacity") and self._get_float_param("MaxCapacity"):
        raise InvalidInputException("StartJobRun", "Please set only Allocated Capacity or Max Capacity")
    run_id = engine().start_job_run(
        self.glue_backend,
        self._get_param("JobName"),
        arguments=self._get_param("Arguments"),
        timeout=self._get_int_param("Timeout"),
        worker_type=self._get_param("WorkerType"),
        number_of_workers=self._get_int_param("NumberOfWorkers"),
        max_capacity=self._get_float_param("MaxCapacity"),
        allocated_capacity=self._get_int_param("AllocatedCapacity"),
        security_configuration=self._get_param("SecurityConfiguration"),
        notification_property=self._get_param("NotificationProperty"),
        execution_class=self._get_param("ExecutionClass"),
        previous_run_id=self._get_param("JobRunId"),
        queuing_enabled=self._get_param("JobRunQueuingEnabled"),
    )
    return ActionResult({"JobRunId": run_id})


def get_job_run(self: GlueResponse) -> ActionResult:
    run = engine().get_job_run(self.glue_backend, self._get_param("JobName"), self._get_param("RunId"))
    return ActionResult({"JobRun": run})


def get_job_runs(self: GlueResponse) -> ActionResult:
    runs, token = engine().get_job_runs(
        self.glue_backend,
        self._get_param("JobName"),
        max_results=self._get_int_param("MaxResults"),
        next_token=self._get_param("NextToken"),
    )
    result: dict[str, Any] = {"JobRuns": runs}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def batch_stop_job_run(self: GlueResponse) -> ActionResult:
    return ActionResult(
        engine().batch_stop_job_run(
            self.glue_backend, self._get_param("JobName"), self._get_param("JobRunIds") or []
        )
    )


def _wrap_create_job(original: Any) -> Any:
    def create_job(self: GlueResponse) -> Any:
        result = original(self)
        queuing = self._get_param("JobRunQueuingEnabled")
        if queuing is not None:
            run_book(self.glue_backend).job_queuing[self._get_param("Name")] = bool(queuing)
        return result

    create_job.__wrapped__ = original  # type: ignore[attr-defined]
    return create_job


def install() -> GlueEngine:
    """Bind the real run lifecycle onto moto's Glue API (idempotent)."""
    global _ENGINE
    if _ENGINE is None:
        GlueResponse.start_job_run = start_job_run  # type: ignore[method-assign]
        GlueResponse.get_job_run = get_job_run  # type: ignore[method-assign]
        GlueResponse.get_job_runs = get_job_runs  # type: ignore[method-assign]
        GlueResponse.batch_stop_job_run = batch_stop_job_run  # type: ignore[attr-defined]
        GlueResponse.create_job = _wrap_create_job(GlueResponse.create_job)  # type: ignore[method-assign]
        bookmarks.install()
        _ENGINE = GlueEngine()
    return _ENGINE
