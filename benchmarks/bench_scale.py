"""gfops at 10,000 manifests and 50,000 audit tags: the read and write targets of issue 16.

    python benchmarks/bench_scale.py [--models 1000] [--versions 10] [--tags 50000] [--repeat 3]

The registry is ``gen_registry.generate_trail`` (one commit per version index, audit tags
in GTO's naming, padded with earlier stage changes to ``--tags``). Warm = the cache under
``.git/`` filled by an earlier run, as on a developer's machine or a CI cache; cold = none.
Targets: warm ``status`` <= 0.3 s in every format; ``show``, ``Registry.resolve`` and
``history`` of one model <= 0.3 s whatever the registry's size; ``promote`` <= 0.5 s;
``apply`` of a one-commit push <= 1 s. Times are medians of whole processes (wall, and
CPU with git children). Apply runs as in the example registry's workflow: tags signed
(the demo key; ``policies/allowed_signers`` asks for signatures), the trail up to date
(each commit's record), reviews not asked of a forge (``--no-reviews``).
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
DEMO_KEY = Path(__file__).resolve().parent.parent / "galfriday_gitops/demo/signing/demo_signing_key"
RESOLVE = (
    "from galfriday_gitops import Registry; "
    f"print(Registry('.', rev='HEAD').resolve('{MODEL}@production').version)"
)


def _apply(repo: Path) -> tuple[float, float]:
    """``gfops apply`` of the newest commit (a promotion), then its tags removed again."""
    before = set(run(["git", "tag", "--list"], repo).stdout.split())
    argv = ["apply", "--before", "HEAD~1", "--after", "HEAD", "--no-reviews"]
    timing = timed([*GFOPS, *argv], repo, ok=(0,))
    new = set(run(["git", "tag", "--list"], repo).stdout.split()) - before
    if len(new) < 3:  # the commit's unassignment, assignment and record at least
        raise SystemExit(f"apply wrote {sorted(new)}: the benchmark would not time a promotion")
    run(["git", "tag", "-d", *new], repo)
    return timing


def _promotion_commit(repo: Path) -> None:
    """One pull request's worth on main that the policy allows, so apply writes its stage
    tags (a blocked commit gets only its record): model-0002's oldest development version
    -> testing."""
    path = next(
        p
        for p in sorted((repo / "models" / "model-0002").glob("*.yaml"))
        if "  stage: development\n" in p.read_text()
    )
    path.write_text(path.read_text().replace("  stage: development\n", "  stage: testing\n"))
    run(["git", "commit", "-qam", "Merge pull request #99 from acme/promote"], repo)


def _sign_as_demo(repo: Path) -> None:
    """The example policies list allowed signers, so apply signs: with the demo key."""
    key = repo / ".git" / "demo_signing_key"
    shutil.copyfile(DEMO_KEY, key)
    key.chmod(0o600)
    run(["git", "config", "gpg.format", "ssh"], repo)
    run(["git", "config", "user.signingkey", str(key)], repo)


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
        generate_trail(repo, args.models, args.versions, tags=args.tags, records=True)
        _sign_as_demo(repo)
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
