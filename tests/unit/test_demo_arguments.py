"""`etl-runner demo` refuses bad input before anything starts: one line naming
the problem and the expected form, exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from runners.sample_data import SALES_HEADER


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--run-date", "2026-13-45"], "--run-date '2026-13-45' is not a calendar date; expected YYYY-MM-DD"),
        (["--run-date", "30/11/2026"], "--run-date '30/11/2026' is not a calendar date; expected YYYY-MM-DD"),
        (["--rows", "-5"], "--rows -5 is out of range; expected a number of sales rows from 1"),
        (["--pause", "-1"], "--pause -1.0 is out of range"),
        (["--sales-csv", "/nope.csv"], "--sales-csv /nope.csv: no such file"),
    ],
)
def test_bad_input_is_refused_at_once_with_exit_code_2(arguments, message):
    result = subprocess.run([sys.executable, "-m", "runners.cli", "demo", *arguments], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"etl-runner: {message}"), result.stderr
    assert result.stdout == ""  # nothing started


def test_a_csv_whose_header_lacks_columns_is_refused_naming_them(tmp_path):
    csv = tmp_path / "sales.csv"
    csv.write_text(",".join(c for c in SALES_HEADER if c != "Opportunity Stage") + "\n")
    result = subprocess.run([sys.executable, "-m", "runners.cli", "demo", "--sales-csv", str(csv)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "the header lacks column(s) 'Opportunity Stage'" in result.stderr
