"""Loading and checking a pipeline file: the published JSON Schema first,
then what a schema cannot say (references, cycles, files, templates). Every
problem names the file, the line and the field."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema

from .model import (AthenaQuery, CatchUp, Gate, GlueJob, Input, InputSchema, Notify, Pipeline, Refresh, Retry, Schedule, Step, Table, Trigger,
                    camel_case, lower_camel_case, title_case)
from .source import FieldPath, PipelineFileError, SourceFile, read_source
from .templates import RUN_VARIABLES, unknown_variables, variables

SCHEMA_PATH = Path(__file__).with_name("pipeline.schema.json")
MAX_STATE_NAME = 80


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def load_pipeline(path: Path, root: Path | None = None) -> Pipeline:
    """Read, validate and build one pipeline; raise ``PipelineFileError`` listing every problem.

    ``root`` is the project root that script and SQL paths are relative to
    (default: the parent of the folder holding the file)."""
    path = Path(path)
    root = Path(root) if root is not None else path.resolve().parent.parent
    source = read_source(path)
    problems = _schema_problems(source)
    if problems:
        raise PipelineFileError(problems)
    return _Builder(source, root).build()


def _schema_problems(source: SourceFile) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    problems: list[tuple[int, str]] = []
    for error in validator.iter_errors(source.data):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            # Point at the first unknown key itself.
            extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
            path = path + (extra[0],) if extra else path
        problems.append((source.line_of(path), source.problem(path, _message(error))))
    return [text for _, text in sorted(problems)]


def _message(error: jsonschema.ValidationError) -> str:
    """The schema's verdict in words a data engineer can act on."""
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        return f"unknown field(s) {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}"
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        options = [sorted(option.get("required", [])) for option in error.schema["oneOf"]]
        names = ", ".join("/".join(o) for o in options)
        return f"needs exactly one of: {names}"
    if error.validator == "anyOf" and isinstance(error.instance, dict):
        options = [option.get("required", []) for option in error.schema["anyOf"]]
        return "needs at least one of: " + ", ".join(n for o in options for n in o)
    if error.validator == "pattern":
        return f"{error.instance!r} does not match {error.schema['pattern']!r}"
    if error.validator == "propertyNames":
        return f"{error.instance!r}: {error.message}"
    return error.message


class _Builder:
    """Turns validated data into the model, collecting semantic problems."""

    def __init__(self, source: SourceFile, root: Path) -> None:
        self.source = source
        self.root = root
        self.data: dict[str, Any] = source.data
        self.problems: list[str] = []

    def problem(self, path: FieldPath, message: str) -> None:
        self.problems.append(self.source.problem(path, message))

    def build(self) -> Pipeline:
        data = self.data
        name = data["pipeline"]
        inputs = {key: self._input(key, value) for key, value in (data.get("inputs") or {}).items()}
        tables = {key: self._table(key, value) for key, value in (data.get("tables") or {}).items()}
        defaults = data.get("defaults") or {}
        steps = {key: self._step(key, value, defaults) for key, value in data["steps"].items()}
        pipeline = Pipeline(
            name=name,
            database=data.get("database") or name.replace("-", "_"),
            steps=steps,
            inputs=inputs,
            tables=tables,
            description=" ".join(str(data.get("description", "")).split()),
            schedule=self._schedule(data.get("schedule")),
            trigger=self._trigger(data.get("trigger")),
            notify=self._notify(data.get("notify")),
            source=self.source.path,
            root=self.root,
        )
        self._check_graph(pipeline)
        self._check_references(pipeline)
        if self.problems:
            raise PipelineFileError(self.problems)
        return pipeline

    # -- parts -----------------------------------------------------------------
    def _input(self, key: str, value: dict[str, Any]) -> Input:
        for field in ("pattern", "done_marker"):
            if field in value:
                self._check_template(("inputs", key, field), value[field])
        schema = None
        if "schema" in value:
            spec = value["schema"]
            schema = InputSchema(spec["table"], spec.get("on_new_columns", "fail"), tuple(spec.get("evolve", ())))
        return Input(key, value["pattern"], value.get("bucket", "${data_bucket}"), value.get("min_objects", 1),
                     value.get("done_marker"), value.get("timeout_hours", 36), schema)

    def _table(self, key: str, value: dict[str, Any]) -> Table:
        self._check_template(("tables", key, "location"), value["location"], run_time_allowed=False)
        columns = tuple(value["columns"].items())
        partitions = tuple((value.get("partitioned_by") or {}).items())
        clash = {c.lower() for c, _ in columns} & {p.lower() for p, _ in partitions}
        if clash:
            self.problem(("tables", key, "partitioned_by"), f"partition column(s) {', '.join(sorted(clash))} also listed in columns")
        fmt = value.get("format", "parquet")
        if ("delimiter" in value or value.get("header")) and fmt not in ("csv", "text"):
            self.problem(("tables", key, "format"), f"delimiter and header apply to csv and text tables, not {fmt}")
        return Table(key, value["location"], columns, fmt, partitions, value.get("delimiter"), bool(value.get("header", False)),
                     value.get("description"))

    def _step(self, key: str, value: dict[str, Any], defaults: dict[str, Any]) -> Step:
        path: FieldPath = ("steps", key)
        glue = athena = None
        if "glue" in value:
            glue = self._glue(path + ("glue",), key, value["glue"])
        else:
            athena = self._athena(path + ("athena",), value["athena"])
        retry_data = {**(defaults.get("retry") or {}), **(value.get("retry") or {})}
        timeout = value.get("timeout_minutes", defaults.get("timeout_minutes", 120 if glue else 30))
        gate = None
        if "wait_until_idle" in value:
            g = value["wait_until_idle"]
            gate = Gate(tuple(g.get("glue_jobs", ())), tuple(g.get("pipelines", ())), g.get("max_wait_minutes", 60))
        title = value.get("title") or title_case(key)
        if glue is not None and glue.timeout_minutes >= timeout:
            self.problem(path + ("glue", "timeout_minutes"),
                         f"the job's timeout ({glue.timeout_minutes} min) must be below the step's ({timeout} min), so Glue stops the run before Step Functions gives up on it")
        for field in ("reads", "writes"):
            for index, prefix in enumerate(value.get(field, ())):
                self._check_template(path + (field, index), prefix, run_time_allowed=False)
        return Step(
            id=key, title=title, after=tuple(value.get("after", ())), glue=glue, athena=athena,
            reads=tuple(value.get("reads", ())), writes=tuple(value.get("writes", ())),
            refresh=tuple(Refresh(r["table"], r.get("action", "partitions"), r.get("when", "after")) for r in value.get("refresh", ())),
            gate=gate, result=value.get("result") or lower_camel_case(key), retry=Retry(**retry_data),
            timeout_minutes=timeout, heartbeat_seconds=value.get("heartbeat_seconds", defaults.get("heartbeat_seconds", 300)),
        )

    def _glue(self, path: FieldPath, key: str, value: dict[str, Any]) -> GlueJob:
        self._check_file(path + ("script",), value["script"])
        for group in ("arguments", "job_parameters"):
            for arg, text in (value.get(group) or {}).items():
                self._check_template(path + (group, arg), text, run_time_allowed=group == "arguments")
        return GlueJob(
            script=value["script"], job_name=value.get("job_name") or camel_case(key), description=value.get("description"),
            arguments=tuple((value.get("arguments") or {}).items()), job_parameters=tuple((value.get("job_parameters") or {}).items()),
            glue_version=value.get("glue_version", "5.0"), worker_type=value.get("worker_type", "G.1X"),
            workers=value.get("workers", 2), timeout_minutes=value.get("timeout_minutes", 60),
            max_concurrent_runs=value.get("max_concurrent_runs", 1),
        )

    def _athena(self, path: FieldPath, value: dict[str, Any]) -> AthenaQuery | None:
        sql = self._check_file(path + ("sql",), value["sql"])
        text = sql.read_text(encoding="utf-8") if sql else ""
        run_time = variables(text) & set(RUN_VARIABLES)
        if run_time:
            self.problem(path + ("sql",), f"{value['sql']} uses ${{{sorted(run_time)[0]}}} in the SQL text; write ? and pass it in 'parameters' (run-time values are never formatted into SQL)")
        elif unknown_variables(text):
            self.problem(path + ("sql",), f"{value['sql']} uses unknown variable(s) {', '.join(sorted(unknown_variables(text)))}")
        for index, parameter in enumerate(value.get("parameters", ())):
            self._check_template(path + ("parameters", index), parameter)
        return AthenaQuery(value["sql"], _statement(text), tuple(value.get("parameters", ())), value.get("work_group"))

    def _schedule(self, value: dict[str, Any] | None) -> Schedule | None:
        if value is None:
            return None
        zone = value.get("timezone", "UTC")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(("schedule", "timezone"), f"{zone!r} is not an IANA time zone (e.g. UTC, Europe/Berlin)")
        cron = value.get("cron")
        if cron:
            fields = cron.split()
            if fields[2] != "?" and fields[4] != "?":
                self.problem(("schedule", "cron"), "one of day-of-month (3rd field) and day-of-week (5th field) must be '?'")
            else:
                from runners.operate.periods import ScheduleError, parse_cron

                try:
                    parse_cron(cron)
                except ScheduleError as exc:
                    self.problem(("schedule", "cron"), str(exc))
        catch_up = None
        if "catch_up" in value:
            c = value["catch_up"]
            catch_up = CatchUp(c["horizon_days"], c.get("max_concurrent", 1))
            if not cron:
                self.problem(("schedule", "catch_up"), f"catch_up needs a cron schedule: the periods of rate({value.get('rate')}) "
                                                       "depend on when the schedule was created (write it as a cron, e.g. '0 6 ? * MON *')")
        return Schedule(cron, value.get("rate"), zone, value.get("enabled", True), catch_up)

    def _trigger(self, value: dict[str, Any] | None) -> Trigger | None:
        if value is None:
            return None
        if "on_arrival" in value:
            arrival = value["on_arrival"]
            self._check_template(("trigger", "on_arrival", "key"), arrival["key"])
            if arrival["key"].count("${run_date}") != 1:
                self.problem(("trigger", "on_arrival", "key"), "must hold ${run_date} exactly once (the date of the execution it starts)")
            return Trigger(on_arrival_key=arrival["key"], on_arrival_bucket=arrival.get("bucket", "${data_bucket}"))
        upstream = value["after_pipeline"]
        if upstream == self.data["pipeline"]:
            self.problem(("trigger", "after_pipeline"), "a pipeline cannot be triggered by its own success")
        return Trigger(after_pipeline=upstream)

    def _notify(self, value: dict[str, Any] | None) -> Notify:
        if value is None:
            return Notify()
        return Notify(tuple(value.get("email", ())), tuple(value.get("on", Notify().on)))

    # -- checks ----------------------------------------------------------------
    def _check_template(self, path: FieldPath, text: str, run_time_allowed: bool = True) -> None:
        unknown = unknown_variables(text, run_time_allowed)
        if unknown:
            hint = "" if run_time_allowed or not (unknown & set(RUN_VARIABLES)) else " (a run-time value is not allowed here)"
            self.problem(path, f"unknown variable(s) {', '.join('${' + v + '}' for v in sorted(unknown))}{hint}")

    def _check_file(self, path: FieldPath, relative: str) -> Path | None:
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root.resolve()):
            self.problem(path, f"{relative} is outside the project root")
            return None
        if not target.is_file():
            self.problem(path, f"{relative} does not exist (paths are relative to the project root {self.root.name}/)")
            return None
        return target

    def _check_graph(self, pipeline: Pipeline) -> None:
        clash = set(pipeline.inputs) & set(pipeline.steps)
        for name in sorted(clash):
            self.problem(("steps", name), f"{name!r} names both an input and a step")
        known = set(pipeline.inputs) | set(pipeline.steps)
        for step in pipeline.steps.values():
            for index, dependency in enumerate(step.after):
                if dependency == step.id:
                    self.problem(("steps", step.id, "after", index), "a step cannot come after itself")
                elif dependency not in known:
                    self.problem(("steps", step.id, "after", index), f"{dependency!r} is neither an input nor a step of this pipeline")
        cycle = _find_cycle({s.id: [d for d in s.after if d in pipeline.steps] for s in pipeline.steps.values()})
        if cycle:
            self.problem(("steps", cycle[0], "after"), "steps depend on each other in a cycle: " + " -> ".join(cycle))
        titles: dict[str, str] = {}
        for thing, title in [*((i.id, i.title) for i in pipeline.inputs.values()), *((s.id, s.title) for s in pipeline.steps.values())]:
            if len(title) > MAX_STATE_NAME:
                self.problem(("steps", thing), f"its state name {title!r} is longer than {MAX_STATE_NAME} characters; set a shorter 'title'")
            if title in titles:
                self.problem(("steps", thing), f"its state name {title!r} is also {titles[title]!r}'s; set a 'title'")
            titles[title] = thing
        used_inputs = {d for s in pipeline.steps.values() for d in s.after}
        for input_id in pipeline.inputs:
            if input_id not in used_inputs:
                self.problem(("inputs", input_id), "no step waits for this input (add it to a step's 'after')")

    def _check_references(self, pipeline: Pipeline) -> None:
        for item in pipeline.inputs.values():
            if item.schema is not None:
                self._check_input_schema(pipeline, item)
        jobs: dict[str, str] = {}
        for step in pipeline.steps.values():
            for index, refresh in enumerate(step.refresh):
                if refresh.table not in pipeline.tables:
                    self.problem(("steps", step.id, "refresh", index, "table"), f"{refresh.table!r} is not in this pipeline's tables")
                elif refresh.action == "partitions" and not pipeline.tables[refresh.table].partitioned_by:
                    self.problem(("steps", step.id, "refresh", index, "action"), f"{refresh.table!r} has no partitions to load; use 'recreate' or add partitioned_by")
            if step.glue is not None:
                if step.glue.job_name in jobs:
                    self.problem(("steps", step.id, "glue", "job_name"), f"job name {step.glue.job_name!r} is also step {jobs[step.glue.job_name]!r}'s")
                jobs[step.glue.job_name] = step.id
            elif step.reads or step.writes:
                self.problem(("steps", step.id, "reads" if step.reads else "writes"), "reads/writes apply to Glue steps (an Athena step's access follows its tables)")


    def _check_input_schema(self, pipeline: Pipeline, item: Input) -> None:
        assert item.schema is not None
        path: FieldPath = ("inputs", item.id, "schema")
        table = pipeline.tables.get(item.schema.table)
        if table is None:
            self.problem(path + ("table",), f"{item.schema.table!r} is not in this pipeline's tables")
            return
        if table.format not in SCHEMA_FORMATS:
            self.problem(path + ("table",), f"{table.name!r} is {table.format}; input schemas are checked for {', '.join(SCHEMA_FORMATS)} tables")
        elif table.format == "csv" and not table.header:
            self.problem(path + ("table",), f"{table.name!r} is csv without header: true; the check compares the files' header line with its columns")
        for index, name in enumerate(item.schema.evolve):
            if name not in pipeline.tables:
                self.problem(path + ("evolve", index), f"{name!r} is not in this pipeline's tables")
            elif name == table.name:
                self.problem(path + ("evolve", index), f"{name!r} is the input's own table (it always evolves)")
        if item.schema.evolve and item.schema.on_new_columns != "evolve":
            self.problem(path + ("evolve",), "applies with on_new_columns: evolve")


SCHEMA_FORMATS = ("csv", "json", "parquet")


def _statement(text: str) -> str:
    """The file's statement without its leading comment lines (the file's
    documentation) and trailing semicolon: what the task sends to Athena."""
    lines = text.strip().splitlines()
    while lines and (lines[0].lstrip().startswith("--") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines).strip().rstrip(";").strip()


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle as a list of ids (first repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None
