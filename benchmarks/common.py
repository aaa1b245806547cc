"""What every benchmark shares: timing whole processes, and the rows `make bench` prints.

A benchmark prints its figures as it likes, and each figure the summary table should
carry as one ``ROW {json}`` line (:func:`row`); ``benchmarks/run.py`` collects those into
one table and keeps each script's full output under ``benchmarks/out/``.

Processes run with bytecode caching allowed (``PYTHONDONTWRITEBYTECODE`` removed) after a
warm-up call, as after ``pip install``, which compiles every module: otherwise each run
would pay ~0.1 s compiling the package from source, which no installed copy does.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

GFOPS = [sys.executable, "-m", "galfriday_gitops"]
GTO = [str(Path(sys.executable).with_name("gto"))]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(
    cmd: list[str], cwd: Path, *, ok: tuple[int, ...] = (0, 1)
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=ENV)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


def timed(cmd: list[str], cwd: Path, *, ok: tuple[int, ...] = (0, 1)) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one whole run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run(cmd, cwd, ok=ok)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """Median wall and median CPU of several runs."""
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def row(
    what: str,
    size: str,
    ours: tuple[float, float] | float | str | None,
    *,
    gto: tuple[float, float] | None = None,
    target: str = "",
    met: bool | None = None,
    unit: str = "s",
    note: str = "",
) -> None:
    """One line of the summary table (seconds unless ``unit`` says otherwise)."""
    data: dict[str, Any] = {
        "what": what, "size": size, "ours": ours, "gto": gto, "target": target,
        "met": met, "unit": unit, "note": note,
    }  # fmt: skip
    print("ROW " + json.dumps(data), flush=True)


REFERENCE = "import pydantic; pydantic.create_model('M', x=(int, 0)).model_validate({'x': 1})"


def reference() -> float:
    """The machine's speed now: the median wall time of five whole ``python -c`` processes
    that import pydantic and validate once, none of this project's code. This machine's
    speed drifts by up to 2x within minutes; a figure read beside this one (taken at the
    start and the end of a run) tells a slow machine from slow code."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-P", "-c", REFERENCE], check=True, env=ENV)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())
