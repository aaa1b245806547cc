"""gfops against GTO on the same registry, in the same run: status, show, promote, history.

    python benchmarks/bench_registry.py [--full] [--repeat 3] [--gto-repeat 2]

The registry (``gen_registry.generate_trail``): N models x 5 versions of this project's
manifest shape, ``models/model-NNNN/1.K.0.yaml`` (no ``.dvc`` files: GTO reads every
commit's whole tree once per tag), one commit per version index, with the
audit tags ``gfops apply`` writes in GTO's naming — so GTO and gfops read the very same
repository, GTO from its tags, gfops from its manifests. 100 x 5 always; 1,000 x 5 for
gfops always and for GTO only with ``--full`` (``make bench BENCH_FULL=1``): ``gto show``
takes a minute or more there.

Cold = no cache under ``.git/`` (a fresh clone); warm = the next run. GTO keeps no cache:
each of its runs is its cold run. Times are medians of whole CLI processes, start-up
included: wall clock, and CPU (user + sys, git children included).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from common import GFOPS, GTO, load, median, row, run, timed
from gen_registry import generate_trail

MODEL = "model-0001"


def _tags(repo: Path) -> set[str]:
    return set(run(["git", "tag", "--list"], repo).stdout.split())


def _promote(repo: Path) -> tuple[float, float]:
    """gfops promote (plan, the reconciler's preview, a branch with the commit); undone."""
    timing = timed([*GFOPS, "promote", MODEL, "1.4.0", "staging"], repo)
    run(["git", "branch", "-D", f"galfriday/promote/{MODEL}-1.4.0-staging"], repo)
    return timing


def _assign(repo: Path) -> tuple[float, float]:
    """gto assign (an annotated tag); undone."""
    before = _tags(repo)
    timing = timed([*GTO, "assign", MODEL, "--version", "v1.4.0", "--stage", "staging"], repo)
    for tag in _tags(repo) - before:
        run(["git", "tag", "-d", tag], repo)
    return timing


def compare(models: int, repeat: int, gto_repeat: int, with_gto: bool) -> None:
    size = f"{models:,} x 5"
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "registry"
        generate_trail(repo, models, 5, artifacts=False)  # models/ and policies/, as issue 16
        run([*GFOPS, "--help"], repo)  # compiles the package once, as an install does
        cache = repo / ".git" / "galfriday"
        cold = []
        for _ in range(repeat):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed([*GFOPS, "status"], repo))

        def ours_of(*argv: str) -> tuple[float, float]:
            return median([timed([*GFOPS, *argv], repo) for _ in range(repeat)])

        def gto_of(*argv: str) -> tuple[float, float]:
            return median([timed([*GTO, *argv], repo) for _ in range(gto_repeat)])

        ours = {
            "status, cold": median(cold),
            "status, warm (text)": ours_of("status"),
            "show MODEL": ours_of("show", MODEL),
            "promote / assign": median([_promote(repo) for _ in range(repeat)]),
            "history MODEL": ours_of("history", MODEL),
        }
        theirs: dict[str, tuple[float, float] | None] = dict.fromkeys(ours)
        if with_gto:
            show = gto_of("show")
            theirs["status, cold"] = theirs["status, warm (text)"] = show
            theirs["show MODEL"] = gto_of("show", MODEL)
            theirs["promote / assign"] = median([_assign(repo) for _ in range(gto_repeat)])
            theirs["history MODEL"] = gto_of("history", MODEL)
        for what, figure in ours.items():
            gto = theirs[what]
            target, met = "", None
            if what == "status, cold" and models >= 1000 and gto is not None:
                target, met = ">= 100x GTO", gto[0] / figure[0] >= 100
            note = "" if with_gto else "GTO: make bench BENCH_FULL=1"
            row(what, size, figure, gto=gto, target=target, met=met, note=note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="GTO at 1,000 x 5 too (minutes)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gto-repeat", type=int, default=2)
    args = parser.parse_args()
    compare(100, args.repeat, args.gto_repeat, with_gto=True)
    compare(1000, args.repeat, 1, with_gto=args.full)
    print(f"load average {load()}")


if __name__ == "__main__":
    main()
