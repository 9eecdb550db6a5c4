"""Benchmark: what the embedded Glue adds to a small Glue job, cold and warm.

    .venv/bin/python -m bench.glue_overhead [--runs 10] [--quick]

One fresh embedded AWS; a small ordinary Glue script (GlueContext, a CSV read
from S3 as a DynamicFrame, ApplyMapping, Parquet written back to S3) runs as
a glueetl job. For each run: **wall** = StartJobRun returned -> GetJobRun
first says SUCCEEDED (polled every 10 ms); **script** = the time the script
measures itself, from its first line to its last; **overhead** = wall minus
script: launching the run process, handing it to the warm driver, a new
SparkSession, importing awsglue, reporting the end. The first run is *cold*
(the driver and Spark start); the rest are *warm*.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.report import Report, figure, median, options, percentile, save_chart, table

SCRIPT = '''
import time
started = time.perf_counter()
import sys
from awsglue.transforms import ApplyMapping
from awsglue.utils import getResolvedOptions
from awsglue.context import GlueContext
from awsglue.job import Job
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
frame = glueContext.create_dynamic_frame.from_options("s3", {"paths": [args["source"]]}, format="csv",
                                                      format_options={"withHeader": True})
mapped = ApplyMapping.apply(frame=frame, mappings=[("id", "long", "id", "long"), ("name", "string", "name", "string")])
glueContext.write_dynamic_frame.from_options(frame=mapped, connection_type="s3", format="parquet",
                                             connection_options={"path": args["target"]})
job.commit()
print(f"SCRIPT_SECONDS={time.perf_counter() - started:.4f}", flush=True)
'''

BUCKET = "bench-glue-overhead"


def _run_once(aws: Any, glue: Any, job: str, index: int) -> dict[str, float]:
    target = f"s3://{BUCKET}/out/{index}/"
    started = time.perf_counter()
    run_id = glue.start_job_run(JobName=job, Arguments={"--target": target})["JobRunId"]
    while True:
        state = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]["JobRunState"]
        if state in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"):
            break
        time.sleep(0.01)
    wall = time.perf_counter() - started
    out, err = aws.glue.run_logs(job, run_id)
    if state != "SUCCEEDED":
        raise SystemExit(f"run {index} ended {state}:\n{err[-2000:]}")
    script = float(next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith("SCRIPT_SECONDS=")))
    return {"wall": wall, "script": script, "overhead": wall - script}


def measure(runs: int) -> list[dict[str, float]]:
    import boto3

    from embedded_aws import EmbeddedAws

    with EmbeddedAws() as aws:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        s3 = session.client("s3", endpoint_url=aws.endpoint_url)
        glue = session.client("glue", endpoint_url=aws.endpoint_url)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="in/people.csv", Body=b"id,name\n" + b"".join(f"{i},n{i}\n".encode() for i in range(100)))
        s3.put_object(Bucket=BUCKET, Key="scripts/job.py", Body=SCRIPT.encode())
        glue.create_job(
            Name="overhead", Role="arn:aws:iam::123456789012:role/bench", GlueVersion="5.0",
            Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/job.py", "PythonVersion": "3"},
            DefaultArguments={"--source": f"s3://{BUCKET}/in/people.csv"},
            ExecutionProperty={"MaxConcurrentRuns": 1},
        )
        return [_run_once(aws, glue, "overhead", i) for i in range(runs + 1)]


def main(argv: list[str] | None = None) -> None:
    args = options("Embedded Glue: StartJobRun -> SUCCEEDED against the script's own time", argv=argv)
    runs = 1 if args.quick else max(args.runs, 2)
    samples = measure(runs)
    cold, warm = samples[0], samples[1:]
    rows = [["cold (first run: driver and Spark start)", cold["wall"], cold["script"], cold["overhead"], cold["overhead"], 1]]
    rows.append([
        "warm", median(s["wall"] for s in warm), median(s["script"] for s in warm),
        median(s["overhead"] for s in warm), percentile((s["overhead"] for s in warm), 95), len(warm),
    ])
    report = Report("glue_overhead", "Embedded Glue run overhead", "python -m bench.glue_overhead", runs)
    report.add(
        "A small Glue script (CSV -> DynamicFrame -> ApplyMapping -> Parquet, 100 rows, S3 in and out); seconds; "
        "overhead = StartJobRun -> SUCCEEDED minus the script's own time (target: under 0.5 s warm)",
        table(["run", "wall s (median)", "script s (median)", "overhead s (median)", "overhead s (p95)", "runs"], rows),
    )
    report.publish(args.out, args.quick)

    fig, axes = figure(1, 1)
    ax = axes[0][0]
    labels = ["cold"] + [f"warm {i + 1}" for i in range(len(warm))]
    ax.bar(labels, [s["script"] for s in samples], label="script")
    ax.bar(labels, [s["overhead"] for s in samples], bottom=[s["script"] for s in samples], label="overhead")
    ax.set(ylabel="seconds", title="StartJobRun -> SUCCEEDED")
    ax.tick_params(axis="x", labelrotation=45)
    ax.legend()
    save_chart(fig, args.out, "glue_overhead", args.quick)


if __name__ == "__main__":
    main()
