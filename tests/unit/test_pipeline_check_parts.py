"""The permission check's parts: IAM evaluation, template resolution, and
what an Athena statement touches."""

from __future__ import annotations

import pytest

from runners.pipelines.cfn_resolve import Environment, ResolvedStack, ResolveError
from runners.pipelines.iam import Request, allowed
from runners.pipelines.sql_access import SqlAccessError, sql_access

BUCKET = "arn:aws:s3:::data"


def allow(action, resource, **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# -- IAM ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statements", "request_", "expected"),
    [
        ([allow("s3:GetObject", f"{BUCKET}/raw/*")], Request("s3:GetObject", f"{BUCKET}/raw/a/b.csv"), True),
        ([allow("s3:GetObject", f"{BUCKET}/raw/*")], Request("s3:GetObject", f"{BUCKET}/processed/b.csv"), False),
        ([allow("s3:Get*", f"{BUCKET}/*")], Request("S3:GETOBJECT", f"{BUCKET}/x"), True),  # actions ignore case
        ([allow("s3:GetObject", f"{BUCKET}/Raw/*")], Request("s3:GetObject", f"{BUCKET}/raw/x"), False),  # resources do not
        ([allow("glue:GetJobRun?", "*")], Request("glue:GetJobRuns", "arn:aws:glue:r:1:job/j"), True),
        ([allow("s3:*", "*"), {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}], Request("s3:DeleteObject", f"{BUCKET}/x"), False),
        ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], Request("s3:PutObject", f"{BUCKET}/x"), True),
        ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], Request("iam:PassRole", "arn:aws:iam::1:role/r"), False),
        ([allow("s3:GetObject", [f"{BUCKET}/a/*", f"{BUCKET}/b/*"])], Request("s3:GetObject", f"{BUCKET}/b/x"), True),
        ([], Request("s3:GetObject", f"{BUCKET}/x"), False),
    ],
)
def test_actions_and_resources_match_as_iam_matches_them(statements, request_, expected):
    assert allowed(statements, request_) is expected


def test_conditions_hold_only_for_the_keys_the_request_carries():
    listing = allow("s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": ["raw/sales/*"]}})
    assert allowed([listing], Request("s3:ListBucket", BUCKET, {"s3:prefix": "raw/sales/run_date=1/"}))
    assert allowed([listing], Request("s3:ListBucket", BUCKET, {"S3:Prefix": "raw/sales/"}))  # keys ignore case
    assert not allowed([listing], Request("s3:ListBucket", BUCKET, {"s3:prefix": "raw/other/"}))
    assert not allowed([listing], Request("s3:ListBucket", BUCKET))  # no prefix: the condition fails
    if_exists = allow("s3:ListBucket", BUCKET, Condition={"StringLikeIfExists": {"s3:prefix": ["raw/*"]}})
    assert allowed([if_exists], Request("s3:ListBucket", BUCKET))
    unknown = allow("s3:ListBucket", BUCKET, Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})
    assert not allowed([unknown], Request("s3:ListBucket", BUCKET, {"aws:CurrentTime": "2030-01-01T00:00:00Z"}))  # not modelled: no grant


# -- resolving templates -----------------------------------------------------------------------

TEMPLATE = {
    "Parameters": {"Env": {"Type": "String", "Default": "dev"}, "Prefix": {"Type": "String"}},
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    "Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": ["arn:${AWS::Partition}:s3:::${B}/${Prefix}/*", {"B": {"Fn::ImportValue": "base-Bucket"}}]}},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}},
            {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": {"Fn::Sub": "${Logs.Arn}"}},
        ]}}]}},
        "Named": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Fn::Join": ["-", [{"Ref": "Prefix"}, "named"]]}}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Sub": "/app/${AWS::StackName}"}}},
        "ProdOnly": {"Type": "AWS::SNS::Topic", "Condition": "IsProd", "Properties": {}},
    },
    "Outputs": {"RoleName": {"Value": {"Ref": "Named"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-RoleName"}}}},
}


def test_templates_resolve_as_cloudformation_would():
    stack = ResolvedStack("app", TEMPLATE, {"Prefix": "p1"}, Environment(region="eu-west-1", account="111122223333"), {"base-Bucket": "data"})
    statements = stack.properties("Role")["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s["Resource"] for s in statements] == [
        "arn:aws:s3:::data/p1/*",
        "arn:aws:sqs:eu-west-1:111122223333:app-Queue",  # a name CloudFormation generates: <stack>-<logical id>
        "arn:aws:logs:eu-west-1:111122223333:log-group:/app/app:*",
    ]
    assert stack.exports() == {"app-RoleName": "p1-named"}
    assert stack.ref("Queue") == "https://sqs.eu-west-1.amazonaws.com/111122223333/app-Queue"
    assert "ProdOnly" not in stack.resources()
    assert "ProdOnly" in ResolvedStack("app", TEMPLATE, {"Prefix": "p", "Env": "prod"}, Environment()).resources()


def test_what_cannot_be_resolved_fails_loudly():
    with pytest.raises(ResolveError, match="parameter Prefix has no value"):
        _ = ResolvedStack("app", TEMPLATE, {}, Environment()).parameters
    stack = ResolvedStack("app", TEMPLATE, {"Prefix": "p"}, Environment(), {})
    with pytest.raises(ResolveError, match="imports base-Bucket, which no stack before it exports"):
        stack.properties("Role")
    with pytest.raises(ResolveError, match="Fn::GetAZs is not resolved"):
        stack.value({"Fn::GetAZs": ""})
    with pytest.raises(ResolveError, match="cannot resolve Queue.Nope"):
        stack.attribute("Queue", "Nope")


# -- what a statement touches -------------------------------------------------------------------


def test_reads_and_writes_of_queries():
    insert = sql_access("INSERT INTO agg SELECT a, run_date FROM db2.src s WHERE NOT EXISTS (SELECT 1 FROM agg m WHERE m.k = s.k)", "db")
    assert (insert.kind, insert.writes, insert.reads) == ("insert", {("db", "agg")}, {("db", "agg"), ("db2", "src")})
    with_cte = sql_access("-- a comment with 'quotes'\nWITH c AS (SELECT * FROM t) SELECT * FROM c JOIN \"Other\".\"U\" ON true", "db")
    assert with_cte.reads == {("db", "t"), ("other", "u")}  # the CTE is not a table; names as the catalog stores them
    unload = sql_access("UNLOAD (SELECT * FROM t WHERE d = ?) TO 's3://b/out/' WITH (format = 'PARQUET')", "db")
    assert (unload.reads, unload.write_locations) == ({("db", "t")}, ("s3://b/out/",))
    ctas = sql_access("CREATE TABLE db.x WITH (format = 'PARQUET', external_location = 's3://b/x/') AS SELECT * FROM y", "db")
    assert (ctas.kind, ctas.creates, ctas.writes, ctas.write_locations) == ("ctas", {("db", "x")}, {("db", "x")}, ("s3://b/x/",))


def test_generated_ddl_is_read_too():
    create = sql_access("CREATE EXTERNAL TABLE IF NOT EXISTS `db`.`t` (`a` int) STORED AS PARQUET LOCATION 's3://b/t/'", "x")
    assert (create.creates, create.table_locations) == ({("db", "t")}, {("db", "t"): "s3://b/t/"})
    assert sql_access("MSCK REPAIR TABLE `db`.`t`", "x").repairs == {("db", "t")}
    assert sql_access("DROP TABLE IF EXISTS `db`.`t`", "x").drops == {("db", "t")}
    assert sql_access("CREATE DATABASE IF NOT EXISTS `db`", "x").databases == {"db"}


@pytest.mark.parametrize("sql", ["DELETE FROM t WHERE a = 1", "SELEC 1 FROM", "VACUUM t", "SELECT * FROM other_catalog.db.t"])
def test_statements_whose_access_is_unknown_are_refused(sql):
    with pytest.raises(SqlAccessError):
        sql_access(sql, "db")
