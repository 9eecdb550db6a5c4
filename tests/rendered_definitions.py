"""The rendered state machine of a pipeline, for tests that deploy pipeline stacks.

``runners.pipelines.asl.render_state_machine`` when it exists. Until it is
merged, a stand-in used only by these tests: a linear definition that waits
for each input, runs each step as an activity task in file order and
publishes to the topic on failure, with the placeholders a rendered
definition holds (the stacks fill exactly the ones it uses).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from runners.pipelines.model import Pipeline, camel_case

try:
    from runners.pipelines.asl import render_state_machine as _real
except ImportError:  # not merged yet
    _real = None

REAL_RENDERER = _real is not None


@dataclass(frozen=True)
class StandInMachine:
    text: str
    placeholders: frozenset[str]


def render_state_machine(pipeline: Pipeline) -> Any:
    if _real is not None:
        return _real(pipeline)
    return _stand_in(pipeline)


def _stand_in(pipeline: Pipeline) -> StandInMachine:
    states: dict[str, Any] = {}
    order: list[str] = []
    failure = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify Failure"}
    for data in pipeline.inputs.values():
        bucket = "${DataBucket}" if data.bucket == "${data_bucket}" else data.bucket
        order.append(data.title)
        states[data.title] = {"Type": "Task", "Resource": "${WaitForDataActivityArn}", "TimeoutSeconds": 3600,
                              "Parameters": {"Bucket": bucket, "Pattern": data.pattern.replace("${run_date}", "*")},
                              "ResultPath": None, "Catch": [failure]}
    for step in pipeline.steps.values():
        order.append(step.title)
        if step.glue is not None:
            parameters = {"GlueJobName": "${" + pipeline.job_placeholder(step) + "}"}
            resource = "${GlueRunnerActivityArn}"
        else:
            parameters = {"AthenaQueryString": "SELECT 1", "AthenaDatabase": "${AthenaDatabase}",
                          "AthenaResultOutputLocation": "${AthenaResultsLocation}"}
            resource = "${AthenaRunnerActivityArn}"
        if step.gate is not None:  # as the real renderer names gated jobs and pipelines
            glue_steps = {s.id: s for s in pipeline.glue_steps}
            parameters["DependencyGate"] = {
                "GlueJobs": ["${" + pipeline.job_placeholder(glue_steps[j]) + "}" if j in glue_steps else j for j in step.gate.glue_jobs],
                "StateMachines": ["${" + camel_case(name.replace("-", "_")) + "StateMachineArn}" for name in step.gate.pipelines],
                "MaxWaitSeconds": step.gate.max_wait_minutes * 60,
            }
        states[step.title] = {"Type": "Task", "Resource": resource, "TimeoutSeconds": step.timeout_minutes * 60,
                              "Parameters": parameters, "ResultPath": None, "Catch": [failure]}
    for current, following in zip(order, order[1:] + ["Done"]):
        states[current]["Next"] = following
    states["Done"] = {"Type": "Succeed"}
    states["Notify Failure"] = {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                                "Parameters": {"TopicArn": "${NotificationTopicArn}", "Subject": "${PipelineName} failed",
                                               "Message.$": "States.JsonToString($.error)"},
                                "Next": "Failed"}
    states["Failed"] = {"Type": "Fail", "Error": "PipelineFailed"}
    text = json.dumps({"Comment": f"stand-in for pipeline {pipeline.name}", "StartAt": order[0], "States": states}, indent=1)
    return StandInMachine(text, frozenset(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text)))
