"""`etl-runner local up` as a user runs it: a separate process, driven with
ordinary boto3 clients (what the AWS CLI does) through the endpoint it prints."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from typing import Any, Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/local-up"


class LocalUp:
    """A running `etl-runner local up` and clients for it."""

    def __init__(self, process: subprocess.Popen, endpoint: str, export_line: str) -> None:
        self.process, self.endpoint, self.export_line = process, endpoint, export_line

    def client(self, service: str) -> Any:
        return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1").client(
            service, endpoint_url=self.endpoint, config=Config(retries={"total_max_attempts": 1}, read_timeout=30)
        )


def _start(*args: str) -> LocalUp:
    process = subprocess.Popen(
        [sys.executable, "-m", "runners.cli", "local", "up", "--port", "0", "--activity-poll-seconds", "2", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    first = process.stdout.readline().strip()
    assert first.startswith("AWS_ENDPOINT_URL=http://127.0.0.1:"), first + process.stderr.read()
    return LocalUp(process, first.split("=", 1)[1], process.stdout.readline().strip())


def _stop(up: LocalUp) -> str:
    up.process.send_signal(signal.SIGTERM)
    _, stderr = up.process.communicate(timeout=60)
    return stderr


@pytest.fixture(scope="module")
def local_up() -> Iterator[LocalUp]:
    up = _start()
    try:
        yield up
    finally:
        stderr = _stop(up)
        assert "Traceback" not in stderr, stderr[-3000:]


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _wait(sfn: Any, execution: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError("execution still RUNNING")


def test_it_prints_one_export_line_with_everything_a_cli_needs(local_up):
    assert local_up.export_line.startswith("export ")
    assignments = dict(item.split("=", 1) for item in local_up.export_line.removeprefix("export ").split())
    assert assignments["AWS_ENDPOINT_URL"] == local_up.endpoint
    assert {"AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(assignments)


def test_a_state_machine_publishing_to_sns_works(local_up):
    sns, sqs, sfn = local_up.client("sns"), local_up.client("sqs"), local_up.client("stepfunctions")
    topic = sns.create_topic(Name=_name("topic"))["TopicArn"]
    queue_url = sqs.create_queue(QueueName=_name("queue"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    definition = {
        "StartAt": "Notify",
        "States": {"Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Parameters": {"TopicArn": topic, "Message.$": "$.message"}, "End": True}},
    }
    machine = sfn.create_state_machine(name=_name("sns"), definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"message": "pipeline done"}))["executionArn"]
    described = _wait(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert "MessageId" in json.loads(described["output"])
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5).get("Messages", [])
    assert [m["Body"] for m in messages] == ["pipeline done"]


def test_an_action_it_does_not_implement_is_one_clear_aws_error(local_up):
    with pytest.raises(ClientError) as raised:
        local_up.client("glue").get_custom_entity_type(Name="x")
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Code"] == "NotImplemented"
    assert "GetCustomEntityType" in error["Message"] and "not supported locally" in error["Message"]
    # ... for a REST service's path no route knows
    with pytest.raises(ClientError) as raised:
        local_up.client("lambda").list_code_signing_configs()
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert raised.value.response["Error"]["Code"] == "NotImplemented"
    assert "code-signing-configs" in raised.value.response["Error"]["Message"]
    # ... in the XML protocols too
    with pytest.raises(ClientError) as raised:
        local_up.client("sns").get_data_protection_policy(ResourceArn="arn:aws:sns:us-east-1:123456789012:t")
    assert raised.value.response["Error"]["Code"] == "NotImplemented"


@pytest.mark.timeout(400)
def test_with_pipeline_a_user_uploads_files_and_watches_an_execution_succeed(tmp_path):
    """`local up --with-pipeline`: the sample pipeline deployed and its workers
    running; the user needs nothing but the AWS CLI and two CSV files."""
    up = _start("--with-pipeline")
    try:
        printed = [up.process.stdout.readline() for _ in range(4)]
        state_machine = next(line.split()[-1] for line in printed if "state machine" in line)
        bucket = next(line.split()[-1] for line in printed if "data bucket" in line).removeprefix("s3://").rstrip("/")
        subprocess.run([sys.executable, "-m", "runners.cli", "sample-data", "--rows", "300", "--out", str(tmp_path)], check=True, timeout=60)
        sfn, s3 = up.client("stepfunctions"), up.client("s3")
        run_date = "2026-11-16"
        execution = sfn.start_execution(stateMachineArn=state_machine, input=json.dumps({"runDate": run_date}))["executionArn"]
        for dataset in ("sales", "marketing"):
            s3.upload_file(str(tmp_path / f"{dataset}.csv"), bucket, f"raw/{dataset}/run_date={run_date}/{dataset}.csv")
        described = _wait(sfn, execution, timeout=300)
        assert described["status"] == "SUCCEEDED", described
    finally:
        stderr = _stop(up)
    assert up.process.returncode == 0, stderr[-3000:]


def _athena_ddl(athena: Any, s3: Any, sql: str) -> None:
    bucket = "local-up-athena-results"
    s3.create_bucket(Bucket=bucket)
    query_id = athena.start_query_execution(QueryString=sql, ResultConfiguration={"OutputLocation": f"s3://{bucket}/"})["QueryExecutionId"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            assert state == "SUCCEEDED", sql
            return
        time.sleep(0.1)
    raise AssertionError(f"{sql} did not finish")


def test_athena_metadata_calls_answer_from_the_catalog_the_ddl_wrote(local_up):
    athena, s3 = local_up.client("athena"), local_up.client("s3")
    database = _name("sales").replace("-", "_")
    _athena_ddl(athena, s3, f"CREATE DATABASE {database}")
    _athena_ddl(athena, s3, f"CREATE EXTERNAL TABLE {database}.orders (id int, amount double) PARTITIONED BY (day string) STORED AS PARQUET LOCATION 's3://local-up-data/orders/'")
    assert {"CatalogName": "AwsDataCatalog", "Type": "GLUE"} in athena.list_data_catalogs()["DataCatalogsSummary"]
    assert athena.get_data_catalog(Name="AwsDataCatalog")["DataCatalog"]["Type"] == "GLUE"
    assert database in [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    assert athena.get_database(CatalogName="AwsDataCatalog", DatabaseName=database)["Database"]["Name"] == database
    tables = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=database)["TableMetadataList"]
    assert [t["Name"] for t in tables] == ["orders"]
    table = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=database, TableName="orders")["TableMetadata"]
    assert [c["Name"] for c in table["Columns"]] == ["id", "amount"]
    assert [c["Name"] for c in table["PartitionKeys"]] == ["day"]
    with pytest.raises(ClientError) as raised:
        athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=database, TableName="missing")
    assert raised.value.response["Error"]["Code"] == "MetadataException"


def test_a_glue_runs_driver_output_is_in_cloudwatch_logs(local_up):
    s3, glue, logs = local_up.client("s3"), local_up.client("glue"), local_up.client("logs")
    bucket, job = "local-up-scripts", _name("job")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"{job}.py", Body=textwrap.dedent("""
        import sys
        print("rows written: 42")
        print("careful: 3 rows skipped", file=sys.stderr)
    """).encode())
    glue.create_job(Name=job, Role=ROLE, Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/{job}.py", "PythonVersion": "3.9"})
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    deadline = time.monotonic() + 60
    while (run := glue.get_job_run(JobName=job, RunId=run_id)["JobRun"])["JobRunState"] in ("STARTING", "RUNNING", "WAITING"):
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.2)
    assert run["JobRunState"] == "SUCCEEDED" and run["LogGroupName"] == "/aws-glue/jobs"
    output = logs.get_log_events(logGroupName="/aws-glue/jobs/output", logStreamName=run_id, startFromHead=True)["events"]
    errors = logs.get_log_events(logGroupName="/aws-glue/jobs/error", logStreamName=run_id, startFromHead=True)["events"]
    assert "rows written: 42" in [e["message"] for e in output]
    assert "careful: 3 rows skipped" in [e["message"] for e in errors]


def test_stop_execution_aborts_an_execution_waiting_on_an_activity_task(local_up):
    sfn = local_up.client("stepfunctions")
    activity = sfn.create_activity(name=_name("act"))["activityArn"]
    definition = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 60, "End": True}}}
    machine = sfn.create_state_machine(name=_name("stop"), definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="worker")
    stopped = sfn.stop_execution(executionArn=execution, error="Operator.Stop", cause="bad input file")
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "ABORTED" and described["stopDate"] == stopped["stopDate"]
    last = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"][-1]
    assert last["type"] == "ExecutionAborted"
    assert last["executionAbortedEventDetails"] == {"error": "Operator.Stop", "cause": "bad input file"}
    with pytest.raises(ClientError) as raised:
        sfn.send_task_heartbeat(taskToken=task["taskToken"])
    assert raised.value.response["Error"]["Code"] == "TaskTimedOut"  # the worker stops its job
