"""The options for a cold `gfops status`, measured on the same 1,000 x 5 registry.

    python benchmarks/bench_status_options.py [--models 1000] [--versions 5]

What docs/design-notes.md ("Cold status") quotes. In one process, after reading every
manifest blob once (one ``cat-file --batch``, timed on its own), each option turns the
5,000 blobs into the models x stages table:

* full parse, one core: safe YAML + pydantic validation (what a cold status did);
* full parse, two processes (every core of this machine; forked workers, as the loader);
* the identity reader (``load.identity``): the five fields status shows (kind, name,
  version, stage, a canary's traffic share), from the lines;
* an index shipped with the repository (a prototype): one blob of rows keyed by each model
  folder's tree id, which ``apply`` would publish under a ref; status reads that blob and
  one ``ls-tree`` — and has to trust the rows, since checking them means reading the
  blobs, which is the identity reader's cost.

CPU seconds (this process) are reported with wall seconds: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import row
from gen_registry import generate_trail

from galfriday_gitops import gitio
from galfriday_gitops.load.identity import identity_and_traffic
from galfriday_gitops.load.layout import SLOTS
from galfriday_gitops.load.state import parse_blob

SLOT = SLOTS["models"]


def _measure(work: Callable[[], Any]) -> tuple[tuple[float, float], Any]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    out = work()
    return (time.perf_counter() - wall0, time.process_time() - cpu0), out


def _full(raw: bytes) -> tuple[str, str, str, str] | None:
    resource, _ = parse_blob(raw, SLOT)
    if resource is None:
        return None
    return (
        resource.kind,
        resource.metadata.name,
        resource.metadata.version,
        resource.spec.stage.value,
    )  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=5)
    args = parser.parse_args()
    size = f"{args.models:,} x {args.versions}"
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "registry"
        generate_trail(repo, args.models, args.versions, artifacts=False)
        commit = gitio.rev_parse(repo, "HEAD")
        listing, items = _measure(lambda: gitio.ls_tree(repo, commit, ["models"]))
        read, raws = _measure(lambda: gitio.read_blobs(repo, [i.oid for i in items]))
        blobs = list(raws.values())
        serial, expected = _measure(lambda: [_full(b) for b in blobs])
        with mp.get_context("fork").Pool(2) as pool:
            parallel, got = _measure(lambda: pool.map(_full, blobs, chunksize=250))
        assert got == expected
        fast, answers = _measure(lambda: [identity_and_traffic(b) for b in blobs])
        assert [a[0] if a is not None else None for a in answers] == expected
        folders = gitio.ls_tree_shallow(repo, commit, ["models/"])
        index = json.dumps(
            {f.oid: {"stage": "development", "versions": ["1.0.0"]} for f in folders}
        )
        oid = gitio.git(repo, "hash-object", "-w", "--stdin", input=index.encode()).decode().strip()

        def from_index() -> int:
            rows = json.loads(gitio.read_blobs(repo, [oid])[oid])
            shallow = gitio.ls_tree_shallow(repo, commit, ["models/"])
            return sum(1 for f in shallow if f.oid in rows)

        shipped, hits = _measure(from_index)
        assert hits == args.models
    for what, figure, note in (
        ("list the manifests (ls-tree -r)", listing, ""),
        ("read every manifest (cat-file --batch)", read, "every option but the index"),
        ("full parse, one core", serial, "safe YAML + pydantic"),
        ("full parse, two processes", parallel, "fork, 2 cores; CPU: the workers, uncounted"),
        ("identity reader (chosen)", fast, "5 fields from the lines; full parse if unsure"),
        ("index shipped with the repository", shipped, "prototype; rows must be trusted"),
    ):
        print(f"{what:<42} {figure[0]:7.3f} s wall {figure[1]:7.3f} s CPU")
        row(f"cold status option: {what}", size, figure, note=note)


if __name__ == "__main__":
    main()
