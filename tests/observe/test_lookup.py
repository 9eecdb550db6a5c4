"""Which state machines are pipelines: one naming rule for local deployments
(<prefix>-<pipeline>) and stacks (<stack>-<pipeline>)."""

from runners.observe.lookup import execution_arn_for, known_pipeline_names, pipeline_name


def test_a_local_prefix_names_its_pipelines_and_nothing_else():
    assert pipeline_name("etl-demo-sales-marketing", prefix="etl-demo") == "sales-marketing"
    assert pipeline_name("local-sales-marketing", prefix="etl-demo") is None
    assert pipeline_name("etl-demo-", prefix="etl-demo") is None


def test_without_a_prefix_a_known_pipeline_ends_the_name_longest_first():
    known = {"orders", "daily-orders", "sales-marketing"}
    assert pipeline_name("prod-etl-daily-orders", known=known) == "daily-orders"
    assert pipeline_name("sales-marketing", known=known) == "sales-marketing"
    assert pipeline_name("prod-etl-ordersx", known=known) is None  # a whole name, not a suffix of a word


def test_the_project_pipeline_files_are_known_by_their_pipeline_name():
    assert {"sales-marketing", "orders-daily"} <= known_pipeline_names()


def test_an_execution_arn_is_built_as_aws_builds_it():
    machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:etl-demo-sales-marketing"
    assert execution_arn_for(machine, "run-1") == "arn:aws:states:eu-west-1:123456789012:execution:etl-demo-sales-marketing:run-1"
