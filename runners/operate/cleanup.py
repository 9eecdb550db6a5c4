"""``--clean-up``: remove one period's earlier outputs before it runs again.

Only what the pipeline file declares it writes, and only the part of it that
belongs to the run date; anything that cannot be scoped to one run date is
refused before a single object is deleted. Precisely, for run date D:

1. A Glue step's ``writes`` prefix P is cleaned through the step's
   arguments under P that hold ``${run_date}``: each such argument, cut after
   the path segment holding the date (``s3://${data_bucket}/processed/sales/
   run_date=${run_date}/`` -> ``processed/sales/run_date=D``), is one area: that
   key and every key below it. An argument belongs to the most specific of the
   step's ``reads`` and ``writes`` prefixes holding it; one that a ``reads``
   prefix holds as specifically is an input and refused as ambiguous. If no
   argument scopes P, P must be the location of one of the pipeline's tables
   partitioned by ``run_date`` (then item 2 cleans it); otherwise: refused.
2. Every table of the pipeline that a step writes (its location is under a
   Glue step's ``writes`` prefix, or an Athena step INSERTs INTO it) and that
   is partitioned by ``run_date``: the objects of its ``run_date=D``
   partition (Hive layout: the path segment ``run_date=D`` below the
   location) and the partition in the Glue Data Catalog. A table an Athena
   step inserts into without a ``run_date`` partition is refused, and so is a
   statement that writes in any other way (UNLOAD, CREATE TABLE AS, MERGE,
   UPDATE, DELETE): its period's rows cannot be told apart.
3. Nothing else: not the inputs, not tables the pipeline only reads, not
   other run dates (every area is checked to hold the date in a path segment).

In a versioned bucket a deletion adds delete markers; older versions stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from runners.pipelines.model import Pipeline, Step, Table
from runners.pipelines.templates import TEMPLATE, resolve

RUN_DATE_COLUMN = "run_date"
RUN_DATE = "${run_date}"


class CleanUpRefused(ValueError):
    """The pipeline's outputs cannot be scoped to one run date; nothing was deleted."""


@dataclass(frozen=True)
class Area:
    """Objects of one period: ``key == scope`` or under ``scope + "/"``; with
    ``segment``, only keys below ``scope`` with that path segment (a Hive
    partition that is not the table's first partition column)."""

    bucket: str
    scope: str
    origin: str  # what declared it, for the plan
    segment: str | None = None

    @property
    def uri(self) -> str:
        tail = f"/**/{self.segment}/" if self.segment else "/"
        return f"s3://{self.bucket}/{self.scope}{tail}"

    def holds(self, key: str) -> bool:
        if self.segment is None:
            return key == self.scope or key.startswith(self.scope + "/")
        if not key.startswith(self.scope + "/"):
            return False
        return self.segment in key[len(self.scope) + 1:].split("/")[:-1]

    @property
    def list_prefix(self) -> str:
        return self.scope if self.segment is None else self.scope + "/"


@dataclass(frozen=True)
class CatalogPartition:
    database: str
    table: str
    run_date: str


@dataclass(frozen=True)
class PeriodOutputs:
    run_date: str
    areas: tuple[Area, ...]
    partitions: tuple[CatalogPartition, ...] = field(default=())


# -- locations -----------------------------------------------------------------------------
def _split(location: str, data_bucket: str) -> tuple[str, str]:
    """(bucket, key prefix) of ``s3://bucket/prefix`` or of a prefix in the data bucket."""
    if location.startswith("s3://"):
        bucket, _, key = location[5:].partition("/")
        return bucket, key
    return data_bucket, location


def _folder(prefix: str) -> str:
    return prefix if prefix.endswith("/") or not prefix else prefix + "/"


def _under(bucket: str, key: str, area_bucket: str, area_prefix: str) -> bool:
    return bucket == area_bucket and key.startswith(_folder(area_prefix))


class _Scoper:
    def __init__(self, pipeline: Pipeline, variables: dict[str, str], run_date: str) -> None:
        missing = sorted({"data_bucket", "database"} - set(variables))
        if missing:
            raise CleanUpRefused(f"the deployment's {', '.join(missing)} is unknown (the state machine lacks its etl-runner:* tags)")
        self.pipeline = pipeline
        self.variables = {"pipeline": pipeline.name, **variables}
        self.run_date = run_date
        self.data_bucket = variables["data_bucket"]
        self.problems: list[str] = []

    def resolved(self, text: str) -> str:
        names = set(TEMPLATE.findall(text)) - {"run_date"}
        unknown = sorted(names - set(self.variables))
        if unknown:
            raise CleanUpRefused(f"{text!r}: the deployment's {', '.join(unknown)} is unknown")
        return resolve(text, {**self.variables, "run_date": RUN_DATE}).replace(RUN_DATE, "\0")

    def location(self, text: str) -> tuple[str, str]:
        bucket, key = _split(self.resolved(text), self.data_bucket)
        return bucket, _folder(key)

    # -- 1. Glue steps --------------------------------------------------------------------
    def glue_areas(self, step: Step) -> list[Area]:
        assert step.glue is not None
        writes = [self.location(p) for p in step.writes]
        reads = [self.location(p) for p in step.reads]
        scoped: dict[tuple[str, str], list[Area]] = {w: [] for w in writes}
        for argument, value in step.glue.arguments:
            if RUN_DATE not in value:
                continue
            text = self.resolved(value)
            if not text.startswith("s3://"):
                continue
            bucket, key = text[5:].partition("/")[::2]
            if "\0" in bucket:
                self.problems.append(f"step {step.id}: {argument} has the run date in its bucket name")
                continue
            owner = self._owner(bucket, key, writes, reads)
            if owner is None:
                continue
            if owner == "ambiguous":
                self.problems.append(f"step {step.id}: {argument} ({value}) is under both a reads and a writes prefix; "
                                     f"cannot tell whether it is an input or an output")
                continue
            segments = key.split("/")
            index = next(i for i, s in enumerate(segments) if "\0" in s)
            scope = "/".join(segments[:index + 1]).replace("\0", self.run_date)
            scoped[owner].append(Area(bucket, scope, f"step {step.id} {argument}"))
        areas: list[Area] = []
        for (bucket, prefix), found in scoped.items():
            if found:
                areas.extend(found)
            elif not any(self.location(t.location) == (bucket, prefix) and _partitioned_by_run_date(t) for t in self.pipeline.tables.values()):
                self.problems.append(
                    f"step {step.id}: writes s3://{bucket}/{prefix} has no run-date component that scopes one period's output: "
                    f"no argument under it holds ${{run_date}} (e.g. --output_path: s3://${{data_bucket}}/{prefix}run_date=${{run_date}}/) "
                    f"and it is not the location of a table partitioned by {RUN_DATE_COLUMN}")
        return areas

    @staticmethod
    def _owner(bucket: str, key: str, writes: list[tuple[str, str]], reads: list[tuple[str, str]]) -> Any:
        """The writes prefix holding the key most specifically, "ambiguous", or None (an input or elsewhere)."""
        best_write = max((w for w in writes if _under(bucket, key, *w)), key=lambda w: len(w[1]), default=None)
        best_read = max((r for r in reads if _under(bucket, key, *r)), key=lambda r: len(r[1]), default=None)
        if best_write is None:
            return None
        if best_read is not None and len(best_read[1]) > len(best_write[1]):
            return None
        if best_read is not None and len(best_read[1]) == len(best_write[1]):
            return "ambiguous"
        return best_write

    # -- 2. tables ------------------------------------------------------------------------
    def written_tables(self) -> dict[str, str]:
        """Tables a step writes -> which step (for the plan)."""
        written: dict[str, str] = {}
        for step in self.pipeline.steps.values():
            if step.glue is not None:
                writes = [self.location(p) for p in step.writes]
                for table in self.pipeline.tables.values():
                    bucket, prefix = self.location(table.location)
                    if any(_under(bucket, prefix, *w) for w in writes):
                        written.setdefault(table.name, f"step {step.id}")
            elif step.athena is not None:
                for table in self._athena_writes(step):
                    written.setdefault(table, f"step {step.id}")
        return written

    def _athena_writes(self, step: Step) -> list[str]:
        assert step.athena is not None
        sql = _strip_comments(step.athena.sql)
        words = sql.split()
        verb = words[0].lower() if words else ""
        if verb == "insert":
            match = re.match(r"\s*insert\s+into\s+(?:\"?[\w${}]+\"?\.)?\"?(\w+)\"?", sql, re.IGNORECASE)
            name = match.group(1).lower() if match else "?"
            if name not in self.pipeline.tables:
                self.problems.append(f"step {step.id}: inserts into {name}, which is not one of this pipeline's tables")
                return []
            return [name]
        writes_data = verb in ("unload", "merge", "update", "delete") or (
            verb == "create" and re.search(r"\bas\s*\(?\s*(select|with)\b", sql, re.IGNORECASE))
        if writes_data:
            self.problems.append(f"step {step.id}: its {verb.upper()} statement writes where one period's output cannot be told apart")
        return []

    def table_outputs(self) -> tuple[list[Area], list[CatalogPartition]]:
        areas: list[Area] = []
        partitions: list[CatalogPartition] = []
        for name, writer in sorted(self.written_tables().items()):
            table = self.pipeline.tables[name]
            if not _partitioned_by_run_date(table):
                if writer.startswith("step ") and self.pipeline.steps[writer[5:]].athena is not None:
                    self.problems.append(f"table {name}: {writer} inserts into it, but it is not partitioned by {RUN_DATE_COLUMN}: "
                                         f"a rerun cannot replace one period's rows")
                continue
            bucket, prefix = self.location(table.location)
            segment = f"{RUN_DATE_COLUMN}={self.run_date}"
            if [c.lower() for c, _ in table.partitioned_by][0] == RUN_DATE_COLUMN:
                areas.append(Area(bucket, prefix + segment, f"table {name}"))
            else:
                areas.append(Area(bucket, prefix.rstrip("/"), f"table {name}", segment))
            partitions.append(CatalogPartition(self.variables["database"], name, self.run_date))
        return areas, partitions


def _partitioned_by_run_date(table: Table) -> bool:
    return any(column.lower() == RUN_DATE_COLUMN for column, _ in table.partitioned_by)


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.DOTALL).strip()


def period_outputs(pipeline: Pipeline, variables: dict[str, str], run_date: str) -> PeriodOutputs:
    """What ``--clean-up`` removes for ``run_date``; CleanUpRefused naming every problem."""
    scoper = _Scoper(pipeline, variables, run_date)
    areas: list[Area] = []
    for step in pipeline.glue_steps:
        areas.extend(scoper.glue_areas(step))
    table_areas, partitions = scoper.table_outputs()
    if scoper.problems:
        raise CleanUpRefused("--clean-up refused (nothing was deleted):\n  " + "\n  ".join(scoper.problems))
    unique: dict[tuple[str, str, str | None], Area] = {}
    for area in [*areas, *table_areas]:
        # The last guard (the rules above make it hold): every area names the date in a path segment.
        if area.segment != f"{RUN_DATE_COLUMN}={run_date}" and not any(run_date in part for part in area.scope.split("/")):
            raise CleanUpRefused(f"{area.uri} is not scoped to {run_date}")
        unique.setdefault((area.bucket, area.scope, area.segment), area)
    return PeriodOutputs(run_date, tuple(unique.values()), tuple(partitions))


# -- deleting -----------------------------------------------------------------------------
def objects_in(s3: Any, area: Area) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=area.bucket, Prefix=area.list_prefix):
        for item in page.get("Contents", []):
            if area.holds(item["Key"]):
                yield item["Key"]


def delete_outputs(s3: Any, glue: Any, outputs: PeriodOutputs, say: Callable[[str], None] = lambda _: None) -> int:
    """Delete the period's objects and catalog partitions; return the number of objects deleted."""
    deleted = 0
    for area in outputs.areas:
        keys = list(objects_in(s3, area))
        for start in range(0, len(keys), 1000):
            batch = keys[start:start + 1000]
            answer = s3.delete_objects(Bucket=area.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise RuntimeError(f"deleting under {area.uri}: {first.get('Code')}: {first.get('Message')} ({first.get('Key')})")
        deleted += len(keys)
        say(f"deleted {len(keys)} object(s) under {area.uri} ({area.origin})")
    for partition in outputs.partitions:
        dropped = _drop_partition(glue, partition)
        if dropped:
            say(f"dropped {dropped} catalog partition(s) {partition.database}.{partition.table} ({RUN_DATE_COLUMN}='{partition.run_date}')")
    return deleted


def _drop_partition(glue: Any, partition: CatalogPartition) -> int:
    try:
        found = [p["Values"] for page in glue.get_paginator("get_partitions").paginate(
            DatabaseName=partition.database, TableName=partition.table, Expression=f"{RUN_DATE_COLUMN} = '{partition.run_date}'")
            for p in page["Partitions"]]
    except glue.exceptions.EntityNotFoundException:
        return 0  # the table does not exist (yet): no partition to drop
    for start in range(0, len(found), 25):
        glue.batch_delete_partition(DatabaseName=partition.database, TableName=partition.table,
                                    PartitionsToDelete=[{"Values": v} for v in found[start:start + 25]])
    return len(found)
