"""Pipeline -> state machine (ASL JSON with ``${Placeholder}``s).

Every step is an activity task our workers run; inputs are wait-for-data
tasks; tables are created (IF NOT EXISTS) from configuration before the first
query; independent branches become Parallel states. A step's error is not
caught: it ends the execution FAILED with the step's own error and cause, so
RedriveExecution resumes at that step (a Catch to a Fail state would make the
Fail state the failed step, and a redrive fail again). Who hears about it:
the pipeline's status rule (FAILED, TIMED_OUT, ABORTED, SUCCEEDED as the file
says) hands the status change to the notifier, which also sees timeouts and
aborts a Catch never does. The same text is filled by the local deployer and
by CloudFormation's DefinitionSubstitutions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import tables as ddl
from .dag import Block, Fork, Sequence, plan
from .model import Pipeline, Step, camel_case, lower_camel_case
from .templates import TEMPLATE, asl_field, deploy_time

SUCCEEDED_STATE = "Pipeline Succeeded"
ATHENA_TIMEOUT_SECONDS = 1800  # DDL the pipeline generates
CHECK_STATE = "Check Run Date"
INVALID_STATE = "Invalid Run Date"
# Pure arithmetic (no date parsing whose leniency could differ): YYYY-MM-DD,
# month 1-12, day within the month, leap years as the Gregorian calendar has them.
VALID_RUN_DATE = (
    "{% ($d := $states.input.runDate; $type($d) = 'string' and $contains($d, /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/) ? "
    "($y := $number($substring($d, 0, 4)); $m := $number($substring($d, 5, 2)); $n := $number($substring($d, 8, 2)); "
    "$leap := ($y % 4 = 0 and $y % 100 != 0) or $y % 400 = 0; "
    "$m >= 1 and $m <= 12 and $n >= 1 and $n <= [31, $leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][$m - 1]) : false) %}"
)


@dataclass(frozen=True)
class RenderedStateMachine:
    text: str
    placeholders: frozenset[str]
    approximate: tuple[str, ...] = ()  # states that wait for more than they depend on

    @property
    def definition(self) -> dict[str, Any]:
        return json.loads(self.text)


def state_machine_placeholder(pipeline_name: str) -> str:
    """The placeholder of a pipeline's state machine ARN (dependency gates)."""
    return f"{camel_case(pipeline_name.replace('-', '_'))}StateMachineArn"


@dataclass
class _Node:
    name: str
    state: dict[str, Any]
    after: set[str] = field(default_factory=set)


class _Renderer:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.nodes: dict[str, _Node] = {}
        self.parallels = 0
        self.fork_names: dict[int, str] = {}

    # -- nodes -------------------------------------------------------------------
    def build_nodes(self) -> None:
        p = self.pipeline
        for item in p.inputs.values():
            self._add(f"input:{item.id}", item.title, self._wait_state(item))
        tables_ready = self._ddl_nodes()
        # A step's dependants wait for its last node (its refreshes after it).
        done: dict[str, str] = {i: f"input:{i}" for i in p.inputs}
        for step in _topological(p):
            done[step.id] = self._step_nodes(step, {done[d] for d in step.after}, tables_ready)

    def _add(self, key: str, name: str, state: dict[str, Any], after: set[str] | None = None) -> str:
        self.nodes[key] = _Node(name, state, set(after or ()))
        return key

    def _ddl_nodes(self) -> str | None:
        p = self.pipeline
        if not p.uses_athena:
            return None
        last = self._add("ddl:database", "Create Database", self._athena_state(ddl.create_database_sql(p)))
        for table in p.tables.values():
            last = self._add(f"ddl:{table.name}", f"Create Table {table.name}", self._athena_state(ddl.create_table_sql(p, table)), {last})
        return last

    def _step_nodes(self, step: Step, deps: set[str], tables_ready: str | None) -> str:
        needs_tables = {tables_ready} if tables_ready else set()
        previous = deps
        for index, refresh in enumerate(r for r in step.refresh if r.when == "before"):
            previous = {self._refresh(step, refresh, f"before{index}", previous | needs_tables)}
        last = self._add(f"step:{step.id}", step.title, self._task_state(step), previous | (needs_tables if step.athena else set()))
        for index, refresh in enumerate(r for r in step.refresh if r.when == "after"):
            last = self._refresh(step, refresh, f"after{index}", {last} | needs_tables)
        return last

    def _refresh(self, step: Step, refresh: Any, tag: str, after: set[str]) -> str:
        table = self.pipeline.tables[refresh.table]
        where = "Before" if refresh.when == "before" else "After"
        if refresh.action == "partitions":
            return self._add(f"refresh:{step.id}:{tag}", f"Load Partitions Of {table.name}",
                             self._athena_state(ddl.repair_partitions_sql(self.pipeline, table)), after)
        drop = self._add(f"refresh:{step.id}:{tag}:drop", f"Drop {table.name} {where} {step.title}",
                         self._athena_state(ddl.drop_table_sql(self.pipeline, table)), after)
        return self._add(f"refresh:{step.id}:{tag}:create", f"Recreate {table.name} {where} {step.title}",
                         self._athena_state(ddl.create_table_sql(self.pipeline, table)), {drop})

    # -- states ------------------------------------------------------------------
    def _wait_state(self, item: Any) -> dict[str, Any]:
        parameters: dict[str, Any] = dict([asl_field("Bucket", item.bucket), asl_field("Pattern", item.pattern)])
        if item.min_objects > 1:
            parameters["MinimumObjects"] = item.min_objects
        if item.done_marker:
            parameters.update([asl_field("DoneMarker", item.done_marker)])
        if item.schema is not None:
            parameters["Schema"] = self._schema(item)
        return {
            "Type": "Task",
            "Comment": f"Released when {_readable(item.pattern)} has landed in S3 (before, during or after this state starts).",
            "Resource": "${WaitForDataActivityArn}",
            "Parameters": parameters,
            "TimeoutSeconds": int(item.timeout_hours * 3600),
            "HeartbeatSeconds": 300,
            "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 5, "MaxAttempts": 2, "BackoffRate": 2.0}],
            "ResultPath": f"$.{lower_camel_case(item.id)}",
        }

    def _schema(self, item: Any) -> dict[str, Any]:
        """What the wait checks the released files against (runners.schema_drift):
        the table as configured (the catalog's columns win once it exists)."""
        table = self.pipeline.tables[item.schema.table]
        schema: dict[str, Any] = {
            "Database": "${AthenaDatabase}",
            "Table": table.name,
            "Format": table.format,
            "Columns": [[name, kind] for name, kind in table.columns],
            "OnNewColumns": item.schema.on_new_columns,
        }
        if table.format == "csv":
            schema["Delimiter"] = table.delimiter or ","
        if item.schema.evolve:
            schema["Evolve"] = list(item.schema.evolve)
        return schema

    def _task_state(self, step: Step) -> dict[str, Any]:
        if step.glue is not None:
            parameters: dict[str, Any] = {"GlueJobName": "${" + self.pipeline.job_placeholder(step) + "}"}
            if step.glue.arguments:
                parameters["Arguments"] = dict(asl_field(k, v) for k, v in step.glue.arguments)
            resource = "${GlueRunnerActivityArn}"
        else:
            assert step.athena is not None
            parameters = {
                "AthenaQueryString": deploy_time(step.athena.sql),
                "AthenaDatabase": "${AthenaDatabase}",
                "AthenaResultOutputLocation": "${AthenaResultsLocation}",
            }
            if step.athena.work_group:
                parameters["AthenaWorkGroup"] = step.athena.work_group
            if step.athena.parameters:
                parameters.update([_execution_parameters(step.athena.parameters)])
            resource = "${AthenaRunnerActivityArn}"
        if step.gate is not None:
            parameters["DependencyGate"] = self._gate(step)
        retry = step.retry
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": resource,
            "Parameters": parameters,
            "TimeoutSeconds": step.timeout_minutes * 60,
            "HeartbeatSeconds": step.heartbeat_seconds,
        }
        if step.glue is not None and step.glue.description:
            state["Comment"] = step.glue.description
        if retry.attempts:
            state["Retry"] = [
                {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 5, "MaxAttempts": retry.attempts, "BackoffRate": retry.backoff_rate},
                {"ErrorEquals": ["RunnerInternalError"], "IntervalSeconds": retry.interval_seconds, "MaxAttempts": retry.attempts, "BackoffRate": retry.backoff_rate},
            ]
        state["ResultPath"] = f"$.{step.result}"
        return state

    def _gate(self, step: Step) -> dict[str, Any]:
        assert step.gate is not None
        gate: dict[str, Any] = {}
        glue_steps = {s.id: s for s in self.pipeline.glue_steps}
        if step.gate.glue_jobs:
            gate["GlueJobs"] = ["${" + self.pipeline.job_placeholder(glue_steps[j]) + "}" if j in glue_steps else j for j in step.gate.glue_jobs]
        if step.gate.pipelines:
            gate["StateMachines"] = ["${" + state_machine_placeholder(name) + "}" for name in step.gate.pipelines]
            gate["ExcludeExecution.$"] = "$$.Execution.Id"
        gate["MaxWaitSeconds"] = step.gate.max_wait_minutes * 60
        return gate

    def _athena_state(self, sql: str) -> dict[str, Any]:
        return {
            "Type": "Task",
            "Resource": "${AthenaRunnerActivityArn}",
            "Parameters": {
                "AthenaQueryString": sql,
                "AthenaDatabase": "${AthenaDatabase}",
                "AthenaResultOutputLocation": "${AthenaResultsLocation}",
            },
            "TimeoutSeconds": ATHENA_TIMEOUT_SECONDS,
            "HeartbeatSeconds": 300,
            "Retry": [
                {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 5, "MaxAttempts": 2, "BackoffRate": 2.0},
                {"ErrorEquals": ["RunnerInternalError"], "IntervalSeconds": 10, "MaxAttempts": 2, "BackoffRate": 2.0},
            ],
            "ResultPath": None,
        }

    # -- layout ------------------------------------------------------------------
    def render(self) -> RenderedStateMachine:
        self.build_nodes()
        order = list(self.nodes)
        the_plan = plan(order, {k: n.after for k, n in self.nodes.items()})
        states: dict[str, Any] = {
            "Resolve Run Date": {
                "Type": "Choice",
                "Comment": "A run started by hand or by a trigger names its date; a schedule passes its scheduled time.",
                "Choices": [{"Variable": "$.runDate", "IsPresent": True, "Next": ""}],
                "Default": "Run Date From Schedule",
            },
            "Run Date From Schedule": {
                "Type": "Pass",
                "Parameters": {"runDate.$": "States.ArrayGetItem(States.StringSplit($.scheduledTime, 'T'), 0)"},
                "Next": "",
            },
        }
        self._name_forks(the_plan.block)
        first = self._first(the_plan.block)
        states["Resolve Run Date"]["Choices"][0]["Next"] = CHECK_STATE
        states["Run Date From Schedule"]["Next"] = CHECK_STATE
        states[CHECK_STATE] = {
            "Type": "Choice",
            "QueryLanguage": "JSONata",
            "Comment": "A run date that is not a calendar date YYYY-MM-DD fails the execution at once, instead of waiting for files that cannot arrive.",
            "Choices": [{"Condition": VALID_RUN_DATE, "Next": first}],
            "Default": INVALID_STATE,
        }
        states[INVALID_STATE] = {
            "Type": "Fail",
            "Error": "InvalidRunDate",
            "Cause": "runDate must be a calendar date YYYY-MM-DD (e.g. 2026-11-30)",
        }
        self._emit(the_plan.block, states, SUCCEEDED_STATE)
        states[SUCCEEDED_STATE] = {"Type": "Succeed"}
        p = self.pipeline
        comment = p.description or f"Pipeline {p.name}"
        definition = {
            "Comment": f"{comment} (rendered from {p.source.name if p.source else 'a pipeline file'} by etl-runner; edit that file, not this one). "
                       "Input: {\"runDate\": \"YYYY-MM-DD\"}, or {\"scheduledTime\": \"<ISO 8601 time>\"} from a schedule.",
            "TimeoutSeconds": self._execution_timeout(),
            "StartAt": "Resolve Run Date",
            "States": states,
        }
        text = json.dumps(definition, indent=2)
        names = [self.nodes[k].name for k in the_plan.approximate]
        return RenderedStateMachine(text, frozenset(TEMPLATE.findall(text)), tuple(names))

    def _execution_timeout(self) -> int:
        """Longest wait plus every step's timeout: a generous bound, so an
        execution whose inputs never arrive still ends (TIMED_OUT)."""
        waits = max((int(i.timeout_hours * 3600) for i in self.pipeline.inputs.values()), default=0)
        steps = sum(s.timeout_minutes * 60 for s in self.pipeline.steps.values())
        ddl_count = sum(1 for k in self.nodes if not k.startswith(("input:", "step:")))
        return waits + steps + ddl_count * ATHENA_TIMEOUT_SECONDS

    def _name_forks(self, block: Block) -> None:
        """Number the Parallel states in reading order before emitting."""
        if isinstance(block, Fork):
            self.parallels += 1
            self.fork_names[id(block)] = f"Parallel {self.parallels}"
        for child in block.parts if isinstance(block, Sequence) else block.branches if isinstance(block, Fork) else ():
            self._name_forks(child)

    def _first(self, block: Block) -> str:
        if isinstance(block, Sequence):
            return self._first(block.parts[0])
        if isinstance(block, Fork):
            return self.fork_names[id(block)]
        return self.nodes[block].name

    def _emit(self, block: Block, states: dict[str, Any], next_state: str | None) -> None:
        """Add ``block``'s states, in reading order, the last one going to ``next_state``."""
        if isinstance(block, Sequence):
            for index, part in enumerate(block.parts):
                following = self._first(block.parts[index + 1]) if index + 1 < len(block.parts) else next_state
                self._emit(part, states, following)
            return
        if isinstance(block, Fork):
            branches = []
            for branch in block.branches:
                branch_states: dict[str, Any] = {}
                self._emit(branch, branch_states, None)
                branches.append({"StartAt": self._first(branch), "States": branch_states})
            state: dict[str, Any] = {"Type": "Parallel", "Branches": branches, "ResultPath": None}
            self._place(self.fork_names[id(block)], state, states, next_state)
            return
        node = self.nodes[block]
        self._place(node.name, dict(node.state), states, next_state)

    def _place(self, name: str, state: dict[str, Any], states: dict[str, Any], next_state: str | None) -> str:
        if next_state is None:
            state["End"] = True
        else:
            state["Next"] = next_state
        states[name] = state
        return name


def _execution_parameters(parameters: tuple[str, ...]) -> tuple[str, Any]:
    fields = [asl_field("p", value) for value in parameters]
    if all(not key.endswith(".$") for key, _ in fields):
        return "ExecutionParameters", [value for _, value in fields]
    items = [value if key.endswith(".$") else "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'" for key, value in fields]
    return "ExecutionParameters.$", f"States.Array({', '.join(items)})"


def _readable(template: str) -> str:
    """A template for a comment: no placeholder a substitution would trip on."""
    return TEMPLATE.sub(lambda m: "<" + m.group(1).replace("_", " ") + ">", template)


def _topological(pipeline: Pipeline) -> list[Step]:
    """Steps in file order, each after the steps it depends on (the loader refused cycles)."""
    placed: list[Step] = []
    seen: set[str] = set()

    def place(step: Step) -> None:
        if step.id in seen:
            return
        seen.add(step.id)
        for dependency in step.after:
            if dependency in pipeline.steps:
                place(pipeline.steps[dependency])
        placed.append(step)

    for step in pipeline.steps.values():
        place(step)
    return placed


def render_state_machine(pipeline: Pipeline) -> RenderedStateMachine:
    return _Renderer(pipeline).render()
