"""Run every benchmark and print its figures: `make bench` (minutes, not part of `make test`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in sorted(HERE.glob("bench_*.py")):
    print(f"\n### {script.name}", flush=True)
    subprocess.run([sys.executable, str(script)], cwd=HERE, check=True)
