"""Benchmark 4, the local engine: the three Glue scripts on local Spark at growing
sizes, next to one DuckDB statement doing the same work as this machine's
practical limit.

    .venv/bin/python -m bench.engine [--runs 5] [--sizes 20000,1000000,10000000] [--quick]

Spark: one warm local[2] session in this process (as the tests and the
embedded Glue's warm driver use it); each script runs as Glue runs it
(``runpy`` as ``__main__`` with ``--name value`` arguments). Peak memory is
the summed RSS of this process and its children (the JVM), sampled every
50 ms. DuckDB: a fresh process per run; its peak is the kernel's high-water
mark (VmHWM), so nothing is missed between samples. Every size checks that
DuckDB wrote exactly the rows the Spark join wrote.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import runpy
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable

from bench.report import Report, figure, median, options, save_chart, table
from runners.sample_data import write_sample_files

GLUE_SCRIPTS = Path(__file__).resolve().parents[1] / "glue-scripts"
SIZES = [20_000, 1_000_000, 10_000_000]
QUICK_SIZES = [2_000]
MIB = 1024 * 1024
SPARK_STEPS = ["process_sales_data", "process_marketing_data", "join_marketing_and_sales_data"]

# The three scripts in one statement: leads per day (unparseable dates and
# revenues become NULL, NULL dates dropped), marketing columns in snake_case
# (DuckDB's normalize_names gives the scripts' names) with BIGINT metrics,
# an inner join on date, sorted. All paths are bound parameters.
DUCKDB_SQL = """
COPY (
  WITH sales AS (
    SELECT try_strptime(trim("Date"), '%m/%d/%Y')::DATE AS date,
           sum(TRY_CAST("Forecasted Monthly Revenue" AS BIGINT))::BIGINT AS forecasted_monthly_revenue,
           count(*) AS lead_count
    FROM read_csv($sales, header = true, all_varchar = true)
    WHERE "Opportunity Stage" = 'Lead'
    GROUP BY 1
  ), marketing AS (
    SELECT try_strptime(trim(date), '%m/%d/%Y')::DATE AS date,
           TRY_CAST(COLUMNS(* EXCLUDE (date, events)) AS BIGINT), events
    FROM read_csv($marketing, header = true, all_varchar = true, normalize_names = true)
  )
  SELECT * FROM sales JOIN marketing USING (date) WHERE date IS NOT NULL ORDER BY date
) TO $output (FORMAT parquet)
"""


# -- measuring ----------------------------------------------------------------------
class PeakRss:
    """Highest summed RSS of this process and all its children (the Spark JVM) while the block runs."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self._psutil, self._me = psutil, psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.peak = 0

    def _sample(self) -> None:
        total = 0
        for process in [self._me, *self._me.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except self._psutil.Error:  # a child that just exited
                pass
        self.peak = max(self.peak, total)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def __enter__(self) -> PeakRss:
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def start_spark(warehouse: Path) -> tuple[Any, float]:
    """The local[2] session of tests/glue_scripts (plus the embedded Glue's 1g driver), and its start time."""
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bench-engine")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark, time.perf_counter() - started


def run_glue_script(name: str, **arguments: Path) -> None:
    """Run glue-scripts/<name>.py as Glue does: as ``__main__`` with ``--name value`` arguments."""
    argv = [str(GLUE_SCRIPTS / f"{name}.py"), "--JOB_NAME", name]
    for key, value in arguments.items():
        argv += [f"--{key}", str(value)]
    saved, sys.argv = sys.argv, argv
    try:
        runpy.run_path(argv[0], run_name="__main__")
    finally:
        sys.argv = saved


def _peak_of_this_process() -> int:
    """VmHWM: this process's own peak RSS (fresh after exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def duckdb_once(sales: str, marketing: str, output: str) -> tuple[float, int]:
    """In a fresh process: (seconds for the statement, peak RSS of the process in bytes)."""
    import duckdb

    started = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(DUCKDB_SQL, {"sales": sales, "marketing": marketing, "output": output})
    return time.perf_counter() - started, _peak_of_this_process()


def compare_outputs(spark_dir: str, duckdb_file: str) -> tuple[int, int, int]:
    """(Spark rows, DuckDB rows, rows in only one of them + 1 if the column names differ): the engines must agree."""
    import duckdb

    params = {"spark": f"{spark_dir}/*.parquet", "duck": duckdb_file}
    with duckdb.connect() as con:
        counts = con.execute("SELECT (SELECT count(*) FROM read_parquet($spark)), (SELECT count(*) FROM read_parquet($duck))", params).fetchone()
        differ = con.execute(
            """SELECT count(*) FROM (
                 (SELECT * FROM read_parquet($spark) EXCEPT ALL SELECT * FROM read_parquet($duck))
                 UNION ALL (SELECT * FROM read_parquet($duck) EXCEPT ALL SELECT * FROM read_parquet($spark)))""",
            params,
        ).fetchone()
        names = [[column[0] for column in con.execute("SELECT * FROM read_parquet(?) LIMIT 0", [path]).description] for path in params.values()]
    assert counts is not None and differ is not None
    return counts[0], counts[1], differ[0] + (names[0] != names[1])


def in_fresh_process(function: Callable[..., Any], *args: str) -> Any:
    """Run ``function`` in a new interpreter, so DuckDB's memory is its own and not mixed with Spark's."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


# -- one size -----------------------------------------------------------------------
def measure_size(spark: Any, rows: int, runs: int, work: Path, budget_s: float) -> dict[str, Any]:
    """Generate the data once (untimed), then ``runs`` times: the three scripts, then DuckDB.

    If the first run shows that ``runs`` runs would take longer than ``budget_s``,
    only 3 are done (their median still drops one outlier)."""
    started = time.perf_counter()
    files = write_sample_files(work / "data", rows=rows)
    result: dict[str, Any] = {"generate_s": time.perf_counter() - started, "csv_mib": files.sales.stat().st_size / MIB}
    out = {name: work / name for name in ("sales", "marketing", "joined")}
    jobs = {
        "process_sales_data": {"input_path": files.sales, "output_path": out["sales"]},
        "process_marketing_data": {"input_path": files.marketing, "output_path": out["marketing"]},
        "join_marketing_and_sales_data": {"sales_path": out["sales"], "marketing_path": out["marketing"], "output_path": out["joined"]},
    }
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in [*SPARK_STEPS, "spark", "duckdb"]}
    done = 0
    while done < runs:
        run_started = time.perf_counter()
        for name, arguments in jobs.items():
            with PeakRss() as memory:
                step_started = time.perf_counter()
                run_glue_script(name, **arguments)
                samples[name].append((time.perf_counter() - step_started, memory.peak))
        spark.catalog.clearCache()
        steps = [samples[name][-1] for name in SPARK_STEPS]
        samples["spark"].append((sum(s for s, _ in steps), max(p for _, p in steps)))
        samples["duckdb"].append(in_fresh_process(duckdb_once, str(files.sales), str(files.marketing), str(work / "duckdb.parquet")))
        done += 1
        if done == 1 and runs > 3 and (time.perf_counter() - run_started) * runs > budget_s:
            runs, result["first_run_s"] = 3, time.perf_counter() - run_started
    result["samples"], result["runs"] = samples, runs
    result["check"] = in_fresh_process(compare_outputs, str(out["joined"]), str(work / "duckdb.parquet"))
    return result


# -- the report ---------------------------------------------------------------------
SPARK = "Spark local[2]"
LABELS = {**{name: (SPARK, name) for name in SPARK_STEPS}, "spark": (SPARK, "**all three**"), "duckdb": ("DuckDB", "**one statement**")}


def rows_of(rows: int, samples: dict[str, list[tuple[float, int]]]) -> list[list[Any]]:
    """Table rows for one size; rows/s only where the step reads the sales rows."""
    lines = []
    for key, (engine, step) in LABELS.items():
        seconds, peaks = [s for s, _ in samples[key]], [p for _, p in samples[key]]
        per_second = int(rows / median(seconds)) if key in ("process_sales_data", "spark", "duckdb") else "-"
        lines.append([rows, engine, step, median(seconds), max(seconds), per_second, int(median(peaks) / MIB)])
    return lines


def draw(results: dict[int, dict[str, Any]], out: Path, quick: bool) -> None:
    """Rows per second and peak memory against sales rows, Spark's three scripts vs DuckDB."""
    fig, axes = figure(1, 2)
    sizes = sorted(results)
    for key, label in (("spark", f"{SPARK}: three scripts"), ("duckdb", "DuckDB: one statement")):
        seconds = [median(s for s, _ in results[n]["samples"][key]) for n in sizes]
        peaks = [median(p for _, p in results[n]["samples"][key]) / MIB for n in sizes]
        axes[0][0].plot(sizes, [n / s for n, s in zip(sizes, seconds)], marker="o", label=label)
        axes[0][1].plot(sizes, peaks, marker="o", label=label)
    for ax, ylabel in ((axes[0][0], "sales rows per second (median)"), (axes[0][1], "peak RSS, MiB (median)")):
        ax.set_xscale("log")
        ax.set_xlabel("sales rows")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    axes[0][0].set_yscale("log")
    save_chart(fig, out, "engine", quick)


def main(argv: list[str] | None = None) -> None:
    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--budget-minutes", type=float, default=25, help="fewer runs (3) at a size whose runs would take longer (default 25)")
        parser.add_argument("--sizes", type=lambda text: [int(n) for n in text.split(",")], help="sales rows, comma-separated (default 20000,1000000,10000000)")

    args = options("Local engine: the Glue scripts on local Spark vs one DuckDB statement", add, argv)
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    logging.basicConfig(level=logging.WARNING)  # the scripts' INFO lines would bury the table
    begun, load_before = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as temp:
        spark, spark_start = start_spark(Path(temp) / "warehouse")
        results: dict[int, dict[str, Any]] = {}
        for rows in sorted(sizes):
            with tempfile.TemporaryDirectory(dir=temp) as work:  # the 10M CSV is about 1 GB: gone before the next size
                results[rows] = measure_size(spark, rows, args.runs, Path(work), args.budget_minutes * 60)
            spark_rows, duck_rows, differ = results[rows]["check"]
            if differ or spark_rows != duck_rows:
                sys.exit(f"{rows} rows: DuckDB and Spark disagree ({spark_rows} vs {duck_rows} rows, {differ} differ)")
        spark.stop()
    command = " ".join(["python -m bench.engine", *(sys.argv[1:] if argv is None else argv)])
    report = Report("engine", "Local engine: the three Glue scripts vs one DuckDB statement", command, args.runs)
    headers = ["sales rows", "engine", "step", "median s", "slowest s", "sales rows/s", "peak RSS MiB"]
    report.add("", table(headers, [line for rows in sorted(results) for line in rows_of(rows, results[rows]["samples"])]))
    for rows, r in sorted(results.items()):
        if r["runs"] != args.runs:
            report.add("", f"At {rows:,} rows: medians of {r['runs']} runs, not {args.runs}: the first run took "
                       f"{r['first_run_s'] / 60:.1f} min, so {args.runs} would exceed the {args.budget_minutes:g}-minute budget.")
    data = "; ".join(f"{rows:,} rows: {r['csv_mib']:,.0f} MiB, generated in {r['generate_s']:.1f} s, join {r['check'][0]:,} rows" for rows, r in sorted(results.items()))
    report.add(
        "How it was measured",
        f"Sample data from `runners.sample_data` (seed 1), generated once per size and not timed ({data}). "
        f"Spark: one warm local[2] session (1g driver) for all runs, started once in {spark_start:.1f} s (not in the figures); "
        "each script runs as Glue runs it (`runpy`, `--name value` arguments) and writes Parquet; the slowest run "
        "at the first size includes Spark's first-use warm-up. Peak RSS = summed RSS of the Python driver and the JVM, "
        "sampled every 50 ms; \"all three\" is the sum of the three times and the highest of their peaks. "
        "DuckDB: one `COPY (…) TO … (FORMAT parquet)` statement reading both CSVs, in a fresh Python process per run "
        "(time of the statement only; peak = that process's VmHWM, interpreter included). "
        "At every size DuckDB's output equals the Spark join's row for row (checked with EXCEPT ALL both ways). "
        f"Whole run: {(time.perf_counter() - begun) / 60:.1f} min; 1-minute load average {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (the machine is shared).",
    )
    report.publish(args.out, args.quick)
    draw(results, args.out, args.quick)


if __name__ == "__main__":
    main()
