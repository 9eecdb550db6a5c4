"""The scheduled runner Lambda gets 128 MB by default (its idle cost is one
60 s long poll per activity per minute, billed by the GB-second). It must fit:
every runner kind's lifecycle, with the clients an invocation builds, stays
well below that in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# Lambda's Python runtime itself takes about 40 MB of the function's memory.
HEADROOM_MB = 40

PROBE = """
import os
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
import runners.handlers
from runners.aws import AwsClients
from runners.config import Settings
from runners.service import build_lifecycle
settings = Settings.from_env()
clients = AwsClients(settings)
for kind in ("glue", "athena", "wait"):
    build_lifecycle(kind, settings, clients)
# VmHWM: this interpreter's peak (ru_maxrss would carry over the forking parent's).
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(peak_kb / 1024)
"""


def _default_runner_memory() -> int:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((REPO / "cloudformation" / "runner-resources.yaml").read_text(), Loader=Loader)
    return int(template["Parameters"]["RunnerMemorySize"]["Default"])


def test_every_runner_kind_fits_the_runner_functions_default_memory():
    memory_mb = _default_runner_memory()
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=REPO,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"})
    peak_mb = float(out.stdout.strip().splitlines()[-1])
    assert peak_mb + HEADROOM_MB < memory_mb, f"peak {peak_mb:.0f} MB + runtime {HEADROOM_MB} MB over the function's {memory_mb} MB"
