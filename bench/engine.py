"""Benchmark 4, the local engine: the three Glue scripts on local Spark at growing
sizes, next to one DuckDB statement doing the same work as this machine's
practical limit.

    .venv/bin/python -m bench.engine [--runs 5] [--sizes 20000,1000000,10000000] [--quick]

Spark: one warm local[2] session in this process (as the tests and the
embedded Glue's warm driver use it); each script runs as Glue runs it
(``runpy`` as ``__main__`` with ``--name value`` arguments). Peak memory is
the summed RSS of this process and the JVM, sampled every 50 ms. DuckDB: a fresh process per run; its peak is the kernel's high-water
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
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

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
@contextmanager
def peak_rss(processes: list[Any], interval: float = 0.05) -> Iterator[list[int]]:
    """``[bytes]``: the highest summed RSS of ``processes`` (this one and the JVM) while the block runs.

    A fixed list, not this process's children at each sample: the JVM runs chmod
    through vfork'd helpers that share its memory, and counting those would
    count the JVM twice."""
    peak, stop = [0], threading.Event()

    def sample() -> None:
        peak[0] = max(peak[0], sum(process.memory_info().rss for process in processes))

    def sample_until_stopped() -> None:
        while not stop.wait(interval):
            sample()

    sample()
    sampler = threading.Thread(target=sample_until_stopped, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join()
        sample()


def start_spark(warehouse: Path) -> tuple[Any, float, list[Any]]:
    """The local[2] session of tests/glue_scripts (plus the embedded Glue's 1g driver), its start time,
    and the processes that hold its memory (this one and the JVM)."""
    import psutil

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
    me = psutil.Process()
    return spark, time.perf_counter() - started, [me, *me.children(recursive=True)]


def run_glue_script(name: str, **arguments: Path) -> None:
    """Run glue-scripts/<name>.py as Glue does: as ``__main__`` with ``--name value`` arguments
    and the embedded Glue's local ``awsglue`` importable."""
    from embedded_aws.glue.job_env import JOB_RUNTIME

    if str(JOB_RUNTIME) not in sys.path:
        sys.path.insert(0, str(JOB_RUNTIME))
    argv = [str(GLUE_SCRIPTS / f"{name}.py"), "--JOB_NAME", name]
    for key, value in arguments.items():
        argv += [f"--{key}", str(value)]
    saved, sys.argv = sys.argv, argv
    try:
        runpy.run_path(argv[0], run_name="__main__")
    finally:
        sys.argv = saved


def duckdb_once(sales: str, marketing: str, output: str) -> tuple[float, int]:
    """In a fresh process: (seconds for the statement, peak RSS of the process in bytes)."""
    import duckdb

    started = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(DUCKDB_SQL, {"sales": sales, "marketing": marketing, "output": output})
    seconds = time.perf_counter() - started
    # VmHWM: this process's own peak RSS (fresh after exec, unlike ru_maxrss, which a fork can inherit).
    status = Path("/proc/self/status").read_text().splitlines()
    return seconds, next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))


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
def measure_size(spark: Any, tracked: list[Any], rows: int, runs: int, work: Path, warm_up: bool) -> dict[str, Any]:
    """Generate the data once (untimed), then ``runs`` times: the three scripts, then DuckDB.

    ``warm_up``: one untimed pass of the scripts first, so class loading and the
    JIT's first work do not land in the first size's figures."""
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
    if warm_up:
        started = time.perf_counter()
        for name, arguments in jobs.items():
            run_glue_script(name, **arguments)
        result["warm_up_s"] = time.perf_counter() - started
    for _ in range(runs):
        for name, arguments in jobs.items():
            with peak_rss(tracked) as memory:
                step_started = time.perf_counter()
                run_glue_script(name, **arguments)
                samples[name].append((time.perf_counter() - step_started, memory[0]))
        spark.catalog.clearCache()
        steps = [samples[name][-1] for name in SPARK_STEPS]
        samples["spark"].append((sum(s for s, _ in steps), max(p for _, p in steps)))
        samples["duckdb"].append(in_fresh_process(duckdb_once, str(files.sales), str(files.marketing), str(work / "duckdb.parquet")))
    result["samples"] = samples
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
        parser.add_argument("--sizes", type=lambda text: [int(n) for n in text.split(",")], help="sales rows, comma-separated (default 20000,1000000,10000000)")

    args = options("Local engine: the Glue scripts on local Spark vs one DuckDB statement", add, argv)
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    logging.basicConfig(level=logging.WARNING)  # the scripts' INFO lines would bury the table
    begun, load_before = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as temp:
        spark, spark_start, tracked = start_spark(Path(temp) / "warehouse")
        results: dict[int, dict[str, Any]] = {}
        for rows in sorted(sizes):
            with tempfile.TemporaryDirectory(dir=temp) as work:  # the 10M CSV is about 1 GB: gone before the next size
                results[rows] = measure_size(spark, tracked, rows, args.runs, Path(work), warm_up=not results)
            spark_rows, duck_rows, differ = results[rows]["check"]
            if differ or spark_rows != duck_rows:
                sys.exit(f"{rows} rows: DuckDB and Spark disagree ({spark_rows} vs {duck_rows} rows, {differ} differ)")
        spark.stop()
    command = " ".join(["python -m bench.engine", *(sys.argv[1:] if argv is None else argv)])
    report = Report("engine", "Local engine: the three Glue scripts vs one DuckDB statement", command, args.runs)
    headers = ["sales rows", "engine", "step", "median s", "slowest s", "sales rows/s", "peak RSS MiB"]
    report.add("", table(headers, [line for rows in sorted(results) for line in rows_of(rows, results[rows]["samples"])]))
    first = min(results)
    data = "; ".join(f"{rows:,} rows: {r['csv_mib']:,.0f} MiB, generated in {r['generate_s']:.1f} s, join {r['check'][0]:,} rows" for rows, r in sorted(results.items()))
    report.add(
        "How it was measured",
        f"Sample data from `runners.sample_data` (seed 1), generated once per size and not timed ({data}). "
        f"Spark: one warm local[2] session (1g driver) for all runs, started once in {spark_start:.1f} s (not in the figures); "
        "each script runs as Glue runs it (`runpy`, `--name value` arguments) and writes Parquet; one untimed warm-up "
        f"pass of the three scripts at {first:,} rows came first (it took {results[first]['warm_up_s']:.1f} s, cold). "
        "The CSVs were just written, so they are read from the OS page cache. "
        "Peak RSS = summed RSS of the Python driver and the JVM (not the short-lived chmod helpers the JVM forks), "
        "sampled every 50 ms (sizes run smallest first, and the JVM keeps heap it has grown, so a size's Spark peak "
        "can include what earlier sizes left); \"all three\" is the sum of the three times and the highest of their peaks. "
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
