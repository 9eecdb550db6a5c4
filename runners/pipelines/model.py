"""A pipeline as data: what a pipeline file says, after validation.

Everything AWS needs (the state machine, Glue jobs, tables' DDL, the stack and
its least-privilege roles) is rendered from these objects; nothing about a
particular pipeline lives in code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Retry:
    attempts: int = 2
    interval_seconds: int = 10
    backoff_rate: float = 2.0


@dataclass(frozen=True)
class InputSchema:
    """The columns an input's files must have: those of ``table`` (one of the
    pipeline's tables, as the catalog has it). New columns evolve ``table``
    and the ``evolve`` tables downstream, or fail the wait (``on_new_columns``);
    removed, renamed, reordered (CSV) or retyped columns always fail it."""

    table: str
    on_new_columns: str = "fail"  # or "evolve"
    evolve: tuple[str, ...] = ()


@dataclass(frozen=True)
class Input:
    """Data to wait for: becomes a wait-for-data state."""

    id: str
    pattern: str
    bucket: str = "${data_bucket}"
    min_objects: int = 1
    done_marker: str | None = None
    timeout_hours: float = 36
    schema: InputSchema | None = None

    @property
    def title(self) -> str:
        return f"Wait For {title_case(self.id)}"


@dataclass(frozen=True)
class Table:
    """An Athena table created from configuration."""

    name: str
    location: str
    columns: tuple[tuple[str, str], ...]
    format: str = "parquet"
    partitioned_by: tuple[tuple[str, str], ...] = ()
    delimiter: str | None = None
    header: bool = False
    description: str | None = None


@dataclass(frozen=True)
class GlueJob:
    script: str
    job_name: str
    description: str | None = None
    arguments: tuple[tuple[str, str], ...] = ()
    job_parameters: tuple[tuple[str, str], ...] = ()
    glue_version: str = "5.0"
    worker_type: str = "G.1X"
    workers: int = 2
    timeout_minutes: int = 60
    max_concurrent_runs: int = 1


@dataclass(frozen=True)
class AthenaQuery:
    sql_path: str
    sql: str
    parameters: tuple[str, ...] = ()
    work_group: str | None = None


@dataclass(frozen=True)
class Refresh:
    """DDL around a step: recreate a table from its configuration, or load its partitions."""

    table: str
    action: str = "partitions"  # or "recreate"
    when: str = "after"  # or "before"


@dataclass(frozen=True)
class Gate:
    """Start only when these are idle."""

    glue_jobs: tuple[str, ...] = ()
    pipelines: tuple[str, ...] = ()
    max_wait_minutes: int = 60


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    after: tuple[str, ...] = ()
    glue: GlueJob | None = None
    athena: AthenaQuery | None = None
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    refresh: tuple[Refresh, ...] = ()
    gate: Gate | None = None
    result: str = ""
    retry: Retry = Retry()
    timeout_minutes: int = 120
    heartbeat_seconds: int = 300

    @property
    def kind(self) -> str:
        return "glue" if self.glue is not None else "athena"


@dataclass(frozen=True)
class CatchUp:
    """A scheduled run first starts the periods missed since the last success."""

    horizon_days: int  # look back no further (e.g. the source's retention; at most 90)
    max_concurrent: int = 1  # executions of the pipeline running at once while catching up


@dataclass(frozen=True)
class Schedule:
    cron: str | None = None
    rate: str | None = None
    timezone: str = "UTC"
    enabled: bool = True
    catch_up: CatchUp | None = None

    @property
    def expression(self) -> str:
        """EventBridge Scheduler syntax."""
        return f"cron({self.cron})" if self.cron else f"rate({self.rate})"


@dataclass(frozen=True)
class Trigger:
    """Start on an object's arrival (``key`` holds ${run_date}) or after another pipeline."""

    on_arrival_key: str | None = None
    on_arrival_bucket: str = "${data_bucket}"
    after_pipeline: str | None = None


@dataclass(frozen=True)
class Notify:
    emails: tuple[str, ...] = ()
    on: tuple[str, ...] = ("FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class Pipeline:
    name: str
    database: str
    steps: dict[str, Step]
    inputs: dict[str, Input] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    description: str = ""
    schedule: Schedule | None = None
    trigger: Trigger | None = None
    notify: Notify = Notify()
    source: Path | None = None
    root: Path | None = None  # the project root; scripts and SQL paths are relative to it

    @property
    def glue_steps(self) -> list[Step]:
        return [s for s in self.steps.values() if s.glue is not None]

    @property
    def athena_steps(self) -> list[Step]:
        return [s for s in self.steps.values() if s.athena is not None]

    @property
    def uses_athena(self) -> bool:
        return bool(self.tables) or bool(self.athena_steps)

    def job_placeholder(self, step: Step) -> str:
        """The ``${...}`` name the state machine uses for a step's Glue job name."""
        return f"{camel_case(step.id)}JobName"

    def script_path(self, step: Step) -> Path:
        assert step.glue is not None and self.root is not None
        return self.root / step.glue.script


def title_case(identifier: str) -> str:
    return " ".join(word.capitalize() for word in identifier.split("_") if word)


def camel_case(identifier: str) -> str:
    return "".join(word.capitalize() for word in identifier.split("_") if word)


def lower_camel_case(identifier: str) -> str:
    text = camel_case(identifier)
    return text[:1].lower() + text[1:]
