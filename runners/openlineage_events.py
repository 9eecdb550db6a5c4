"""A run's lineage as OpenLineage run events, sent to a configurable transport
with the ``openlineage-python`` client, so Marquez (or any OpenLineage
backend) shows which files each step read and what it wrote.

Transport (``ETL_OPENLINEAGE_TRANSPORT``; default ``off``):

* ``off``: nothing is sent;
* ``console``: each event logged as JSON (the client's console transport);
* ``file:PATH``: each event appended to PATH as one JSON line;
* ``http://HOST:PORT`` or ``https://...``: POSTed to the backend's
  ``/api/v1/lineage`` (Marquez: ``http://marquez:5000``); an API key in
  ``OPENLINEAGE_API_KEY`` is sent as a bearer token;
* ``client``: the client's own configuration (``OPENLINEAGE__TRANSPORT__*``
  variables or ``openlineage.yml``), for transports not listed here (Kafka...).

``ETL_OPENLINEAGE_NAMESPACE`` (default ``etl-runner``) is the namespace of the
jobs. Events, per ended execution: START and COMPLETE/FAIL/ABORT of the
pipeline's run (job ``<pipeline>``, nominal time = the run date), and of each
job run and query (job ``<pipeline>.<state>``, parent = the pipeline's run),
with the S3 objects it was fed as inputs (version facet: the ETag) and its
output locations (row counts as output statistics). Run ids are derived from
the execution and the state, so re-sending a run's events updates the same runs.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from .config import ENV_OPENLINEAGE_NAMESPACE as ENV_NAMESPACE
from .config import ENV_OPENLINEAGE_TRANSPORT as ENV_TRANSPORT
from .execution_report import ATHENA, GLUE, ExecutionReport, Output, TaskRun
ENV_API_KEY = "OPENLINEAGE_API_KEY"
DEFAULT_NAMESPACE = "etl-runner"
PRODUCER = "https://github.com/etl-runner/etl-runner"
INTEGRATION = "ETL_RUNNER"
END_STATES = {"SUCCEEDED": "COMPLETE", "FAILED": "FAIL", "TIMED_OUT": "FAIL", "ABORTED": "ABORT", "RUNNING": "ABORT"}


def transport_config(value: str | None = None) -> dict[str, Any] | None:
    """The client's transport configuration for ``ETL_OPENLINEAGE_TRANSPORT``;
    None when off; {} for the client's own configuration."""
    text = (value if value is not None else os.environ.get(ENV_TRANSPORT, "")).strip()
    if text in ("", "off", "none", "disabled"):
        return None
    if text == "client":
        return {}
    if text == "console":
        return {"type": "console"}
    if text.startswith("file:"):
        path = text[len("file:"):]
        if not path:
            raise ValueError(f"{ENV_TRANSPORT}=file:PATH needs a path")
        return {"type": "file", "log_file_path": path, "append": True}
    if text.startswith(("http://", "https://")):
        # Short: an unreachable backend must not hold up the run report (see ``emit``).
        config: dict[str, Any] = {"type": "http", "url": text.rstrip("/"), "timeout": 5.0,
                                  "retry": {"total": 1, "backoff_factor": 0.5, "status_forcelist": [500, 502, 503, 504]}}
        if os.environ.get(ENV_API_KEY):
            config["auth"] = {"type": "api_key", "apiKey": os.environ[ENV_API_KEY]}
        return config
    raise ValueError(f"{ENV_TRANSPORT}={text!r}: expected off, console, file:PATH, http(s)://HOST[:PORT] or client")


def build_events(report: ExecutionReport, namespace: str | None = None) -> list[Any]:
    """The run's OpenLineage RunEvents, in time order (client objects)."""
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import (
        dataset_version_dataset, error_message_run, job_type_job, nominal_time_run, output_statistics_output_dataset,
        parent_run, processing_engine_run, sql_job, symlinks_dataset,
    )
    from openlineage.client.uuid import generate_static_uuid

    namespace = namespace or os.environ.get(ENV_NAMESPACE) or DEFAULT_NAMESPACE
    started = report.started or datetime.now(timezone.utc)
    stopped = report.stopped or started
    pipeline_run_id = str(generate_static_uuid(started, report.execution_arn.encode()))
    engine = processing_engine_run.ProcessingEngineRunFacet(version="1", name="etl-runner", openlineageAdapterVersion=_client_version())
    run_facets: dict[str, Any] = {"processing_engine": engine}
    if report.run_date:
        run_facets["nominalTime"] = nominal_time_run.NominalTimeRunFacet(nominalStartTime=f"{report.run_date}T00:00:00Z")

    def error_facet(message: str | None, cause: str | None) -> dict[str, Any]:
        from .execution_report import readable_cause

        text = f"{message or 'failed'}: {readable_cause(cause, 2000)}".strip(": ")
        return {"errorMessage": error_message_run.ErrorMessageRunFacet(message=text, programmingLanguage="python")}

    pipeline_job = Job(namespace=namespace, name=report.pipeline, facets={
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration=INTEGRATION, jobType="PIPELINE")})
    events = [RunEvent(eventType=RunState.START, eventTime=_iso(started), run=Run(runId=pipeline_run_id, facets=run_facets),
                       job=pipeline_job, producer=PRODUCER)]
    parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=pipeline_run_id), job=parent_run.Job(namespace=namespace, name=report.pipeline))

    def input_dataset(obj: Any) -> Any:
        facets = {"version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=obj.version_id or obj.etag)} if (obj.version_id or obj.etag) else {}
        return InputDataset(namespace=f"s3://{obj.bucket}", name=obj.key, facets=facets)

    def output_dataset(out: Output) -> Any | None:
        facets: dict[str, Any] = {}
        if out.table:
            database, _, table = out.table.partition(".")
            facets["symlinks"] = symlinks_dataset.SymlinksDatasetFacet(identifiers=[
                symlinks_dataset.Identifier(namespace="awsglue", name=f"{database}.{table}", type="TABLE")])
        output_facets = {}
        if out.rows is not None:
            output_facets["outputStatistics"] = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=out.rows)
        if out.location:
            bucket, _, key = out.location[len("s3://"):].partition("/")
            return OutputDataset(namespace=f"s3://{bucket}", name=key.rstrip("/") or "/", facets=facets, outputFacets=output_facets)
        if out.table:
            return OutputDataset(namespace="awsglue", name=out.table, facets=facets, outputFacets=output_facets)
        return None

    for task in report.work:
        run_id = str(generate_static_uuid(task.started or started, f"{report.execution_arn}/{task.state}".encode()))
        job_facets: dict[str, Any] = {"jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration=INTEGRATION, jobType="GLUE_JOB" if task.kind == GLUE else "ATHENA_QUERY")}
        if task.kind == ATHENA and task.input.get("AthenaQueryString"):
            job_facets["sql"] = sql_job.SQLJobFacet(query=str(task.input["AthenaQueryString"]), dialect="athena")
        job = Job(namespace=namespace, name=f"{report.pipeline}.{_job_name(task)}", facets=job_facets)
        facets = {"parent": parent, **run_facets}
        inputs = [input_dataset(obj) for obj in task.sources]
        events.append(RunEvent(eventType=RunState.START, eventTime=_iso(task.started or started), run=Run(runId=run_id, facets=facets),
                               job=job, inputs=inputs, producer=PRODUCER))
        end_facets = dict(facets)
        if task.status != "SUCCEEDED":
            end_facets.update(error_facet(task.error, task.cause))
        outputs = [d for d in (output_dataset(o) for o in task.outputs) if d is not None]
        events.append(RunEvent(eventType=getattr(RunState, END_STATES.get(task.status, "ABORT")), eventTime=_iso(task.ended or stopped),
                               run=Run(runId=run_id, facets=end_facets), job=job, inputs=inputs, outputs=outputs, producer=PRODUCER))

    end_facets = dict(run_facets)
    if report.status != "SUCCEEDED":
        end_facets.update(error_facet(report.error, report.cause))
    events.append(RunEvent(eventType=getattr(RunState, END_STATES.get(report.status, "ABORT")), eventTime=_iso(stopped),
                           run=Run(runId=pipeline_run_id, facets=end_facets), job=pipeline_job, producer=PRODUCER))
    return events


def emit(report: ExecutionReport, transport: str | None = None, budget_seconds: float = 20.0) -> int:
    """Send the run's events through the configured transport; the number sent (0 when off).

    Bounded: the first event the transport refuses, or ``budget_seconds`` spent,
    ends the sending (raising for the caller to log), so a lineage backend that
    is down delays the run report by seconds, never past the function's timeout."""
    import time

    config = transport_config(transport)
    if config is None:
        return 0
    from openlineage.client import OpenLineageClient

    client = OpenLineageClient(config={"transport": config}) if config else OpenLineageClient()
    events = build_events(report)
    deadline = time.monotonic() + budget_seconds
    for sent, event in enumerate(events):
        if time.monotonic() > deadline:
            raise TimeoutError(f"sent {sent} of {len(events)} OpenLineage events within {budget_seconds:.0f} s; the rest are dropped")
        client.emit(event)
    return len(events)


def as_json(event: Any) -> dict[str, Any]:
    """An event as the JSON the transports send."""
    import json

    from openlineage.client.serde import Serde

    return json.loads(Serde.to_json(event))


def _job_name(task: TaskRun) -> str:
    return "_".join(task.state.lower().split())


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def _client_version() -> str:
    try:
        from importlib.metadata import version

        return version("openlineage-python")
    except Exception:  # noqa: BLE001
        return "unknown"
