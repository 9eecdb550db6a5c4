"""Guarantees 5 and efficiency: every active record is checked each cycle, with
batched status calls (counted at 200 active records)."""

import json
from collections import Counter

from support import client, make_glue_job, results_location, settings_for, unique, wait_for
from runners.aws import AwsClients
from runners.service import build_lifecycle

ACTIVE = 200


def _counting(clients: AwsClients, service: str) -> Counter:
    calls: Counter = Counter()
    clients.client(service).meta.events.register(f"before-call.{service}.*", lambda model, **_: calls.update([model.name]))
    return calls


def _lifecycle(kind):
    # Fake tokens: Step Functions answers InvalidToken when the result is
    # reported, which only cleans the record up; heartbeats are kept quiet.
    settings = settings_for(kind, "arn:aws:states:us-east-1:123456789012:activity:unused", heartbeat_interval_seconds=3600)
    clients = AwsClients(settings)
    lifecycle = build_lifecycle(kind, settings, clients)
    lifecycle.store.ensure_table()
    return lifecycle, clients


def test_200_athena_queries_are_checked_in_4_batch_calls_across_many_scan_pages(aws):
    results = results_location("batching")
    lifecycle, clients = _lifecycle("athena")
    # ~40 KB per record: the 200 records span several 1 MB DynamoDB scan pages.
    padding = "x" * 40_000
    for i in range(ACTIVE):
        query = {"AthenaQueryString": f"SELECT {i} AS n -- {padding}", "AthenaResultOutputLocation": results}
        lifecycle.store.create(f"fake-token-{unique('t')}", json.dumps(query))
    first_page = client("dynamodb").scan(TableName=lifecycle.store.table_name, ConsistentRead=True)
    assert "LastEvaluatedKey" in first_page, "the records must span more than one scan page"
    first = lifecycle.check_all()
    assert first.records == ACTIVE and first.started == ACTIVE

    athena_calls = _counting(clients, "athena")
    # Wait until every query has ended, then one cycle checks and reports them all.
    athena = client("athena")
    ids = [r.run_id for r in lifecycle.store.scan()]
    wait_for(lambda: all(q["Status"]["State"] == "SUCCEEDED" for i in range(0, ACTIVE, 50) for q in athena.batch_get_query_execution(QueryExecutionIds=ids[i : i + 50])["QueryExecutions"]), timeout=60, message="queries to end")
    athena_calls.clear()
    cycle = lifecycle.check_all()

    assert cycle.records == ACTIVE
    assert athena_calls == Counter({"BatchGetQueryExecution": ACTIVE // 50})
    assert not list(lifecycle.store.scan()), "every record was checked, reported and forgotten"


def test_200_glue_runs_of_two_jobs_are_checked_with_one_call_per_job(aws):
    lifecycle, clients = _lifecycle("glue")
    jobs = [make_glue_job("pass\n", max_concurrent_runs=ACTIVE) for _ in range(2)]
    for i in range(ACTIVE):
        lifecycle.store.create(f"fake-token-{unique('t')}", json.dumps({"GlueJobName": jobs[i % 2]}))
    first = lifecycle.check_all()
    assert first.started == ACTIVE

    glue = client("glue")
    wait_for(lambda: all(r["JobRunState"] == "SUCCEEDED" for j in jobs for r in glue.get_job_runs(JobName=j, MaxResults=200)["JobRuns"]), timeout=120, message="runs to end")
    glue_calls = _counting(clients, "glue")
    cycle = lifecycle.check_all()

    assert cycle.records == ACTIVE
    assert glue_calls == Counter({"GetJobRuns": 2})
    assert not list(lifecycle.store.scan())


def test_single_run_of_a_job_uses_get_job_run(aws):
    lifecycle, clients = _lifecycle("glue")
    job = make_glue_job("pass\n")
    lifecycle.store.create(f"fake-token-{unique('t')}", json.dumps({"GlueJobName": job}))
    lifecycle.check_all()
    calls = _counting(clients, "glue")
    wait_for(lambda: (lifecycle.check_all(), not list(lifecycle.store.scan()))[1], timeout=30, message="report")
    assert set(calls) == {"GetJobRun"}
