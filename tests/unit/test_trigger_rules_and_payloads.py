"""Triggers that start a pipeline, exactly once per run date: the rules a
pipeline's trigger becomes, and what the trigger function does with each
message those rules send it (no AWS here: a stub Step Functions client)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from runners.pipeline_trigger import StartRequest, TriggerPayloadError, on_trigger_messages, parse_payload
from runners.pipelines.model import Pipeline, Trigger
from runners.local.queue_policy import eventbridge_queue_policy
from runners.pipelines.triggers import (
    ARRIVAL_SUFFIX, UPSTREAM_SUFFIX, RuleSpec, execution_name, key_wildcard, run_date_from_key,
    trigger_rules,
)
from runners.retry import RetryPolicy

TEMPLATE = "landing/orders/${run_date}/_SUCCESS.done"
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
UPSTREAM_SM = "arn:aws:states:us-east-1:123456789012:stateMachine:sales"
NO_RETRY = RetryPolicy(max_attempts=1, max_seconds=None)


def pipeline(trigger: Trigger | None, name: str = "orders") -> Pipeline:
    return Pipeline(name=name, database="db", steps={}, trigger=trigger)


# --- run dates and execution names ----------------------------------------------------


def test_the_execution_is_named_after_its_run_date():
    assert execution_name("2026-11-30") == "2026-11-30"


def test_a_key_of_the_template_gives_its_run_date():
    assert run_date_from_key(TEMPLATE, "landing/orders/2026-11-30/_SUCCESS.done") == "2026-11-30"


@pytest.mark.parametrize("key", [
    "landing/orders/2026-13-45/_SUCCESS.done",  # no such month or day
    "landing/orders/2026-02-30/_SUCCESS.done",  # no such day in February
    "landing/orders/2026-1-5/_SUCCESS.done",  # not YYYY-MM-DD
    "landing/orders/20261130/_SUCCESS.done",
    "landing/orders/2026-11-30/_SUCCESS.don",  # another object
    "landing/other/2026-11-30/_SUCCESS.done",  # another pipeline's marker
    "landing/orders/extra/2026-11-30/_SUCCESS.done",  # an extra path segment
    "landing/orders/2026-11-30/extra/_SUCCESS.done",
    "x/landing/orders/2026-11-30/_SUCCESS.done",  # the whole key must match
    "landing/orders/2026-11-30/_SUCCESS.done.tmp",
    "",
])
def test_any_other_key_gives_no_run_date(key):
    assert run_date_from_key(TEMPLATE, key) is None


def test_the_template_is_literal_text_apart_from_the_run_date():
    template = "in/run_date=${run_date}/part.*.done"
    assert run_date_from_key(template, "in/run_date=2026-01-31/part.*.done") == "2026-01-31"
    assert run_date_from_key(template, "in/run_date=2026-01-31/part.7.done") is None


def test_a_template_without_exactly_one_run_date_is_refused():
    with pytest.raises(ValueError, match=r"\$\{run_date\}"):
        run_date_from_key("landing/orders/_SUCCESS.done", "landing/orders/_SUCCESS.done")
    with pytest.raises(ValueError, match=r"\$\{run_date\}"):
        run_date_from_key("a/${run_date}/${run_date}", "a/2026-01-01/2026-01-01")


def test_the_wildcard_escapes_the_templates_own_stars_and_backslashes():
    assert key_wildcard(TEMPLATE) == "landing/orders/*/_SUCCESS.done"
    assert key_wildcard("a*b\\c/${run_date}") == "a\\*b\\\\c/*"


# --- rule specs ---------------------------------------------------------------------------


def test_an_arrival_trigger_becomes_one_rule_on_object_created_events_of_its_key():
    (spec,) = trigger_rules(pipeline(Trigger(on_arrival_key=TEMPLATE)), SM, "data-bucket", None)
    assert isinstance(spec, RuleSpec) and spec.suffix == ARRIVAL_SUFFIX
    assert spec.event_pattern == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": ["data-bucket"]}, "object": {"key": [{"wildcard": "landing/orders/*/_SUCCESS.done"}]}},
    }
    assert spec.input_paths_map == {"bucket": "$.detail.bucket.name", "key": "$.detail.object.key"}
    filled = spec.input_template.replace("<bucket>", '"data-bucket"').replace("<key>", '"landing/orders/2026-11-30/_SUCCESS.done"')
    assert json.loads(filled) == {
        "kind": "arrival", "pipeline": "orders", "stateMachineArn": SM, "keyTemplate": TEMPLATE,
        "bucket": "data-bucket", "key": "landing/orders/2026-11-30/_SUCCESS.done",
    }
    assert "orders" in spec.description


def test_deploy_time_variables_of_the_key_are_resolved_in_the_rule():
    trigger = Trigger(on_arrival_key="landing/${pipeline}/${run_date}/_SUCCESS.done")
    (spec,) = trigger_rules(pipeline(trigger), SM, "data-bucket", None)
    assert spec.event_pattern["detail"]["object"]["key"] == [{"wildcard": "landing/orders/*/_SUCCESS.done"}]
    assert '"keyTemplate": "landing/orders/${run_date}/_SUCCESS.done"' in spec.input_template


def test_an_upstream_trigger_becomes_one_rule_on_the_upstreams_succeeded_executions():
    (spec,) = trigger_rules(pipeline(Trigger(after_pipeline="sales")), SM, "data-bucket", UPSTREAM_SM)
    assert spec.suffix == UPSTREAM_SUFFIX
    assert spec.event_pattern == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["SUCCEEDED"], "stateMachineArn": [UPSTREAM_SM]},
    }
    assert spec.input_paths_map == {
        "executionArn": "$.detail.executionArn", "upstreamStateMachineArn": "$.detail.stateMachineArn",
        "input": "$.detail.input", "output": "$.detail.output",
    }
    filled = (spec.input_template.replace("<executionArn>", '"e"').replace("<upstreamStateMachineArn>", f'"{UPSTREAM_SM}"')
              .replace("<input>", json.dumps('{"runDate":"2026-11-30"}')).replace("<output>", json.dumps('{"rows":3}')))
    assert json.loads(filled) == {
        "kind": "upstream", "pipeline": "orders", "stateMachineArn": SM,
        "upstream": {"pipeline": "sales", "executionArn": "e", "stateMachineArn": UPSTREAM_SM,
                     "input": '{"runDate":"2026-11-30"}', "output": '{"rows":3}'},
    }


def test_placeholders_stay_opaque_strings():
    (spec,) = trigger_rules(pipeline(Trigger(after_pipeline="sales")), "${OrdersStateMachine}", "${DataBucket}", "${SalesStateMachine}")
    assert spec.event_pattern["detail"]["stateMachineArn"] == ["${SalesStateMachine}"]
    assert '"stateMachineArn": "${OrdersStateMachine}"' in spec.input_template


def test_rules_need_what_their_trigger_names():
    assert trigger_rules(pipeline(None), SM, "b", None) == []
    with pytest.raises(ValueError, match="upstream"):
        trigger_rules(pipeline(Trigger(after_pipeline="sales")), SM, "b", None)


def test_text_eventbridge_would_read_as_a_placeholder_is_refused():
    with pytest.raises(ValueError, match="<"):
        trigger_rules(pipeline(Trigger(on_arrival_key="in/<key>/${run_date}")), SM, "b", None)


def test_the_queue_policy_lets_only_the_prefixed_rules_send():
    policy = eventbridge_queue_policy("PipelineTriggerRules", "arn:aws:sqs:us-east-1:123456789012:triggers", "arn:aws:events:us-east-1:123456789012:rule/etl-*")
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == "arn:aws:sqs:us-east-1:123456789012:triggers"
    assert statement["Condition"] == {"ArnLike": {"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/etl-*"}}


# --- payloads -------------------------------------------------------------------------------


def arrival(key: str = "landing/orders/2026-11-30/_SUCCESS.done", **changes: object) -> str:
    body = {"kind": "arrival", "pipeline": "orders", "stateMachineArn": SM, "keyTemplate": TEMPLATE, "bucket": "data", "key": key}
    body.update(changes)
    return json.dumps(body)


def upstream(run_input: object = '{"runDate":"2026-11-30","x":1}', output: object = '{"rows":3}') -> str:
    return json.dumps({
        "kind": "upstream", "pipeline": "orders", "stateMachineArn": SM,
        "upstream": {"pipeline": "sales", "executionArn": f"{UPSTREAM_SM.replace('stateMachine', 'execution')}:x",
                     "stateMachineArn": UPSTREAM_SM, "input": run_input, "output": output},
    })


def test_an_arrival_starts_the_run_date_in_its_key():
    request = parse_payload(arrival())
    assert request == StartRequest(
        pipeline="orders", state_machine_arn=SM, run_date="2026-11-30",
        execution_input={"runDate": "2026-11-30", "trigger": {"kind": "arrival", "bucket": "data", "key": "landing/orders/2026-11-30/_SUCCESS.done"}},
    )
    assert request.name == "2026-11-30"


def test_an_upstream_success_starts_its_run_date_with_its_output():
    request = parse_payload(upstream())
    execution_arn = f"{UPSTREAM_SM.replace('stateMachine', 'execution')}:x"
    assert request.run_date == "2026-11-30" and request.name == "2026-11-30"
    assert request.execution_input == {
        "runDate": "2026-11-30",
        "trigger": {"kind": "upstream", "pipeline": "sales", "executionArn": execution_arn},
        "upstream": {"pipeline": "sales", "executionArn": execution_arn, "output": {"rows": 3}},
    }


def test_the_execution_input_is_the_same_text_for_the_same_trigger():
    """StartExecution is idempotent only for an identical input string."""
    assert parse_payload(arrival()).input_text == parse_payload(arrival()).input_text


@pytest.mark.parametrize("body, reason", [
    ("not json", "JSON"),
    (json.dumps(["a"]), "object"),
    (json.dumps({"kind": "schedule"}), "kind"),
    (arrival(key="landing/orders/2026-13-45/_SUCCESS.done"), "template"),
    (arrival(key="landing/other/2026-11-30/_SUCCESS.done"), "template"),
    (arrival(stateMachineArn=""), "stateMachineArn"),
    (upstream(run_input='{"x":1}'), "runDate"),
    (upstream(run_input='{"runDate":"30.11.2026"}'), "runDate"),
    (upstream(run_input="not json"), "input"),
    (upstream(run_input=None), "input"),
])
def test_a_payload_that_can_never_start_a_run_is_refused(body, reason):
    with pytest.raises(TriggerPayloadError, match=reason):
        parse_payload(body)


def test_an_upstream_input_given_as_an_object_is_read_too():
    assert parse_payload(upstream(run_input={"runDate": "2026-11-30"}, output={"rows": 3})).execution_input["upstream"]["output"] == {"rows": 3}


# --- the handler -----------------------------------------------------------------------------


class StubSfn:
    """Step Functions as far as StartExecution goes: one execution per name."""

    def __init__(self, fail_with: list[BaseException] | None = None):
        self.executions: dict[tuple[str, str], str] = {}
        self.calls = 0
        self._fail_with = list(fail_with or [])

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict:
        self.calls += 1
        if self._fail_with:
            raise self._fail_with.pop(0)
        existing = self.executions.get((stateMachineArn, name))
        if existing is not None and existing != input:
            raise _client_error("ExecutionAlreadyExists", 400)
        self.executions[(stateMachineArn, name)] = input
        return {"executionArn": f"{stateMachineArn.replace('stateMachine', 'execution')}:{name}", "startDate": "now"}


def _client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "StartExecution")


def sqs_event(*bodies: str) -> dict:
    return {"Records": [{"messageId": f"m{i}", "body": body, "eventSource": "aws:sqs"} for i, body in enumerate(bodies)]}


def test_each_message_starts_its_run_once_and_nothing_is_left_to_retry():
    sfn = StubSfn()
    answer = on_trigger_messages(sqs_event(arrival(), arrival(), upstream()), sfn, NO_RETRY)
    assert answer == {"batchItemFailures": []}
    assert list(sfn.executions) == [(SM, "2026-11-30")]


def test_an_execution_that_already_exists_means_already_started():
    sfn = StubSfn()
    sfn.executions[(SM, "2026-11-30")] = "{}"  # started by an earlier marker, another input
    assert on_trigger_messages(sqs_event(arrival()), sfn, NO_RETRY) == {"batchItemFailures": []}


def test_a_payload_that_does_not_match_is_dropped_not_retried():
    sfn = StubSfn()
    answer = on_trigger_messages(sqs_event(arrival(key="landing/orders/2026-13-45/_SUCCESS.done"), "garbage"), sfn, NO_RETRY)
    assert answer == {"batchItemFailures": []} and sfn.calls == 0


def test_an_error_that_may_pass_leaves_only_its_message_to_be_redelivered():
    sfn = StubSfn(fail_with=[_client_error("ThrottlingException", 400), EndpointConnectionError(endpoint_url="http://x")])
    later = arrival(key="landing/orders/2026-12-01/_SUCCESS.done")
    third = arrival(key="landing/orders/2026-12-02/_SUCCESS.done")
    answer = on_trigger_messages(sqs_event(arrival(), later, third), sfn, NO_RETRY)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]}
    assert list(sfn.executions) == [(SM, "2026-12-02")]


def test_a_transient_error_is_retried_in_the_call_first():
    sfn = StubSfn(fail_with=[_client_error("ThrottlingException", 400)])
    answer = on_trigger_messages(sqs_event(arrival()), sfn, RetryPolicy(max_attempts=3, max_seconds=5))
    assert answer == {"batchItemFailures": []} and sfn.calls == 2


def test_a_refusal_by_step_functions_is_kept_for_the_dead_letter_queue():
    """A missing state machine or a denied call needs a fix, not a drop: the
    message goes back, and after the queue's maxReceiveCount to its DLQ."""
    sfn = StubSfn(fail_with=[_client_error("StateMachineDoesNotExist", 400)])
    assert on_trigger_messages(sqs_event(arrival()), sfn, NO_RETRY) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}


def test_a_queue_policy_for_one_rule_names_that_rule_exactly():
    policy = eventbridge_queue_policy("JobEventsRule", "arn:aws:sqs:us-east-1:123456789012:q", "arn:aws:events:us-east-1:123456789012:rule/p-glue-job-events")
    assert policy["Statement"][0]["Condition"] == {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/p-glue-job-events"}}
