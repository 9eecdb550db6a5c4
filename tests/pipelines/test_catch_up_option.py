"""The schedule's catch-up option in a pipeline file, and cron expressions
checked as EventBridge checks them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runners.pipelines import PipelineFileError, load_pipeline
from runners.pipelines.model import CatchUp

STEPS = """
steps:
  load_orders:
    glue:
      script: glue-scripts/job.py
"""


def write(tmp_path: Path, schedule: str) -> Path:
    (tmp_path / "pipelines").mkdir(exist_ok=True)
    (tmp_path / "glue-scripts").mkdir(exist_ok=True)
    (tmp_path / "glue-scripts" / "job.py").write_text("print('job')\n")
    path = tmp_path / "pipelines" / "p.yaml"
    path.write_text("pipeline: orders\n" + textwrap.dedent(schedule) + STEPS)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PipelineFileError) as caught:
        load_pipeline(path)
    return caught.value.problems


def test_catch_up_is_read_with_its_horizon_and_one_run_at_a_time_by_default(tmp_path):
    pipeline = load_pipeline(write(tmp_path, """
        schedule:
          cron: "0 6 ? * MON *"
          catch_up: {horizon_days: 56}
        """))
    assert pipeline.schedule.catch_up == CatchUp(horizon_days=56, max_concurrent=1)


@pytest.mark.parametrize("schedule, problem", [
    ("""
     schedule:
       rate: 7 days
       catch_up: {horizon_days: 56}
     """, "p.yaml:5: schedule.catch_up: catch_up needs a cron schedule: the periods of rate(7 days)"),
    ("""
     schedule:
       cron: "0 6 ? * MON *"
       catch_up: {horizon_days: 120}
     """, "schedule.catch_up.horizon_days: 120 is greater than the maximum of 90"),
    ("""
     schedule:
       cron: "0 6 ? * MON *"
       catch_up: {}
     """, "schedule.catch_up: 'horizon_days' is a required property"),
    ("""
     schedule:
       cron: "0 25 ? * MON *"
     """, "schedule.cron: cron(0 25 ? * MON *): Invalid hour value '25'"),
])
def test_a_wrong_catch_up_or_cron_names_the_field(tmp_path, schedule, problem):
    found = problems(write(tmp_path, schedule))
    assert any(problem in p for p in found), found
