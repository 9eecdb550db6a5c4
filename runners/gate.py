"""Dependency gates: is every Glue job and state machine a step waits for idle?

One ``GateChecker`` serves a worker. Its answers are kept for one check cycle
(the lifecycle calls ``new_cycle`` as each begins), so any number of tasks
gated on one job cost one GetJobRuns per job per cycle, and one
ListExecutions per state machine. A task received between cycles uses the
current cycle's answers: at most one check interval old, the same kind of
race any check-then-start has (a job may start the instant after it was
seen idle).

Glue: GetJobRuns lists runs newest first, so a busy run is among the newest
``GLUE_RUNS_PER_CHECK`` (only a run with that many newer runs already ended
could hide). Step Functions: ListExecutions filtered on RUNNING; the task's
own execution (``ExcludeExecution``) does not count.

Errors: a status call refused for good (AccessDenied, no such job or state
machine, a malformed name) raises ``DependencyGateCheckFailedError`` and the
task fails; anything else (throttling, 5xx, a cut connection) leaves that
name "unchecked" for this cycle, which keeps the gate closed until a later
cycle can see.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import structlog
from botocore.exceptions import ClientError, ParamValidationError

from .errors import DependencyGateCheckFailedError
from .retry import RetryPolicy, error_code, is_transient
from .task_input import DependencyGate

log = structlog.get_logger("runners.gate")

# A Glue job is busy while one of its runs is in one of these states.
GLUE_BUSY_STATES = frozenset({"STARTING", "RUNNING", "WAITING", "STOPPING"})
GLUE_RUNS_PER_CHECK = 50
# Two RUNNING executions already prove one is not the excluded one; a few
# more name them in logs.
EXECUTIONS_PER_CHECK = 10

# What the runner role needs, named in the error when a call is refused.
GLUE_PERMISSION = "glue:GetJobRuns"
SFN_PERMISSION = "states:ListExecutions"


@dataclass(frozen=True)
class GateStatus:
    """One look at a gate: what is busy, and what could not be seen this cycle."""

    busy_glue_jobs: tuple[str, ...] = ()
    busy_state_machines: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        return not self.blockers

    @property
    def blockers(self) -> list[str]:
        return [*self.busy_glue_jobs, *self.busy_state_machines, *self.unchecked]

    def details(self) -> dict[str, Any]:
        """For a failure's cause (JSON)."""
        return {
            "busyGlueJobs": list(self.busy_glue_jobs),
            "busyStateMachines": list(self.busy_state_machines),
            "uncheckedThisCycle": list(self.unchecked),
        }


@dataclass
class _Answer:
    """One name's status for one cycle, fetched once however many tasks ask."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    busy: tuple[str, ...] = ()
    error: BaseException | None = None


class GateChecker:
    """Checks dependency gates with cycle-cached Glue and Step Functions calls."""

    def __init__(self, glue_client: Any, sfn_client: Any, retry: RetryPolicy = RetryPolicy()) -> None:
        self._glue = glue_client
        self._sfn = sfn_client
        self._retry = retry
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str], _Answer] = {}

    def new_cycle(self) -> None:
        """Forget every answer: the cycle now beginning looks again."""
        with self._lock:
            self._answers = {}

    def check(self, gate: DependencyGate) -> GateStatus:
        """The gate's status. Raises DependencyGateCheckFailedError if a
        status call was refused for a reason a retry will not fix."""
        busy_jobs, busy_machines, unchecked = [], [], []
        for job in gate.glue_jobs:
            answer = self._answer("glue", job, self._busy_glue_runs)
            if answer.error is not None:
                unchecked.append(job)
            elif answer.busy:
                busy_jobs.append(job)
        for machine in gate.state_machines:
            answer = self._answer("sfn", machine, self._running_executions)
            if answer.error is not None:
                unchecked.append(machine)
            elif any(arn != gate.exclude_execution for arn in answer.busy):
                busy_machines.append(machine)
        return GateStatus(tuple(busy_jobs), tuple(busy_machines), tuple(unchecked))

    def _answer(self, service: str, name: str, fetch: Callable[[str], tuple[str, ...]]) -> _Answer:
        with self._lock:
            answer = self._answers.setdefault((service, name), _Answer())
        with answer.lock:
            if not answer.done:
                try:
                    answer.busy = fetch(name)
                except Exception as exc:  # noqa: BLE001 - classified below
                    answer.error = exc
                    if not _refused(exc):
                        log.warning(
                            "gate_check_failed_will_retry", service=service, name=name,
                            error=str(exc)[:300], error_type=type(exc).__name__, error_code=error_code(exc),
                        )
                answer.done = True
        if answer.error is not None and _refused(answer.error):
            raise _check_failed(service, name, answer.error)
        return answer

    def _busy_glue_runs(self, job_name: str) -> tuple[str, ...]:
        response = self._retry.call(self._glue.get_job_runs, JobName=job_name, MaxResults=GLUE_RUNS_PER_CHECK)
        return tuple(run["Id"] for run in response.get("JobRuns", []) if run.get("JobRunState") in GLUE_BUSY_STATES)

    def _running_executions(self, state_machine_arn: str) -> tuple[str, ...]:
        response = self._retry.call(
            self._sfn.list_executions, stateMachineArn=state_machine_arn, statusFilter="RUNNING", maxResults=EXECUTIONS_PER_CHECK,
        )
        return tuple(execution["executionArn"] for execution in response.get("executions", []))


def _refused(exc: BaseException) -> bool:
    """The service's final word (retrying will not help), as opposed to trouble that passes."""
    if isinstance(exc, ParamValidationError):
        return True
    return isinstance(exc, ClientError) and not is_transient(exc)


def _check_failed(service: str, name: str, exc: BaseException) -> DependencyGateCheckFailedError:
    code = error_code(exc) or type(exc).__name__
    message = exc.response.get("Error", {}).get("Message", str(exc)) if isinstance(exc, ClientError) else str(exc)
    if service == "glue":
        what, call, permission, detail = f"Glue job {name!r}", "GetJobRuns", GLUE_PERMISSION, {"glueJob": name}
    else:
        what, call, permission, detail = f"state machine {name!r}", "ListExecutions", SFN_PERMISSION, {"stateMachine": name}
    return DependencyGateCheckFailedError(
        f"the dependency gate cannot be checked: {call} on {what} was refused: {code}: {message[:500]} "
        f"(the runner role needs {permission} on it, and it must exist)",
        errorCode=code, **detail,
    )
