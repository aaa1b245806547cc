"""gfops at 10,000 manifests and 50,000 audit tags: the read and write targets of issue 16.

    python benchmarks/bench_scale.py [--models 1000] [--versions 10] [--tags 50000] [--repeat 3]

The registry is ``gen_registry.generate_trail`` (one commit per version index, audit tags
in GTO's naming, padded with earlier stage changes to ``--tags``). Warm = the cache under
``.git/`` filled by an earlier run, as on a developer's machine or a CI cache; cold = none.
Targets: warm ``status`` <= 0.3 s in every format; ``show``, ``Registry.resolve`` and
``history`` of one model <= 0.3 s whatever the registry's size; ``promote`` <= 0.5 s;
``apply`` of a one-commit push <= 1 s. Times are medians of whole processes (wall, and
CPU with git children).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from common import GFOPS, load, median, row, run, timed
from gen_registry import generate_trail

MODEL = "model-0001"
RESOLVE = (
    "from galfriday_gitops import Registry; "
    f"print(Registry('.', rev='HEAD').resolve('{MODEL}@production').version)"
)


def _apply(repo: Path) -> tuple[float, float]:
    """``gfops apply`` of the newest commit (a promotion), then its tags removed again."""
    before = set(run(["git", "tag", "--list"], repo).stdout.split())
    timing = timed([*GFOPS, "apply", "--before", "HEAD~1", "--after", "HEAD"], repo)
    new = set(run(["git", "tag", "--list"], repo).stdout.split()) - before
    if not new:
        raise SystemExit("apply wrote no tag: the benchmark would time a no-op")
    run(["git", "tag", "-d", *new], repo)
    return timing


def _promotion_commit(repo: Path) -> None:
    """One pull request's worth on main: model-0002 1.0.0 archived -> development."""
    path = repo / "models" / "model-0002" / "1.0.0.yaml"
    text = path.read_text()
    path.write_text(text.replace("  stage: archived", "  stage: development", 1))
    run(["git", "commit", "-qam", "Merge pull request #99 from acme/revive"], repo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--tags", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.models * args.versions
    size = f"{n:,} manifests"
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "registry"
        generate_trail(repo, args.models, args.versions, tags=args.tags)
        tags = len(run(["git", "tag", "--list"], repo).stdout.split())
        run([*GFOPS, "--help"], repo)  # compiles the package once, as an install does

        def med(*argv: str, cmd: list[str] = GFOPS) -> tuple[float, float]:
            run([*cmd, *argv], repo)  # warms what this command caches
            return median([timed([*cmd, *argv], repo) for _ in range(args.repeat)])

        cold = []
        for _ in range(args.repeat):
            shutil.rmtree(repo / ".git" / "galfriday", ignore_errors=True)
            cold.append(timed([*GFOPS, "status"], repo))
        row("status, cold", size, median(cold))
        for fmt in ("text", "json", "gto"):
            figure = med("status", "--format", fmt)
            row(f"status, warm ({fmt})", size, figure, target="<= 0.3 s", met=figure[0] <= 0.3)
        for what, argv in (
            ("show MODEL", ("show", MODEL)),
            ("show MODEL@production", ("show", f"{MODEL}@production")),
            ("history MODEL", ("history", MODEL)),
        ):
            figure = med(*argv)
            row(what, size, figure, target="<= 0.3 s", met=figure[0] <= 0.3)
        figure = med("-c", RESOLVE, cmd=[sys.executable])
        row("Registry.resolve (a process)", size, figure, target="<= 0.3 s", met=figure[0] <= 0.3)
        figure = med("ls", "--stage", "production", "--sort", "test.accuracy", "--desc")
        row("ls --stage production --sort", size, figure)
        promote = ["promote", MODEL, "1.9.0", "staging"]
        branch = f"galfriday/promote/{MODEL}-1.9.0-staging"
        runs = []
        run([*GFOPS, *promote], repo)
        for _ in range(args.repeat + 1):
            run(["git", "branch", "-D", branch], repo)
            runs.append(timed([*GFOPS, *promote], repo))
        figure = median(runs[1:])
        row("promote", size, figure, target="<= 0.5 s", met=figure[0] <= 0.5)
        _promotion_commit(repo)
        _apply(repo)  # warms the cache for the new commit, as the check on its PR did
        figure = median([_apply(repo) for _ in range(args.repeat)])
        row("apply, one-commit push", f"{size}, {tags:,} tags", figure, target="<= 1 s",
            met=figure[0] <= 1.0)  # fmt: skip
    print(f"load average {load()}")


if __name__ == "__main__":
    main()
