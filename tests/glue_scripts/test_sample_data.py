"""The sample data generator: deterministic, exact headers, plausible rows,
streaming, and its output runs through the Glue scripts."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import time
import tracemalloc

import pytest

from pipeline_expectations import expected_join, expected_marketing, expected_sales, read_parquet
from runners import sample_data

SALES_HEADER_LINE = (
    "Date,Salesperson,Lead Name,Segment,Region,Target Close,Forecasted Monthly Revenue,Opportunity Stage,"
    "Weighted Revenue,Closed Opportunity,Active Opportunity,Latest Status Entry"
)
MARKETING_HEADER_LINE = (
    "Date,New visitors SEO,New visitors CPC,New visitors Social Media,Return visitors,Twitter mentions,"
    "Twitter follower adds,Twitter followers cumulative,Mailing list adds ,Mailing list cumulative,"
    "Website Pageviews,Website Visits,Website Unique Visits,Mobile uniques,Tablet uniques,Desktop uniques,"
    "Free sign up,Paid conversion,Events"
)
MDY = re.compile(r"^(1[0-2]|[1-9])/(3[01]|[12][0-9]|[1-9])/\d{4}$")


def _sales(rows: int, **kwargs) -> bytes:
    out = io.BytesIO()
    assert sample_data.generate_sales(out, rows, **kwargs) == rows
    return out.getvalue()


def _marketing(days: int, **kwargs) -> bytes:
    out = io.BytesIO()
    assert sample_data.generate_marketing(out, days, **kwargs) == days
    return out.getvalue()


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    assert _sales(3000, seed=5) == _sales(3000, seed=5)
    assert _sales(3000, seed=5) != _sales(3000, seed=6)
    assert _marketing(400, seed=5) == _marketing(400, seed=5)
    assert _marketing(400, seed=5) != _marketing(400, seed=6)
    # A path and a text stream get the same bytes as a binary stream.
    sample_data.generate_sales(tmp_path / "s.csv", 3000, seed=5)
    text = io.StringIO()
    sample_data.generate_sales(text, 3000, seed=5)
    assert (tmp_path / "s.csv").read_bytes() == text.getvalue().encode() == _sales(3000, seed=5)


def test_headers_are_exactly_the_reference_schemas():
    assert _sales(0).decode() == SALES_HEADER_LINE + "\n"
    assert _marketing(0).decode() == MARKETING_HEADER_LINE + "\n"


def test_headers_match_the_reference_files(reference_data):
    sales_csv, marketing_csv = reference_data
    assert sales_csv.read_text().splitlines()[0] == SALES_HEADER_LINE
    assert marketing_csv.read_text().splitlines()[0] == MARKETING_HEADER_LINE


def test_sales_rows_are_consistent_and_plausible():
    rows = list(csv.DictReader(io.StringIO(_sales(20000, seed=3).decode())))
    assert len(rows) == 20000
    stages = {row["Opportunity Stage"] for row in rows}
    assert stages == {"Lead", "Prospect", "Qualified", "Contracting", "Closed Won", "Closed Lost"}
    assert {row["Segment"] for row in rows} == {"SMB", "Enterprise", "Startup"}
    assert {row["Region"] for row in rows} == {"US", "EMEA", "APAC"}
    assert len({row["Salesperson"] for row in rows}) == 7
    leads = [row for row in rows if row["Opportunity Stage"] == "Lead"]
    assert 0.35 < len(leads) / len(rows) < 0.55
    dates = [datetime.datetime.strptime(row["Date"], "%m/%d/%Y").date() for row in rows]
    assert dates == sorted(dates)
    assert datetime.date(2011, 1, 1) <= dates[0] and dates[-1] <= datetime.date(2016, 12, 31)
    probability = {"Lead": 0.1, "Prospect": 0.2, "Qualified": 0.5, "Contracting": 0.8, "Closed Won": 1.0, "Closed Lost": 0.0}
    for row in rows:
        assert MDY.match(row["Date"]) and MDY.match(row["Target Close"]), row
        stage, forecast = row["Opportunity Stage"], int(row["Forecasted Monthly Revenue"])
        assert int(row["Weighted Revenue"]) == round(forecast * probability[stage])
        assert row["Lead Name"].startswith(f"{row['Region']}_{row['Segment']}_")
        closed = stage.startswith("Closed")
        assert row["Closed Opportunity"] == ("TRUE" if closed else "FALSE")
        if closed:
            assert row["Target Close"] == row["Date"] and row["Latest Status Entry"] == "TRUE"
        if stage == "Closed Lost":
            assert forecast == 0
        if stage == "Lead":
            assert {"SMB": 40_000, "Enterprise": 150_000, "Startup": 200_000}[row["Segment"]] <= forecast <= 995_000
    # Every opportunity has exactly one latest entry, its last one.
    last: dict[str, dict] = {}
    for row in rows:
        last[row["Lead Name"]] = row
    assert sum(row["Latest Status Entry"] == "TRUE" for row in rows) == len(last)
    assert all(row["Latest Status Entry"] == "TRUE" for row in last.values())


def test_marketing_rows_add_up():
    rows = list(csv.DictReader(io.StringIO(_marketing(730, seed=3, start_date=datetime.date(2020, 2, 28)).decode())))
    assert len(rows) == 730
    day = datetime.date(2020, 2, 28)
    for row in rows:
        assert row["Date"] == f"{day.month}/{day.day}/{day.year}"
        day += datetime.timedelta(days=1)
        unique = int(row["Website Unique Visits"])
        channels = ("New visitors SEO", "New visitors CPC", "New visitors Social Media", "Return visitors")
        assert unique == sum(int(row[name]) for name in channels)
        assert unique == sum(int(row[name]) for name in ("Mobile uniques", "Tablet uniques", "Desktop uniques"))
        assert int(row["Website Pageviews"]) >= int(row["Website Visits"]) >= unique > 0
        assert 0 <= int(row["Paid conversion"]) <= int(row["Free sign up"])
        assert 0 <= int(row["Mailing list adds "]) <= 25 and -2 <= int(row["Twitter follower adds"]) <= 15
    events = [row["Events"] for row in rows]
    assert 0.2 < sum(1 for e in events if e) / len(events) < 0.8


def test_generation_streams_in_bounded_memory():
    """Memory does not grow with the number of rows (only with the open opportunities of ~80 days)."""
    peaks = []
    for rows in (5_000, 60_000):
        tracemalloc.start()
        sample_data.generate_sales(_Discard(), rows, seed=1)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 2 + 1_000_000, peaks


def test_generation_is_fast():
    started = time.perf_counter()
    sample_data.generate_sales(_Discard(), 200_000, seed=1)
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"200k rows took {elapsed:.1f}s (about 0.5s expected)"


def test_generated_data_runs_through_the_scripts(run_glue_script, tmp_path):
    files = sample_data.write_sample_files(tmp_path / "in", rows=20_000, seed=11)
    out = {name: tmp_path / name for name in ("sales", "marketing", "joined")}
    run_glue_script("process_sales_data.py", input_path=files.sales, output_path=out["sales"])
    run_glue_script("process_marketing_data.py", input_path=files.marketing, output_path=out["marketing"])
    run_glue_script(
        "join_marketing_and_sales_data.py",
        sales_path=out["sales"], marketing_path=out["marketing"], output_path=out["joined"],
    )
    assert read_parquet(out["sales"])[2] == expected_sales(files.sales)
    assert read_parquet(out["marketing"])[2] == expected_marketing(files.marketing)
    joined = read_parquet(out["joined"], ordered=False)[2]
    assert joined == expected_join(files.sales, files.marketing)
    assert len(joined) > 1000  # the default dates overlap: most marketing days have leads
