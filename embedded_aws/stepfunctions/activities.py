"""Step Functions activity tasks for moto's executing ("parser") backend.

moto 5.2.5 executes state machines but cannot run activity Task states: it
hands every execution an empty activity store, so the state fails with
``ActivityDoesNotExist``, and it has no ``GetActivityTask`` action. This
module adds both, plus the token lifetime rules AWS enforces:

* A live activity store per (account, region) resolves the ARNs of
  activities created through moto's ordinary CreateActivity.
* ``GetActivityTask`` long-polls that store. Handing out a task signals the
  waiting state (ActivityStarted is logged, the start wait ends).
* Each task token belongs to one attempt of one Task state. Once that
  attempt has ended (outcome received, HeartbeatSeconds or TimeoutSeconds
  exceeded, execution stopped), SendTaskSuccess/Failure/Heartbeat with the
  token answer ``TaskTimedOut``, even while a Retry runs the same state
  again under a new token.

Wiring: the state factory builds ``LiveStateTaskActivity`` instead of moto's
``StateTaskActivity``. For the duration of one attempt it gives the state a
callback pool bound to the attempt's frame, so the endpoint it creates knows
when its attempt is over (the frame stops running). The endpoints are stored
in the execution's shared pool, so moto's own SendTask* code finds them, and
in the store's token registry, so a token still answers TaskTimedOut after
its execution has ended (moto would only search RUNNING executions).

Why not swap the store in moto's ``Execution`` instead: the attempt's frame,
which decides when a token dies, is only visible inside the state, so the
state is the one place that knows both the (account, region) and the frame.

Also fixed on the way: moto's start wait raised AttributeError instead of
States.Timeout when nobody took the task, SendTaskFailure dropped ``cause``,
and moto's TaskTimedOut carried no error code.
"""

from __future__ import annotations

import copy
import inspect
import select
import socket
import threading
import time
import weakref
from typing import Any, Callable

from moto.core.responses import ActionResult, EmptyResult
from moto.stepfunctions import responses as sfn_responses
from moto.stepfunctions.parser.api import ActivityDoesNotExist, TaskTimedOut
from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
    state_task_factory,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_activitiy import (
    StateTaskActivity,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    ActivityCallbackEndpoint,
    ActivityTaskStartEndpoint,
    ActivityTaskStartOutcome,
    CallbackOutcome,
    CallbackPoolManager,
    CallbackTimeoutError,
    HeartbeatEndpoint,
    HeartbeatTimeoutError,
)
from moto.stepfunctions.parser.api import HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import EvalTimeoutError
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.utils import TMP_THREADS
from moto.stepfunctions.parser.backend.activity import Activity, ActivityTask

from embedded_aws.backend_state import backend_state
from embedded_aws.stepfunctions import error_names

DEFAULT_POLL_SECONDS = 60.0  # GetActivityTask's long-poll on AWS
# How often a waiting long poll looks whether its client is still there.
CLIENT_CHECK_SECONDS = 0.2


class ActivitySettings:
    """Process-wide knobs (moto's backends are process-wide too)."""

    poll_seconds: float = DEFAULT_POLL_SECONDS


# --- token lifetime ---------------------------------------------------------


def _token_expired() -> TaskTimedOut:
    # Raised straight through moto's backend as the API error: moto's own
    # CallbackNotifyConsumerError handling is broken in 5.2.5 (it type-checks
    # the exception instead of its consumer error and then fails to build
    # TaskDoesNotExist), so the endpoint never reports a consumer error.
    return TaskTimedOut(
        "Task Timed Out: 'Provided task does not exist anymore'",
        exception_type="TaskTimedOut",  # moto's class leaves the error code empty
    )


class LiveActivityCallbackEndpoint(ActivityCallbackEndpoint):
    """The callback endpoint of one activity task token.

    It is live while the Task state attempt that issued it (``frame``) is
    running and has neither received an outcome nor timed out. All
    transitions happen under ``_lock`` so a late SendTaskSuccess cannot slip
    in between "timed out" and "retry".
    """

    def __init__(self, callback_id: str, activity_input: str, frame: Environment):
        super().__init__(callback_id=callback_id, activity_input=activity_input)
        self._lock = threading.RLock()
        self._frame = frame
        self._expired = False
        #: monotonic time by which the outcome must arrive: set when a worker
        #: takes the task (TimeoutSeconds counts from ActivityStarted).
        self.deadline: float | None = None
        self._activity_task_start_endpoint = _StartEndpoint(self)  # type: ignore[misc]

    def accepts_calls(self) -> bool:
        """True while SendTaskSuccess/Failure/Heartbeat with this token can still count."""
        return not self._expired and self._outcome is None and self._frame.is_running()

    def _expire(self) -> None:
        self._expired = True

    def try_start(self, worker_name: str | None) -> bool:
        """Hand the task to a worker, unless its attempt is already over."""
        with self._lock:
            if not self.accepts_calls():
                return False
            self.notify_activity_task_start(worker_name)
            return True

    def notify(self, outcome: CallbackOutcome) -> None:
        with self._lock:
            if not self.accepts_calls():
                raise _token_expired()
            super().notify(outcome)

    def notify_heartbeat(self) -> bool:
        # AWS accepts heartbeats for any live task, with or without HeartbeatSeconds.
        with self._lock:
            if not self.accepts_calls():
                raise _token_expired()
            super().notify_heartbeat()
            return True

    def setup_heartbeat_endpoint(self, heartbeat_seconds: int) -> HeartbeatEndpoint:
        with self._lock:
            self._heartbeat_endpoint = _HeartbeatEndpoint(self, heartbeat_seconds)
            if self._outcome is not None:
                # A fast worker answered before the state reached its heartbeat
                # loop; without this the loop would first sit out a full interval.
                self._heartbeat_endpoint.notify()
            return self._heartbeat_endpoint

    def wait(self, timeout: float | None = None) -> CallbackOutcome | None:
        super().wait(timeout=timeout)
        with self._lock:
            if self._outcome is None:
                self._expire()
            return self._outcome


class _StartEndpoint(ActivityTaskStartEndpoint):
    """Start wait with no time limit: TimeoutSeconds only counts once a worker
    takes the task (an unpolled task waits for the execution's own timeout).
    It ends when a worker takes the task or the attempt's frame stops running
    (execution stopped, failed or timed out), which expires the token."""

    def __init__(self, owner: LiveActivityCallbackEndpoint):
        super().__init__()
        self._outcome = None  # moto leaves it unset: a start timeout raised AttributeError
        self._owner = owner

    def wait(self, timeout_seconds: float) -> ActivityTaskStartOutcome | None:
        while not self._next_activity_task_start_event.wait(CLIENT_CHECK_SECONDS):
            if not self._owner._frame.is_running():
                break
        with self._owner._lock:
            if self._outcome is None:
                self._owner._expire()
            else:
                self._owner.deadline = time.monotonic() + timeout_seconds
            return self._outcome


class _HeartbeatEndpoint(HeartbeatEndpoint):
    """Heartbeat wait that expires the token when the heartbeat is missed."""

    def __init__(self, owner: LiveActivityCallbackEndpoint, heartbeat_seconds: int):
        super().__init__(heartbeat_seconds=heartbeat_seconds)
        self._owner = owner

    def clear_and_wait(self) -> bool:
        """Wait one heartbeat interval, but not past the task's TimeoutSeconds
        (then the attempt times out with States.Timeout, not a heartbeat error)."""
        with self._mutex:
            if self._next_heartbeat_event.is_set():
                self._next_heartbeat_event.clear()
                return True
        deadline = self._owner.deadline
        remaining = None if deadline is None else deadline - time.monotonic()
        interval = self._heartbeat_seconds if remaining is None else max(0.0, min(self._heartbeat_seconds, remaining))
        received = self._next_heartbeat_event.wait(timeout=interval)
        with self._owner._lock:
            if received or self._owner._outcome is not None:
                return True
            self._owner._expire()
            if remaining is not None and remaining <= self._heartbeat_seconds:
                raise CallbackTimeoutError()
            return False


# --- the live activity store -----------------------------------------------


class LiveActivityTask(ActivityTask):
    """A queued task that remembers the endpoint of its token."""

    def __init__(self, task_token: str, task_input: str, endpoint: LiveActivityCallbackEndpoint):
        super().__init__(task_token=task_token, task_input=task_input)
        self.endpoint = endpoint


class LiveActivity(Activity):
    """A parser Activity whose queue wakes long-polling workers."""

    def __init__(self, arn: str, name: str, creation_date: Any = None):
        super().__init__(arn=arn, name=name, creation_date=creation_date)
        self._ready = threading.Condition()
        self._closed = False
        _ALL_ACTIVITIES.add(self)

    def add_task(self, task: ActivityTask) -> None:
        with self._ready:
            super().add_task(task)
            self._ready.notify()

    def get_task(self) -> ActivityTask | None:
        with self._ready:
            return self._tasks.popleft() if self._tasks else None

    def poll(self, timeout: float, worker_name: str | None, client_alive: Callable[[], bool] = lambda: True) -> LiveActivityTask | None:
        """Wait up to ``timeout`` seconds for a task whose attempt is still live.

        Tasks whose state attempt ended while queued (timed out, execution
        stopped) are dropped, as AWS never delivers them. A poll whose client
        has gone (a killed worker's open connection) gives up and takes no
        task, so the task waits for a live poller instead of being lost.
        """
        deadline = time.monotonic() + timeout
        with self._ready:
            while True:
                if not client_alive():
                    return None
                while self._tasks:
                    task = self._tasks.popleft()
                    if isinstance(task, LiveActivityTask) and task.endpoint.try_start(worker_name):
                        return task
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return None
                self._ready.wait(min(remaining, CLIENT_CHECK_SECONDS))

    def close(self) -> None:
        """Release every waiting poller with no task (server stop or reset)."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()


_ALL_ACTIVITIES: "weakref.WeakSet[LiveActivity]" = weakref.WeakSet()


def close_all_pollers() -> None:
    """End every in-flight GetActivityTask long poll now."""
    for activity in list(_ALL_ACTIVITIES):
        activity.close()


class LiveActivityStore:
    """Live activities of one (account, region), keyed by ARN.

    Resolves against moto's own ``activities`` registry each time, so an
    activity exists exactly while CreateActivity/DeleteActivity say so.
    """

    def __init__(self, sfn_backend: Any):
        self._backend = sfn_backend
        self._lock = threading.Lock()
        self._live: dict[str, tuple[object, LiveActivity]] = {}
        #: Every activity token issued here, so a token whose attempt is over
        #: answers TaskTimedOut even after its execution has ended.
        self._tokens: dict[str, LiveActivityCallbackEndpoint] = {}

    def register(self, endpoint: LiveActivityCallbackEndpoint) -> None:
        with self._lock:
            self._tokens[endpoint.callback_id] = endpoint

    def endpoint(self, task_token: str) -> LiveActivityCallbackEndpoint | None:
        with self._lock:
            return self._tokens.get(task_token)

    def resolve(self, arn: str) -> LiveActivity | None:
        with self._lock:
            declared = self._backend.activities.get(arn)
            current = self._live.get(arn)
            if declared is None:
                if current is not None:
                    del self._live[arn]
                    current[1].close()
                return None
            if current is None or current[0] is not declared:
                if current is not None:  # deleted and created again
                    current[1].close()
                live = LiveActivity(arn, declared.name, declared.creation_date)
                current = (declared, live)
                self._live[arn] = current
            return current[1]


def activity_store_for(account_id: str, region: str) -> LiveActivityStore:
    backend = sfn_responses.get_backend(account_id, region)
    return backend_state(backend, "activities", lambda: LiveActivityStore(backend))


# --- wiring into the interpreter -------------------------------------------


class _AttemptPool(CallbackPoolManager):
    """The execution's callback pool, seen from one Task state attempt.

    Shares the execution's endpoint dict; only ``add_activity_task``
    differs: it resolves the live store and binds the endpoint to the frame.
    """

    def __init__(self, shared: CallbackPoolManager, frame: Environment, store: LiveActivityStore):
        super().__init__(activity_store={})
        self._pool = shared._pool  # type: ignore[misc]
        self._frame = frame
        self._store = store

    def add_activity_task(
        self, callback_id: str, activity_arn: str, activity_input: str
    ) -> ActivityCallbackEndpoint:
        if callback_id in self._pool:
            raise ValueError("Duplicate callback token id value.")
        activity = self._store.resolve(activity_arn)
        if activity is None:
            raise ActivityDoesNotExist()
        endpoint = LiveActivityCallbackEndpoint(callback_id, activity_input, self._frame)
        self._pool[callback_id] = endpoint
        self._store.register(endpoint)
        activity.add_task(LiveActivityTask(callback_id, activity_input, endpoint))
        return endpoint


class LiveStateTaskActivity(StateTaskActivity):
    """An activity Task state that publishes to the live activity store."""

    def _eval_parameters(self, env: Environment) -> Any:
        # A task's input is the JSON text of the state's effective input, also
        # when that input is a JSON string: AWS delivers "abc" quoted, moto
        # would hand the bare characters to the worker.
        value = super()._eval_parameters(env)
        return to_json_str(value) if isinstance(value, str) else value

    def _from_error(self, env: Environment, ex: Exception) -> FailureEvent:
        if isinstance(ex, HeartbeatTimeoutError):  # AWS: a distinct, catchable name
            return error_names.heartbeat_timed_out(env, HistoryEventType.ActivityTimedOut, "activityTimedOutEventDetails")
        return super()._from_error(env, ex)

    def _evaluate_with_timeout(self, env: Environment) -> None:
        """moto's ExecuteState._evaluate_with_timeout without its clock.

        moto counts TimeoutSeconds from scheduling; for an activity AWS counts
        it from the moment a worker takes the task, which the attempt's own
        waits enforce (see _StartEndpoint and _HeartbeatEndpoint). Here the
        state only waits for the attempt, or for the execution to end.
        """
        frame: Environment = env.open_frame()
        frame.states.reset(input_value=env.states.get_input())
        frame.stack = copy.deepcopy(env.stack)
        outputs: list[Any] = []
        errors: list[Exception] = []
        done = threading.Event()

        def attempt() -> None:
            try:
                self._eval_execution(frame)
                outputs.extend(frame.stack)
            except Exception as ex:  # handed to the state's Retry/Catch below
                errors.append(ex)
            done.set()

        thread = threading.Thread(target=attempt, daemon=True)
        TMP_THREADS.append(thread)
        thread.start()
        while not done.wait(CLIENT_CHECK_SECONDS) and env.is_running():
            pass
        frame.set_ended()
        env.close_frame(frame)
        if not env.is_running() and (errors or not done.is_set()):
            # A branch cancelled by its Parallel's failure, or a stopped
            # execution: AWS records the task as aborted, not timed out.
            env.event_manager.add_event(context=env.event_history_context, event_type=HistoryEventType.TaskStateAborted)
            return
        if errors:
            raise errors[0]
        if not done.is_set():
            raise EvalTimeoutError()
        env.stack.append(outputs.pop())
        if not self._is_language_query_jsonpath():
            env.states.set_result(env.stack[-1])
        if self.assign_decl:
            self.assign_decl.eval(env=env)
        if self.result_selector:
            self.result_selector.eval(env=env)
        if self.result_path:
            self.result_path.eval(env)
        else:
            env.states.reset(input_value=env.stack.pop())

    def _eval_execution(self, env: Environment) -> None:
        details = env.aws_execution_details
        shared = env.callback_pool_manager
        store = activity_store_for(details.account, details.region)
        env.callback_pool_manager = _AttemptPool(shared, env, store)
        try:
            super()._eval_execution(env)
        finally:
            env.callback_pool_manager = shared


# --- API actions ---------------------------------------------------------------


def get_activity_task(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    """GetActivityTask: long-poll for a task of an existing activity."""
    arn = self._get_param("activityArn")
    worker_name = self._get_param("workerName")
    self.stepfunction_backend.describe_activity(arn)  # validates; ActivityDoesNotExist
    activity = activity_store_for(self.current_account, self.region).resolve(arn)
    alive = _client_watch(getattr(getattr(self, "normalized_request", None), "environ", {}).get("werkzeug.socket"))
    task = activity.poll(ActivitySettings.poll_seconds, worker_name, alive) if activity else None
    if task is None:
        return ActionResult({})
    return ActionResult({"taskToken": task.task_token, "input": task.task_input})


def _client_watch(connection: socket.socket | None) -> Callable[[], bool]:
    """Whether the client of this request is still connected: a closed peer
    makes its socket readable with nothing to read."""
    if connection is None:
        return lambda: True

    def alive() -> bool:
        try:
            readable, _, _ = select.select([connection], [], [], 0)
            return not readable or connection.recv(1, socket.MSG_PEEK) != b""
        except (OSError, ValueError):
            return False

    return alive


def _refuse_ended_token(response: sfn_responses.StepFunctionResponse) -> None:
    """TaskTimedOut for an activity token whose attempt is over.

    moto only searches RUNNING executions and would answer InvalidToken once
    the execution has ended; AWS answers TaskTimedOut for any token it issued
    that can no longer count. Unknown tokens (and .waitForTaskToken tokens,
    which are not ours) fall through to moto.
    """
    token = response._get_param("taskToken")
    store = activity_store_for(response.current_account, response.region)
    endpoint = store.endpoint(token) if token else None
    if endpoint is not None and not endpoint.accepts_calls():
        raise _token_expired()


def send_task_success(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    _refuse_ended_token(self)
    self.stepfunction_backend.send_task_success(self._get_param("taskToken"), self._get_param("output"))
    return EmptyResult()


def send_task_heartbeat(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    _refuse_ended_token(self)
    self.stepfunction_backend.send_task_heartbeat(self._get_param("taskToken"))
    return EmptyResult()


def send_task_failure(self: sfn_responses.StepFunctionResponse) -> ActionResult:
    """SendTaskFailure that also forwards ``cause`` (moto drops it)."""
    _refuse_ended_token(self)
    backend = self.stepfunction_backend
    kwargs = {"error": self._get_param("error")}
    if _accepts_cause(backend):
        kwargs["cause"] = self._get_param("cause")
    backend.send_task_failure(self._get_param("taskToken"), **kwargs)
    return EmptyResult()


def _accepts_cause(backend: Any) -> bool:
    return "cause" in inspect.signature(backend.send_task_failure).parameters


_INSTALLED = False


def install() -> None:
    """Patch moto's SFN interpreter and API with live activities (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    state_task_factory.StateTaskActivity = LiveStateTaskActivity  # type: ignore[misc]
    response_cls = sfn_responses.StepFunctionResponse
    response_cls.get_activity_task = get_activity_task  # type: ignore[attr-defined]
    response_cls.send_task_success = send_task_success  # type: ignore[method-assign]
    response_cls.send_task_heartbeat = send_task_heartbeat  # type: ignore[method-assign]
    response_cls.send_task_failure = send_task_failure  # type: ignore[method-assign]
    _INSTALLED = True
