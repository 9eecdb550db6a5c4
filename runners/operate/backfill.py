"""``etl-runner backfill``: one execution per period of a date range, oldest first,
at most N running at once.

Every period's execution is named after its run date (``execution_name``),
so running the same command again never starts a period twice: the plan is
made from ListExecutions each time (no local state), periods whose latest
execution SUCCEEDED are skipped (``--rerun`` starts them again), periods
whose execution is still running are waited for (they count towards N),
and a StartExecution answered ``ExecutionAlreadyExists`` (something else
started the period meanwhile) is skipped and said so. A period whose latest
execution FAILED, TIMED_OUT or was ABORTED runs again under the next rerun
name (``<date>-rerun-<n>``).

Stopping (``stop`` set: Ctrl-C or SIGTERM at the command line) starts no
further period and leaves the running ones running; the same command resumes.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable

from botocore.exceptions import ClientError

from runners.pipelines.model import Pipeline
from runners.pipelines.triggers import execution_name
from runners.retry import error_code

from .cleanup import PeriodOutputs, delete_outputs, objects_in, period_outputs
from .history import ACTIVE, SUCCEEDED, History, failure_text
from .periods import Periods
from .target import Target

HISTORY_DAYS = 90  # Step Functions lists a closed execution for 90 days
START = "start"
RERUN = "rerun"
SKIP = "skip"
WAIT = "running"

Say = Callable[[str], None]


@dataclass(frozen=True)
class PlannedPeriod:
    run_date: str
    action: str  # start, rerun, skip, running
    name: str  # the execution to start, or the existing one
    reason: str
    arn: str | None = None  # the existing execution (skip, running)


def plan_periods(run_dates: list[date], history: History, rerun: bool) -> list[PlannedPeriod]:
    """What to do with each period, oldest first."""
    planned: list[PlannedPeriod] = []
    for run_date in sorted(run_dates):
        latest = history.latest(run_date)
        day = str(run_date)
        if latest is None:
            planned.append(PlannedPeriod(day, START, execution_name(day), "no execution yet"))
        elif latest.status in ACTIVE:
            planned.append(PlannedPeriod(day, WAIT, latest.name, f"{latest.name} is {latest.status}", latest.arn))
        elif latest.status == SUCCEEDED and not rerun:
            planned.append(PlannedPeriod(day, SKIP, latest.name, f"{latest.name} SUCCEEDED", latest.arn))
        else:
            planned.append(PlannedPeriod(day, RERUN, history.next_rerun_name(day), f"{latest.name} {latest.status}"))
    return planned


@dataclass
class BackfillOptions:
    max_concurrent: int = 1
    clean_up: bool = False
    dry_run: bool = False
    rerun: bool = False
    poll_seconds: float = 5.0


@dataclass
class BackfillResult:
    planned: list[PlannedPeriod]
    started: list[str] = field(default_factory=list)  # execution names
    final: dict[str, str] = field(default_factory=dict)  # run date -> final status of what ran or was waited for
    already_started: list[str] = field(default_factory=list)  # run dates another start beat us to
    interrupted: bool = False
    left_running: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 0 if all(status == SUCCEEDED for status in self.final.values()) else 1


class Backfill:
    """Runs one backfill; ``stop`` ends it early (see the module's docstring)."""

    def __init__(self, sfn: Any, pipeline: Pipeline, target: Target, options: BackfillOptions, *,
                 s3: Any = None, glue: Any = None, say: Say = print, stop: threading.Event | None = None,
                 on_started: Callable[[str], None] | None = None) -> None:
        if options.max_concurrent < 1:
            raise ValueError("--max-concurrent must be at least 1")
        if options.clean_up and (s3 is None or glue is None):
            raise ValueError("--clean-up needs S3 and Glue clients")
        self.sfn, self.s3, self.glue = sfn, s3, glue
        self.pipeline, self.target, self.options = pipeline, target, options
        self.say = say
        self.stop = stop or threading.Event()
        self.on_started = on_started
        self.periods = Periods(pipeline.schedule)

    def run(self, first: date, last: date) -> BackfillResult:
        if last < first:
            raise ValueError(f"--to {last} is before --from {first}")
        run_dates = self.periods.between(first, last)
        history = History.read(self.sfn, self.target.state_machine_arn)
        planned = plan_periods(run_dates, history, self.options.rerun)
        to_start = [p for p in planned if p.action in (START, RERUN)]
        # Refuse an unsafe clean-up before anything starts.
        outputs = {p.run_date: period_outputs(self.pipeline, self.target.variables, p.run_date)
                   for p in to_start} if self.options.clean_up else {}
        self._print_plan(first, last, planned, outputs)
        result = BackfillResult(planned)
        if self.options.dry_run:
            return result
        self._execute(planned, outputs, result)
        return result

    # -- the plan ----------------------------------------------------------------------------
    def _print_plan(self, first: date, last: date, planned: list[PlannedPeriod], outputs: dict[str, PeriodOutputs]) -> None:
        o = self.options
        self.say(f"backfill {self.pipeline.name} ({self.target.name}) from {first} to {last}, {self.periods.description}: "
                 f"{len(planned)} period(s), at most {o.max_concurrent} running at once{', cleaning up outputs first' if o.clean_up else ''}"
                 f"{' (dry run: nothing is started or deleted)' if o.dry_run else ''}")
        if first < date.today() - timedelta(days=HISTORY_DAYS):
            self.say(f"  note: Step Functions lists executions only for {HISTORY_DAYS} days after they end; "
                     f"periods before {date.today() - timedelta(days=HISTORY_DAYS)} may have run already without showing here")
        for p in planned:
            self.say(f"  {p.run_date}  {p.action:<7}  {p.name:<22}  {p.reason}")
            if p.run_date in outputs and o.dry_run:
                for area in outputs[p.run_date].areas:
                    count = sum(1 for _ in objects_in(self.s3, area))
                    self.say(f"      clean-up: {count} object(s) under {area.uri} ({area.origin})")
                for part in outputs[p.run_date].partitions:
                    self.say(f"      clean-up: catalog partition {part.database}.{part.table} run_date='{part.run_date}'")

    # -- running ------------------------------------------------------------------------------
    def _execute(self, planned: list[PlannedPeriod], outputs: dict[str, PeriodOutputs], result: BackfillResult) -> None:
        running: dict[str, tuple[str, str, float]] = {  # execution arn -> (run date, name, started)
            p.arn: (p.run_date, p.name, time.monotonic()) for p in planned if p.action == WAIT and p.arn}
        queue = [p for p in planned if p.action in (START, RERUN)]
        while queue or running:
            self._collect(running, result)
            while queue and len(running) < self.options.max_concurrent and not self.stop.is_set():
                period = queue.pop(0)
                arn = self._start(period, outputs.get(period.run_date), result)
                if arn:
                    running[arn] = (period.run_date, period.name, time.monotonic())
            if self.stop.is_set():
                result.interrupted = True
                result.left_running = sorted(name for _, name, _ in running.values())
                self.say(f"interrupted: no further period started; {len(running)} execution(s) left running"
                         f"{': ' + ', '.join(result.left_running) if running else ''}. Run the same command to resume.")
                return
            if running:
                self.stop.wait(self.options.poll_seconds)
        succeeded = sum(1 for s in result.final.values() if s == SUCCEEDED)
        skipped = sum(1 for p in planned if p.action == SKIP)
        failed = sorted(d for d, s in result.final.items() if s != SUCCEEDED)
        self.say(f"done: {len(result.started)} started, {succeeded} succeeded, {skipped} skipped (succeeded before)"
                 f"{', ' + str(len(result.already_started)) + ' already started elsewhere' if result.already_started else ''}"
                 f"{'; not successful: ' + ', '.join(failed) if failed else ''}")

    def _start(self, period: PlannedPeriod, outputs: PeriodOutputs | None, result: BackfillResult) -> str | None:
        if outputs is not None:
            delete_outputs(self.s3, self.glue, outputs, say=lambda line: self.say(f"  {period.run_date}: {line}"))
        execution_input = json.dumps({"runDate": period.run_date, "trigger": {"kind": "backfill"}}, separators=(",", ":"))
        try:
            arn = self.sfn.start_execution(stateMachineArn=self.target.state_machine_arn, name=period.name,
                                           input=execution_input)["executionArn"]
        except ClientError as exc:
            if error_code(exc) != "ExecutionAlreadyExists":
                raise
            result.already_started.append(period.run_date)
            self.say(f"  {period.run_date}: skipped, execution {period.name} already exists (started elsewhere meanwhile)")
            return None
        result.started.append(period.name)
        self.say(f"  {period.run_date}: started {period.name}")
        if self.on_started is not None:
            self.on_started(period.name)
        return str(arn)

    def _collect(self, running: dict[str, tuple[str, str, float]], result: BackfillResult) -> None:
        for arn in list(running):
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] in ACTIVE:
                continue
            run_date, name, since = running.pop(arn)
            result.final[run_date] = described["status"]
            seconds = time.monotonic() - since
            if described["status"] == SUCCEEDED:
                self.say(f"  {run_date}: {name} SUCCEEDED ({seconds:.0f} s)")
            else:
                self.say(f"  {run_date}: {name} {failure_text(described)}")
