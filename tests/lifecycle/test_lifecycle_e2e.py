"""`gfops deprecate` and `gfops lifecycle` end to end: real repos, the real CLI, loopback GitHub."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from galfriday_gitops.lifecycle.inference import evaluate, read_logs
from galfriday_gitops.load.state import load_state
from galfriday_gitops.resources import ModelStage
from tests.support.cli import gfops
from tests.support.factories import manifest
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo

END = dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)
NOW = END.isoformat()


def forge_env(repo: Repo, github_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    repo.add_origin(tmp_path / "origin.git", push=True)
    return github_env


def write_log(
    path: Path, rng: np.random.Generator, version: str, n: int, *, error: float,
    latency: float = 12.0, end: dt.datetime = END,
) -> None:  # fmt: skip
    """n requests over the 24 hours before ``end``, Parquet."""
    offsets = rng.integers(0, 86_000_000, size=n)
    stamps = np.datetime64(end.replace(tzinfo=None), "ms") - offsets.astype("timedelta64[ms]")
    success = rng.uniform(size=n) >= error
    table = pa.table(
        {
            "timestamp": pa.array(stamps, type=pa.timestamp("ms", tz="UTC")),
            "version": [version] * n,
            "success": success,
            "latency_ms": latency * np.exp(0.3 * rng.standard_normal(n)),
            "confidence": np.where(success, 0.8, np.nan),
            "cost": np.full(n, 0.0004),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def healthy_logs(tmp_path: Path, end: dt.datetime) -> str:
    write_log(tmp_path / "logs" / "1.1.0.parquet", np.random.default_rng(1), "1.1.0", 600,
              error=0.0, end=end)  # fmt: skip
    return str(tmp_path / "logs")


def merge_promotion(repo: Repo, version: str) -> None:
    result = gfops("promote", "price-direction", version, "production", cwd=repo.path)
    assert result.code == 0, result.err
    branch = f"galfriday/promote/price-direction-{version}-production"
    repo.git("merge", "-q", "--no-ff", "-m", f"Merge promotion of {version}", branch)


# ---------------------------------------------------------------- deprecate


def test_deprecate_refuses_without_a_live_replacement_and_the_reconciler_blocks_it(
    repo: Repo,
) -> None:
    refused = gfops("deprecate", "price-direction", "1.1.0", "--reason", "old", cwd=repo.path)
    assert refused.code == 2
    assert "requires a live replacement" in refused.err and "pass --replacement" in refused.err
    staging = gfops(
        "deprecate", "price-direction", "1.1.0", "--reason", "old", "--replacement", "1.2.0",
        cwd=repo.path,
    )  # fmt: skip
    assert staging.code == 2 and "1.2.0 is staging" in staging.err
    assert repo.git("branch", "--list", "galfriday/*") == ""

    # The same change written by hand: the reconciler's GF216 blocks it.
    repo.git("checkout", "-q", "-b", "by-hand")
    path = "models/price-direction/1.1.0.yaml"
    text = repo.read(path).replace("  stage: production", "  stage: deprecated", 1)
    block = "  deprecation:\n    reason: old\n    endOfLife: 2027-02-28\n"
    repo.write(path, text.replace("  artifacts:\n", block + "  artifacts:\n", 1))
    repo.commit("deprecate 1.1.0 by hand")
    check = gfops("check", "--base", "main", "--head", "by-hand", "--format", "json", cwd=repo.path)
    assert check.code == 1, check.err
    rules = {f["rule"] for f in json.loads(check.out)["findings"]}
    assert "GF216" in rules


def test_deprecate_opens_a_pr_with_end_of_life(repo: Repo) -> None:
    # A canary replacement is live: deprecating production is then allowed.
    repo.write(
        "models/price-direction/1.3.0.yaml",
        manifest(version="1.3.0", stage="canary").replace(
            "  artifacts:", "  rollout: {trafficPercent: 5}\n  artifacts:"
        ),
    )
    repo.commit("1.3.0 in canary")
    result = gfops(
        "deprecate", "price-direction", "1.1.0", "--reason", "superseded by 1.3.0",
        "--replacement", "1.3.0", "--grace-days", "30", cwd=repo.path,
    )  # fmt: skip
    assert result.code == 0, result.err
    branch = "galfriday/deprecate/price-direction-1.1.0"
    assert f"branch {branch}" in result.out
    # the canary serves, but production is left empty: the preview warns (GF218)
    assert "GF218" in result.out and "has no production version after this change" in result.out
    head = load_state(repo.path, branch)
    version = head.get("price-direction", "1.1.0")
    assert version is not None and version.stage is ModelStage.DEPRECATED
    assert version.spec.deprecation is not None
    today = dt.datetime.now(dt.UTC).date()
    assert version.spec.deprecation.end_of_life == today + dt.timedelta(days=30)
    assert version.spec.deprecation.replacement == "1.3.0"
    edited = repo.git("show", f"{branch}:models/price-direction/1.1.0.yaml")
    assert "# price-direction@1.1.0, written by gfops register." in edited  # comments kept
    changed = repo.git("diff", "--name-only", "main", branch).splitlines()
    assert changed == ["models/price-direction/1.1.0.yaml"]


# ---------------------------------------------------------------- retirement


def test_past_end_of_life_gets_exactly_one_retirement_pr(
    repo: Repo, github: LoopbackGitHub, github_env: dict[str, str], tmp_path: Path
) -> None:
    env = forge_env(repo, github_env, tmp_path)
    logs = healthy_logs(tmp_path, dt.datetime(2027, 3, 2, tzinfo=dt.UTC))
    argv = ("lifecycle", "--act", "--now", "2027-03-02", "--logs", logs, "--format", "json")
    first = gfops(*argv, cwd=repo.path, env=env)
    assert first.code == 1, first.err  # past end of life is critical
    report = json.loads(first.out)
    assert [e["level"] for e in report["endOfLife"]] == ["expired"]
    assert report["actions"][0]["detail"] == "opened"
    pushed = subprocess.run(
        ["git", "-C", str(tmp_path / "origin.git"), "rev-parse",
         "refs/heads/galfriday/retire/price-direction-1.0.0"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip

    second = gfops(*argv, cwd=repo.path, env=env)
    assert second.code == 1, second.err
    assert json.loads(second.out)["actions"][0]["detail"] == "updated"
    assert list(github.pulls) == [1]
    pull = github.pulls[1]
    assert pull["head"]["ref"] == "galfriday/retire/price-direction-1.0.0"
    assert pull["title"] == "Retire price-direction@1.0.0 (past end of life)"
    # Unchanged content: the branch was not pushed again (approvals would go stale).
    again = subprocess.run(
        ["git", "-C", str(tmp_path / "origin.git"), "rev-parse",
         "refs/heads/galfriday/retire/price-direction-1.0.0"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert again == pushed
    head = load_state(repo.path, pushed)
    retired = head.get("price-direction", "1.0.0")
    assert retired is not None and retired.stage is ModelStage.RETIRED


def test_warning_levels_before_end_of_life(repo: Repo, tmp_path: Path) -> None:
    logs = healthy_logs(tmp_path, END)
    for now, level, code in (("2027-01-01", "notice", 0), ("2027-02-10", "warning", 0),
                             ("2027-02-25", "critical", 1)):  # fmt: skip
        result = gfops("lifecycle", "--now", now, "--logs", logs, "--format", "json",
                       cwd=repo.path)  # fmt: skip
        assert result.code == code, result.err
        report = json.loads(result.out)
        assert report["endOfLife"][0]["level"] == level
        assert report["actions"] == []


def test_end_of_life_is_reported_before_any_inference_log_exists(repo: Repo) -> None:
    assert not (repo.path / "data" / "inference").exists()  # the policy's logs: never written
    result = gfops("lifecycle", "--now", "2027-02-25", "--format", "json", cwd=repo.path)
    assert result.code == 1, result.err  # critical: end of life in 3 days
    report = json.loads(result.out)
    assert report["endOfLife"][0]["level"] == "critical"
    assert report["inference"]["versions"] == []
    assert "no inference logs at data/inference" in report["inference"]["unavailable"]
    text = gfops("lifecycle", "--now", "2027-02-25", cwd=repo.path)
    assert "no inference logs at data/inference" in text.out and "CRITICAL" in text.out
    # the control: logs named on the command line must exist
    missing = gfops("lifecycle", "--logs", "nowhere", cwd=repo.path)
    assert missing.code == 2 and "nowhere: no such file" in missing.err


# ---------------------------------------------------------------- inference and rollback


def rollback_history(repo: Repo) -> None:
    """1.1.0 -> 1.2.0 -> 1.3.0 in production, each through a merged promotion."""
    merge_promotion(repo, "1.2.0")
    repo.write(
        "models/price-direction/1.3.0.yaml",
        manifest(version="1.3.0", stage="staging", experiment="price-direction-1.2-vs-1.1"),
    )
    repo.commit("register 1.3.0")
    merge_promotion(repo, "1.3.0")


def test_error_spike_rolls_back_to_the_last_version_that_met_the_thresholds(
    repo: Repo, github: LoopbackGitHub, github_env: dict[str, str], tmp_path: Path
) -> None:
    rollback_history(repo)
    env = forge_env(repo, github_env, tmp_path)
    rng = np.random.default_rng(7)
    logs = tmp_path / "logs"
    write_log(logs / "1.3.0.parquet", rng, "1.3.0", 3000, error=0.08)  # now: error spike
    # 1.2.0, the previous one, was slow when it last served; 1.1.0 before it was healthy.
    write_log(logs / "1.2.0.parquet", rng, "1.2.0", 3000, error=0.001, latency=60.0,
              end=END - dt.timedelta(days=10))  # fmt: skip
    write_log(logs / "1.1.0.parquet", rng, "1.1.0", 3000, error=0.001,
              end=END - dt.timedelta(days=20))  # fmt: skip

    result = gfops("lifecycle", "--act", "--logs", str(logs), "--now", NOW, "--format", "json",
                   cwd=repo.path, env=env)  # fmt: skip
    assert result.code == 1, result.err
    report = json.loads(result.out)
    prod = next(v for v in report["inference"]["versions"] if v["version"] == "1.3.0")
    assert prod["status"] == "violation" and prod["severity"] == "critical"
    assert {v["metric"] for v in prod["violations"]} >= {"maxErrorRate", "minSuccessRate"}
    tried = report["inference"]["rollbackCandidates"]["price-direction"]
    assert [(c["version"], c["status"]) for c in tried] == [("1.2.0", "violation"),
                                                            ("1.1.0", "ok")]  # fmt: skip
    rollback = next(a for a in report["actions"] if a["kind"] == "rollback")
    assert rollback["version"] == "1.1.0" and rollback["detail"] == "opened"
    pull = github.pulls[rollback["number"]]
    assert pull["head"]["ref"] == "galfriday/rollback/price-direction"
    assert "| maxErrorRate |" in pull["body"] and "❌" in pull["body"]
    head = load_state(repo.path, "galfriday/rollback/price-direction")
    assert [v.version for v in head.in_stage("price-direction", ModelStage.PRODUCTION)] == ["1.1.0"]
    pulled = head.get("price-direction", "1.3.0")
    assert pulled is not None and pulled.stage is ModelStage.DEPRECATED


def test_too_few_samples_produce_no_action(repo: Repo, tmp_path: Path) -> None:
    rollback_history(repo)
    rng = np.random.default_rng(3)
    logs = tmp_path / "logs"
    write_log(logs / "1.3.0.parquet", rng, "1.3.0", 400, error=0.5)  # minSamples is 500
    result = gfops("lifecycle", "--act", "--local", "--logs", str(logs), "--now", NOW,
                   "--format", "json", cwd=repo.path)  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads(result.out)
    prod = next(v for v in report["inference"]["versions"] if v["version"] == "1.3.0")
    assert prod["status"] == "insufficient-data" and prod["requests"] == 400
    assert prod["violations"] == []
    assert report["actions"] == []
    assert repo.git("branch", "--list", "galfriday/rollback/*") == ""


def test_percentiles_and_rates_match_numpy_on_the_raw_records(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    lines = []
    start = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    raw: dict[str, list[tuple[dt.datetime, bool, float, float | None]]] = {"1.0.0": [], "2.0.0": []}
    for i in range(4000):
        version = "1.0.0" if i % 3 else "2.0.0"
        when = start + dt.timedelta(seconds=int(rng.integers(0, 2 * 86_400)))
        ok = bool(rng.uniform() > 0.05)
        latency = float(rng.lognormal(2.5, 0.4))
        conf = float(rng.uniform(0.5, 1)) if ok else None
        raw[version].append((when, ok, latency, conf))
        lines.append(json.dumps({"timestamp": when.isoformat(), "version": version, "success": ok,
                                 "latency_ms": latency, "confidence": conf,
                                 "input_tokens": 100, "output_tokens": 20}))  # fmt: skip
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(lines) + "\n")
    from galfriday_gitops.resources import TokenPrices

    log = read_logs([path], token_prices=TokenPrices(input=0.001, output=0.002))
    end = start + dt.timedelta(days=2)
    stats = evaluate(log, window=dt.timedelta(hours=24), end=end)
    for version, records in raw.items():
        inside = [r for r in records if end - dt.timedelta(hours=24) < r[0] <= end]
        lat = np.array([r[2] for r in inside])
        got = stats[(None, version)]
        assert got.requests == len(inside)
        # dtype=float: a missing (None) percentile becomes NaN and fails the comparison.
        quantiles = np.array([got.p50_ms, got.p95_ms, got.p99_ms], dtype=float)
        np.testing.assert_allclose(quantiles, np.percentile(lat, [50, 95, 99]), rtol=1e-12)
        assert got.success_rate == sum(r[1] for r in inside) / len(inside)
        confs = [r[3] for r in inside if r[3] is not None]
        assert got.mean_confidence is not None
        assert abs(got.mean_confidence - float(np.mean(confs))) < 1e-12
        assert got.cost_per_request is not None
        assert abs(got.cost_per_request - (100 * 0.001 + 20 * 0.002) / 1000) < 1e-15


def test_issue_action_opens_one_issue_per_model_and_reuses_it(
    repo: Repo, github: LoopbackGitHub, github_env: dict[str, str], tmp_path: Path
) -> None:
    policy = repo.read("policies/lifecycle.yaml")
    repo.write(
        "policies/lifecycle.yaml",
        policy.replace("onCriticalViolation: rollback-pr", "onCriticalViolation: issue"),
    )
    repo.commit("report violations as issues")
    env = forge_env(repo, github_env, tmp_path)
    logs = tmp_path / "logs"
    write_log(logs / "1.1.0.parquet", np.random.default_rng(5), "1.1.0", 2000, error=0.08)
    for _ in range(2):
        result = gfops("lifecycle", "--act", "--logs", str(logs), "--now", NOW, "--format", "json",
                       cwd=repo.path, env=env)  # fmt: skip
        assert result.code == 1, result.err
        actions = json.loads(result.out)["actions"]
        assert [a["kind"] for a in actions if a["model"] == "price-direction"] == ["issue"]
    issues = [i for i in github.issues.values() if "pull_request" not in i]
    assert len(issues) == 1 and "price-direction" in issues[0]["title"]
    assert github.pulls == {}  # an issue, not a rollback PR
