"""`make bench`: run every benchmark and print one table (minutes; not part of `make test`).

    python benchmarks/run.py [--full] [--only NAME ...]

``--full`` (``make bench BENCH_FULL=1``) also times GTO at 1,000 x 5, which takes
minutes. Each script's full output is kept in ``benchmarks/out/<script>.txt``; the table
holds the lines they mark as rows (``common.row``) and, for the statistics benchmarks
that print prose, the headline figures read from it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from common import ENV, load, reference

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

# The statistics benchmarks print prose: their headline figures, read from it.
_FIGURES: dict[str, list[tuple[str, str, str, str, Callable[[re.Match[str]], str]]]] = {
    "bench_drift.py": [
        (r"analyze:\s+([\d.]+) s\s+peak RSS\s+([\d.,]+) MB", "drift analyze (KS, Wasserstein, PSI)",
         "1M rows x 20 features", "s", lambda m: f"peak RSS {m[2]} MB"),
    ],
    "bench_experiment.py": [
        (r"fixed-horizon test checked at every look: FPR = ([\d.]+)",
         "A/A peeking, fixed-horizon test at every look", "4,000 sims x 30 looks", "FPR",
         lambda m: "the problem mSPRT solves"),
        (r"mSPRT always-valid p-value.*FPR = ([\d.]+)", "A/A peeking, mSPRT always-valid",
         "4,000 sims x 30 looks", "FPR", lambda m: "target <= 0.05 (alpha)"),
        (r"assign_many: (\d+) ids in ([\d.]+)s = ([\d,]+) ids/s", "router assign_many",
         "1M ids", "ids/s", lambda m: f"{m[1]} ids in {m[2]} s"),
    ],
}  # fmt: skip


def _figures(script: str, text: str) -> Iterator[dict[str, Any]]:
    for pattern, what, size, unit, note in _FIGURES.get(script, []):
        m = re.search(pattern, text)
        if m is None:
            yield {"what": what, "size": size, "ours": None, "note": f"see out/{script}.txt"}
            continue
        value = float((m[3] if unit == "ids/s" else m[1]).replace(",", ""))
        yield {"what": what, "size": size, "ours": value, "unit": unit, "note": note(m)}


def _value(figure: Any, unit: str = "s") -> str:
    if figure is None:
        return "—"
    if isinstance(figure, list):  # (wall, CPU)
        return f"{figure[0]:.2f} s ({figure[1]:.2f} CPU)"
    if isinstance(figure, str):
        return figure
    return f"{figure:.2f} s" if unit == "s" else f"{figure:,.4g} {unit}"


def _table(rows: list[dict[str, Any]]) -> str:
    head = ["benchmark", "registry / data", "gfops", "GTO", "GTO ÷ gfops", "target", "met", "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ours, gto = r.get("ours"), r.get("gto")
        ratio = ""
        if isinstance(ours, list) and isinstance(gto, list) and ours[0] > 0:
            ratio = f"{gto[0] / ours[0]:,.0f}x"
        met = {True: "yes", False: "**no**", None: ""}[r.get("met")]
        cells = [r["what"], r["size"], _value(ours, r.get("unit", "s")), _value(gto), ratio,
                 r.get("target", ""), met, r.get("note", "")]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


ORDER = [
    "bench_registry.py", "bench_status_options.py", "bench_scale.py", "bench_check.py",
    "bench_site.py", "bench_lifecycle.py", "bench_drift.py", "bench_experiment.py",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", default=os.environ.get("BENCH_FULL") == "1")
    parser.add_argument("--only", nargs="*", help="run only these scripts (bench_x.py)")
    args = parser.parse_args()
    scripts = sorted(
        HERE.glob("bench_*.py"),
        key=lambda p: (p.name not in ORDER, ORDER.index(p.name) if p.name in ORDER else 0, p.name),
    )
    OUT.mkdir(exist_ok=True)
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    before = reference()
    for script in scripts:
        if args.only and script.name not in args.only:
            continue
        extra = ["--full"] if args.full and script.name == "bench_registry.py" else []
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, str(script), *extra], cwd=HERE, env=ENV,
                              capture_output=True, text=True, check=False)  # fmt: skip
        (OUT / f"{script.name}.txt").write_text(proc.stdout + proc.stderr)
        found = [
            json.loads(line[4:]) for line in proc.stdout.splitlines() if line.startswith("ROW ")
        ]
        found += list(_figures(script.name, proc.stdout))
        if proc.returncode != 0:
            why = f"exit {proc.returncode}: see benchmarks/out/{script.name}.txt"
            found.append({"what": script.name, "size": "", "ours": "failed", "note": why})
        rows += found
    print(_table(rows))
    gto = "measured" if args.full else "make bench BENCH_FULL=1"
    took = time.perf_counter() - start
    print(
        "\nwall-clock medians of whole processes (CPU: user + sys with children); "
        f"{os.cpu_count()} cores, load average {load()}; {took:.0f} s in all; full outputs "
        f"in benchmarks/out/. GTO at 1,000 x 5: {gto}. Machine speed (common.reference: "
        f"python importing pydantic and validating once): {before:.3f} s at the start, "
        f"{reference():.3f} s at the end."
    )


if __name__ == "__main__":
    main()
