"""State machines from the AWS Step Functions documentation on JSONata and
variables, each with the behaviour the documentation gives for it.

Sources (AWS Step Functions Developer Guide):
* TD  "Transforming data with JSONata in Step Functions"
* VAR "Passing data between states with variables"
* FN  "JSONata functions provided by Step Functions" (in TD)
* ST  the state reference pages (Pass, Task, Choice, Wait, Map, Parallel, Fail)
* ERR "Handling errors in Step Functions workflows" (States.QueryEvaluationError)

Expected values are worked out by hand from those pages (and from the
JSONata 2.0 language reference for the built-in functions), never by
running this project. ``"${Activity}"`` in a definition is replaced by the
ARN of an activity served by a test worker that behaves as ``worker`` says:
``"echo"`` answers with the task input, ``{"output": v}`` answers ``v``,
``{"fail": [error, cause]}`` fails the task, ``"fail-once"`` fails the first
task with ``Transient`` and echoes later ones, ``"silent"`` never answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

J = "JSONata"


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    definition: dict[str, Any]
    input: Any = field(default_factory=dict)
    output: Any = None  # the execution's output (SUCCEEDED)
    error: str | None = None  # the execution's error (FAILED)
    cause_contains: str | None = None
    invalid: bool = False  # CreateStateMachine answers InvalidDefinition
    worker: Any = None
    task_input: Any = None  # what the activity worker was handed
    check: str | None = None  # a named extra check on the output


def machine(*states: tuple[str, dict[str, Any]], language: str | None = J) -> dict[str, Any]:
    """A state machine running ``states`` in the order given."""
    definition: dict[str, Any] = {"StartAt": states[0][0], "States": dict(states)}
    if language:
        definition["QueryLanguage"] = language
    return definition


def end(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "End": True}


def then(state: dict[str, Any], next_state: str) -> dict[str, Any]:
    return {**state, "Next": next_state}


PASS = {"Type": "Pass"}
TASK = {"Type": "Task", "Resource": "${Activity}", "TimeoutSeconds": 30}

CASES: list[Case] = [
    # --- Transforming data with JSONata -------------------------------------------------
    Case(
        "td-conversion-sample-arguments",
        "TD: the JSONPath-to-JSONata conversion sample (Arguments; '$customerName' without {% %} is a literal)",
        machine(
            ("Init", then({**PASS, "Assign": {"customerName": "Jane"}}, "Call")),
            ("Call", end({**TASK, "Arguments": {
                "static": "Hello",
                "title": "{% $states.input.title %}",
                "name": "{% $customerName %}",
                "not-evaluated": "$customerName",
            }})),
        ),
        input={"title": "Doctor"},
        worker="echo",
        task_input={"static": "Hello", "title": "Doctor", "name": "Jane", "not-evaluated": "$customerName"},
        output={"static": "Hello", "title": "Doctor", "name": "Jane", "not-evaluated": "$customerName"},
    ),
    Case(
        "td-task-defaults",
        "TD: without Arguments a JSONata Task is handed its input; without Output its output is its result",
        machine(("Call", end(TASK))),
        input={"question": "?"},
        worker={"output": {"answer": 42}},
        task_input={"question": "?"},
        output={"answer": 42},
    ),
    Case(
        "td-task-output-from-result-and-input",
        "TD: Output may combine $states.result with $states.input",
        machine(("Call", end({**TASK, "Arguments": {"n": "{% $states.input.n %}"},
                              "Output": {"doubled": "{% $states.result.n * 2 %}", "was": "{% $states.input %}"}}))),
        input={"n": 21},
        worker="echo",
        task_input={"n": 21},
        output={"doubled": 42, "was": {"n": 21}},
    ),
    Case(
        "td-pass-output-defaults-to-input",
        "ST Pass: a JSONata Pass state without Output passes its input through",
        machine(("P", end(PASS))),
        input={"a": [1, 2]},
        output={"a": [1, 2]},
    ),
    Case(
        "td-expressions-anywhere-in-json",
        "TD: {% %} strings may appear at any depth in arrays and objects; other strings are literals",
        machine(("P", end({**PASS, "Output": {
            "list": [1, "{% 1 + 1 %}", {"deep": "{% $uppercase($states.input.word) %}"}],
            "literal": "not {% an expression",
        }}))),
        input={"word": "abc"},
        output={"list": [1, 2, {"deep": "ABC"}], "literal": "not {% an expression"},
    ),
    Case(
        "td-whole-output-one-expression",
        "TD: the whole Output may be a single expression returning any JSON value",
        machine(("P", end({**PASS, "Output": "{% $states.input.items[price > 10].name %}"}))),
        input={"items": [{"name": "a", "price": 5}, {"name": "b", "price": 15}, {"name": "c", "price": 20}]},
        output=["b", "c"],
    ),
    Case(
        "td-jsonata-builtins",
        "TD / JSONata 2.0: built-in functions ($sum, $count, $join, $map, string concatenation)",
        machine(("P", end({**PASS, "Output": {
            "total": "{% $sum($states.input.prices) %}",
            "count": "{% $count($states.input.prices) %}",
            "joined": "{% $join($states.input.tags, '-') %}",
            "squares": "{% $map($states.input.prices, function($v) { $v * $v }) %}",
            "greeting": "{% 'Hello ' & $states.input.tags[0] %}",
        }}))),
        input={"prices": [1, 2, 3], "tags": ["x", "y"]},
        output={"total": 6, "count": 3, "joined": "x-y", "squares": [1, 4, 9], "greeting": "Hello x"},
    ),
    Case(
        "td-context-object",
        "TD: $states.context holds the context object (execution input, state name)",
        machine(("Where", end({**PASS, "Output": {
            "input": "{% $states.context.Execution.Input %}",
            "state": "{% $states.context.State.Name %}",
        }}))),
        input={"k": "v"},
        output={"input": {"k": "v"}, "state": "Where"},
    ),
    Case(
        "td-state-level-query-language",
        "TD: a JSONPath state machine may set QueryLanguage JSONata on one state",
        machine(
            ("Shape", then({**PASS, "QueryLanguage": J, "Output": {"sum": "{% $states.input.a + $states.input.b %}"}},
                           "Keep")),
            ("Keep", end({**PASS, "Result": "done", "ResultPath": "$.status"})),
            language=None,
        ),
        input={"a": 1, "b": 2},
        output={"sum": 3, "status": "done"},
    ),
    Case(
        "st-choice-condition",
        "ST Choice: a JSONata rule uses Condition; the first true rule wins",
        machine(
            ("Check", {"Type": "Choice", "Choices": [
                {"Condition": "{% $states.input.age >= 18 %}", "Next": "Adult"},
            ], "Default": "Minor"}),
            ("Adult", end({**PASS, "Output": {"group": "adult"}})),
            ("Minor", end({**PASS, "Output": {"group": "minor"}})),
        ),
        input={"age": 17},
        output={"group": "minor"},
    ),
    Case(
        "st-choice-rule-output-and-assign",
        "ST Choice / VAR: a Choice rule may have Output and Assign; the next state sees both",
        machine(
            ("Check", {"Type": "Choice", "Choices": [
                {"Condition": "{% $states.input.n > 3 %}", "Assign": {"size": "big"},
                 "Output": {"n": "{% $states.input.n %}"}, "Next": "Report"},
            ], "Default": "Report"}),
            ("Report", end({**PASS, "Output": {"size": "{% $size %}", "input": "{% $states.input %}"}})),
        ),
        input={"n": 5},
        output={"size": "big", "input": {"n": 5}},
    ),
    Case(
        "st-map-items-and-item-selector",
        "ST Map: Items may be an expression; ItemSelector sees $states.context.Map.Item.Index/Value",
        machine(("Each", end({"Type": "Map", "Items": "{% $states.input.names %}",
                              "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}",
                                               "v": "{% $states.context.Map.Item.Value %}"},
                              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Greet", "States": {
                                  "Greet": end({**PASS, "Output": "{% $states.input.i & ':' & $states.input.v %}"})}}}))),
        input={"names": ["a", "b", "c"]},
        output=["0:a", "1:b", "2:c"],
    ),
    Case(
        "st-map-literal-items-and-output",
        "ST Map: Items may be a JSON array; Output shapes $states.result (the array of iteration outputs)",
        machine(("Each", end({"Type": "Map", "Items": [1, 2, 3],
                              "ItemProcessor": {"StartAt": "Double", "States": {
                                  "Double": end({**PASS, "Output": "{% $states.input * 2 %}"})}},
                              "Output": {"values": "{% $states.result %}", "sum": "{% $sum($states.result) %}"}}))),
        output={"values": [2, 4, 6], "sum": 12},
    ),
    Case(
        "st-parallel-arguments-and-output",
        "ST Parallel: Arguments is every branch's input; $states.result is the array of branch outputs",
        machine(("Both", end({"Type": "Parallel", "Arguments": {"x": "{% $states.input.x %}"}, "Branches": [
            {"StartAt": "Inc", "States": {"Inc": end({**PASS, "Output": "{% $states.input.x + 1 %}"})}},
            {"StartAt": "Dec", "States": {"Dec": end({**PASS, "Output": "{% $states.input.x - 1 %}"})}},
        ], "Output": {"results": "{% $states.result %}"}}))),
        input={"x": 10},
        output={"results": [11, 9]},
    ),
    Case(
        "st-succeed-output",
        "ST Succeed: a JSONata Succeed state may shape the execution output",
        machine(("Done", {"Type": "Succeed", "Output": {"done": "{% $states.input.a %}"}})),
        input={"a": 1},
        output={"done": 1},
    ),
    Case(
        "st-map-expressions-for-concurrency-and-selector",
        "ST Map: MaxConcurrency and ToleratedFailurePercentage may be expressions; ItemSelector's "
        "$states.input is the Map state's input",
        machine(("Each", end({"Type": "Map", "Items": "{% $states.input.xs %}",
                              "MaxConcurrency": "{% $states.input.limit %}",
                              "ToleratedFailurePercentage": "{% 100 %}",
                              "ItemSelector": {"item": "{% $states.context.Map.Item.Value %}",
                                               "tag": "{% $states.input.tag %}"},
                              "ItemProcessor": {"StartAt": "Keep", "States": {"Keep": end(PASS)}}}))),
        input={"xs": [1, 2], "limit": 1, "tag": "t"},
        output=[{"item": 1, "tag": "t"}, {"item": 2, "tag": "t"}],
    ),
    Case(
        "st-task-heartbeat-expression",
        "ST Task: HeartbeatSeconds may be an expression; a worker answering in time succeeds",
        machine(("Call", end({**TASK, "HeartbeatSeconds": "{% $states.input.beat %}",
                              "Arguments": {"beat": "{% $states.input.beat %}"}}))),
        input={"beat": 5},
        worker="echo",
        output={"beat": 5},
    ),
    Case(
        "st-wait-seconds-expression",
        "ST Wait: Seconds may be a JSONata expression",
        machine(("Pause", then({"Type": "Wait", "Seconds": "{% $states.input.delay %}"}, "Done")),
                ("Done", end({**PASS, "Output": {"waited": "{% $states.input.delay %}"}}))),
        input={"delay": 1},
        output={"waited": 1},
    ),
    Case(
        "st-wait-timestamp-expression",
        "ST Wait: Timestamp may be a JSONata expression (a time in the past continues at once)",
        machine(("Pause", then({"Type": "Wait", "Timestamp": "{% $states.input.at %}"}, "Done")),
                ("Done", end({**PASS, "Output": {"at": "{% $states.input.at %}"}}))),
        input={"at": "2016-03-14T01:59:00Z"},
        output={"at": "2016-03-14T01:59:00Z"},
    ),
    Case(
        "st-fail-error-and-cause-expressions",
        "ST Fail: in JSONata states Error and Cause may be expressions",
        machine(("Stop", {"Type": "Fail", "Error": "{% 'Order.' & $states.input.code %}",
                          "Cause": "{% 'order ' & $string($states.input.id) & ' rejected' %}"})),
        input={"code": "Rejected", "id": 7},
        error="Order.Rejected",
        cause_contains="order 7 rejected",
    ),
    Case(
        "st-task-timeout-expression",
        "ST Task: TimeoutSeconds may be an expression; expiry fails with States.Timeout",
        machine(("Call", end({"Type": "Task", "Resource": "${Activity}",
                              "TimeoutSeconds": "{% $states.input.limit %}"}))),
        input={"limit": 2},
        worker="silent",
        error="States.Timeout",
    ),
    Case(
        "err-catch-output-and-assign",
        "ERR / VAR: a Catch may Assign and shape Output from $states.errorOutput",
        machine(
            ("Call", end({**TASK, "Catch": [{"ErrorEquals": ["Order.Invalid"],
                                             "Assign": {"failure": "{% $states.errorOutput.Error %}"},
                                             "Output": {"cause": "{% $states.errorOutput.Cause %}",
                                                        "input": "{% $states.input %}"},
                                             "Next": "Handle"}]})),
            ("Handle", end({**PASS, "Output": {"failure": "{% $failure %}", "got": "{% $states.input %}"}})),
        ),
        input={"order": 1},
        worker={"fail": ["Order.Invalid", "no items"]},
        output={"failure": "Order.Invalid", "got": {"cause": "no items", "input": {"order": 1}}},
    ),
    Case(
        "err-catch-default-output-is-error-output",
        "ERR: without Output, a JSONata Catch passes $states.errorOutput (Error and Cause) on",
        machine(
            ("Call", end({**TASK, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}]})),
            ("Handle", end(PASS)),
        ),
        worker={"fail": ["Custom", "why"]},
        output={"Error": "Custom", "Cause": "why"},
    ),
    Case(
        "err-retry-then-succeed-with-output",
        "ERR: a JSONata Task with Retry succeeds; Output shapes its result",
        machine(("Call", end({**TASK, "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1,
                                                  "MaxAttempts": 1}],
                              "Output": {"ok": "{% $states.result.ok %}"}}))),
        worker={"output": {"ok": "yes"}},
        output={"ok": "yes"},
    ),
    Case(
        "err-retry-sees-retry-count",
        "ERR / context object: a retried JSONata Task's Arguments see $states.context.State.RetryCount",
        machine(("Call", end({**TASK, "Arguments": {"attempt": "{% $states.context.State.RetryCount %}"},
                              "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "MaxAttempts": 2}]}))),
        worker="fail-once",
        task_input={"attempt": 0},
        output={"attempt": 1},
    ),
    # --- Step Functions JSONata functions ------------------------------------------------
    Case(
        "fn-partition-and-range",
        "FN: $partition([1..9], 3) and $range(0, 10, 2) as documented",
        machine(("P", end({**PASS, "Output": {
            "partition": "{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) %}",
            "uneven": "{% $partition([1, 2, 3, 4, 5], 2) %}",
            "range": "{% $range(0, 10, 2) %}",
        }}))),
        output={"partition": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "uneven": [[1, 2], [3, 4], [5]],
                "range": [0, 2, 4, 6, 8, 10]},
    ),
    Case(
        "fn-hash",
        "FN: $hash(data, algorithm); digests are the standard test vectors",
        machine(("P", end({**PASS, "Output": {
            "sha256": "{% $hash('abc', 'SHA-256') %}",
            "md5": "{% $hash($states.input.text, 'MD5') %}",
        }}))),
        input={"text": "hello"},
        output={"sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "md5": "5d41402abc4b2a76b9719d911017c592"},
    ),
    Case(
        "fn-parse",
        "FN: $parse deserialises a JSON string (Step Functions' replacement for $eval)",
        machine(("P", end({**PASS, "Output": "{% $parse($states.input.json).a[1] %}"}))),
        input={"json": "{\"a\": [1, {\"b\": true}]}"},
        output={"b": True},
    ),
    Case(
        "fn-random-and-uuid",
        "FN: $random(seed) is repeatable and in [0, 1); $uuid() is a version 4 UUID",
        machine(("P", end({**PASS, "Output": {
            "same": "{% $random(7) = $random(7) %}",
            "inRange": "{% $random() >= 0 and $random() < 1 %}",
            "uuid": "{% $uuid() %}",
        }}))),
        check="random-and-uuid",
    ),
    # --- variables -----------------------------------------------------------------------
    Case(
        "var-assign-literals-and-reference",
        "VAR: Assign {productName, count, available}; later states read $productName etc.",
        machine(
            ("Set", then({**PASS, "Assign": {"productName": "product1", "count": 42, "available": True}}, "Use")),
            ("Use", end({**PASS, "Output": {"name": "{% $productName %}", "count": "{% $count + 1 %}",
                                           "available": "{% $available %}"}})),
        ),
        output={"name": "product1", "count": 43, "available": True},
    ),
    Case(
        "var-assign-string-literals-are-json-strings",
        "VAR: Assign values are JSON; escaped quotes and \\u escapes in a string mean their characters",
        machine(
            ("Set", then({**PASS, "Assign": {"quoted": "say \"hi\"", "accent": "caf\u00e9", "nested": {"k": "\u00fc"}}},
                         "Use")),
            ("Use", end({**PASS, "Output": {"quoted": "{% $quoted %}", "accent": "{% $accent %}",
                                           "nested": "{% $nested %}", "length": "{% $length($accent) %}"}})),
        ),
        output={"quoted": 'say "hi"', "accent": "caf\u00e9", "nested": {"k": "\u00fc"}, "length": 4},
    ),
    Case(
        "var-assign-sees-old-values",
        "VAR: all Assign expressions of a state are evaluated before any assignment takes effect",
        machine(
            ("First", then({**PASS, "Assign": {"x": 1}}, "Second")),
            ("Second", then({**PASS, "Assign": {"x": 2, "y": "{% $x %}"}, "Output": "{% $x %}"}, "Show")),
            ("Show", end({**PASS, "Output": {"x": "{% $x %}", "y": "{% $y %}", "input": "{% $states.input %}"}})),
        ),
        output={"x": 2, "y": 1, "input": 1},
    ),
    Case(
        "var-assign-from-task-result",
        "VAR: a Task's Assign reads $states.result; Output and Assign are independent",
        machine(
            ("Call", then({**TASK, "Assign": {"price": "{% $states.result.price %}"},
                           "Output": {"id": "{% $states.result.id %}"}}, "Show")),
            ("Show", end({**PASS, "Output": {"price": "{% $price %}", "input": "{% $states.input %}"}})),
        ),
        worker={"output": {"id": "p-1", "price": 9.5}},
        output={"price": 9.5, "input": {"id": "p-1"}},
    ),
    Case(
        "var-jsonpath-assign-and-reference",
        "VAR: JSONPath states Assign with '.$' keys and read variables with $name in paths",
        machine(
            ("Set", then({**PASS, "Assign": {"customer.$": "$.customer", "greeting": "Hi"}}, "Use")),
            ("Use", end({**PASS, "Parameters": {"name.$": "$customer.name", "first.$": "$customer.orders[0]",
                                               "greeting.$": "$greeting", "literal": "$greeting"}})),
            language=None,
        ),
        input={"customer": {"name": "Ann", "orders": [11, 12]}},
        output={"name": "Ann", "first": 11, "greeting": "Hi", "literal": "$greeting"},
    ),
    Case(
        "var-jsonpath-assign-intrinsic",
        "VAR: a JSONPath Assign value may be an intrinsic function",
        machine(
            ("Set", then({**PASS, "Assign": {"label.$": "States.Format('{}-{}', $.a, $.b)"}}, "Use")),
            ("Use", end({**PASS, "Parameters": {"label.$": "$label"}})),
            language=None,
        ),
        input={"a": "x", "b": 2},
        output={"label": "x-2"},
    ),
    Case(
        "var-inner-scope-reads-outer",
        "VAR: states in a Map iteration read variables of the outer scope",
        machine(
            ("Set", then({**PASS, "Assign": {"factor": 10}}, "Each")),
            ("Each", end({"Type": "Map", "Items": "{% $states.input.xs %}", "ItemProcessor": {
                "StartAt": "Scale", "States": {"Scale": end({**PASS, "Output": "{% $states.input * $factor %}"})}}})),
        ),
        input={"xs": [1, 2]},
        output=[10, 20],
    ),
    Case(
        "var-parallel-branch-scope",
        "VAR: Parallel branches read outer variables; their own variables leave only through Output",
        machine(
            ("Set", then({**PASS, "Assign": {"base": 5}}, "Both")),
            ("Both", then({"Type": "Parallel", "Branches": [
                {"StartAt": "A", "States": {
                    "A": then({**PASS, "Assign": {"local": "{% $base + 1 %}"}}, "B"),
                    "B": end({**PASS, "Output": "{% $local %}"})}},
            ], "Assign": {"fromBranch": "{% $states.result[0] %}"}}, "Show")),
            ("Show", end({**PASS, "Output": {"fromBranch": "{% $fromBranch %}", "base": "{% $base %}"}})),
        ),
        output={"fromBranch": 6, "base": 5},
    ),
    Case(
        "var-inner-scope-cannot-assign-outer",
        "VAR: a state in a Map iteration cannot assign a variable of the outer scope",
        machine(
            ("Set", then({**PASS, "Assign": {"total": 0}}, "Each")),
            ("Each", end({"Type": "Map", "Items": [1], "ItemProcessor": {
                "StartAt": "Add", "States": {"Add": end({**PASS, "Assign": {"total": 1}})}}})),
        ),
        invalid=True,
    ),
    Case(
        "var-jsonpath-assign-after-parameters",
        "VAR: in a JSONPath Pass state, Assign paths read the state's effective input (after Parameters)",
        machine(
            ("Set", then({**PASS, "Parameters": {"Param": "Value1"}, "Assign": {"Var2.$": "$.Param"}}, "Use")),
            ("Use", end({**PASS, "Parameters": {"v.$": "$Var2"}})),
            language=None,
        ),
        output={"v": "Value1"},
    ),
    Case(
        "var-jsonpath-choice-variable",
        "VAR: a JSONPath Choice rule's Variable may be a workflow variable ($n)",
        machine(
            ("Set", then({**PASS, "Assign": {"n": 3}}, "Check")),
            ("Check", {"Type": "Choice", "Choices": [{"Variable": "$n", "NumericEquals": 3, "Next": "Three"}],
                       "Default": "Other"}),
            ("Three", end({**PASS, "Result": {"n": "three"}})),
            ("Other", end({**PASS, "Result": {"n": "other"}})),
            language=None,
        ),
        output={"n": "three"},
    ),
    Case(
        "var-jsonpath-map-items-path",
        "VAR: a JSONPath Map's ItemsPath may select a workflow variable ($items)",
        machine(
            ("Set", then({**PASS, "Assign": {"items": [{"v": 1}, {"v": 2}]}}, "Each")),
            ("Each", end({"Type": "Map", "ItemsPath": "$items", "ItemProcessor": {
                "StartAt": "Keep", "States": {"Keep": end({**PASS, "OutputPath": "$.v"})}}})),
            language=None,
        ),
        output=[1, 2],
    ),
    Case(
        "var-wait-assign-and-output",
        "ST Wait / VAR: a JSONata Wait state may Assign and shape its Output",
        machine(
            ("Pause", then({"Type": "Wait", "Seconds": 0, "Assign": {"seen": "{% $states.input.a %}"},
                            "Output": {"o": "{% $states.input.a %}"}}, "Show")),
            ("Show", end({**PASS, "Output": {"seen": "{% $seen %}", "input": "{% $states.input %}"}})),
        ),
        input={"a": 1},
        output={"seen": 1, "input": {"o": 1}},
    ),
    Case(
        "var-reserved-name-states",
        "VAR: 'states' is reserved ($states) and cannot be assigned",
        machine(("P", end({**PASS, "Assign": {"states": 1}}))),
        invalid=True,
    ),
    # --- errors ------------------------------------------------------------------------------
    Case(
        "err-undefined-result",
        "ERR: an expression that returns nothing fails with States.QueryEvaluationError",
        machine(("P", end({**PASS, "Output": "{% $states.input.missing %}"}))),
        input={"present": 1},
        error="States.QueryEvaluationError",
        cause_contains="$states.input.missing",
    ),
    Case(
        "err-evaluation-error",
        "ERR: a JSONata evaluation error (a string in arithmetic) fails with States.QueryEvaluationError",
        machine(("P", end({**PASS, "Output": "{% $states.input.word + 1 %}"}))),
        input={"word": "abc"},
        error="States.QueryEvaluationError",
    ),
    Case(
        "err-query-evaluation-error-is-catchable",
        "ERR: States.QueryEvaluationError can be caught by name",
        machine(
            ("Both", end({"Type": "Parallel", "Branches": [
                {"StartAt": "Bad", "States": {"Bad": end({**PASS, "Output": "{% $states.input.nope.deeper %}"})}}],
                "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Output": {"error": "{% $states.errorOutput.Error %}"},
                           "Next": "Caught"}]})),
            ("Caught", end(PASS)),
        ),
        output={"error": "States.QueryEvaluationError"},
    ),
    Case(
        "err-items-not-an-array",
        "ST Map: Items must evaluate to an array, else States.QueryEvaluationError",
        machine(("Each", end({"Type": "Map", "Items": "{% $states.input.list %}",
                              "ItemProcessor": {"StartAt": "Keep", "States": {"Keep": end(PASS)}}}))),
        input={"list": "a,b"},
        error="States.QueryEvaluationError",
        cause_contains="Items",
    ),
    Case(
        "err-wait-seconds-not-a-number",
        "ST Wait: Seconds must evaluate to a whole number of seconds, else States.QueryEvaluationError",
        machine(("Pause", end({"Type": "Wait", "Seconds": "{% $states.input.delay %}"}))),
        input={"delay": "soon"},
        error="States.QueryEvaluationError",
        cause_contains="Seconds",
    ),
    Case(
        "err-fail-error-not-a-string",
        "ST Fail: an Error expression must evaluate to a string, else States.QueryEvaluationError",
        machine(("Stop", {"Type": "Fail", "Error": "{% $states.input.code %}"})),
        input={"code": 500},
        error="States.QueryEvaluationError",
        cause_contains="Error",
    ),
    Case(
        "err-eval-not-available",
        "TD: $eval is not available in Step Functions (use $parse)",
        machine(("P", end({**PASS, "Output": "{% $eval('1 + 1') %}"}))),
        error="States.QueryEvaluationError",
    ),
    # --- definitions AWS refuses ---------------------------------------------------------
    *[
        Case(
            f"def-jsonata-state-with-{field_name}",
            f"TD: a JSONata state cannot use the JSONPath field {field_name}",
            machine(("P", end({**PASS, field_name: value}))),
            invalid=True,
        )
        for field_name, value in (
            ("InputPath", "$.a"), ("Parameters", {"a": 1}), ("ResultPath", "$.r"), ("OutputPath", "$.o"),
            ("Result", {"a": 1}),
        )
    ],
    Case(
        "def-dollar-at-top-level",
        "TD: an expression cannot use $ or $$ at its top level (use $states.input)",
        machine(("P", end({**PASS, "Output": {"all": "{% $ %}"}}))),
        invalid=True,
    ),
    Case(
        "def-double-dollar-at-top-level",
        "TD: an expression cannot use $$ at its top level (use $states.context)",
        machine(("P", end({**PASS, "Output": "{% $$.Execution.Id %}"}))),
        invalid=True,
    ),
    Case(
        "def-unqualified-field-name",
        "TD: an expression cannot use an unqualified field name at its top level",
        machine(("P", end({**PASS, "Output": "{% title %}"}))),
        invalid=True,
    ),
    Case(
        "def-names-inside-predicates-are-fine",
        "TD: field names inside a path predicate are relative to the element, so allowed",
        machine(("P", end({**PASS, "Output": {"names": "{% $states.input.items[price > 10].name %}"}}))),
        input={"items": [{"name": "cheap", "price": 1}, {"name": "dear", "price": 11}]},
        output={"names": "dear"},
    ),
    Case(
        "def-pass-state-with-arguments",
        "ST Pass / TD: Arguments belongs to Task and Parallel states only",
        machine(("P", end({**PASS, "Arguments": {"a": 1}}))),
        invalid=True,
    ),
    Case(
        "def-fail-state-with-output",
        "ST Fail: a Fail state has no Output (only Error and Cause)",
        machine(("F", {"Type": "Fail", "Error": "E", "Output": {"a": 1}})),
        invalid=True,
    ),
    Case(
        "def-succeed-state-with-assign",
        "VAR: Assign is supported in Pass, Task, Map, Parallel, Choice and Wait states, not in Succeed",
        machine(("S", {"Type": "Succeed", "Assign": {"x": 1}})),
        invalid=True,
    ),
    Case(
        "def-jsonata-task-with-ResultSelector",
        "TD: a JSONata Task cannot use ResultSelector",
        machine(("Call", end({**TASK, "ResultSelector": {"a.$": "$.a"}}))),
        invalid=True,
    ),
    Case(
        "def-jsonata-choice-with-variable",
        "TD: a JSONata Choice rule uses Condition, not Variable and comparison operators",
        machine(("C", {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "E"}],
                       "Default": "E"}), ("E", end(PASS))),
        invalid=True,
    ),
    Case(
        "def-jsonpath-state-with-output",
        "TD: Output and Arguments belong to JSONata states only",
        machine(("P", end({**PASS, "Output": {"a": 1}})), language=None),
        invalid=True,
    ),
    Case(
        "def-jsonpath-state-in-jsonata-machine",
        "TD: with a JSONata top level, a state cannot set QueryLanguage JSONPath",
        machine(("P", end({**PASS, "QueryLanguage": "JSONPath"}))),
        invalid=True,
    ),
]
