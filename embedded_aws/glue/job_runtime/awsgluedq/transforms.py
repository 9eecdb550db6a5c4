"""``EvaluateDataQuality``: evaluate a DQDL ruleset on a DynamicFrame, as Glue Data Quality does.

``EvaluateDataQuality.apply(frame, ruleset, publishing_options)`` returns the
rule outcomes (``Rule``, ``Outcome`` Passed/Failed, ``FailureReason``,
``EvaluatedMetrics``); ``EvaluateDataQuality().process_rows(...)`` (what Glue
Studio writes) returns a collection with ``ruleOutcomes`` and
``rowLevelOutcomes`` (the rows plus ``DataQualityRulesPass``,
``DataQualityRulesFail``, ``DataQualityRulesSkip`` and
``DataQualityEvaluationResult``; dataset-level rules are skipped per row).
"""

from __future__ import annotations

from typing import Any

from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection
from awsgluedq import _dqdl

_OUTCOMES_SCHEMA = "Rule string, Outcome string, FailureReason string, EvaluatedMetrics map<string,double>"


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _failure(value: Any) -> str:
    return f"Value: {value} does not meet the constraint requirement!"


class _Evaluation:
    def __init__(self, df: Any, rules: list[_dqdl.Rule]):
        self.df = df
        self.rules = rules
        self.rows = df.count()

    def _need(self, rule: _dqdl.Rule, count: int) -> None:
        if len(rule.columns) != count:
            raise _dqdl.DqdlError(f"{rule.kind} takes {count} column name(s): {rule.text}")

    def _has(self, name: str) -> bool:
        return name.lower() in {c.lower() for c in self.df.columns}

    def _metric(self, rule: _dqdl.Rule) -> tuple[str, float | None]:
        from pyspark.sql import functions as F

        if rule.kind == "RowCount":
            return "Dataset.*.RowCount", float(self.rows)
        if rule.kind == "ColumnCount":
            return "Dataset.*.ColumnCount", float(len(self.df.columns))
        name = rule.columns[0]
        c = F.col(_quote(name))
        key = f"Column.{name}.{rule.kind}"
        if rule.kind == "Completeness":
            return key, (self.df.where(c.isNotNull()).count() / self.rows) if self.rows else 1.0
        if rule.kind == "Uniqueness":
            return key, self._uniqueness(name)
        if rule.kind == "DistinctValuesCount":
            return key, float(self.df.select(c).where(c.isNotNull()).distinct().count())
        aggregate = {"Mean": F.avg, "Sum": F.sum, "StandardDeviation": F.stddev_pop}[rule.kind]
        value = self.df.agg(aggregate(c.cast("double"))).first()[0]
        return key, None if value is None else float(value)

    def _uniqueness(self, name: str) -> float:
        from pyspark.sql import functions as F

        if not self.rows:
            return 1.0
        counts = self.df.where(F.col(_quote(name)).isNotNull()).groupBy(_quote(name)).count()
        return counts.where(F.col("count") == 1).count() / self.rows

    def outcome(self, rule: _dqdl.Rule) -> tuple[str, str | None, dict[str, float]]:
        """(Outcome, FailureReason, EvaluatedMetrics) of one rule."""
        from pyspark.sql import functions as F

        if rule.kind in _dqdl.DATASET_RULES or rule.kind in _dqdl.COLUMN_METRIC_RULES:
            self._need(rule, 0 if rule.kind in _dqdl.DATASET_RULES else 1)
            if rule.constraint is None:
                raise _dqdl.DqdlError(f"{rule.kind} needs a constraint: {rule.text}")
            if rule.columns and not self._has(rule.columns[0]):
                return "Failed", f"Column {rule.columns[0]} does not exist", {}
            key, value = self._metric(rule)
            metrics = {key: value} if value is not None else {}
            ok = value is not None and rule.constraint.holds(value)
            return ("Passed", None, metrics) if ok else ("Failed", _failure(value), metrics)
        self._need(rule, 1)
        name = rule.columns[0]
        if rule.kind == "ColumnExists":
            return ("Passed", None, {}) if self._has(name) else ("Failed", f"Column {name} does not exist", {})
        if not self._has(name):
            return "Failed", f"Column {name} does not exist", {}
        if rule.kind in ("IsComplete", "IsUnique", "IsPrimaryKey"):
            metrics: dict[str, float] = {}
            if rule.kind in ("IsComplete", "IsPrimaryKey"):
                metrics[f"Column.{name}.Completeness"] = (
                    self.df.where(F.col(_quote(name)).isNotNull()).count() / self.rows if self.rows else 1.0)
            if rule.kind in ("IsUnique", "IsPrimaryKey"):
                metrics[f"Column.{name}.Uniqueness"] = self._uniqueness(name)
            ok = all(v == 1.0 for v in metrics.values())
            worst = min(metrics.values()) if metrics else 1.0
            return ("Passed", None, metrics) if ok else ("Failed", _failure(worst), metrics)
        # Row-level rules: the share of rows that comply must be 1 (or meet the threshold).
        compliance = self.row_condition(rule)
        complying = self.df.where(compliance).count() / self.rows if self.rows else 1.0
        metrics = {f"Column.{name}.{rule.kind}.Compliance": complying}
        ok = rule.threshold.holds(complying) if rule.threshold else complying == 1.0
        return ("Passed", None, metrics) if ok else ("Failed", _failure(round(complying, 4)), metrics)

    def row_condition(self, rule: _dqdl.Rule) -> Any:
        """For a row-level rule: the Spark condition a row must meet."""
        from pyspark.sql import functions as F

        c = F.col(_quote(rule.columns[0]))
        if rule.kind == "IsComplete":
            return c.isNotNull()
        if rule.constraint is None:
            raise _dqdl.DqdlError(f"{rule.kind} needs a constraint: {rule.text}")
        return rule.constraint.column(F.length(c) if rule.kind == "ColumnLength" else c)


def _evaluate(frame: DynamicFrame, ruleset: str) -> tuple[Any, Any]:
    """(rule outcomes DataFrame, row-level outcomes DataFrame)."""
    from pyspark.sql import functions as F

    df = frame.toDF()
    rules = _dqdl.parse(ruleset)
    evaluation = _Evaluation(df, rules)
    outcomes = [(rule.text, *evaluation.outcome(rule)) for rule in rules]
    spark = df.sparkSession
    rule_outcomes = spark.createDataFrame(outcomes, _OUTCOMES_SCHEMA)

    row_rules = [r for r in rules if r.kind in _dqdl.ROW_RULES or r.kind == "IsComplete"]
    skipped = [r.text for r in rules if r not in row_rules]
    passed = F.filter(F.array(*[F.when(evaluation.row_condition(r), F.lit(r.text)) for r in row_rules]), lambda x: x.isNotNull()) \
        if row_rules else F.array().cast("array<string>")
    failed = F.filter(F.array(*[F.when(~evaluation.row_condition(r), F.lit(r.text)) for r in row_rules]), lambda x: x.isNotNull()) \
        if row_rules else F.array().cast("array<string>")
    rows = (
        df.withColumn("DataQualityRulesPass", passed)
        .withColumn("DataQualityRulesFail", failed)
        .withColumn("DataQualityRulesSkip", F.array(*[F.lit(t) for t in skipped]).cast("array<string>"))
        .withColumn("DataQualityEvaluationResult", F.when(F.size("DataQualityRulesFail") == 0, "Passed").otherwise("Failed"))
    )
    return rule_outcomes, rows


class EvaluateDataQuality:
    """Glue Data Quality's transform (results are not published to the Data Quality service locally)."""

    @classmethod
    def apply(cls, frame: DynamicFrame, ruleset: str, publishing_options: dict[str, Any] | None = None,
              additional_options: dict[str, Any] | None = None, **kwargs: Any) -> DynamicFrame:
        outcomes, _ = _evaluate(frame, ruleset)
        return DynamicFrame(outcomes, frame.glue_ctx, "ruleOutcomes")

    def process_rows(self, frame: DynamicFrame, ruleset: str, publishing_options: dict[str, Any] | None = None,
                     additional_options: dict[str, Any] | None = None, **kwargs: Any) -> DynamicFrameCollection:
        outcomes, rows = _evaluate(frame, ruleset)
        return DynamicFrameCollection(
            {"ruleOutcomes": DynamicFrame(outcomes, frame.glue_ctx, "ruleOutcomes"),
             "rowLevelOutcomes": DynamicFrame(rows, frame.glue_ctx, "rowLevelOutcomes")},
            frame.glue_ctx,
        )
