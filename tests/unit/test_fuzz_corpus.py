"""The fuzzing corpus (tests/fuzz_corpus.py): what it covers, that it can be
delivered, and that its expectations agree with the runner's own parsing
wherever parsing alone decides."""

from __future__ import annotations

import collections
import json
import re

import pytest
from fuzz_corpus import (
    ATHENA,
    GLUE,
    INVALID,
    MAX_TASK_INPUT_BYTES,
    REFUSED,
    SFN_MAX_INPUT_BYTES,
    VALID,
    FuzzCase,
    categories,
    corpus,
    delivered_sizes,
    execution_input,
    service_categories,
)

from runners.athena import AthenaAdapter
from runners.errors import InvalidTaskInputError
from runners.glue import GlueAdapter
from runners.task_input import load_task_input

GLUE_JOB = "fuzz-known-job"
NAMED_QUERY = "fuzz-known-query"
RESULTS = "s3://fuzz-results/athena/"
PER_CATEGORY = 8

CASES = corpus(glue_job=GLUE_JOB, named_query=NAMED_QUERY, results=RESULTS)
SERVICE = service_categories()
BY_CATEGORY: dict[str, list[FuzzCase]] = collections.defaultdict(list)
for _case in CASES:
    BY_CATEGORY[_case.category].append(_case)
DECLARED_KINDS = {c.name: set(c.kinds) for c in categories(glue_job=GLUE_JOB, named_query=NAMED_QUERY, results=RESULTS)}

# Two ways Step Functions may hand the input over: non-ASCII escaped (\u00e9,
# \ud800) or as UTF-8 characters. The runner must answer the same either way.
DELIVERIES = {
    "escaped": lambda payload: json.dumps(payload),
    "unescaped": lambda payload: json.dumps(payload, ensure_ascii=False),
}


def parse(case: FuzzCase, raw: str):
    """What the runner does with the text before any service call."""
    adapter = GlueAdapter(None) if case.kind == GLUE else AthenaAdapter(None)
    return adapter.parse(load_task_input(raw, MAX_TASK_INPUT_BYTES))


def cases_where(predicate) -> list:
    return [pytest.param(case, id=case.label) for case in CASES if predicate(case)]


def judged_by_parsing(case: FuzzCase) -> bool:
    return case.expect == INVALID and case.category not in SERVICE


# -- coverage ---------------------------------------------------------------------------


def test_covers_at_least_30_categories_each_with_per_category_cases():
    assert len(BY_CATEGORY) >= 30
    assert {name: len(cases) for name, cases in BY_CATEGORY.items() if len(cases) != PER_CATEGORY} == {}
    assert 300 <= len(CASES) <= 1000


def test_categories_for_both_runners_have_cases_for_both():
    assert {name: {c.kind for c in cases} for name, cases in BY_CATEGORY.items()} == DECLARED_KINDS
    both = [name for name, kinds in DECLARED_KINDS.items() if kinds == {GLUE, ATHENA}]
    assert len(both) >= 15


def test_covers_the_required_kinds_of_hostile_input():
    required = {
        "malformed-json", "non-standard-numbers", "empty-or-whitespace", "not-an-object-value", "not-an-object-text",
        "deep-nesting-text", "huge-integers", "broken-unicode-escapes", "lone-surrogate-values", "control-characters",
        "oversized-input", "glue-job-name-type", "glue-arguments-type", "glue-arguments-keys", "glue-worker-type",
        "glue-number-of-workers", "glue-timeout", "athena-query-string-type", "athena-query-xor-named-query",
        "athena-output-location", "athena-encryption", "athena-execution-parameters", "unknown-fields",
        "glue-reserved-argument", "unknown-glue-job", "unknown-named-query-name", "unknown-named-query-uuid",
        "sql-injection-job-names", "sql-injection-named-query-names", "sql-injection-database-names",
        "path-traversal-names", "very-long-strings", "valid-glue", "valid-athena",
    }
    assert required - set(BY_CATEGORY) == set()


def test_every_expectation_is_invalid_refused_or_valid_and_one_per_category():
    assert {c.expect for c in CASES} <= {INVALID, REFUSED, VALID}
    assert all(len({c.expect for c in cases}) == 1 for cases in BY_CATEGORY.values())
    assert {c.kind for c in CASES} == {GLUE, ATHENA}


# -- determinism --------------------------------------------------------------------------


def test_same_arguments_give_the_same_corpus():
    assert corpus(glue_job=GLUE_JOB, named_query=NAMED_QUERY, results=RESULTS) == CASES


def test_another_seed_gives_other_variants_of_the_same_categories():
    other = corpus(seed=7, glue_job=GLUE_JOB, named_query=NAMED_QUERY, results=RESULTS)
    assert [c.category for c in other] == [c.category for c in CASES]
    assert sum(a.payload != b.payload for a, b in zip(other, CASES)) > len(CASES) // 2


def test_per_category_sets_the_number_of_cases():
    small = corpus(per_category=3, glue_job=GLUE_JOB, named_query=NAMED_QUERY, results=RESULTS)
    assert collections.Counter(c.category for c in small) == {name: 3 for name in BY_CATEGORY}
    large = corpus(per_category=20, glue_job=GLUE_JOB, named_query=NAMED_QUERY, results=RESULTS)
    assert len(large) == 20 * len(BY_CATEGORY)


# -- delivery -----------------------------------------------------------------------------


def test_labels_are_unique_and_printable_ascii():
    labels = [c.label for c in CASES]
    assert len(set(labels)) == len(labels)
    assert [label for label in labels if not re.fullmatch(r"[ -~]+", label)] == []


def test_every_case_is_deliverable_as_step_functions_execution_input():
    """JSON without NaN, lone surrogates escaped, under 256 KiB, and it comes back unchanged."""
    too_big = {}
    for case in CASES:
        text = execution_input(case.payload)
        assert text == json.dumps({"payload": case.payload}, allow_nan=False)
        assert text.isascii()
        size = len(text.encode("utf-8"))
        if size >= SFN_MAX_INPUT_BYTES:
            too_big[case.label] = size
        assert json.loads(text) == {"payload": case.payload}, case.label
    assert too_big == {}


def test_oversized_inputs_exceed_the_runner_limit_however_they_are_serialised():
    for case in BY_CATEGORY["oversized-input"]:
        smallest, largest = delivered_sizes(case.payload)
        assert MAX_TASK_INPUT_BYTES < smallest <= largest < SFN_MAX_INPUT_BYTES, case.label


def test_other_inputs_stay_under_the_runner_limit_so_their_own_fault_is_what_is_judged():
    over = [c.label for c in CASES if c.category not in {"oversized-input", "athena-query-string-type"} and delivered_sizes(c.payload)[1] > MAX_TASK_INPUT_BYTES]
    assert over == []


def nesting_depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def test_deep_nesting_is_text_between_1000_and_5000_levels():
    for case in BY_CATEGORY["deep-nesting-text"] + BY_CATEGORY["deep-nesting-in-field"]:
        assert isinstance(case.payload, str), case.label
        assert 1000 < nesting_depth(case.payload) <= 5001, case.label


def test_huge_integers_are_text_with_more_than_4300_digits():
    for case in BY_CATEGORY["huge-integers"]:
        assert isinstance(case.payload, str) and re.search(r"\d{4301,}", case.payload), case.label


def test_lone_surrogates_appear_as_escapes_in_text_and_as_characters_in_values():
    escapes = [c for c in CASES if isinstance(c.payload, str) and re.search(r"\\u[dD][89abAB]", c.payload)]
    characters = [c for c in BY_CATEGORY["lone-surrogate-values"] if re.search("[\ud800-\udfff]", json.dumps(c.payload, ensure_ascii=False))]
    assert escapes and len(characters) == PER_CATEGORY


# -- names ---------------------------------------------------------------------------------


def test_valid_controls_exist_for_both_runners_and_use_the_given_resources():
    glue = BY_CATEGORY["valid-glue"]
    athena = BY_CATEGORY["valid-athena"]
    assert {c.kind for c in glue} == {GLUE} and {c.kind for c in athena} == {ATHENA}
    for case in glue:
        task = load_task_input(json.dumps(case.payload), MAX_TASK_INPUT_BYTES)
        assert task["GlueJobName"] == GLUE_JOB and task.get("Arguments", {}) in ({}, {"--seconds": "0"}), case.label
    for case in athena:
        task = load_task_input(json.dumps(case.payload), MAX_TASK_INPUT_BYTES)
        assert task["AthenaResultOutputLocation"] == RESULTS, case.label
        assert task.get("AthenaNamedQuery", NAMED_QUERY) == NAMED_QUERY
        assert task.get("AthenaDatabase", "default") == "default" and task.get("AthenaWorkGroup", "primary") == "primary"
        placeholders = task.get("AthenaQueryString", "").count("?")
        assert len(task.get("ExecutionParameters", [])) == placeholders, case.label


def test_valid_controls_come_as_an_object_and_as_a_json_string():
    for name in ("valid-glue", "valid-athena"):
        shapes = {type(c.payload) for c in BY_CATEGORY[name]}
        assert shapes == {dict, str}, name
    assert any("AthenaNamedQuery" in load_task_input(json.dumps(c.payload), MAX_TASK_INPUT_BYTES) for c in BY_CATEGORY["valid-athena"])


def test_names_meant_not_to_exist_are_never_the_real_ones():
    fields = {GLUE: "GlueJobName", ATHENA: "AthenaNamedQuery"}
    for name in ("unknown-glue-job", "unknown-named-query-name", "unknown-named-query-uuid", "sql-injection-job-names",
                 "sql-injection-named-query-names", "sql-injection-database-names", "path-traversal-names"):
        for case in BY_CATEGORY[name]:
            value = load_task_input(json.dumps(case.payload), MAX_TASK_INPUT_BYTES)[fields[case.kind]]
            assert value not in (GLUE_JOB, NAMED_QUERY), case.label
    uuids = [load_task_input(json.dumps(c.payload), MAX_TASK_INPUT_BYTES)["AthenaNamedQuery"] for c in BY_CATEGORY["unknown-named-query-uuid"]]
    assert any(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", u) for u in uuids)


def test_unknown_names_carry_a_suffix_from_the_seed():
    def names(seed):
        cases = corpus(seed=seed, glue_job=GLUE_JOB, named_query=NAMED_QUERY, results=RESULTS)
        return {json.dumps(c.payload) for c in cases if c.category in ("unknown-glue-job", "unknown-named-query-name")}

    assert names(1).isdisjoint(names(2))


# -- agreement with the runner's parsing ------------------------------------------------------


@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
@pytest.mark.parametrize("case", cases_where(judged_by_parsing))
def test_input_that_parsing_alone_can_judge_fails_as_invalid_task_input(case, delivery):
    """Not RecursionError, ValueError or UnicodeEncodeError: anything else is
    reported as RunnerInternalError or retried until the task times out."""
    with pytest.raises(InvalidTaskInputError):
        parse(case, DELIVERIES[delivery](case.payload))


@pytest.mark.parametrize("case", cases_where(lambda c: c.category in SERVICE))
def test_input_whose_answer_needs_the_service_passes_parsing(case):
    """Valid controls, unknown names and refused starts must reach Glue or Athena."""
    for deliver in DELIVERIES.values():
        parse(case, deliver(case.payload))
