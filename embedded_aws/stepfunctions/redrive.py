"""RedriveExecution: continue a failed Standard execution from its unsuccessful step.

As the API reference describes it: an execution that FAILED, TIMED_OUT or was
ABORTED in the last 14 days continues in place (same ARN, same definition,
same history) from the state that did not complete, with the input that
state had; states that succeeded are not run again. For a Parallel state
only the branches that failed or were aborted run again. The history gets an
``ExecutionRedriven`` event (``redriveCount``); DescribeExecution and
ListExecutions show ``redriveCount``, ``redriveDate``, ``redriveStatus`` and
``redriveStatusReason``.

How: every state remembers, on the environment of the program running it
(the execution, or a Parallel branch), its name and input when it is
entered (``_remember_entry``). A redrive runs the same parsed program from
the execution's last state in a new environment that carries on the old
one's history and variables. A Parallel state keeps, from its latest run,
the output of each branch that succeeded and where each other branch
stopped; the redriven run reuses the outputs and continues the others from
where they stopped (nested Parallel states inside such a branch run again
in full).

Not supported locally (answered NotImplemented, never run differently): a
redrive whose unsuccessful state is a Map (AWS reruns only the failed
iterations or child executions).
"""

from __future__ import annotations

import copy
import datetime
import threading
from typing import Any, Callable

from moto.core.responses import ActionResult
from moto.stepfunctions import responses as sfn_responses
from moto.stepfunctions.parser.api import (
    ExecutionStatus,
    HistoryEventType,
    StateMachineType,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker import BranchWorker
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branches_decl import (
    BranchesDecl,
    BranchWorkerPool,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel import StateParallel
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.utils import TMP_THREADS

from embedded_aws.stepfunctions.branch_errors import error_name as branch_error_name
from embedded_aws.stepfunctions import executions as sfn_executions
from embedded_aws.stepfunctions import status_events
from embedded_aws.stepfunctions.errors import api_error

REDRIVABLE_PERIOD = datetime.timedelta(days=14)
MAX_HISTORY_EVENTS = 25_000
MAX_REDRIVES = 1_000
_REDRIVABLE_STATUSES = {ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.ABORTED}

# Attributes this module keeps on moto's objects.
_ENTRY = "_etl_redrive_entry"  # Environment: (state name, input) of the last top-level state entered
_COUNT = "_etl_redrive_count"  # Execution
_DATE = "_etl_redrive_date"  # Execution
_TOKENS = "_etl_redrive_tokens"  # Execution: clientToken -> redriveDate
_DONE = "_etl_branch_outputs"  # BranchesDecl: branch index -> output of its latest successful run
_RESUME = "_etl_branch_resume"  # BranchesDecl: branch index -> (state, input) where an unsuccessful branch stopped
_REUSE = "_etl_reuse_branches"  # BranchesDecl: the next run reuses _DONE and _RESUME (set by a redrive)
_PROGRAM = "_etl_program"  # ExecutionWorker: its parsed program
_LOCK = threading.Lock()


# --- what DescribeExecution / ListExecutions show --------------------------------------


def redrive_count(execution: Any) -> int:
    return int(getattr(execution, _COUNT, 0))


def redrive_date(execution: Any) -> datetime.datetime | None:
    return getattr(execution, _DATE, None)


def not_redrivable_reason(execution: Any, now: datetime.datetime | None = None) -> str | None:
    """Why ``execution`` cannot be redriven (the documented reasons), or None if it can."""
    status = ExecutionStatus(execution.status)
    if status == ExecutionStatus.RUNNING:
        return "Execution is RUNNING and cannot be redriven"
    if status == ExecutionStatus.SUCCEEDED:
        return "Execution is SUCCEEDED and cannot be redriven"
    if status not in _REDRIVABLE_STATUSES:
        return f"Execution is {status.value} and cannot be redriven"
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if execution.stop_date is not None and now - execution.stop_date > REDRIVABLE_PERIOD:
        return "Execution redrivable period exceeded."
    worker = getattr(execution, "exec_worker", None)
    env = getattr(worker, "env", None)
    if env is not None and len(env.event_manager.get_event_history()) >= MAX_HISTORY_EVENTS:
        return "Execution history event limit exceeded."
    return None


def redrive_fields(execution: Any) -> dict[str, Any]:
    """redriveCount, redriveDate, redriveStatus, redriveStatusReason of a Standard execution."""
    if getattr(execution, "sm_type", StateMachineType.STANDARD) == StateMachineType.EXPRESS:
        return {}
    fields: dict[str, Any] = {"redriveCount": redrive_count(execution)}
    if redrive_date(execution) is not None:
        fields["redriveDate"] = redrive_date(execution)
    reason = not_redrivable_reason(execution)
    fields["redriveStatus"] = "REDRIVABLE" if reason is None else "NOT_REDRIVABLE"
    if reason is not None:
        fields["redriveStatusReason"] = reason
    return fields


# --- remembering where an execution is --------------------------------------------------

_moto_state_eval_body: Callable[..., None] | None = None


def _remember_entry(self: CommonStateField, env: Environment) -> None:
    """Note the state and its input on the program's environment (top level or a Parallel branch)."""
    setattr(env, _ENTRY, (self.name, copy.deepcopy(env.states.get_input())))
    _moto_state_eval_body(self, env)  # type: ignore[misc]


class _ResumedBranch(BranchWorker):
    """A branch that continues from the state where its last run stopped."""

    def __init__(self, pool: BranchWorkerPool, program: Program, env: Environment, entry: tuple[str, Any]):
        super().__init__(branch_worker_comm=pool, program=program, env=env)
        self._entry = entry

    def _thread_routine(self) -> None:
        state_name, state_input = self._entry
        self.env.states.reset(input_value=copy.deepcopy(state_input))
        self.env.next_state_name = state_name
        Program._eval_body(self._program, self.env)
        self._branch_worker_comm.on_terminated(env=self.env)


def _branches_eval_body(self: BranchesDecl, env: Environment) -> None:
    """moto's BranchesDecl._eval_body, remembering how each branch ended and,
    when redriven, running only the branches that did not succeed, each from
    the state where it stopped."""
    input_val = env.stack.pop()
    redriven = bool(self.__dict__.pop(_REUSE, False))
    done: dict[int, Any] = dict(getattr(self, _DONE, {})) if redriven else {}
    resume: dict[int, tuple[str, Any]] = dict(getattr(self, _RESUME, {})) if redriven else {}
    setattr(self, _DONE, done)
    setattr(self, _RESUME, {})
    pending = [(i, program) for i, program in enumerate(self.programs) if i not in done]
    pool = BranchWorkerPool(workers_num=len(pending))
    workers: list[tuple[int, BranchWorker]] = []
    for index, program in pending:
        frame = env.open_inner_frame()
        frame.states.reset(input_value=input_val)
        if index in resume:
            worker: BranchWorker = _ResumedBranch(pool, program, frame, resume[index])
        else:
            worker = BranchWorker(branch_worker_comm=pool, program=program, env=frame)
        workers.append((index, worker))
        worker.start()
    if pending:
        pool.wait()
    failure = pool.get_exit_event_details() if pending else None
    for index, worker in workers:
        if isinstance(worker.env.program_state(), ProgramEnded):
            done[index] = worker.env.states.get_input()
        elif getattr(worker.env, _ENTRY, None) is not None:
            getattr(self, _RESUME)[index] = getattr(worker.env, _ENTRY)
    if failure is not None:
        for _, worker in workers:
            worker.stop(stop_date=datetime.datetime.now(), cause=None, error=None)
            env.close_frame(worker.env)
        _branch_failed(env, failure)
    for _, worker in workers:
        env.close_frame(worker.env)
    env.stack.append([done[i] for i in range(len(self.programs))])


def _branch_failed(env: Environment, details: Any) -> None:
    """What moto raises when a branch failed: the Parallel state fails with its error."""
    raise FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=branch_error_name(details.get("error")),  # a States.* error keeps its name
            event_type=HistoryEventType.ExecutionFailed,
            event_details=EventDetails(executionFailedEventDetails=details),
        )
    )


_moto_entrypoint: Callable[[ExecutionWorker], Any] | None = None


def _entrypoint(self: ExecutionWorker) -> Any:
    """The execution's parsed program, kept so a redrive continues in the same
    objects (a Parallel state's branches remember which of them succeeded)."""
    program = self.__dict__.get(_PROGRAM)
    if program is None:
        program = _moto_entrypoint(self)  # type: ignore[misc]
        setattr(self, _PROGRAM, program)
    return program


# --- RedriveExecution ---------------------------------------------------------------------


def _revived_environment(worker: ExecutionWorker, failed: Environment, count: int,
                         redriven_at: datetime.datetime) -> Environment:
    """A running environment that continues ``failed``: same history, event chain and variables,
    and the context object's ``Execution.RedriveCount``/``RedriveTime``.

    A fresh object, so a thread of the first attempt that is still unwinding
    (a timed-out state) keeps seeing its own, ended, environment.
    """
    env = worker._get_evaluation_environment()  # type: ignore[attr-defined]
    env.event_manager = failed.event_manager
    env.event_history_context = failed.event_history_context
    env.variable_store = failed.variable_store  # type: ignore[misc]
    execution_data = env.states.context_object.context_object_data["Execution"]
    execution_data["RedriveCount"] = count  # type: ignore[typeddict-unknown-key]
    execution_data["RedriveTime"] = redriven_at.isoformat()  # type: ignore[typeddict-unknown-key]
    return env


def _revive(execution: Execution, env: Environment, state_name: str, state_input: Any, count: int,
            redriven_at: datetime.datetime) -> None:
    """Run the execution again from its unsuccessful state (on its own thread, as StartExecution does)."""
    worker = execution.exec_worker
    program: Program = worker._get_evaluation_entrypoint()  # type: ignore[union-attr]
    state = program.states.states[state_name]
    if isinstance(state, StateParallel):
        setattr(state.branches, _REUSE, True)
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.ExecutionRedriven,
        event_details=EventDetails(executionRedrivenEventDetails={"redriveCount": count}),
        timestamp=redriven_at,
        update_source_event_id=False,
    )
    env.states.reset(input_value=state_input)
    env.next_state_name = state_name
    timeout = program.timeout_seconds.timeout_seconds if program.timeout_seconds else None
    thread = threading.Thread(target=Program._eval_body, args=(program, env), daemon=True)
    TMP_THREADS.append(thread)
    thread.start()
    thread.join(timeout=timeout)
    if thread.is_alive():
        env.set_timed_out()
    worker._execution_communication.terminated()  # type: ignore[union-attr]


def redrive(execution: Execution, client_token: str | None) -> datetime.datetime:
    """Redrive ``execution`` now and return its redrive date."""
    with _LOCK:
        tokens: dict[str, datetime.datetime] = execution.__dict__.setdefault(_TOKENS, {})
        if client_token and client_token in tokens:
            return tokens[client_token]  # idempotent retry of the same request
        if execution.sm_type == StateMachineType.EXPRESS:
            raise api_error("ExecutionNotRedrivable", f"Execution is of type EXPRESS and cannot be redriven: '{execution.exec_arn}'")
        reason = not_redrivable_reason(execution)
        if reason is not None:
            raise api_error("ExecutionNotRedrivable", reason)
        if redrive_count(execution) >= MAX_REDRIVES:
            raise api_error("ExecutionNotRedrivable", "Execution has reached the maximum number of redrives.")
        worker = execution.exec_worker
        failed: Environment | None = getattr(worker, "env", None)
        entry = getattr(failed, _ENTRY, None)
        if failed is None or entry is None:
            raise api_error("ExecutionNotRedrivable", "Execution has no unsuccessful state to redrive.")
        program = worker._get_evaluation_entrypoint()  # type: ignore[union-attr]
        if isinstance(program.states.states.get(entry[0]), StateMap):
            raise NotImplementedError(
                "redriving an execution whose unsuccessful state is a Map state (AWS reruns only its failed "
                "iterations or child executions)"
            )
        now = datetime.datetime.now(datetime.timezone.utc)
        count = redrive_count(execution) + 1
        setattr(execution, _COUNT, count)
        setattr(execution, _DATE, now)
        if client_token:
            tokens[client_token] = now
        env = _revived_environment(worker, failed, count, now)
        sfn_executions.reopen(execution, env)
        worker.env = env  # type: ignore[union-attr]
        execution.exec_status = ExecutionStatus.RUNNING
        execution.stop_date = None
        execution.error = None
        execution.cause = None
        execution.output = None
        status_events.emit(execution)  # RUNNING again; the redriven run's end is announced when it ends
        thread = threading.Thread(target=_revive, args=(execution, env, *entry, count, now), daemon=True)
        TMP_THREADS.append(thread)
        thread.start()
        return now


def redrive_execution(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
    if not isinstance(execution, Execution):
        raise NotImplementedError("RedriveExecution needs the executing Step Functions backend")
    return ActionResult({"redriveDate": redrive(execution, self._get_param("clientToken"))})


# --- install ----------------------------------------------------------------------------------

_INSTALLED = False


def install() -> None:
    """Add RedriveExecution and the bookkeeping it needs (idempotent)."""
    global _INSTALLED, _moto_state_eval_body, _moto_entrypoint
    if _INSTALLED:
        return
    _moto_entrypoint = ExecutionWorker._get_evaluation_entrypoint
    ExecutionWorker._get_evaluation_entrypoint = _entrypoint  # type: ignore[method-assign]
    _moto_state_eval_body = CommonStateField._eval_body
    CommonStateField._eval_body = _remember_entry  # type: ignore[method-assign]
    BranchesDecl._eval_body = _branches_eval_body  # type: ignore[method-assign]
    sfn_responses.StepFunctionResponse.redrive_execution = redrive_execution  # type: ignore[attr-defined]
    _INSTALLED = True
