"""The three Glue scripts on the public reference data (local PySpark in this
process), checked against DuckDB computing the same answers from the CSVs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_expectations import (
    MARKETING_COLUMNS,
    SALES_COLUMNS,
    expected_join,
    expected_marketing,
    expected_sales,
    parquet_files,
    read_parquet,
)

MARKETING_TYPES = ["DATE"] + ["BIGINT"] * 17 + ["VARCHAR"]


@pytest.fixture(scope="module")
def outputs(reference_data, run_glue_script, tmp_path_factory) -> dict[str, Path]:
    """The three scripts run once, in pipeline order, on the reference data."""
    sales_csv, marketing_csv = reference_data
    out = tmp_path_factory.mktemp("reference-pipeline")
    paths = {name: out / name for name in ("sales", "marketing", "joined")}
    run_glue_script("process_sales_data.py", input_path=sales_csv, output_path=paths["sales"])
    run_glue_script("process_marketing_data.py", input_path=marketing_csv, output_path=paths["marketing"])
    run_glue_script(
        "join_marketing_and_sales_data.py",
        sales_path=paths["sales"], marketing_path=paths["marketing"], output_path=paths["joined"],
    )
    return paths


def test_process_sales_data_sums_leads_per_day(reference_data, outputs):
    columns, types, rows = read_parquet(outputs["sales"])
    assert columns == SALES_COLUMNS
    assert types == ["DATE", "BIGINT", "BIGINT"]
    assert rows == expected_sales(reference_data[0])
    # The reference sample's known shape: 9,141 leads on 1,802 days.
    assert (len(rows), sum(row[2] for row in rows)) == (1802, 9141)


def test_process_marketing_data_renames_and_types_every_column(reference_data, outputs):
    columns, types, rows = read_parquet(outputs["marketing"])
    assert columns == MARKETING_COLUMNS
    assert types == MARKETING_TYPES
    assert rows == expected_marketing(reference_data[1])
    assert len(rows) == 1461
    assert sum(row[-1] is None for row in rows) == 655  # Events is empty on most days


def test_join_is_one_file_sorted_by_date(reference_data, outputs):
    assert len(parquet_files(outputs["joined"])) == 1
    columns, types, rows = read_parquet(outputs["joined"], ordered=False)  # file order
    assert columns == SALES_COLUMNS + MARKETING_COLUMNS[1:]
    assert types == ["DATE", "BIGINT", "BIGINT"] + MARKETING_TYPES[1:]
    assert rows == expected_join(*reference_data)
    assert len(rows) == 1393


def test_malformed_sales_rows(run_glue_script, tmp_path):
    csv = tmp_path / "sales.csv"
    csv.write_text(
        "Date,Salesperson,Lead Name,Segment,Region,Target Close,Forecasted Monthly Revenue,Opportunity Stage,"
        "Weighted Revenue,Closed Opportunity,Active Opportunity,Latest Status Entry\n"
        "1/2/2011,A,US_SMB_1,SMB,US,2/2/2011,100,Lead,10,FALSE,FALSE,FALSE\n"
        " 1/2/2011 ,A,US_SMB_2,SMB,US,2/2/2011,50,Lead,5,FALSE,FALSE,FALSE\n"
        "1/2/2011,A,US_SMB_3,SMB,US,2/2/2011,n/a,Lead,0,FALSE,FALSE,FALSE\n"
        "1/2/2011,A,US_SMB_4,SMB,US,2/2/2011,999,Prospect,200,FALSE,FALSE,FALSE\n"
        "2/30/2011,A,US_SMB_5,SMB,US,2/2/2011,7,Lead,1,FALSE,FALSE,FALSE\n"
        "2011-01-03,A,US_SMB_6,SMB,US,2/2/2011,7,Lead,1,FALSE,FALSE,FALSE\n"
        "12/31/2016,A,US_SMB_7,SMB,US,2/2/2017,3,Lead,0,FALSE,FALSE,FALSE\n"
    )
    run_glue_script("process_sales_data.py", input_path=csv, output_path=tmp_path / "out")
    _, _, rows = read_parquet(tmp_path / "out")
    # Unparseable dates are dropped; a revenue that is not a number still counts as a lead.
    assert [(str(d), revenue, count) for d, revenue, count in rows] == [("2011-01-02", 150, 3), ("2016-12-31", 3, 1)]


def test_malformed_marketing_rows(run_glue_script, tmp_path):
    csv = tmp_path / "marketing.csv"
    csv.write_text(
        "Date,New visitors SEO,Mailing list adds ,Events\n"
        "1/1/2013,10,1,\n"
        "1/2/2013,x,2,Spring promo\n"
        "not a date,30,3,\n"
    )
    run_glue_script("process_marketing_data.py", input_path=csv, output_path=tmp_path / "out")
    columns, types, rows = read_parquet(tmp_path / "out")
    assert columns == ["date", "new_visitors_seo", "mailing_list_adds", "events"]
    assert types == ["DATE", "BIGINT", "BIGINT", "VARCHAR"]
    assert [(str(r[0]), *r[1:]) for r in rows] == [("2013-01-01", 10, 1, None), ("2013-01-02", None, 2, "Spring promo")]


def test_missing_argument_is_a_clear_error(run_glue_script, tmp_path):
    from awsglue.utils import GlueArgumentError

    with pytest.raises(GlueArgumentError, match="the following arguments are required: --output_path"):
        run_glue_script("process_sales_data.py", input_path=tmp_path / "in.csv")
