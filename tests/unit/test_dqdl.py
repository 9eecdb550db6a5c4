"""The local Glue Data Quality reads DQDL rulesets and refuses loudly what it cannot evaluate."""

from __future__ import annotations

import importlib

import pytest

from embedded_aws.glue import job_env


@pytest.fixture
def dqdl(monkeypatch):
    monkeypatch.syspath_prepend(str(job_env.JOB_RUNTIME))
    return importlib.import_module("awsgluedq._dqdl")


def test_rules_keep_their_text_columns_and_constraints(dqdl):
    rules = dqdl.parse('Rules = [ RowCount between 1 and 10, ColumnValues "size" in ["S", "M", NULL] with threshold > 0.9 ]')
    assert [r.text for r in rules] == ["RowCount between 1 and 10", 'ColumnValues "size" in ["S", "M", NULL] with threshold > 0.9']
    assert (rules[0].constraint.op, rules[0].constraint.values) == ("between", [1, 10])
    assert rules[1].columns == ["size"] and rules[1].constraint.values == ["S", "M", None]
    assert rules[1].threshold.holds(0.95) and not rules[1].threshold.holds(0.9)


@pytest.mark.parametrize("ruleset", [
    'Rules = [ CustomSql "select count(*) from primary" > 0 ]',
    'Rules = [ IsComplete "a" and IsComplete "b" ]',
    'Rules = [ RowCount > 0 where "a > 1" ]',
    'Analyzers = [ RowCount ]',
])
def test_what_is_not_evaluated_locally_is_refused(dqdl, ruleset):
    with pytest.raises(NotImplementedError, match="not supported locally"):
        dqdl.parse(ruleset)


def test_a_malformed_ruleset_is_an_error(dqdl):
    with pytest.raises(ValueError):
        dqdl.parse("RowCount > 0")
