"""AWS Glue adapter: start job runs exactly once, check many runs in few calls.

Glue has no idempotency token, so each run is tagged with the task id in its
arguments (``--etl_runner_task_id``); after a crash, ``find_started`` searches
``GetJobRuns`` for the tag and the lifecycle adopts that run instead of
starting a second one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterator, Sequence

from botocore.exceptions import ClientError

from .adapter import RunRef, RunStatus, iso
from .errors import GlueJobFailedError, InvalidTaskInputError, JobStartFailedError, StartDeferred
from .retry import RetryPolicy, error_code
from .task_input import GATE_FIELD, DependencyGate, dependency_gate, optional_int, optional_str, optional_str_map, reject_unknown_keys, required_str

TASK_ID_ARGUMENT = "--etl_runner_task_id"

SUCCEEDED = "SUCCEEDED"
INTERMEDIATE_STATES = frozenset({"STARTING", "RUNNING", "STOPPING", "WAITING"})
FAILURE_STATES = frozenset({"FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"})
TERMINAL_STATES = FAILURE_STATES | {SUCCEEDED}

WORKER_TYPES = ("Standard", "G.025X", "G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X", "Z.2X")
TASK_FIELDS = ("GlueJobName", "Arguments", "WorkerType", "NumberOfWorkers", "Timeout", GATE_FIELD)

GET_JOB_RUNS_PAGE = 200
DEFERRED_START_CODES = frozenset({"ConcurrentRunsExceededException", "ResourceNumberLimitExceededException"})
INVALID_INPUT_CODES = frozenset({"EntityNotFoundException"})
START_REFUSED_CODES = frozenset({"InvalidInputException", "ValidationException", "AccessDeniedException", "IllegalWorkflowStateException"})


@dataclass(frozen=True)
class GlueRequest:
    job_name: str
    arguments: dict[str, str] = field(default_factory=dict)
    worker_type: str | None = None
    number_of_workers: int | None = None
    timeout_minutes: int | None = None
    gate: DependencyGate | None = None  # held by the lifecycle, never sent to Glue


class GlueAdapter:
    kind = "glue"
    failure_error = GlueJobFailedError

    def __init__(self, glue_client: Any, retry: RetryPolicy = RetryPolicy()) -> None:
        self._glue = glue_client
        self._retry = retry

    # -- input ---------------------------------------------------------------
    def parse(self, payload: dict[str, Any]) -> GlueRequest:
        reject_unknown_keys(payload, TASK_FIELDS)
        arguments = optional_str_map(payload, "Arguments")
        bad = [k for k in arguments if not k.startswith("--")]
        if bad:
            raise InvalidTaskInputError(f"Arguments keys must start with '--' (Glue job parameters), got {', '.join(sorted(bad))}")
        if TASK_ID_ARGUMENT in arguments:
            raise InvalidTaskInputError(f"Arguments must not set {TASK_ID_ARGUMENT}; the runner sets it")
        return GlueRequest(
            job_name=required_str(payload, "GlueJobName", max_len=255),
            arguments=arguments,
            worker_type=optional_str(payload, "WorkerType", choices=WORKER_TYPES),
            number_of_workers=optional_int(payload, "NumberOfWorkers", minimum=1, maximum=10000),
            timeout_minutes=optional_int(payload, "Timeout", minimum=1, maximum=10080),
            gate=dependency_gate(payload),
        )

    def group_of(self, request: GlueRequest) -> str:
        return request.job_name

    # -- start ---------------------------------------------------------------
    def start(self, task_id: str, request: GlueRequest) -> str:
        kwargs: dict[str, Any] = {"JobName": request.job_name, "Arguments": {**request.arguments, TASK_ID_ARGUMENT: task_id}}
        if request.worker_type:
            kwargs["WorkerType"] = request.worker_type
        if request.number_of_workers:
            kwargs["NumberOfWorkers"] = request.number_of_workers
        if request.timeout_minutes:
            kwargs["Timeout"] = request.timeout_minutes
        try:
            # Deliberately not retried: a retry after a lost response could start
            # a second run. The lifecycle retries via find_started instead.
            return self._glue.start_job_run(**kwargs)["JobRunId"]
        except ClientError as exc:
            code, message = error_code(exc), exc.response.get("Error", {}).get("Message", str(exc))
            if code in DEFERRED_START_CODES:
                raise StartDeferred(f"{code}: {message}") from None
            if code in INVALID_INPUT_CODES:
                raise InvalidTaskInputError(f"unknown Glue job {request.job_name!r}: {message}", jobName=request.job_name) from None
            if code in START_REFUSED_CODES:
                raise JobStartFailedError(f"Glue refused to start {request.job_name!r}: {message}", jobName=request.job_name, errorCode=code) from None
            raise

    def find_started(self, task_id: str, request: GlueRequest, since: datetime) -> str | None:
        cutoff = since - timedelta(minutes=5)
        for run in self._job_runs(request.job_name):
            if (run.get("Arguments") or {}).get(TASK_ID_ARGUMENT) == task_id:
                return run["Id"]
            started = run.get("StartedOn")
            if isinstance(started, datetime) and started < cutoff:
                return None  # newest first: nothing older can be ours
        return None

    # -- status --------------------------------------------------------------
    def statuses(self, runs: Sequence[RunRef]) -> dict[str, RunStatus]:
        by_job: dict[str, set[str]] = {}
        for ref in runs:
            by_job.setdefault(ref.group or "", set()).add(ref.run_id)
        result: dict[str, RunStatus] = {}
        for job_name, wanted in by_job.items():
            result.update(self._statuses_of_job(job_name, wanted))
        return result

    def _statuses_of_job(self, job_name: str, wanted: set[str]) -> dict[str, RunStatus]:
        """One GetJobRun for a single run; otherwise page GetJobRuns (newest first)
        while that is cheaper, then fall back to GetJobRun for stragglers."""
        found: dict[str, RunStatus] = {}
        missing = set(wanted)
        if len(wanted) > 1:
            page_budget = math.ceil(len(wanted) / GET_JOB_RUNS_PAGE) + 1
            for page_number, page in enumerate(self._job_run_pages(job_name), start=1):
                for run in page:
                    if run["Id"] in missing:
                        found[run["Id"]] = to_status(run)
                        missing.discard(run["Id"])
                if not missing or page_number >= page_budget:
                    break
        for run_id in sorted(missing):
            try:
                run = self._retry.call(self._glue.get_job_run, JobName=job_name, RunId=run_id)["JobRun"]
            except ClientError as exc:
                if error_code(exc) == "EntityNotFoundException":
                    found[run_id] = RunStatus("NOT_FOUND", True, False, error_message=f"Glue job run {run_id} of {job_name} no longer exists")
                    continue
                raise
            found[run_id] = to_status(run)
        return found

    def _job_run_pages(self, job_name: str) -> Iterator[list[dict[str, Any]]]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"JobName": job_name, "MaxResults": GET_JOB_RUNS_PAGE}
            if token:
                kwargs["NextToken"] = token
            response = self._retry.call(self._glue.get_job_runs, **kwargs)
            yield response.get("JobRuns", [])
            token = response.get("NextToken")
            if not token:
                return

    def _job_runs(self, job_name: str) -> Iterator[dict[str, Any]]:
        for page in self._job_run_pages(job_name):
            yield from page

    def stop(self, run: RunRef) -> None:
        self._retry.call(self._glue.batch_stop_job_run, JobName=run.group, JobRunIds=[run.run_id])


def to_status(run: dict[str, Any]) -> RunStatus:
    state = run.get("JobRunState", "UNKNOWN")
    output = {
        "JobName": run.get("JobName"),
        "JobRunId": run.get("Id"),
        "JobRunState": state,
        "StartedOn": iso(run.get("StartedOn")),
        "CompletedOn": iso(run.get("CompletedOn")),
        "ExecutionTime": run.get("ExecutionTime"),
        "Attempt": run.get("Attempt", 0),
    }
    for optional in ("ErrorMessage", "DPUSeconds", "WorkerType", "NumberOfWorkers", "MaxCapacity", "GlueVersion"):
        if run.get(optional) is not None:
            output[optional] = run[optional]
    terminal = state in TERMINAL_STATES
    return RunStatus(state, terminal, state == SUCCEEDED, output, run.get("ErrorMessage"))


def status_from_event(detail: dict[str, Any], ended: datetime | None, started: datetime | None) -> RunStatus:
    """A run's end as its "Glue Job State Change" event tells it, without a
    GetJobRun: its name, id, state, and the message (the error of a FAILED
    run). ``StartedOn`` is when the runner recorded the start; ``CompletedOn``
    the event's time (to the second); statistics (DPUSeconds, ...) need a
    status call (``ETL_DESCRIBE_ON_EVENT``)."""
    state = str(detail.get("state", "UNKNOWN"))
    output: dict[str, Any] = {
        "JobName": detail.get("jobName"),
        "JobRunId": detail.get("jobRunId"),
        "JobRunState": state,
        "StartedOn": iso(started),
        "CompletedOn": iso(ended),
    }
    if started is not None and ended is not None:
        output["ExecutionTime"] = max(0, int((ended - started).total_seconds()))
    message = detail.get("message") if state != SUCCEEDED else None
    if message:
        output["ErrorMessage"] = message
    return RunStatus(state, state in TERMINAL_STATES, state == SUCCEEDED, output, message)
