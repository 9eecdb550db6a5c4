"""Athena's API shapes on the embedded AWS: refusals, column info, errors, prepared statements.

Each test states a documented behaviour of the Athena API reference
(StartQueryExecution, GetQueryResults' ColumnInfo, AthenaError from the
Athena error catalog, the prepared-statement actions, PREPARE / EXECUTE /
DEALLOCATE PREPARE) and checks it through real boto3 calls.
"""

from __future__ import annotations

import csv
import io
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from embedded_aws.athena.result_metadata import csv_metadata
from embedded_aws.athena.results import Column

BUCKET = "athena-api-shape-results"
RESULTS = f"s3://{BUCKET}/shape/"


@pytest.fixture(scope="module")
def s3(embedded_aws):
    client = embedded_aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="module")
def athena(embedded_aws, s3):
    return embedded_aws.client("athena")


@pytest.fixture
def workgroup(athena) -> str:
    name = f"wg-{uuid.uuid4().hex[:8]}"
    athena.create_work_group(Name=name, Configuration={"ResultConfiguration": {"OutputLocation": RESULTS}})
    return name


def _start(athena, sql: str, **kwargs: object) -> str:
    if "WorkGroup" not in kwargs:
        kwargs["ResultConfiguration"] = {"OutputLocation": RESULTS}
    return athena.start_query_execution(QueryString=sql, **kwargs)["QueryExecutionId"]


def _finish(athena, query_id: str) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        time.sleep(0.02)
    raise AssertionError("query did not finish")


def _rows(athena, query_id: str) -> list[list[str | None]]:
    result = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]
    return [[d.get("VarCharValue") for d in row["Data"]] for row in result["Rows"]]


# --- StartQueryExecution refuses what does not parse ---------------------------------------


@pytest.mark.parametrize(
    "sql, message",
    [
        ("SELECT * FORM t", "line 1:15: mismatched input 't'"),
        ("SELEC 1", "line 1:1: mismatched input 'SELEC'"),
        ("SELECT 1 +", "line 1:11: mismatched input '<EOF>'"),
        ("SELECT a\nFROM t WHERE", "line 2:13: mismatched input '<EOF>'"),
        ("PREPARE p FROM SELEC 1", "line 1:16: mismatched input 'SELEC'"),
    ],
)
def test_a_malformed_query_is_refused_at_submission(athena, sql, message):
    before = len(athena.list_query_executions()["QueryExecutionIds"])
    with pytest.raises(ClientError) as excinfo:
        _start(athena, sql)
    error = excinfo.value.response
    assert error["Error"]["Code"] == "InvalidRequestException"
    assert error["Error"]["Message"] == message
    assert error["AthenaErrorCode"] == "MALFORMED_QUERY"
    assert len(athena.list_query_executions()["QueryExecutionIds"]) == before  # no execution was made


# --- result shape ----------------------------------------------------------------------------


def test_column_info_reports_athena_types_precision_and_scale(athena):
    query_id = _start(athena, "SELECT DECIMAL '12.50' AS price, 'abc' AS name, 42 AS n, 2.5e0 AS d, ARRAY[1] AS a")
    assert _finish(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    info = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    shape = [(c["Name"], c["Type"], c["Precision"], c["Scale"], c["CaseSensitive"]) for c in info]
    assert shape == [
        ("price", "decimal", 4, 2, False),
        ("name", "varchar", 3, 0, True),  # 'abc' is a varchar(3)
        ("n", "integer", 10, 0, False),
        ("d", "double", 17, 0, False),
        ("a", "array", 0, 0, False),
    ]
    assert {(c["CatalogName"], c["Nullable"]) for c in info} == {("hive", "UNKNOWN")}


def test_the_result_csv_renders_values_as_trino_does(athena, s3):
    sql = (
        "SELECT ARRAY['a', 'b'] AS arr, MAP(ARRAY['k'], ARRAY[1]) AS m, DECIMAL '12.50' AS dec,"
        " from_iso8601_timestamp('2020-06-10T15:55:23.383Z') AS ts, CAST(NULL AS VARCHAR) AS nothing, '' AS empty,"
        " 'a\"b' AS quoted"
    )
    query_id = _start(athena, sql)
    assert _finish(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    body = s3.get_object(Bucket=BUCKET, Key=f"shape/{query_id}.csv")["Body"].read().decode()
    assert list(csv.reader(io.StringIO(body))) == [
        ["arr", "m", "dec", "ts", "nothing", "empty", "quoted"],
        ["[a, b]", "{k=1}", "12.50", "2020-06-10 15:55:23.383 UTC", "", "", 'a"b'],
    ]
    # Every value is quoted; a NULL is left empty, so it differs from the empty text ("").
    assert body.splitlines()[1].endswith(',,"","a""b"')


def test_a_select_writes_its_column_metadata_file_next_to_the_csv(athena, s3):
    query_id = _start(athena, "SELECT CAST('x' AS VARCHAR) AS name")  # unbounded varchar
    assert _finish(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    data = s3.get_object(Bucket=BUCKET, Key=f"shape/{query_id}.csv.metadata")["Body"].read()
    assert data.startswith(b"\x0a\x1b")  # field 1: the engine's 27-character query id
    column = b"\x0a\x04hive\x22\x04name\x2a\x04name\x32\x07varchar\x38\xff\xff\xff\xff\x07\x40\x00\x48\x03\x50\x01"
    assert data[29:] == b"\x22" + bytes([len(column)]) + column


def test_the_metadata_encoding_matches_a_published_athena_file():
    """Bytes of an Athena ``.csv.metadata`` for one ``array`` column named ``ary`` (a public hexdump)."""
    published = bytes.fromhex(
        "0a1b32303139303432335f3132353132385f30303030315f6568747572221"
        "90a046869766522036172792a036172793205617272617948 03".replace(" ", "")
    )
    assert csv_metadata([Column("ary", "array")], "20190423_125128_00001_ehtur") == published


# A .csv.metadata file Athena wrote for a SELECT of one column of each type (published by the
# athena-local project, measured against Athena on 2026-09-17), with the ColumnInfo Athena reported.
MEASURED_COLUMNS = [
    ("i", "integer", 10, 0), ("ti", "tinyint", 3, 0), ("si", "smallint", 5, 0), ("bi", "bigint", 19, 0),
    ("dec_lit", "double", 17, 0), ("d", "double", 17, 0), ("r", "float", 17, 0), ("dc", "decimal", 10, 2),
    ("b", "boolean", 0, 0), ("s", "varchar", 3, 0), ("vc", "varchar", 10, 0), ("c", "char", 5, 0),
    ("dt", "date", 0, 0), ("ts", "timestamp", 3, 0), ("arr", "array", 0, 0), ("m", "map", 0, 0),
    ("rw", "row", 0, 0), ("j", "json", 0, 0), ("vb", "varbinary", 1073741824, 0), ("n", "integer", 10, 0),
    ("iv", "interval day to second", 0, 0), ("t", "time", 3, 0),
]
MEASURED_FILE = (
    "0a1b32303236303931375f3038353334345f30303030375f6b36733562221d0a"
    "04686976652201692a01693207696e7465676572380a400048035000221f0a04"
    "68697665220274692a027469320774696e79696e74380340004803500022200a"
    "0468697665220273692a0273693208736d616c6c696e74380540004803500022"
    "1e0a0468697665220262692a0262693206626967696e74381340004803500022"
    "280a046869766522076465635f6c69742a076465635f6c69743206646f75626c"
    "653811400048035000221c0a04686976652201642a01643206646f75626c6538"
    "11400048035000221b0a04686976652201722a01723205666c6f617438114000"
    "48035000221f0a0468697665220264632a0264633207646563696d616c380a40"
    "024803500022190a04686976652201622a01623207626f6f6c65616e48035000"
    "221d0a04686976652201732a0173320776617263686172380340004803500122"
    "1f0a0468697665220276632a027663320776617263686172380a400048035001"
    "221a0a04686976652201632a01633204636861723805400048035001221a0a04"
    "68697665220264742a02647432046461746540004803500022210a0468697665"
    "220274732a027473320974696d657374616d70380340004803500022190a0468"
    "69766522036172722a0361727232056172726179480322130a04686976652201"
    "6d2a016d32036d6170480322150a0468697665220272772a0272773203726f77"
    "480322140a046869766522016a2a016a32046a736f6e480322250a0468697665"
    "220276622a027662320976617262696e61727938808080800440004803500022"
    "1d0a046869766522016e2a016e3207696e7465676572380a400048035000222a"
    "0a0468697665220269762a0269763216696e74657276616c2064617920746f20"
    "7365636f6e6448035000221a0a04686976652201742a0174320474696d653803"
    "400048035000"
)


def test_the_metadata_encoding_matches_a_file_athena_wrote_for_every_type():
    columns = [Column(name, kind, precision, scale) for name, kind, precision, scale in MEASURED_COLUMNS]
    assert csv_metadata(columns, "20260917_085344_00007_k6s5b").hex() == MEASURED_FILE


def test_select_is_a_dml_statement_of_substatement_select(athena):
    execution = _finish(athena, _start(athena, "SELECT 1"))
    assert (execution["StatementType"], execution["SubstatementType"]) == ("DML", "SELECT")


def test_show_statements_are_utility_statements_without_a_header_row(athena):
    execution = _finish(athena, _start(athena, "SHOW DATABASES", QueryExecutionContext={"Database": "default"}))
    assert (execution["StatementType"], execution["SubstatementType"]) == ("UTILITY", "SHOW_DATABASES")
    assert ["default"] in _rows(athena, execution["QueryExecutionId"])
    assert execution["ResultConfiguration"]["OutputLocation"].endswith(".txt")


def test_column_info_calls_real_float_and_lists_numeric_map_keys_in_order(athena):
    query_id = _start(athena, "SELECT CAST(0.5 AS REAL) AS r, MAP(ARRAY[10, 9], ARRAY['b', 'a']) AS m")
    assert _finish(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    result = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]
    assert [c["Type"] for c in result["ResultSetMetadata"]["ColumnInfo"]] == ["float", "map"]
    assert [d["VarCharValue"] for d in result["Rows"][1]["Data"]] == ["0.5", "{9=a, 10=b}"]


# --- AthenaError per the Athena error catalog ------------------------------------------------


@pytest.mark.parametrize(
    "sql, error_type",
    [
        ("SELECT nope FROM (SELECT 1 AS x)", 1006),  # syntax error
        ("SELECT * FROM no_such_table_anywhere", 1301),  # entity not found
        ("SELECT no_such_function(1)", 1303),  # function not found
        ("SELECT from_unixtime(0, 'America/New_York')", 1200),  # query not supported
        ("SELECT split_part('a', ',', 0)", 1106),  # invalid function argument
        ("SELECT CAST('x' AS INTEGER)", 1100),  # invalid argument provided
        ("SELECT 1 / 0", 1001),  # data error
    ],
)
def test_failures_carry_the_athena_error_category_and_type(athena, sql, error_type):
    status = _finish(athena, _start(athena, sql))["Status"]
    assert status["State"] == "FAILED"
    assert status["AthenaError"] == {
        "ErrorCategory": 2,
        "ErrorType": error_type,
        "Retryable": False,
        "ErrorMessage": status["StateChangeReason"],
    }


# --- ExecutionParameters and prepared statements ---------------------------------------------


def test_execution_parameters_fill_question_marks_in_order(athena):
    query_id = _start(athena, "SELECT ? + 1 AS n, upper(?) AS s", ExecutionParameters=["41", "'abc'"])
    assert _finish(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    assert _rows(athena, query_id) == [["n", "s"], ["42", "ABC"]]


def test_execution_parameters_carry_their_literal_types(athena):
    # 7 is an integer (integer division), DATE '...' a date (date arithmetic stays a date), 1.5 a double.
    query_id = _start(
        athena, "SELECT ? / 2 AS half, date_add('day', 1, ?) AS next_day, typeof(?) AS t",
        ExecutionParameters=["7", "DATE '2020-01-01'", "1.5"],
    )
    assert _finish(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    assert _rows(athena, query_id)[1] == ["3", "2020-01-02", "double"]


def test_prepare_execute_using_and_deallocate_in_sql(athena, workgroup):
    prepare = _finish(athena, _start(athena, "PREPARE add_one FROM SELECT ? + 1 AS n, ? AS s", WorkGroup=workgroup))
    assert (prepare["Status"]["State"], prepare["StatementType"]) == ("SUCCEEDED", "UTILITY")
    statement = athena.get_prepared_statement(StatementName="add_one", WorkGroup=workgroup)["PreparedStatement"]
    assert statement["QueryStatement"] == "SELECT ? + 1 AS n, ? AS s" and statement["WorkGroupName"] == workgroup

    query_id = _start(athena, "EXECUTE add_one USING 41, 'x'", WorkGroup=workgroup)
    assert _finish(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    assert _rows(athena, query_id) == [["n", "s"], ["42", "x"]]

    query_id = _start(athena, "EXECUTE add_one", WorkGroup=workgroup, ExecutionParameters=["1", "'y'"])
    assert _finish(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    assert _rows(athena, query_id) == [["n", "s"], ["2", "y"]]

    assert _finish(athena, _start(athena, "DEALLOCATE PREPARE add_one", WorkGroup=workgroup))["Status"]["State"] == "SUCCEEDED"
    with pytest.raises(ClientError) as excinfo:
        athena.get_prepared_statement(StatementName="add_one", WorkGroup=workgroup)
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    failed = _finish(athena, _start(athena, "EXECUTE add_one USING 1, 'x'", WorkGroup=workgroup))
    assert failed["Status"]["State"] == "FAILED"
    assert failed["Status"]["StateChangeReason"] == "NOT_FOUND: Prepared statement not found: add_one"


def test_execute_using_takes_literals_only(athena, workgroup):
    athena.create_prepared_statement(StatementName="lit", WorkGroup=workgroup, QueryStatement="SELECT ? AS v")
    failed = _finish(athena, _start(athena, "EXECUTE lit USING upper('a')", WorkGroup=workgroup))
    assert failed["Status"]["State"] == "FAILED"
    assert failed["Status"]["StateChangeReason"].startswith("NOT_SUPPORTED: ")
    query_id = _start(athena, "EXECUTE lit USING DATE '2020-01-02'", WorkGroup=workgroup)
    assert _finish(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    assert _rows(athena, query_id) == [["v"], ["2020-01-02"]]


def test_prepared_statement_apis_keep_statements_per_work_group(athena, workgroup, s3):
    other = f"wg-{uuid.uuid4().hex[:8]}"
    athena.create_work_group(Name=other, Configuration={"ResultConfiguration": {"OutputLocation": RESULTS}})
    athena.create_prepared_statement(StatementName="q1", WorkGroup=workgroup, QueryStatement="SELECT ?", Description="one")
    athena.create_prepared_statement(StatementName="q1", WorkGroup=other, QueryStatement="SELECT 2")

    got = athena.get_prepared_statement(StatementName="q1", WorkGroup=workgroup)["PreparedStatement"]
    assert (got["QueryStatement"], got["Description"], got["WorkGroupName"]) == ("SELECT ?", "one", workgroup)
    assert "LastModifiedTime" in got

    athena.update_prepared_statement(StatementName="q1", WorkGroup=workgroup, QueryStatement="SELECT ? * 2")
    assert athena.get_prepared_statement(StatementName="q1", WorkGroup=workgroup)["PreparedStatement"]["QueryStatement"] == "SELECT ? * 2"
    assert athena.get_prepared_statement(StatementName="q1", WorkGroup=other)["PreparedStatement"]["QueryStatement"] == "SELECT 2"

    query_id = _start(athena, "EXECUTE q1 USING 21", WorkGroup=workgroup)
    assert _finish(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    assert _rows(athena, query_id)[1] == ["42"]

    for name in ("r1", "s1"):
        athena.create_prepared_statement(StatementName=name, WorkGroup=workgroup, QueryStatement="SELECT 1")
    first = athena.list_prepared_statements(WorkGroup=workgroup, MaxResults=2)
    assert [s["StatementName"] for s in first["PreparedStatements"]] == ["q1", "r1"]
    rest = athena.list_prepared_statements(WorkGroup=workgroup, MaxResults=2, NextToken=first["NextToken"])
    assert [s["StatementName"] for s in rest["PreparedStatements"]] == ["s1"] and "NextToken" not in rest

    batch = athena.batch_get_prepared_statement(PreparedStatementNames=["q1", "missing"], WorkGroup=workgroup)
    assert [s["StatementName"] for s in batch["PreparedStatements"]] == ["q1"]
    unprocessed = batch["UnprocessedPreparedStatementNames"]
    assert [(u["StatementName"], u["ErrorCode"]) for u in unprocessed] == [("missing", "STATEMENT_NOT_FOUND")]
    assert unprocessed[0]["ErrorMessage"].startswith("STATEMENT_NOT_FOUND")

    athena.delete_prepared_statement(StatementName="q1", WorkGroup=workgroup)
    assert athena.get_prepared_statement(StatementName="q1", WorkGroup=other)["PreparedStatement"]["QueryStatement"] == "SELECT 2"


@pytest.mark.parametrize(
    "call, code",
    [
        (lambda a, wg: a.get_prepared_statement(StatementName="absent", WorkGroup=wg), "ResourceNotFoundException"),
        (lambda a, wg: a.delete_prepared_statement(StatementName="absent", WorkGroup=wg), "ResourceNotFoundException"),
        (
            lambda a, wg: a.update_prepared_statement(StatementName="absent", WorkGroup=wg, QueryStatement="SELECT 1"),
            "ResourceNotFoundException",
        ),
        (
            lambda a, wg: a.create_prepared_statement(StatementName="x1", WorkGroup="no-such-group", QueryStatement="SELECT 1"),
            "InvalidRequestException",
        ),
        (lambda a, wg: a.list_prepared_statements(WorkGroup="no-such-group"), "InvalidRequestException"),
        (
            lambda a, wg: a.create_prepared_statement(StatementName="1bad", WorkGroup=wg, QueryStatement="SELECT 1"),
            "InvalidRequestException",
        ),
        (lambda a, wg: a.list_prepared_statements(WorkGroup=wg, MaxResults=51), "InvalidRequestException"),
    ],
)
def test_prepared_statement_errors(athena, workgroup, call, code):
    with pytest.raises(ClientError) as excinfo:
        call(athena, workgroup)
    assert excinfo.value.response["Error"]["Code"] == code


def test_creating_a_prepared_statement_twice_is_refused(athena, workgroup):
    athena.create_prepared_statement(StatementName="dup", WorkGroup=workgroup, QueryStatement="SELECT 1")
    with pytest.raises(ClientError) as excinfo:
        athena.create_prepared_statement(StatementName="dup", WorkGroup=workgroup, QueryStatement="SELECT 2")
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequestException"
