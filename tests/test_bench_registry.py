"""The registry the benchmarks time is a valid one: a benchmark of `check` on a registry the
gate blocks measures the wrong path (the generator once made canaries without a traffic
share, so every PR touching one was blocked by GF215)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.cli import gfops
from tests.support.gate import check_json, rule_ids
from tests.support.repo import ROOT, Repo


def _generate(where: Path) -> Repo:
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gen_registry.py"), str(where),
         "--models", "2", "--versions", "10"],
        check=True, capture_output=True,
    )  # fmt: skip
    return Repo(where)


def _relabel(repo: Repo) -> None:
    """What bench_check's pull requests do: a label on every manifest (allowed after merge)."""
    for path in sorted((repo.path / "models").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("labels: {team:", "labels: {reviewed: yes-2026, team:"))


def test_the_benchmark_registry_validates_and_a_relabelling_pr_is_allowed(
    tmp_path: Path,
) -> None:
    repo = _generate(tmp_path / "big")
    assert gfops("validate", cwd=repo.path).code == 0
    repo.git("checkout", "-q", "-b", "pr")
    _relabel(repo)
    repo.commit("relabel")
    code, report = check_json(repo)
    assert (code, report["verdict"]) == (0, "allowed"), report["findings"]
    judged = {e["path"] for e in report["events"]}
    assert len(judged) == 20  # every manifest, canaries included, was judged

    # Control: a canary without its share (what the generator wrote) is blocked.
    repo.git("checkout", "-q", "main")
    canary = repo.path / "models" / "model-0000" / "1.7.0.yaml"
    text = canary.read_text(encoding="utf-8")
    assert "stage: canary\n  rollout:\n    trafficPercent: 10\n" in text
    canary.write_text(text.replace("  rollout:\n    trafficPercent: 10\n", ""))
    repo.git("checkout", "-q", "-b", "without-share")
    _relabel(repo)
    repo.commit("relabel without a share")
    code, report = check_json(repo)
    assert code == 1 and "GF215" in rule_ids(report)
