"""Athena's SQL as Athena answers it: a corpus from the Trino/Athena function reference.

Every case is a statement run through real boto3 Athena calls against the
embedded AWS, with the rows GetQueryResults must return, as Athena renders
them (arrays ``[a, b]``, maps ``{a=1}``, decimals with their scale, doubles
as Java prints them, timestamps ``... UTC``). Expected values come from the
examples in the Trino function reference that Athena engine version 3
documents, or are computed by hand from the functions' definitions there;
none is taken from the local engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

RESULTS_BUCKET = "athena-corpus-results"
RESULTS = f"s3://{RESULTS_BUCKET}/corpus/"


@dataclass(frozen=True)
class Case:
    category: str
    sql: str
    rows: list[list[str | None]] | None = None  # data rows (no header); None: the query must fail
    error: str | None = None  # the StateChangeReason must start with this
    types: list[str] | None = None  # ColumnInfo Type of each column

    def __str__(self) -> str:
        return f"{self.category}: {self.sql}"


CORPUS = [
    # --- rendering (Trino's client text) ---------------------------------------------------
    Case("rendering", "SELECT ARRAY['a', 'b']", [["[a, b]"]], types=["array"]),
    Case("rendering", "SELECT ARRAY[1, NULL, 3]", [["[1, null, 3]"]]),
    Case("rendering", "SELECT MAP(ARRAY['a', 'b'], ARRAY[1, 2])", [["{a=1, b=2}"]], types=["map"]),
    Case("rendering", "SELECT CAST(ROW(1, 'a') AS ROW(x INTEGER, y VARCHAR))", [["{x=1, y=a}"]], types=["row"]),
    Case("rendering", "WITH dataset AS (SELECT ROW('Bob', 38) AS users) SELECT * FROM dataset", [["{field0=Bob, field1=38}"]]),
    Case("rendering", "SELECT DECIMAL '12.50'", [["12.50"]], types=["decimal"]),
    Case("rendering", "SELECT DECIMAL '1.10' + DECIMAL '2.205'", [["3.305"]]),
    Case("rendering", "SELECT CAST(3 AS DECIMAL(10, 2))", [["3.00"]]),
    Case("rendering", "SELECT 1e10, 0.5e0, 123456789.0e0, 0.0001e0", [["1.0E10", "0.5", "1.23456789E8", "1.0E-4"]]),
    Case("rendering", "SELECT true, 7 / 2, -7 / 2", [["true", "3", "-3"]], types=["boolean", "integer", "integer"]),
    Case("rendering", "SELECT TIMESTAMP '2020-01-02 03:04:05.123', DATE '2020-01-02'", [["2020-01-02 03:04:05.123", "2020-01-02"]]),
    Case("rendering", "SELECT JSON '{\"a\": 1}'", [['{"a":1}']], types=["json"]),
    # --- arithmetic and casts (Trino's decimal rules, Java's double text) ------------------
    Case("arithmetic", "SELECT DECIMAL '1.00' / DECIMAL '3.00', DECIMAL '-1.5' / 2, DECIMAL '10.0' / 4", [["0.33", "-0.8", "2.5"]],
         types=["decimal", "decimal", "decimal"]),
    Case("arithmetic", "SELECT 0.1 + 0.2, typeof(1.5), 10.0 / 4", [["0.30000000000000004", "double", "2.5"]],
         types=["double", "varchar", "double"]),
    Case("arithmetic", "SELECT typeof(DECIMAL '1.00' / DECIMAL '3.00')", [["decimal(5,2)"]]),
    Case("arithmetic", "SELECT x / 2, x / DECIMAL '2.0', y / 2 FROM (VALUES (7, 7e0)) AS t(x, y)", [["3", "3.5", "3.5"]],
         types=["integer", "decimal", "double"]),
    Case("arithmetic", "SELECT avg(x), typeof(avg(x)), typeof(sum(x) / count(x)) FROM (VALUES DECIMAL '1.00', DECIMAL '2.00', DECIMAL '2.00') AS t(x)",
         [["1.67", "decimal(3,2)", "decimal(38,2)"]]),
    Case("arithmetic", "WITH c AS (SELECT CAST(10 AS DECIMAL(10, 2)) AS p) SELECT p / 4 FROM c", [["2.50"]]),
    Case("string", "SELECT split('a,b,c', ',', 2), reverse(ARRAY[1, 2])", [["[a, b,c]", "[2, 1]"]]),
    Case("arithmetic", "SELECT CAST(1e10 AS VARCHAR), CAST(1.5e0 AS VARCHAR), CAST(0.00012e0 AS VARCHAR)", [["1.0E10", "1.5", "1.2E-4"]]),
    Case("arithmetic", "SELECT CAST('abcdef' AS VARCHAR(3))", [["abc"]]),
    Case("arithmetic", "SELECT CAST(TIMESTAMP '2020-01-02 03:04:05.000' AS VARCHAR), CAST(DATE '2020-01-01' AS VARCHAR)",
         [["2020-01-02 03:04:05.000", "2020-01-01"]]),
    Case("arithmetic", "SELECT DATE '2020-01-01' + INTERVAL '1' DAY, DATE '2020-03-31' - INTERVAL '1' MONTH", [["2020-01-02", "2020-02-29"]],
         types=["date", "date"]),
    Case("arithmetic", "SELECT date_diff('day', TIMESTAMP '2020-01-01 23:00:00', TIMESTAMP '2020-01-02 01:00:00')", [["0"]]),
    Case("arithmetic", "SELECT TIMESTAMP '2020-01-01 10:00:00' + INTERVAL '1' HOUR, date_add('minute', 5, TIMESTAMP '2020-01-01 10:00:00')",
         [["2020-01-01 11:00:00", "2020-01-01 10:05:00"]]),
    Case("arithmetic", "SELECT TIMESTAMP '2020-01-02 00:00:00.000' - TIMESTAMP '2020-01-01 00:00:00.000', INTERVAL '2' DAY",
         [["1 00:00:00.000", "2 00:00:00.000"]], types=["interval day to second", "interval day to second"]),
    Case("arithmetic", "SELECT ARRAY[1, 2, 3][2], MAP(ARRAY['a'], ARRAY[1])['a']", [["2", "1"]]),
    Case("arithmetic", "SELECT CAST(2.5e0 AS INTEGER), CAST(-2.5e0 AS INTEGER), CAST(2.5 AS INTEGER)", [["3", "-3", "3"]]),
    # --- typeof (Trino type names, lower case) ---------------------------------------------
    Case("typeof", "SELECT typeof(123), typeof('cat'), typeof(cos(2) + 1.5)", [["integer", "varchar(3)", "double"]]),
    Case("typeof", "SELECT typeof(DECIMAL '12.50'), typeof(CAST(1.5 AS DECIMAL(3, 1))), typeof(CAST(1 AS BIGINT))",
         [["decimal(4,2)", "decimal(3,1)", "bigint"]]),
    Case("typeof", "SELECT typeof(ARRAY[1]), typeof(MAP(ARRAY[1], ARRAY[2.5e0]))", [["array(integer)", "map(integer, double)"]]),
    Case("typeof", "SELECT typeof(DATE '2020-01-01'), typeof(now())", [["date", "timestamp(3) with time zone"]]),
    # --- date and time -----------------------------------------------------------------------
    Case("datetime", "SELECT from_iso8601_timestamp('2020-06-10T15:55:23.383Z')", [["2020-06-10 15:55:23.383 UTC"]],
         types=["timestamp with time zone"]),
    Case("datetime", "SELECT from_iso8601_date('2020-05-11')", [["2020-05-11"]], types=["date"]),
    Case("datetime", "SELECT date_add('day', 7, DATE '2020-01-01')", [["2020-01-08"]], types=["date"]),
    Case("datetime", "SELECT date_add('month', 1, DATE '2020-01-31')", [["2020-02-29"]]),
    Case("datetime", "SELECT date_add('hour', 3, TIMESTAMP '2020-01-01 23:00:00.000')", [["2020-01-02 02:00:00.000"]]),
    Case("datetime", "SELECT date_diff('day', DATE '2020-01-01', DATE '2020-03-01')", [["60"]], types=["bigint"]),
    Case("datetime", "SELECT date_trunc('month', DATE '2020-05-17')", [["2020-05-01"]], types=["date"]),
    Case("datetime", "SELECT format_datetime(TIMESTAMP '2020-01-02 03:04:05.123', 'yyyy-MM-dd HH:mm:ss.SSS')", [["2020-01-02 03:04:05.123"]]),
    Case("datetime", "SELECT format_datetime(DATE '2020-01-02', 'EEE, d MMM yyyy')", [["Thu, 2 Jan 2020"]]),
    Case("datetime", "SELECT parse_datetime('2020-01-02 03:04', 'yyyy-MM-dd HH:mm')", [["2020-01-02 03:04:00.000 UTC"]]),
    Case("datetime", "SELECT date_format(TIMESTAMP '2001-01-09 13:04:05.321', '%Y-%m-%d %H:%i:%s.%f')", [["2001-01-09 13:04:05.321000"]]),
    Case("datetime", "SELECT date_format(TIMESTAMP '2001-01-09 13:04:05', '%W %M %e %r')", [["Tuesday January 9 01:04:05 PM"]]),
    Case("datetime", "SELECT date_parse('2020-01-02 03:04:05', '%Y-%m-%d %H:%i:%s')", [["2020-01-02 03:04:05.000"]], types=["timestamp"]),
    Case("datetime", "SELECT date_parse('2020-1-2 3:04:05 PM', '%Y-%c-%e %h:%i:%s %p')", [["2020-01-02 15:04:05.000"]]),
    Case("datetime", "SELECT to_unixtime(TIMESTAMP '1970-01-02 00:00:00.000'), from_unixtime(86400)",
         [["86400.0", "1970-01-02 00:00:00.000 UTC"]]),
    Case("datetime", "SELECT day_of_week(DATE '2020-05-17'), day_of_year(DATE '2020-05-17'), week(DATE '2020-05-17')", [["7", "138", "20"]]),
    Case("datetime", "SELECT current_timezone()", [["UTC"]]),
    Case("datetime", "SELECT to_iso8601(DATE '2020-01-01'), to_iso8601(TIMESTAMP '2020-01-02 03:04:05.678'),"
         " to_iso8601(from_unixtime(0))", [["2020-01-01", "2020-01-02T03:04:05.678", "1970-01-01T00:00:00.000Z"]]),
    Case("datetime", "SELECT millisecond(TIMESTAMP '2020-01-02 03:04:05.123'), hour(TIMESTAMP '2020-01-02 03:04:05.123')", [["123", "3"]]),
    # --- arrays and maps -----------------------------------------------------------------------
    Case("array", "SELECT array_distinct(ARRAY[3, 1, 3, 2])", [["[3, 1, 2]"]]),
    Case("array", "SELECT slice(ARRAY[1, 2, 3, 4], 2, 2), slice(ARRAY[1, 2, 3, 4], -2, 2)", [["[2, 3]", "[3, 4]"]]),
    Case("array", "SELECT reduce(ARRAY[5, 20, 50], 0, (s, x) -> s + x, s -> s)", [["75"]]),
    Case("array", "SELECT reduce(ARRAY[5, 20, NULL, 50], 0, (s, x) -> s + x, s -> s)", [[None]]),
    Case("array", "SELECT reduce(ARRAY[5, 6, 10, 20], CAST(ROW(0.0, 0) AS ROW(sum DOUBLE, count INTEGER)),"
         " (s, x) -> CAST(ROW(x + s.sum, s.count + 1) AS ROW(sum DOUBLE, count INTEGER)), s -> IF(s.count = 0, NULL, s.sum / s.count))",
         [["10.25"]]),
    Case("array", "SELECT transform(ARRAY[5, NULL, 6], x -> coalesce(x, 0) + 1)", [["[6, 1, 7]"]]),
    Case("array", "SELECT filter(ARRAY[5, -6, NULL, 7], x -> x > 0)", [["[5, 7]"]]),
    Case("array", "SELECT array_join(ARRAY['a', 'b', 'c'], ',')", [["a,b,c"]]),
    Case("array", "SELECT flatten(ARRAY[ARRAY[1, 2], ARRAY[3]])", [["[1, 2, 3]"]]),
    Case("array", "SELECT sequence(1, 5), sequence(5, 1), sequence(1, 9, 4)", [["[1, 2, 3, 4, 5]", "[5, 4, 3, 2, 1]", "[1, 5, 9]"]]),
    Case("array", "SELECT contains(ARRAY[1, 2, 3], 2), element_at(ARRAY[1, 2, 3], 4), element_at(ARRAY[1, 2, 3], -1)", [["true", None, "3"]]),
    Case("array", "SELECT cardinality(ARRAY[1, 2]), array_position(ARRAY[7, 8], 8), array_max(ARRAY[1, 5])", [["2", "2", "5"]]),
    Case("array", "SELECT array_position(ARRAY[7, 8], 9), array_max(ARRAY[1, NULL, 5]), contains(ARRAY[1, NULL], 2)", [["0", None, None]]),
    Case("array", "SELECT array_intersect(ARRAY[3, 1, 2, 3], ARRAY[3, 2]), array_union(ARRAY[1, 2], ARRAY[2, 3]),"
         " array_except(ARRAY[1, 2, 3, 2], ARRAY[2])", [["[3, 2]", "[1, 2, 3]", "[1, 3]"]]),
    Case("array", "SELECT arrays_overlap(ARRAY[1, 2], ARRAY[2, 3]), arrays_overlap(ARRAY[1, NULL], ARRAY[3])", [["true", None]]),
    Case("map", "SELECT map_agg(k, v) FROM (VALUES ('a', 1), ('b', 2)) AS t(k, v)", [["{a=1, b=2}"]]),
    Case("map", "SELECT cardinality(MAP(ARRAY['a', 'b'], ARRAY[1, 2]))", [["2"]], types=["bigint"]),
    Case("map", "SELECT map_keys(MAP(ARRAY['a', 'b'], ARRAY[1, 2])), map_values(MAP(ARRAY['a', 'b'], ARRAY[1, 2]))", [["[a, b]", "[1, 2]"]]),
    Case("map", "SELECT element_at(MAP(ARRAY['a'], ARRAY[1]), 'a'), element_at(MAP(ARRAY['a'], ARRAY[1]), 'z')", [["1", None]]),
    # --- JSON --------------------------------------------------------------------------------
    Case("json", "SELECT json_extract('{\"a\": {\"b\": 1}}', '$.a')", [['{"b":1}']], types=["json"]),
    Case("json", "SELECT json_extract_scalar('{\"store\": {\"book\": [{\"title\": \"x\"}]}}', '$.store.book[0].title')", [["x"]]),
    Case("json", "SELECT json_extract_scalar('{\"a\": {\"b\": 1}}', '$.a')", [[None]]),
    Case("json", "SELECT json_format(json_parse('[1, 2, 3]')), json_array_length('[1, 2, 3]')", [["[1,2,3]", "3"]]),
    Case("json", "SELECT CAST('abc' AS JSON), CAST(ARRAY[1, 2] AS JSON), CAST(MAP(ARRAY['a'], ARRAY[1]) AS JSON)",
         [['"abc"', "[1,2]", '{"a":1}']], types=["json", "json", "json"]),
    Case("json", "SELECT CAST(JSON '\"abc\"' AS VARCHAR), CAST(JSON '[1, 23, 456]' AS ARRAY(INTEGER))", [["abc", "[1, 23, 456]"]]),
    Case("json", "SELECT json_size('{\"x\": {\"a\": 1, \"b\": 2}}', '$.x'), json_size('{\"x\": [1, 2, 3]}', '$.x'),"
         " json_size('{\"x\": {\"a\": 1, \"b\": 2}}', '$.x.a')", [["2", "3", "0"]]),
    # --- conditional and approximate -----------------------------------------------------------
    Case("conditional", "SELECT if(1 > 0, 'y', 'n'), coalesce(NULL, 2), nullif(1, 1)", [["y", "2", None]]),
    Case("conditional", "SELECT try(1 / 0), try(CAST('x' AS INTEGER)), coalesce(try(CAST('x' AS INTEGER)), -1)", [[None, None, "-1"]]),
    Case("aggregate", "SELECT approx_distinct(x), count_if(x > 1), array_agg(x) FROM (VALUES 1, 2, 2, 3) AS t(x)", [["3", "3", "[1, 2, 2, 3]"]]),
    Case("aggregate", "SELECT approx_percentile(x, 0.5) FROM (VALUES 1, 2, 3) AS t(x)", [["2"]]),
    # --- strings, regular expressions, URLs --------------------------------------------------------
    Case("regexp", "SELECT regexp_extract('1a 2b 14m', '\\d+'), regexp_extract('1a 2b 14m', '(\\d+)([a-z]+)', 2)", [["1", "a"]]),
    Case("regexp", "SELECT regexp_extract('abc', '\\d+')", [[None]]),
    Case("regexp", "SELECT regexp_extract_all('1a 2b 14m', '\\d+'), regexp_like('1a 2b 14m', '\\d+b')", [["[1, 2, 14]", "true"]]),
    Case("regexp", "SELECT regexp_replace('1a 2b 14m', '\\d+[ab] '), regexp_replace('1a 2b 14m', '(\\d+)([ab]) ', '3c$2 ')",
         [["14m", "3ca 3cb 14m"]]),
    Case("regexp", "SELECT regexp_split('1a 2b 14m', '\\s*[a-z]+\\s*')", [["[1, 2, 14, ]"]]),
    Case("string", "SELECT split_part('a,b,c', ',', 2), split_part('a,b,c', ',', 4)", [["b", None]]),
    Case("string", "SELECT format('%s-%03d|%.2f', 'a', 5, 1.5e0), substr('hello', -3)", [["a-005|1.50", "llo"]]),
    Case("string", "SELECT substr('hello', 0), substr('hello', 2, 3), substr('hello', -10), substring('hello' FROM 2 FOR 0)",
         [["", "ell", "", ""]]),
    Case("string", "SELECT strpos('hello', 'l'), lpad('7', 3, '0'), rpad('7', 3, '0'), lpad('hello', 3, '0')", [["3", "007", "700", "hel"]]),
    Case("url", "SELECT url_extract_host('http://user@example.com:8080/p/a?q=1&r=2#frag'),"
         " url_extract_port('http://example.com:8080/p'), url_extract_protocol('https://example.com/')",
         [["example.com", "8080", "https"]]),
    Case("url", "SELECT url_extract_path('http://example.com/p/a?x=1'), url_extract_query('http://example.com/p?a=1&b=2'),"
         " url_extract_fragment('http://example.com/p#top'), url_extract_parameter('http://example.com/p?q=1&r=2', 'r')",
         [["/p/a", "a=1&b=2", "top", "2"]]),
    # --- errors in Athena's words ---------------------------------------------------------------
    Case("error", "SELECT 1 / 0", error="DIVISION_BY_ZERO: Division by zero"),
    Case("error", "SELECT nope FROM (SELECT 1 AS x)", error="COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved"),
    Case("error", "SELECT no_such_function(1)", error="FUNCTION_NOT_FOUND: line 1:8: Function 'no_such_function' not registered"),
    Case("error", "SELECT CAST('x' AS INTEGER)", error="INVALID_CAST_ARGUMENT: Cannot cast 'x' to INT"),
    Case("error", "SELECT split_part('a,b', ',', 0)", error="INVALID_FUNCTION_ARGUMENT: Index must be greater than zero"),
    Case("error", "SELECT DECIMAL '1.0' / 0", error="DIVISION_BY_ZERO: Division by zero"),
    Case("error", "SELECT x, count(*) FROM (VALUES (1, 2)) AS t(x, y)",
         error="EXPRESSION_NOT_AGGREGATE: line 1:8: 'x' must be an aggregate expression or appear in GROUP BY clause"),
    Case("error", "SELECT x FROM (VALUES 1) AS a(x), (VALUES 2) AS b(x)", error="AMBIGUOUS_NAME: line 1:8: Column 'x' is ambiguous"),
    Case("error", "SELECT upper(1)", error="FUNCTION_NOT_FOUND: line 1:8: Unexpected parameters (integer) for function upper"),
    Case("error", "SELECT 1 + 'a'", error="TYPE_MISMATCH: Cannot apply operator: integer + varchar"),
    Case("error", "SELECT 2147483647 + 1", error="NUMERIC_VALUE_OUT_OF_RANGE: integer addition overflow: 2147483647 + 1"),
    Case("error", "SELECT ARRAY[1, 2][3]", error="INVALID_FUNCTION_ARGUMENT: Array subscript must be less than or equal to array length: 3 > 2"),
    Case("error", "SELECT ARRAY[1, 2][0]", error="INVALID_FUNCTION_ARGUMENT: SQL array indices start at 1"),
    Case("error", "SELECT MAP(ARRAY['a'], ARRAY[1])['b']", error="INVALID_FUNCTION_ARGUMENT: Key not present in map: b"),
    # --- what the local engine cannot reproduce fails loudly ----------------------------------------
    Case("unsupported", "SELECT from_iso8601_timestamp('2020-06-10T15:55:23.383+02:00')", error="NOT_SUPPORTED: "),
    Case("unsupported", "SELECT TIMESTAMP '2020-01-01 00:00:00' AT TIME ZONE 'America/New_York'", error="NOT_SUPPORTED: "),
    Case("unsupported", "SELECT from_unixtime(0, 'America/New_York')", error="NOT_SUPPORTED: "),
    Case("unsupported", "SELECT typeof(MAP(ARRAY['a'], ARRAY[1]))", error="NOT_SUPPORTED: "),
    Case("unsupported", "SELECT CAST('abc' AS CHAR(5))", error="NOT_SUPPORTED: "),
    Case("unsupported", "SELECT INTERVAL '1' MONTH", error="NOT_SUPPORTED: "),
    Case("unsupported", "SELECT date_format(DATE '2020-01-02', '%D')", error="NOT_SUPPORTED: "),
    Case("unsupported", "SELECT approx_percentile(x, 2, 0.5) FROM (VALUES 1) AS t(x)", error="NOT_SUPPORTED: "),
    Case("unsupported", "SELECT format_datetime(TIMESTAMP '2020-01-01 00:00:00', 'ZZ')", error="NOT_SUPPORTED: "),
]


@pytest.fixture(scope="module")
def athena(embedded_aws):
    embedded_aws.client("s3").create_bucket(Bucket=RESULTS_BUCKET)
    return embedded_aws.client("athena")


def _finish(athena, query_id: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        time.sleep(0.02)
    raise AssertionError(f"query {query_id} did not finish")


def _run(athena, sql: str, **kwargs: object) -> dict:
    query_id = athena.start_query_execution(
        QueryString=sql, ResultConfiguration={"OutputLocation": RESULTS}, **kwargs
    )["QueryExecutionId"]
    return _finish(athena, query_id)


@pytest.mark.parametrize("case", CORPUS, ids=str)
def test_corpus(athena, case: Case):
    execution = _run(athena, case.sql)
    status = execution["Status"]
    if case.rows is None:
        assert status["State"] == "FAILED", case.sql
        assert status["StateChangeReason"].startswith(case.error), status["StateChangeReason"]
        assert status["AthenaError"]["ErrorCategory"] == 2  # USER
        return
    assert status["State"] == "SUCCEEDED", status.get("StateChangeReason")
    result = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["ResultSet"]
    rows = [[datum.get("VarCharValue") for datum in row["Data"]] for row in result["Rows"][1:]]
    assert rows == case.rows
    if case.types is not None:
        assert [c["Type"] for c in result["ResultSetMetadata"]["ColumnInfo"]] == case.types


def test_the_corpus_covers_at_least_45_statements():
    assert len(CORPUS) >= 45
