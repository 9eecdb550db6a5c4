"""The permission check: every request a step makes at run time must be
allowed by the roles the templates generate, or the check names the step,
the action and the resource ("works locally, AccessDenied on AWS" cannot
happen for what we generate)."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from runners.pipelines.triggers import trigger_rules
from pipeline_examples import ROOT, daily_orders, sample, with_stack, write_project
from runners.pipelines.cfn_resolve import Environment
from runners.pipelines.loader import load_pipeline
from runners.pipelines.permissions import Deployed, Deployment, check_permissions, policy_limit_problems, required, written_argument
from runners.pipelines.stack import render_pipeline_stack, standard_placeholders

DATA = "etl-runner-data"


@pytest.fixture(scope="module")
def sales():
    return with_stack(sample())


@pytest.fixture(scope="module")
def orders(tmp_path_factory):
    return with_stack(daily_orders(tmp_path_factory.mktemp("orders")))


def statement(template: dict, logical: str, sid: str) -> dict:
    props = template["Resources"][logical]["Properties"]
    document = props["PolicyDocument"] if "PolicyDocument" in props else props["Policies"][0]["PolicyDocument"]
    return next(s for s in document["Statement"] if s["Sid"] == sid)


def without(template: dict, logical: str, sid: str, action: str | None = None) -> dict:
    """The template with one statement (or one action of it) removed."""
    changed = copy.deepcopy(template)
    props = changed["Resources"][logical]["Properties"]
    document = props["PolicyDocument"] if "PolicyDocument" in props else props["Policies"][0]["PolicyDocument"]
    if action is None:
        document["Statement"] = [s for s in document["Statement"] if s["Sid"] != sid]
    else:
        found = next(s for s in document["Statement"] if s["Sid"] == sid)
        found["Action"] = [a for a in found["Action"] if a != action]
    return changed


def test_the_generated_stacks_allow_everything_both_example_pipelines_do(sales, orders):
    for pipeline, template in (sales, orders):
        assert check_permissions(pipeline, template=template) == []
    needs, unknown = required(sales[0], Deployed(sales[0], sales[1], Deployment()))
    assert unknown == []
    principals = {n.principal for n in needs}
    assert principals == {"Glue runner", "Glue job", "Athena runner", "wait runner", "object_created", "state machine", "scheduler", "pipeline trigger"}


def test_the_trigger_function_is_checked_for_what_an_ended_execution_takes(sales):
    """Lineage, the report and the reads behind them: a grant taken away is named."""
    pipeline, template = sales
    problems = check_permissions(pipeline, template=without(template, "PipelineTriggerPolicy", "ReadExecutions", "states:GetExecutionHistory"))
    assert problems == [
        "execution ended: the pipeline trigger role lacks states:GetExecutionHistory on "
        "arn:aws:states:us-east-1:123456789012:execution:etl-runner-sales-marketing:2026-11-16 (read the ended execution back)"]
    problems = check_permissions(pipeline, template=without(template, "PipelineTriggerPolicy", "PublishReport"))
    assert len(problems) == 1 and "lacks sns:Publish" in problems[0] and "publish the run report" in problems[0]
    problems = check_permissions(pipeline, template=without(template, "PipelineTriggerPolicy", "WriteLineage"))
    assert len(problems) == 1 and "_lineage/pipeline=sales-marketing/run_date=2026-11-16/" in problems[0]


def test_the_check_renders_the_stack_itself_when_none_is_given(sales):
    assert check_permissions(sales[0]) == []


@pytest.mark.parametrize("path", sorted((ROOT / "pipelines").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_pipeline_passes_the_check(path):
    assert check_permissions(load_pipeline(path)) == []


def test_an_action_removed_from_a_runner_grant_is_named_with_step_and_resource(sales):
    pipeline, template = sales
    problems = check_permissions(pipeline, template=without(template, "RunnerPolicy", "GlueJobRuns", "glue:BatchStopJobRun"))
    assert problems == [
        f"step {step}: the Glue runner role lacks glue:BatchStopJobRun on arn:aws:glue:us-east-1:123456789012:job/etl-runner-sales-marketing-{job} (start, watch and stop the step's job)"
        for step, job in (("process_sales_data", "ProcessSalesData"), ("process_marketing_data", "ProcessMarketingData"),
                          ("join_marketing_and_sales_data", "JoinMarketingAndSalesData"))
    ]


def test_a_removed_write_grant_names_the_statement_that_needs_it(sales):
    pipeline, template = sales
    problems = check_permissions(pipeline, template=without(template, "RunnerPolicy", "AthenaWriteTables"))
    assert problems == [
        "step store_monthly_aggregate: the Athena runner role lacks s3:PutObject on "
        f"arn:aws:s3:::{DATA}/aggregates/sales_marketing_monthly/part-00000 "
        "(pipelines/sql/sales_marketing/store_monthly_aggregate.sql: write sales_marketing.sales_marketing_monthly)"
    ]
    problems = check_permissions(pipeline, template=without(template, "RunnerPolicy", "AthenaCatalogPartitions"))
    assert any(p.startswith("step join_marketing_and_sales_data: the Athena runner role lacks glue:BatchCreatePartition on arn:aws:glue:us-east-1:123456789012:table/sales_marketing/sales_marketing_joined (MSCK REPAIR TABLE sales_marketing_joined (after the step)")
               for p in problems), problems


def test_a_step_reading_a_prefix_not_in_its_reads_is_named(sales):
    pipeline, _ = sales
    step = pipeline.steps["process_sales_data"]
    narrowed = dataclasses.replace(pipeline, steps={**pipeline.steps, step.id: dataclasses.replace(step, reads=("raw/marketing/",))})
    assert check_permissions(narrowed) == [
        "step process_sales_data: the Glue job role lacks s3:GetObject on "
        f"arn:aws:s3:::{DATA}/raw/sales/run_date=2026-11-16/part-00000 (read --input_path s3://{DATA}/raw/sales/run_date=2026-11-16/)"
    ]


def test_a_step_writing_outside_its_writes_is_named(sales):
    pipeline, _ = sales
    step = pipeline.steps["join_marketing_and_sales_data"]
    moved = dataclasses.replace(step, writes=("joined/other/",))
    problems = check_permissions(dataclasses.replace(pipeline, steps={**pipeline.steps, step.id: moved}))
    assert problems == [
        "step join_marketing_and_sales_data: the Glue job role lacks s3:PutObject on "
        f"arn:aws:s3:::{DATA}/joined/sales_marketing/run_date=2026-11-16/part-00000 (write --output_path s3://{DATA}/joined/sales_marketing/run_date=2026-11-16/)"
    ]


def test_sql_reading_a_table_outside_the_pipeline_cannot_pass(tmp_path):
    foreign = "SELECT * FROM other_db.secrets WHERE day = ?"
    pipeline = load_pipeline(write_project(tmp_path, {"sql/export_totals.sql": foreign}))
    problems = check_permissions(pipeline, template=render_pipeline_stack(pipeline, standard_placeholders(pipeline), trigger_rules=trigger_rules))
    assert "step export_totals: sql/export_totals.sql uses table other_db.secrets, which is not among this pipeline's tables: its S3 location is unknown, so no generated grant covers it (add it to 'tables')" in problems
    assert ("step export_totals: the Athena runner role lacks glue:GetTable on arn:aws:glue:us-east-1:123456789012:table/other_db/secrets "
            "(sql/export_totals.sql: read other_db.secrets)") in problems


def test_a_statement_whose_access_is_unknown_is_a_problem_not_a_pass(tmp_path):
    pipeline = load_pipeline(write_project(tmp_path, {"sql/export_totals.sql": "DELETE FROM ${database}.orders_daily WHERE run_date = ?"}))
    problems = check_permissions(pipeline, template=render_pipeline_stack(pipeline, standard_placeholders(pipeline), trigger_rules=trigger_rules))
    assert problems == ["step export_totals: sql/export_totals.sql: what the statement touches is unknown, so its permissions cannot be checked: "
                        "cannot tell what a DELETE statement touches"]


def test_gates_waits_triggers_and_refreshes_are_checked(orders):
    pipeline, template = orders
    assert check_permissions(pipeline, template=without(template, "RunnerPolicy", "GatePipelines")) == [
        f"step clean_orders: the Glue runner role lacks states:ListExecutions on arn:aws:states:us-east-1:123456789012:stateMachine:etl-runner-{name} (wait until pipeline {name} is idle)"
        for name in ("sales-marketing", "daily-orders")
    ]
    narrowed = copy.deepcopy(template)
    for logical, sid in (("RunnerPolicy", "WaitListInputs1"), ("ObjectCreatedPolicy", "ListInputs1")):
        statement(narrowed, logical, sid)["Condition"]["StringLike"]["s3:prefix"] = ["landing/other/*"]
    # One role serves every runner kind: the Athena steps' listing of the data bucket covers the waits too ...
    assert not any("wait runner" in p for p in check_permissions(pipeline, template=narrowed))
    # ... and without it the waits' own, prefix-bound statement is what counts.
    problems = check_permissions(pipeline, template=without(narrowed, "RunnerPolicy", "AthenaListBuckets"))
    assert ("input orders: the wait runner role lacks s3:ListBucket on arn:aws:s3:::etl-runner-data with s3:prefix='landing/orders/2026-11-16/' "
            "(list the input's objects for step(s) clean_orders)") in problems
    assert any(p.startswith("input orders: the object_created role lacks s3:ListBucket") and "_SUCCESS.done" in p for p in problems)
    assert check_permissions(pipeline, template=without(template, "PipelineTriggerPolicy", "StartPipeline")) == [
        "trigger: the pipeline trigger role lacks states:StartExecution on arn:aws:states:us-east-1:123456789012:stateMachine:etl-runner-daily-orders (start the pipeline when triggered or scheduled)"
    ]
    problems = check_permissions(pipeline, template=without(template, "RunnerPolicy", "AthenaCatalogDrop"))
    assert "step clean_orders: the Athena runner role lacks glue:DeleteTable on arn:aws:glue:us-east-1:123456789012:table/orders/orders_daily (DROP TABLE orders_daily (before the step): drop table orders.orders_daily)" in problems


def test_a_missing_role_or_unresolvable_import_is_reported(sales):
    pipeline, template = sales
    changed = copy.deepcopy(template)
    del changed["Resources"]["ProcessSalesDataJobRole"]
    assert "step process_sales_data: the Glue job role (ProcessSalesDataJobRole in pipeline) is missing" in check_permissions(pipeline, template=changed)
    changed = copy.deepcopy(template)
    changed["Resources"]["RunnerPolicy"]["Properties"]["Roles"] = [{"Fn::ImportValue": {"Fn::Sub": "${RunnerStackName}-NoSuchRole"}}]
    assert check_permissions(pipeline, template=changed) == [
        "the stacks cannot be resolved: stack etl-runner-pipeline-sales-marketing imports etl-runner-runner-resources-NoSuchRole, which no stack before it exports"]


def test_the_names_deployed_with_are_the_ones_checked(sales):
    pipeline, _ = sales
    deployment = Deployment(prefix="acme", env=Environment(region="eu-west-1", account="210987654321"), data_bucket="acme-data")
    assert check_permissions(pipeline, deployment=deployment) == []
    # a stack rendered for another prefix grants other jobs: every job run is denied
    problems = check_permissions(pipeline, deployment=deployment, template=sales[1])
    assert "step process_sales_data: the Glue runner role lacks glue:StartJobRun on arn:aws:glue:eu-west-1:210987654321:job/acme-sales-marketing-ProcessSalesData (start, watch and stop the step's job)" in problems


def test_ten_pipelines_fit_one_runner_stack_the_eleventh_passes_the_managed_policy_quota(sales):
    """One managed policy per pipeline on each shared role; a role holds 10 by default."""
    pipeline, _ = sales
    assert policy_limit_problems([pipeline]) == []
    copies = [dataclasses.replace(pipeline, name=f"copy-{i}") for i in range(11)]
    assert policy_limit_problems(copies[:10]) == []
    problems = policy_limit_problems(copies)
    assert "the Glue runner/Athena runner/wait runner role (RunnerRole) would hold 11 managed policies (one per pipeline), " \
           "over IAM's quota of 10 per role: raise the quota 'Managed policies per role' (up to 20) or deploy fewer pipelines per runner stack" in problems
    assert any(p.startswith("the pipeline trigger role (PipelineTriggerRole) would hold 11 ") for p in problems)
    assert policy_limit_problems(copies, managed_policies_per_role=20) == []  # the quota raised


def test_a_managed_policy_over_iams_size_limit_is_named(sales, monkeypatch):
    pipeline, template = sales
    from runners.pipelines import permissions

    runner_policy = permissions.policy_size(template["Resources"]["RunnerPolicy"]["Properties"]["PolicyDocument"])
    monkeypatch.setattr(permissions, "MANAGED_POLICY_LIMIT", runner_policy // 2)
    (problem,) = [p for p in policy_limit_problems([pipeline]) if "RunnerPolicy" in p]
    assert problem.startswith("sales-marketing: its managed policy RunnerPolicy on the Glue runner/Athena runner/wait runner role (RunnerRole) is ")
    assert problem.endswith(f"over IAM's limit of {runner_policy // 2:,}: split the pipeline")


def test_each_request_is_evaluated_against_the_role_that_makes_it(sales):
    """The wait runner and object_created list the same inputs through different roles:
    the runner role's managed policy does not stand in for object_created's."""
    pipeline, template = sales
    changed = copy.deepcopy(template)
    del changed["Resources"]["ObjectCreatedPolicy"]
    problems = check_permissions(pipeline, template=changed)
    assert problems and all("the object_created role lacks s3:ListBucket" in p for p in problems)
    assert not any("wait runner" in p for p in problems)


@pytest.mark.parametrize(("name", "written"), [
    ("--output_path", True), ("--targetPrefix", True), ("--TempDir", True), ("--out", True), ("--dest-bucket", True),
    ("--input_path", False), ("--route_table", False), ("--sales_path", False), ("--outlier_rules", False),
])
def test_glue_arguments_are_written_when_their_name_says_so(name, written):
    assert written_argument(name) is written


def test_a_gated_athena_step_needs_its_gate_on_the_runner_role(orders):
    pipeline, _ = orders
    export = pipeline.steps["export_totals"]
    gated = dataclasses.replace(pipeline, steps={**pipeline.steps, export.id: dataclasses.replace(export, gate=pipeline.steps["clean_orders"].gate)})
    template = render_pipeline_stack(gated, standard_placeholders(gated), trigger_rules=trigger_rules)
    assert check_permissions(gated, template=template) == []
    # One gate statement serves the Glue and the Athena steps (one role runs both).
    problems = check_permissions(gated, template=without(template, "RunnerPolicy", "GateJobs"))
    job = "etl-runner-sales-marketing-JoinMarketingAndSalesData"
    assert sorted(problems) == [
        f"step clean_orders: the Glue runner role lacks glue:GetJobRuns on arn:aws:glue:us-east-1:123456789012:job/{job} (wait until job {job} is idle)",
        f"step export_totals: the Athena runner role lacks glue:GetJobRuns on arn:aws:glue:us-east-1:123456789012:job/{job} (wait until job {job} is idle)",
    ]
