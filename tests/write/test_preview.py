"""The preview in a write command's pull request is the gate's verdict, finding by finding.

Each test runs a write command through the real CLI (``--format json`` gives its preview:
the reconciler's verdict on the proposed commit, before any review), then ``gfops check``
on the branch the command made, with an empty review list (a PR nobody has reviewed yet),
and asserts that both name the same events and the same findings: rule id, severity,
file, line, column, message and hint. Among them the cases the old hand-written preview
got wrong: GF212's exemptions (a model's first production version; a rollback to a
version that served before) and two stage policies matching one model (GF214).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tests.support.cli import gfops
from tests.support.factories import manifest
from tests.support.repo import Repo

Finding = tuple[Any, ...]

FINDING_KEYS = ("rule", "severity", "file", "line", "column", "message", "hint")


def _findings(report: dict[str, Any]) -> list[Finding]:
    return [tuple(f[k] for k in FINDING_KEYS) for f in report["findings"]]


def _events(report: dict[str, Any]) -> list[Any]:
    return list(report["events"])


def gate(repo: Repo, branch: str, tmp_path: Path, *extra: str) -> dict[str, Any]:
    """``gfops check`` of ``branch`` against main, as on a PR with no review yet."""
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    result = gfops(
        "check", "--base", "main", "--head", branch, "--format", "json",
        "--reviews", str(empty), "--commits", str(empty), "--pr-author", "author", *extra,
        cwd=repo.path,
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    report: dict[str, Any] = json.loads(result.out)
    return report


def write(repo: Repo, *argv: str) -> dict[str, Any]:
    result = gfops(*argv, "--format", "json", cwd=repo.path)
    assert result.code == 0, result.err
    out: dict[str, Any] = json.loads(result.out)
    return out


def assert_agree(preview: dict[str, Any], report: dict[str, Any]) -> None:
    assert _events(preview) == _events(report)
    assert _findings(preview) == _findings(report)
    assert preview["verdict"] == report["verdict"]


def rules(report: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in report["findings"]}


def merge(repo: Repo, branch: str) -> None:
    repo.git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch)


# ---------------------------------------------------------------- promote


def test_promote_preview_is_the_gates_verdict(repo: Repo, tmp_path: Path) -> None:
    out = write(repo, "promote", "price-direction", "1.2.0", "production")
    report = gate(repo, out["branch"], tmp_path)
    assert_agree(out["preview"], report)
    # Positive control: the experiment of 1.2.0 is still running (GF212), and nobody has
    # approved yet (GF202, pending).
    assert {"GF212", "GF202"} <= rules(report)


def test_a_models_first_production_version_is_exempt_in_preview_and_gate(
    repo: Repo, tmp_path: Path
) -> None:
    repo.write(
        "models/fresh/1.0.0.yaml",
        manifest(name="fresh", version="1.0.0", stage="staging", experiment="no-such-test"),
    )
    repo.commit("fresh 1.0.0 in staging")
    out = write(repo, "promote", "fresh", "1.0.0", "production")
    report = gate(repo, out["branch"], tmp_path)
    assert_agree(out["preview"], report)
    # Nothing to compare a first production version with: GF212 exempts it (the old
    # preview printed "experiment won ❌" here).
    assert "GF212" not in rules(report)
    assert "GF202" in rules(report)  # the production approvals are still needed
    body = gfops("promote", "fresh", "1.0.0", "production", cwd=repo.path).out
    assert "| GF212 experiment-win |" not in body and "| ⏳ | GF202 approvals |" in body
    assert "GF212 experiment-win" in next(ln for ln in body.splitlines() if ln.startswith("Pass"))


def test_two_matching_stage_policies_are_gf214_in_preview_and_gate(
    repo: Repo, tmp_path: Path
) -> None:
    policy = repo.read("policies/stages.yaml").replace("name: default", "name: overlapping")
    repo.write("policies/stages-overlapping.yaml", policy)
    repo.commit("a second stage policy that also matches every model")
    out = write(repo, "promote", "price-direction", "1.2.0", "canary", "--traffic", "5")
    report = gate(repo, out["branch"], tmp_path)
    assert_agree(out["preview"], report)
    gf214 = [f for f in report["findings"] if f["rule"] == "GF214"]
    assert len(gf214) == 1 and "2 stage policies (default, overlapping)" in gf214[0]["message"]


# ---------------------------------------------------------------- rollback and deprecate


def test_rollback_to_a_version_that_served_is_exempt_in_preview_and_gate(
    repo: Repo, tmp_path: Path
) -> None:
    merge(repo, write(repo, "promote", "price-direction", "1.2.0", "production")["branch"])
    out = write(repo, "rollback", "price-direction", "--reason", "p99 latency")
    assert [(m["version"], m["to"]) for m in out["moves"]] == [
        ("1.1.0", "production"),
        ("1.2.0", "deprecated"),
    ]
    report = gate(repo, out["branch"], tmp_path)
    assert_agree(out["preview"], report)
    assert "GF212" not in rules(report)  # 1.1.0 served before: an emergency is not gated
    assert "GF202" in rules(report)


def test_deprecate_preview_is_the_gates_verdict(repo: Repo, tmp_path: Path) -> None:
    repo.write(
        "models/price-direction/1.3.0.yaml",
        manifest(version="1.3.0", stage="canary").replace(
            "  artifacts:", "  rollout: {trafficPercent: 5}\n  artifacts:"
        ),
    )
    repo.commit("1.3.0 in canary")
    out = write(
        repo, "deprecate", "price-direction", "1.1.0", "--reason", "superseded",
        "--replacement", "1.3.0",
    )  # fmt: skip
    report = gate(repo, out["branch"], tmp_path)
    assert_agree(out["preview"], report)
    assert ("stage-changed", "1.1.0") in [(e["kind"], e["version"]) for e in report["events"]]


# ---------------------------------------------------------------- lifecycle PRs


def _jsonl(path: Path, version: str, n: int, *, error_every: int, end: dt.datetime) -> None:
    """``n`` requests over the hour before ``end``; every ``error_every``-th one fails."""
    lines = [
        json.dumps(
            {
                "timestamp": (end - dt.timedelta(seconds=3600 * i / n)).isoformat(),
                "version": version,
                "success": i % error_every != 0,
                "latency_ms": 12.0,
                "confidence": 0.9,
                "cost": 0.0004,
            }
        )
        for i in range(n)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_lifecycle_retirement_and_rollback_previews_are_the_gates_verdicts(
    repo: Repo, tmp_path: Path
) -> None:
    merge(repo, write(repo, "promote", "price-direction", "1.2.0", "production")["branch"])
    now = dt.datetime(2027, 3, 2, 12, tzinfo=dt.UTC)  # 1.0.0 is past its end of life
    logs = tmp_path / "logs"
    _jsonl(logs / "1.2.0.jsonl", "1.2.0", 1000, error_every=10, end=now)  # a 10 % error rate
    _jsonl(logs / "1.1.0.jsonl", "1.1.0", 1000, error_every=10**6, end=now - dt.timedelta(days=9))
    result = gfops(
        "lifecycle", "--act", "--local", "--logs", str(logs), "--now", now.isoformat(),
        "--format", "json", cwd=repo.path,
    )  # fmt: skip
    assert result.code == 1, result.err
    actions = [a for a in json.loads(result.out)["actions"] if a["branch"]]
    assert {"retire", "rollback"} <= {a["kind"] for a in actions}
    for action in actions:
        report = gate(repo, action["branch"], tmp_path, "--now", now.isoformat())
        assert_agree(action["preview"], report)
    rollback = next(a for a in actions if a["kind"] == "rollback")
    assert rollback["version"] == "1.1.0"
    assert "GF212" not in rules(rollback["preview"])  # 1.1.0 served before


# ---------------------------------------------------------------- canary


def test_canary_share_set_ramped_and_cleared_agrees_with_the_gate(
    repo: Repo, tmp_path: Path
) -> None:
    """--traffic writes spec.rollout on entering canary, a ramp changes only the share,
    production clears it; the gate judges each branch as its preview did (GF215 passes)."""
    out = write(repo, "promote", "price-direction", "1.2.0", "canary", "--traffic", "5")
    report = gate(repo, out["branch"], tmp_path)
    assert_agree(out["preview"], report)
    assert "GF215" not in rules(report)
    merge(repo, out["branch"])
    out = write(repo, "promote", "price-direction", "1.2.0", "canary", "--traffic", "10")
    assert [(m["from"], m["to"], m["why"]) for m in out["moves"]] == [
        ("canary", "canary", "canary traffic 5% -> 10%")
    ]
    report = gate(repo, out["branch"], tmp_path)
    assert_agree(out["preview"], report)
    assert [e["kind"] for e in report["events"]] == ["modified"]
    assert "GF215" not in rules(report)
    merge(repo, out["branch"])
    out = write(repo, "promote", "price-direction", "1.2.0", "production")
    report = gate(repo, out["branch"], tmp_path)
    assert_agree(out["preview"], report)
    assert "GF215" not in rules(report)
    promoted = repo.git("show", f"{out['branch']}:models/price-direction/1.2.0.yaml")
    assert "  rollout:" not in promoted and "trafficPercent" not in promoted
