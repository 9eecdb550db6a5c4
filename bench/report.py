"""What every benchmark shares: command-line options, statistics, the machine
it ran on, the markdown table it prints and the PNG chart it draws."""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def options(description: str, add: Callable[[argparse.ArgumentParser], None] | None = None, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options every benchmark takes: ``--runs``, ``--quick`` and ``--out``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=5, help="repetitions; tables show medians (default 5)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run: checks the benchmark works, measures nothing")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where the .md table and .png chart go (default bench/results)")
    if add:
        add(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 1
    args.out.mkdir(parents=True, exist_ok=True)
    return args


# -- statistics -------------------------------------------------------------------
def median(values: Iterable[float]) -> float:
    items = list(values)
    return statistics.median(items) if items else math.nan


def percentile(values: Iterable[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: every figure is a real sample)."""
    items = sorted(values)
    if not items:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(items)))
    return items[rank - 1]


# -- the machine ------------------------------------------------------------------
def machine() -> str:
    """One line naming what the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, commit {_commit()}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    )


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# -- output -----------------------------------------------------------------------
def fmt(value: Any, digits: int = 2) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class Report:
    """A benchmark's result: tables and notes, printed and saved as ``<name>.md``."""

    name: str
    title: str
    command: str
    runs: int
    sections: list[str] = field(default_factory=list)

    def add(self, heading: str, text: str) -> None:
        self.sections.append(f"**{heading}**\n\n{text}" if heading else text)

    def render(self) -> str:
        head = [
            f"### {self.title}",
            "",
            f"`{self.command}` — medians of {self.runs} run(s); {machine()}.",
        ]
        return "\n\n".join(["\n".join(head), *self.sections]) + "\n"

    def publish(self, out: Path, quick: bool) -> str:
        text = self.render()
        print(text)
        if not quick or out != RESULTS_DIR:
            (out / f"{self.name}.md").write_text(text)
        sys.stdout.flush()
        return text


def figure(rows: int = 1, cols: int = 1, width: float = 6.0, height: float = 4.0) -> tuple[Any, Any]:
    """A matplotlib figure drawn without a screen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    return fig, axes


def save_chart(fig: Any, out: Path, name: str, quick: bool) -> Path | None:
    """Write ``<name>.png`` (a quick run into bench/results writes nothing there)."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = out / f"{name}.png"
    if quick and out == RESULTS_DIR:
        plt.close(fig)
        return None
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
