"""The JSONata pieces of the embedded Step Functions, without a server:
the engine, the Step Functions functions, and the definition checks."""

from __future__ import annotations

import sys

import pytest

from embedded_aws.stepfunctions.jsonata import expressions, validation
from embedded_aws.stepfunctions.jsonata.engine import UNDEFINED, EvaluationError, evaluate


def test_undefined_is_not_null():
    assert evaluate("$states.input.missing", {"states": {"input": {}}}) is UNDEFINED
    assert evaluate("$states.input.present", {"states": {"input": {"present": None}}}) is None
    assert evaluate("[1, $nothing]", {}) == [1]


def test_whole_numbers_come_back_as_integers():
    assert evaluate("1 + 1", {}) == 2 and isinstance(evaluate("1 + 1", {}), int)
    assert evaluate("10 / 4", {}) == 2.5
    assert evaluate("$sum($x)", {"x": [0.5, 0.5]}) == 1


def test_non_json_results_and_errors_are_evaluation_errors():
    for expression in ("function($x) { $x }", "1 / 0", "'a' + 1", "$states.input.(", "$eval('1')"):
        with pytest.raises(EvaluationError):
            evaluate(expression, {"states": {"input": {}}})


def test_importing_the_engine_keeps_the_recursion_limit():
    assert sys.getrecursionlimit() < 10000  # jsonata-python would set 10000
    with pytest.raises(EvaluationError, match="recursed too deeply"):
        evaluate("($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))", {})


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("$partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)", [[1, 2, 3], [4, 5, 6], [7, 8, 9]]),
        ("$partition([1, 2, 3], 5)", [[1, 2, 3]]),
        ("$range(0, 10, 2)", [0, 2, 4, 6, 8, 10]),
        ("$range(5, 1, -2)", [5, 3, 1]),
        ("$range(1, 3, 5)", [1]),
        ("$hash('hello', 'SHA-1')", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        ("$hash('', 'MD5')", "d41d8cd98f00b204e9800998ecf8427e"),
        ("$parse('[1, \"two\", null]')", [1, "two", None]),
        ("$random(42) = $random(42)", True),
        ("$length($uuid())", 36),
    ],
)
def test_step_functions_functions(expression, expected):
    assert evaluate(expression, {}) == expected


@pytest.mark.parametrize(
    "expression",
    ["$partition([1, 2], 0)", "$range(1, 5, 0)", "$hash('a', 'SHA-3')", "$parse('{not json')", "$random(1.5)"],
)
def test_step_functions_functions_refuse_bad_arguments(expression):
    with pytest.raises(EvaluationError):
        evaluate(expression, {})


@pytest.mark.parametrize(
    "expression, refused",
    [
        ("$", True), ("$$", True), ("$.a", True), ("title", True), ("a + 1", True), ("{'k': name}", True),
        ("$states.input.title", False), ("$x.y", False), ("$states.input.items[price > 1].name", False),
        ("$map($states.input, function($v) { $v.name })", False), ("'text'", False), ("$sum($states.input.a)", False),
    ],
)
def test_top_level_reads_of_the_context(expression, refused):
    assert (expressions.top_level_problem(expression) is not None) == refused


def _machine(**state):
    return {"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {"Type": "Pass", "End": True, **state}}}


def test_a_valid_jsonata_machine_has_no_problems():
    assert validation.problems(_machine(Output={"a": "{% $states.input.a %}"}, Assign={"x": 1})) == []


def test_each_jsonpath_field_in_a_jsonata_state_is_named_with_its_location():
    found = validation.problems(_machine(InputPath="$.a", OutputPath="$.b"))
    assert any("'InputPath'" in p and p.endswith("/States/S/InputPath") for p in found)
    assert any("'OutputPath'" in p for p in found)


def test_nested_machines_inherit_the_top_level_language():
    definition = _machine()
    definition["States"]["S"] = {"Type": "Map", "End": True, "Items": [1], "ItemProcessor": {
        "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True, "Parameters": {"a": 1}}}}}
    assert any("/States/S/ItemProcessor/States/I/Parameters" in p for p in validation.problems(definition))


def test_sibling_branches_may_assign_the_same_name():
    definition = _machine()
    definition["States"]["S"] = {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Assign": {"v": 1}}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True, "Assign": {"v": 2}}}},
    ]}
    assert validation.problems(definition) == []


def test_query_language_problems_are_reported_by_the_one_definition_check():
    from embedded_aws.stepfunctions import validation as definition_check

    found = definition_check.diagnostics('{"QueryLanguage": "JSONata", "StartAt": "S", '
                                         '"States": {"S": {"Type": "Pass", "End": true, "ResultPath": "$.r"}}}')
    assert [(d.code, d.location) for d in found] == [("SCHEMA_VALIDATION_FAILED", "/States/S/ResultPath")]
    assert [d.code for d in definition_check.diagnostics("not json")] == ["INVALID_JSON_DESCRIPTION"]