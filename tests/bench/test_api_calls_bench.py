"""bench.api_calls starts, prints its tables, draws its chart, and its
smallest numbers are what batching promises."""


def _row(stdout: str, *leading: str) -> list[str]:
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[: len(leading)] == list(leading):
            return cells
    raise AssertionError(f"no table row starting {leading!r} in:\n{stdout}")


def test_quick_run_prints_tables_and_draws_chart(run_quick):
    stdout = run_quick("api_calls")
    assert "| Service | Job names | Active runs N |" in stdout
    assert "| API call (service.Operation) |" in stdout

    # 100 active queries: two BatchGetQueryExecution calls, against 100 GetQueryExecution.
    athena = _row(stdout, "Athena", "-", "100")
    assert (athena[3], athena[5]) == ("2", "100")
    # 100 runs of one job: one GetJobRuns page; of ten jobs: one call per job.
    assert _row(stdout, "Glue", "1", "100")[3] == "1"
    assert _row(stdout, "Glue", "10", "100")[3] == "10"
