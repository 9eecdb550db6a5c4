"""Copy the latest tables from bench/results/*.md into README.md's "Performance"
section, between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` markers,
so the README always quotes what the benchmarks last printed.

    python -m bench.readme
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.report import RESULTS_DIR

README = Path(__file__).resolve().parent.parent / "README.md"


def splice(readme: str, results: Path = RESULTS_DIR) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        source = results / f"{name}.md"
        if not source.exists():
            return match.group(0)  # not run yet: leave what is there
        # The README's own heading introduces it: drop the report's title.
        table = re.sub(r"\A#+ .*\n+", "", source.read_text().strip())
        chart = f"\n\n![{name}](bench/results/{name}.png)" if (results / f"{name}.png").exists() else ""
        return f"<!-- bench:{name} -->\n{table}{chart}\n<!-- /bench:{name} -->"

    return re.sub(r"<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->", replace, readme, flags=re.S)


def main() -> None:
    text = README.read_text()
    updated = splice(text)
    README.write_text(updated)
    print("README.md updated" if updated != text else "README.md already current")


if __name__ == "__main__":
    main()
