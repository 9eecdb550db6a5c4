"""EventBridge input transformation, unit by unit (embedded_aws.events.input_transformer)."""

from __future__ import annotations

import json

import pytest

from embedded_aws.events.input_transformer import check_path, render, select, target_input

EVENT = {"id": "1", "source": "s", "detail": {"key": "a/b", "items": [{"n": 1}, {"n": 2}], "quote": 'say "hi"', "none": None}}


def test_a_template_string_keeps_its_escapes_and_only_known_placeholders_change():
    values = {"key": "a/b"}
    assert render('{"text": "\\"<key>\\" <other>", "k": <key>}', values) == '{"text": "\\"a/b\\" <other>", "k": "a/b"}'


def test_a_string_template_inserts_every_value_as_text():
    assert render("<key> is <n>", {"key": "a/b", "n": 5}) == "a/b is 5"


def test_json_values_outside_strings_are_json_even_with_quotes_inside():
    assert json.loads(render('{"q": <q>, "none": <none>}', {"q": 'say "hi"', "none": None})) == {"q": 'say "hi"', "none": None}


def test_paths_select_names_and_indices():
    assert select(EVENT, "$.detail.items[1].n") == 2
    assert select(EVENT, "$") == EVENT
    assert select(EVENT, "$.detail.none") is None


@pytest.mark.parametrize("path", ["$.detail.*", "$..key", "detail.key", "$.detail[*]"])
def test_paths_it_cannot_follow_are_refused(path):
    with pytest.raises(NotImplementedError):
        check_path(path)


def test_input_path_and_transformer_outputs():
    options = {"rule_name": "r", "rule_arn": "arn:r", "ingestion_time": "2026-01-01T00:00:00Z"}
    assert target_input({"InputPath": "$.detail.items"}, EVENT, **options) == '[{"n": 1}, {"n": 2}]'
    assert target_input({"InputPath": "$.detail.missing"}, EVENT, **options) == "null"
    transformer = {"InputPathsMap": {"k": "$.detail.key"}, "InputTemplate": '{ "k" : <k>, "rule": "<aws.events.rule-name>" }'}
    assert target_input({"InputTransformer": transformer}, EVENT, **options) == '{"k":"a/b","rule":"r"}'
