"""DynamicFrames and Glue's transforms behave as the AWS Glue documentation describes.

Inputs are written to the embedded S3, the script runs as a glueetl job, and
its output is read back with DuckDB; expected values are worked out by hand
from the inputs.
"""

from __future__ import annotations

import json

from glue_runtime_support import put, read_output
from support import unique

HEADER = """
import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source", "target"])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
"""

PROVIDERS = (
    "provider id,name,state,charges\n"
    "10001,Southeast Alabama,AL,$32963.07\n"
    "10005,Marshall Medical,AL,$15131.85\n"
    "ABC12,Unknown Clinic,TX,$100.00\n"
    "10011,St Vincents,AL,$37560.37\n"
)


def test_a_csv_column_mixing_numbers_and_text_is_a_choice_until_resolved(glue_jobs, bucket):
    prefix = unique("choice")
    source = put(bucket, f"{prefix}/in/providers.csv", PROVIDERS)
    run = glue_jobs.run_script(
        HEADER
        + """
frame = glueContext.create_dynamic_frame.from_options(
    connection_type="s3", connection_options={"paths": [args["source"]]}, format="csv",
    format_options={"withHeader": True, "separator": ","}, transformation_ctx="providers")
frame.printSchema()
assert frame.count() == 4
kinds = {f.name: f.dataType.typeName() for f in frame.schema().fields}
assert kinds == {"provider id": "choice", "name": "string", "state": "string", "charges": "string"}, kinds
as_cols = frame.resolveChoice(specs=[("provider id", "make_cols")])
assert sorted(as_cols.toDF().columns) == sorted(["provider id_long", "provider id_string", "name", "state", "charges"])
resolved = frame.resolveChoice(specs=[("provider id", "cast:long")])
mapped = ApplyMapping.apply(frame=resolved, mappings=[
    ("provider id", "long", "provider.id", "long"),
    ("name", "string", "provider.name", "string"),
    ("state", "string", "state", "string"),
])
mapped.printSchema()
glueContext.write_dynamic_frame.from_options(frame=mapped, connection_type="s3",
    connection_options={"path": args["target"]}, format="json")
job.commit()
""",
        {"--source": source, "--target": f"s3://{bucket}/{prefix}/out/"},
    )
    rows = read_output(bucket, f"{prefix}/out/", "json")
    by_name = {r["provider"]["name"]: (r["provider"]["id"], r["state"]) for r in rows}
    assert by_name == {
        "Southeast Alabama": (10001, "AL"),
        "Marshall Medical": (10005, "AL"),
        "Unknown Clinic": (None, "TX"),
        "St Vincents": (10011, "AL"),
    }
    out, _ = glue_jobs.logs(run["JobName"], run["Id"])
    assert "root\n|-- provider id: choice\n|    |-- long\n|    |-- string\n|-- name: string" in out
    assert "|-- provider: struct\n|    |-- id: long\n|    |-- name: string\n|-- state: string" in out


def test_fields_are_selected_dropped_renamed_and_records_filtered_and_mapped(glue_jobs, bucket):
    prefix = unique("fields")
    people = [
        {"id": 1, "name": {"first": "Ann", "last": "Lee"}, "age": 34, "city": "Oslo"},
        {"id": 2, "name": {"first": "Bob", "last": "Ray"}, "age": 17, "city": "Rome"},
        {"id": 3, "name": {"first": "Cy", "last": "Dow"}, "age": 51, "city": "Oslo"},
    ]
    source = put(bucket, f"{prefix}/in/people.json", "\n".join(json.dumps(p) for p in people) + "\n")
    glue_jobs.run_script(
        HEADER
        + """
frame = glueContext.create_dynamic_frame.from_options("s3", {"paths": [args["source"]]}, format="json")
adults = Filter.apply(frame=frame, f=lambda r: r["age"] >= 18)
def shout(record):
    record["greeting"] = "HELLO " + record["name"]["first"].upper()
    record["age"] = record["age"] + 1
    return record
mapped = Map.apply(frame=adults, f=shout)
renamed = mapped.rename_field("name.last", "name.surname").rename_field("city", "town")
trimmed = DropFields.apply(frame=renamed, paths=["name.first"])
chosen = SelectFields.apply(frame=trimmed, paths=["id", "name.surname", "age", "town", "greeting"])
chosen.toDF().coalesce(1).write.mode("overwrite").json(args["target"])
job.commit()
""",
        {"--source": source, "--target": f"s3://{bucket}/{prefix}/out/"},
    )
    rows = sorted(read_output(bucket, f"{prefix}/out/", "json"), key=lambda r: r["id"])
    assert rows == [
        {"id": 1, "name": {"surname": "Lee"}, "age": 35, "town": "Oslo", "greeting": "HELLO ANN"},
        {"id": 3, "name": {"surname": "Dow"}, "age": 52, "town": "Oslo", "greeting": "HELLO CY"},
    ]


def test_join_split_rows_and_relationalize(glue_jobs, bucket):
    prefix = unique("join")
    persons = put(bucket, f"{prefix}/persons/p.json", "\n".join(json.dumps(p) for p in [
        {"id": "p1", "name": "Ann", "contacts": [{"type": "email", "value": "a@x"}, {"type": "fax", "value": "1"}]},
        {"id": "p2", "name": "Bob", "contacts": []},
    ]) + "\n")
    memberships = put(bucket, f"{prefix}/memberships/m.json", "\n".join(json.dumps(m) for m in [
        {"person_id": "p1", "org": "o1", "years": 3},
        {"person_id": "p1", "org": "o2", "years": 12},
        {"person_id": "p2", "org": "o1", "years": 7},
    ]) + "\n")
    glue_jobs.run_script(
        HEADER.replace('"source", "target"', '"persons", "memberships", "target"')
        + """
persons = glueContext.create_dynamic_frame.from_options("s3", {"paths": [args["persons"]]}, format="json")
memberships = glueContext.create_dynamic_frame.from_options("s3", {"paths": [args["memberships"]]}, format="json")
joined = Join.apply(persons.drop_fields(["contacts"]), memberships, "id", "person_id").drop_fields(["person_id"])
split = SplitRows.apply(frame=joined, comparison_dict={"years": {">=": 5}}, name1="long", name2="short")
long_members = SelectFromCollection.apply(dfc=split, key="long")
long_members.toDF().write.mode("overwrite").json(args["target"] + "long/")
tables = Relationalize.apply(frame=persons, staging_path=args["target"] + "tmp/", name="root")
assert sorted(tables.keys()) == ["root", "root_contacts"], list(tables.keys())
root = tables.select("root").toDF()
contacts = tables.select("root_contacts").toDF()
assert sorted(contacts.columns) == ["contacts.val.type", "contacts.val.value", "id", "index"], contacts.columns
flat = root.join(contacts, root["contacts"] == contacts["id"]).select(
    root["name"], contacts["index"], contacts["`contacts.val.type`"].alias("type"))
flat.write.mode("overwrite").json(args["target"] + "contacts/")
job.commit()
""",
        {"--persons": persons, "--memberships": memberships, "--target": f"s3://{bucket}/{prefix}/out/"},
    )
    long_rows = sorted((r["name"], r["org"], r["years"]) for r in read_output(bucket, f"{prefix}/out/long/", "json"))
    assert long_rows == [("Ann", "o2", 12), ("Bob", "o1", 7)]
    contact_rows = sorted((r["name"], r["index"], r["type"]) for r in read_output(bucket, f"{prefix}/out/contacts/", "json"))
    assert contact_rows == [("Ann", 0, "email"), ("Ann", 1, "fax")]


def test_unbox_parses_a_json_string_field(glue_jobs, bucket):
    prefix = unique("unbox")
    source = put(bucket, f"{prefix}/in/events.csv", 'id|payload\n1|{"kind": "click", "x": 3}\n2|{"kind": "view", "x": 5}\n')
    glue_jobs.run_script(
        HEADER
        + """
frame = glueContext.create_dynamic_frame.from_options("s3", {"paths": [args["source"]]}, format="csv",
    format_options={"withHeader": True, "separator": "|", "quoteChar": -1})
unboxed = Unbox.apply(frame=frame, path="payload", format="json")
unboxed.toDF().selectExpr("id", "payload.kind AS kind", "payload.x AS x").write.mode("overwrite").parquet(args["target"])
""",
        {"--source": source, "--target": f"s3://{bucket}/{prefix}/out/"},
    )
    rows = sorted((r["id"], r["kind"], r["x"]) for r in read_output(bucket, f"{prefix}/out/"))
    assert rows == [(1, "click", 3), (2, "view", 5)]


def test_merge_drop_null_fields_split_fields_spigot_and_compressed_csv(glue_jobs, bucket):
    prefix = unique("misc")
    current = put(bucket, f"{prefix}/current/c.json", "\n".join(json.dumps(r) for r in [
        {"id": 1, "name": "ann", "note": None, "score": 10},
        {"id": 2, "name": "bob", "note": None, "score": 20},
    ]) + "\n")
    updates = put(bucket, f"{prefix}/updates/u.json", "\n".join(json.dumps(r) for r in [
        {"id": 2, "name": "bob", "note": None, "score": 25},
        {"id": 3, "name": "cy", "note": None, "score": 30},
    ]) + "\n")
    glue_jobs.run_script(
        HEADER.replace('"source", "target"', '"current", "updates", "target"')
        + """
current = glueContext.create_dynamic_frame.from_options("s3", {"paths": [args["current"]]}, format="json")
updates = glueContext.create_dynamic_frame.from_options("s3", {"paths": [args["updates"]]}, format="json")
merged = current.mergeDynamicFrame(updates, ["id"])
cleaned = DropNullFields.apply(frame=merged)
assert "note" not in cleaned.toDF().columns, cleaned.toDF().columns
parts = SplitFields.apply(frame=cleaned, paths=["id", "score"], name1="scores", name2="names")
assert sorted(parts.keys()) == ["names", "scores"]
assert sorted(parts["names"].toDF().columns) == ["name"]
parts["scores"].spigot(args["target"] + "sample/", {"topk": 2})
glueContext.write_dynamic_frame.from_options(frame=parts["scores"], connection_type="s3", format="csv",
    connection_options={"path": args["target"] + "scores/", "compression": "gzip"})
""",
        {"--current": current, "--updates": updates, "--target": f"s3://{bucket}/{prefix}/out/"},
    )
    from support import client

    keys = [o["Key"] for o in client("s3").list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/out/scores/")["Contents"]]
    assert keys and all(k.endswith(".csv.gz") for k in keys if not k.rsplit("/", 1)[-1].startswith("_"))
    rows = sorted((r["id"], r["score"]) for r in read_output(bucket, f"{prefix}/out/scores/", "csv"))
    assert rows == [(1, 10), (2, 25), (3, 30)]
    assert len(read_output(bucket, f"{prefix}/out/sample/", "json")) == 2


def test_data_quality_rules_as_glue_studio_writes_them(glue_jobs, bucket):
    """Studio adds EvaluateDataQuality().process_rows with a default ruleset to S3 targets."""
    prefix = unique("dq")
    source = put(bucket, f"{prefix}/in/items.csv", "id,name,price\n1,ann,10\n2,bob,20\n3,,30\n3,cy,500\n")
    glue_jobs.run_script(
        HEADER
        + '''
from awsgluedq.transforms import EvaluateDataQuality

DEFAULT_DATA_QUALITY_RULESET = """
    Rules = [
        ColumnCount > 0
    ]
"""
items = glueContext.create_dynamic_frame.from_options("s3", {"paths": [args["source"]]}, format="csv",
                                                      format_options={"withHeader": True})
EvaluateDataQuality().process_rows(frame=items, ruleset=DEFAULT_DATA_QUALITY_RULESET,
    publishing_options={"dataQualityEvaluationContext": "EvaluateDataQuality_node1", "enableDataQualityResultsPublishing": True},
    additional_options={"dataQualityResultsPublishing.strategy": "BEST_EFFORT", "observations.scope": "ALL"})
ruleset = """Rules = [
    RowCount between 1 and 10,
    IsComplete "name",
    IsUnique "id",
    ColumnValues "price" <= 100,
    ColumnValues "price" <= 100 with threshold >= 0.7,
    Completeness "name" >= 0.7,
    ColumnExists "missing"
]"""
results = EvaluateDataQuality().process_rows(frame=items, ruleset=ruleset, publishing_options={})
outcomes = SelectFromCollection.apply(dfc=results, key="ruleOutcomes").toDF()
outcomes.write.mode("overwrite").json(args["target"] + "rules/")
rows = SelectFromCollection.apply(dfc=results, key="rowLevelOutcomes").toDF()
rows.select("id", "name", "DataQualityEvaluationResult").write.mode("overwrite").json(args["target"] + "rows/")
assert EvaluateDataQuality.apply(frame=items, ruleset="Rules = [RowCount = 4]").toDF().first()["Outcome"] == "Passed"
''',
        {"--source": source, "--target": f"s3://{bucket}/{prefix}/out/"},
    )
    outcomes = {r["Rule"]: (r["Outcome"], r["EvaluatedMetrics"]) for r in read_output(bucket, f"{prefix}/out/rules/", "json")}
    assert outcomes['RowCount between 1 and 10'][0] == "Passed"
    assert outcomes['IsComplete "name"'][0] == "Failed"  # one empty name in 4 rows
    assert outcomes['IsUnique "id"'][0] == "Failed"  # id 3 twice
    assert outcomes['ColumnValues "price" <= 100'][0] == "Failed"  # 500
    assert outcomes['ColumnValues "price" <= 100 with threshold >= 0.7'][0] == "Passed"  # 3 of 4
    assert outcomes['Completeness "name" >= 0.7'][0] == "Passed"  # 0.75
    assert outcomes['ColumnExists "missing"'][0] == "Failed"
    rows = {(r["id"], r["name"]): r["DataQualityEvaluationResult"] for r in read_output(bucket, f"{prefix}/out/rows/", "json")}
    assert rows == {(1, "ann"): "Passed", (2, "bob"): "Passed", (3, None): "Failed", (3, "cy"): "Failed"}
