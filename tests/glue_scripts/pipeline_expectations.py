"""What the three Glue scripts must produce, computed with DuckDB straight from
the CSV files (never through Spark), and how to read their Parquet back."""

from __future__ import annotations

from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
GLUE_SCRIPTS = REPO / "glue-scripts"
REFERENCE = Path(__file__).parents[2] / ".." / "shared" / "reference-data"
REFERENCE_SALES = REFERENCE / "SalesPipeline_QuickSightSample.csv"
REFERENCE_MARKETING = REFERENCE / "MarketingData_QuickSightSample.csv"

#: The marketing columns after process_marketing_data, in order (spelled out, not derived).
MARKETING_COLUMNS = [
    "date", "new_visitors_seo", "new_visitors_cpc", "new_visitors_social_media", "return_visitors",
    "twitter_mentions", "twitter_follower_adds", "twitter_followers_cumulative", "mailing_list_adds",
    "mailing_list_cumulative", "website_pageviews", "website_visits", "website_unique_visits", "mobile_uniques",
    "tablet_uniques", "desktop_uniques", "free_sign_up", "paid_conversion", "events",
]
SALES_COLUMNS = ["date", "forecasted_monthly_revenue", "lead_count"]


def _csv(path: Path) -> str:
    return f"read_csv('{path}', header = true, all_varchar = true, delim = ',', quote = '\"')"


def _sales_sql(sales_csv: Path) -> str:
    return f"""
        SELECT strptime("Date", '%m/%d/%Y')::DATE AS date,
               sum(CAST("Forecasted Monthly Revenue" AS BIGINT)) AS forecasted_monthly_revenue,
               count(*) AS lead_count
        FROM {_csv(sales_csv)}
        WHERE "Opportunity Stage" = 'Lead'
        GROUP BY 1
    """


def _marketing_sql(marketing_csv: Path) -> str:
    source = duckdb.sql(f"SELECT * FROM {_csv(marketing_csv)}").columns
    assert len(source) == len(MARKETING_COLUMNS), source
    casts = [f"""strptime("{source[0]}", '%m/%d/%Y')::DATE AS date"""]
    casts += [f'CAST("{name}" AS BIGINT) AS {alias}' for name, alias in zip(source[1:-1], MARKETING_COLUMNS[1:-1])]
    casts += [f"""nullif("{source[-1]}", '') AS events"""]
    return f"SELECT {', '.join(casts)} FROM {_csv(marketing_csv)}"


def expected_sales(sales_csv: Path) -> list[tuple]:
    """Leads per day: (date, sum of Forecasted Monthly Revenue, count), by date."""
    return duckdb.sql(_sales_sql(sales_csv) + " ORDER BY 1").fetchall()


def expected_marketing(marketing_csv: Path) -> list[tuple]:
    """Every marketing row: the date as DATE, metrics as BIGINT, Events as text (empty -> NULL), by date."""
    return duckdb.sql(_marketing_sql(marketing_csv) + " ORDER BY 1").fetchall()


def expected_join(sales_csv: Path, marketing_csv: Path) -> list[tuple]:
    """Inner join on the date: sales columns then the marketing ones, by date."""
    return duckdb.sql(
        f"""
        SELECT s.*, m.* EXCLUDE (date)
        FROM ({_sales_sql(sales_csv)}) s JOIN ({_marketing_sql(marketing_csv)}) m USING (date)
        ORDER BY date
        """
    ).fetchall()


def parquet_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).rglob("*.parquet") if not p.name.startswith((".", "_")))


def read_parquet(directory: Path, *, ordered: bool = True) -> tuple[list[str], list[str], list[tuple]]:
    """(column names, DuckDB types, rows) of a Spark Parquet output directory; rows sorted by date
    unless ``ordered`` is False (then in file order)."""
    files = parquet_files(directory)
    assert files, f"no Parquet files under {directory}"
    listing = ", ".join(f"'{p}'" for p in files)
    relation = duckdb.sql(f"SELECT * FROM read_parquet([{listing}])" + (" ORDER BY date" if ordered else ""))
    return relation.columns, [str(t) for t in relation.types], relation.fetchall()
