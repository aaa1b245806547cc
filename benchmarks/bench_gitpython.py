"""Our ``gitio`` against GitPython, on the operations the design would hand to GitPython.

    python benchmarks/bench_gitpython.py [--models 1000] [--versions 10] [--tags 1000]

GitPython is not our dependency (``docs/design-notes.md`` has these figures and the
decision); it arrives with DVC (through scmrepo), and without it this comparison skips.
For each operation both sides return the same answer (asserted), and the figure is the
median wall-clock time of ``--repeat`` runs in this process:

- import cost: a fresh interpreter importing ``git`` vs ``galfriday_gitops.gitio``;
- the loader: ``ls-tree`` of the registry folders and reading every blob (our ``ls-tree``
  + one ``cat-file --batch`` vs GitPython's tree traversal + ``GitCmdObjectDB`` streams),
  then ``load_state`` end to end with each backend, cold (no blob cache: every manifest
  parsed) and warm (everything cached: plumbing only);
- repository discovery from a subfolder, the tags with tagger and message, one config
  value, the remotes.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from gen_registry import generate

from galfriday_gitops import gitio
from galfriday_gitops.load import state as state_mod
from galfriday_gitops.load.cache import BlobCache
from galfriday_gitops.paths import REGISTRY_DIRS

T = TypeVar("T")


def timed(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def import_cost(module: str, repeat: int) -> float:
    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    base = statistics.median(run("pass") for _ in range(repeat))
    return statistics.median(run(f"import {module}") for _ in range(repeat)) - base


# ---------------------------------------------------------------- GitPython versions


def _gp_repo(path: Path) -> Any:
    import git

    return git.Repo(path, odbt=git.GitCmdObjectDB)


def gp_ls_tree(repo: Any, commit: str, paths: Sequence[str]) -> list[gitio.TreeEntry]:
    tree = repo.commit(commit).tree
    out = []
    for top in paths:
        try:
            sub = tree / top
        except KeyError:
            continue
        for item in sub.traverse():
            if item.type != "tree":
                out.append(gitio.TreeEntry(f"{item.mode:06o}", item.type, item.hexsha, item.path))
    return sorted(out, key=lambda e: e.path)


def gp_read_blobs(repo: Any, oids: Sequence[str]) -> dict[str, bytes]:
    return {oid: repo.odb.stream(bytes.fromhex(oid)).read() for oid in dict.fromkeys(oids)}


def load_with_gitpython(path: Path, cache: BlobCache) -> state_mod.RegistryState:
    """load_state with GitPython underneath: the same code, another plumbing."""
    repo = _gp_repo(path)
    saved = (gitio.ls_tree, gitio.read_blobs)
    gitio.ls_tree = lambda _r, commit, paths: gp_ls_tree(repo, commit, paths)
    gitio.read_blobs = lambda _r, oids: gp_read_blobs(repo, list(oids))
    try:
        return state_mod.load_state(path, "HEAD", blob_cache=cache)
    finally:
        gitio.ls_tree, gitio.read_blobs = saved


# ---------------------------------------------------------------- the comparison


def row(what: str, ours: float, theirs: float) -> None:
    print(f"{what:44} gitio {ours * 1000:9.1f} ms   GitPython {theirs * 1000:9.1f} ms")


def loader(repo: Path, repeat: int) -> None:
    commit = gitio.rev_parse(repo, "HEAD")
    gp = _gp_repo(repo)

    def ours_plumbing() -> int:
        entries = gitio.ls_tree(repo, commit, REGISTRY_DIRS)
        return sum(map(len, gitio.read_blobs(repo, [e.oid for e in entries]).values()))

    def theirs_plumbing() -> int:
        entries = gp_ls_tree(gp, commit, REGISTRY_DIRS)
        return sum(map(len, gp_read_blobs(gp, [e.oid for e in entries]).values()))

    a, got_a = timed(ours_plumbing, repeat)
    b, got_b = timed(theirs_plumbing, repeat)
    assert got_a == got_b
    n = len(gitio.ls_tree(repo, commit, REGISTRY_DIRS))
    assert [e.path for e in gitio.ls_tree(repo, commit, REGISTRY_DIRS)] == [
        e.path for e in gp_ls_tree(gp, commit, REGISTRY_DIRS)
    ]
    row(f"ls-tree + read every blob ({n} files)", a, b)

    a, sa = timed(lambda: state_mod.load_state(repo, "HEAD", blob_cache=BlobCache(None)), repeat)
    b, sb = timed(lambda: load_with_gitpython(repo, BlobCache(None)), repeat)
    assert sa.stage_table() == sb.stage_table()
    row("load_state, cold (every manifest parsed)", a, b)

    warm = BlobCache(None)
    state_mod.load_state(repo, "HEAD", blob_cache=warm)
    a, sa = timed(lambda: state_mod.load_state(repo, "HEAD", blob_cache=warm), repeat)
    b, sb = timed(lambda: load_with_gitpython(repo, warm), repeat)
    assert sa.stage_table() == sb.stage_table()
    row("load_state, warm (all cached)", a, b)


def tag_many(repo: Path, count: int) -> None:
    """``count`` annotated tags with messages, written by one fast-import."""
    head = gitio.rev_parse(repo, "HEAD")
    stream = "".join(
        f"tag bench-{i:05d}\nfrom {head}\ntagger bench <b@x> {1_700_000_000 + i} +0000\n"
        f"data {len(msg := f'record {i}')}\n{msg}\n"
        for i in range(count)
    )
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=stream.encode(), check=True
    )


def plumbing(repo: Path, repeat: int) -> None:
    sub = repo / "models" / "model-0000"
    a, ta = timed(lambda: gitio.toplevel(sub), repeat)

    def gp_discover() -> Path:
        import git

        return Path(git.Repo(sub, search_parent_directories=True).working_tree_dir or "")

    b, tb = timed(gp_discover, repeat)
    assert ta.resolve() == tb.resolve()
    row("repository discovery from a subfolder", a, b)

    def ours_tags() -> list[tuple[str, str, str, str]]:
        return [(t.name, t.target, t.tagger_email, t.message) for t in gitio.list_tags(repo)]

    def theirs_tags() -> list[tuple[str, str, str, str]]:
        gp = _gp_repo(repo)
        return [
            (t.name, t.commit.hexsha, t.tag.tagger.email, t.tag.message)
            for t in gp.tags
            if t.tag is not None
        ]

    a, ta_ = timed(ours_tags, repeat)
    b, tb_ = timed(theirs_tags, repeat)
    assert sorted(ta_) == sorted(tb_)
    row(f"tags with tagger and message ({len(ta_)})", a, b)

    subprocess.run(["git", "-C", str(repo), "config", "user.signingkey", "key.pub"], check=True)
    a, ca = timed(lambda: gitio.config_get(repo, "user.signingkey"), repeat)

    def gp_config() -> str:
        return str(_gp_repo(repo).config_reader().get_value("user", "signingkey"))

    b, cb = timed(gp_config, repeat)
    assert ca == cb
    row("one config value", a, b)

    subprocess.run(
        ["git", "-C", str(repo), "remote", "add", "origin", "https://example.com/r.git"], check=True
    )
    a, ra = timed(lambda: gitio.git_text(repo, "remote", "get-url", "origin"), repeat)
    b, rb = timed(lambda: _gp_repo(repo).remote("origin").url, repeat)
    assert ra == rb
    row("a remote's URL", a, b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--tags", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if importlib.util.find_spec("git") is None:
        print("GitPython is not installed (pip install gitpython): comparison skipped")
        return
    print(f"import: gitio {import_cost('galfriday_gitops.gitio', args.repeat) * 1000:.0f} ms, "
          f"GitPython (import git) {import_cost('git', args.repeat) * 1000:.0f} ms")  # fmt: skip
    # No background `gc --auto` after the big commit: it would compete with the timings.
    os.environ.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="gc.auto", GIT_CONFIG_VALUE_0="0")
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "big"
        generate(repo, args.models, args.versions)
        tag_many(repo, args.tags)
        # Packed, as a clone is.
        subprocess.run(["git", "-C", str(repo), "gc", "--quiet"], check=True)
        loader(repo, args.repeat)
        plumbing(repo, args.repeat)


if __name__ == "__main__":
    main()
