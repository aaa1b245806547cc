"""``gfops experiment conclude`` end to end: a branch with only the status and result changed,
SRM refusal, and the pull request against the loopback GitHub (checked against its OpenAPI)."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import time
from pathlib import Path

import pytest
import yaml

from galfriday_gitops.resources import Experiment, ExperimentOutcome
from tests.experiments.test_cli import (
    DATA,
    EXPERIMENT_YAML,
    NAME,
    add_experiment,
    in_process,
    outcomes,
)
from tests.support.cli import gfops
from tests.support.loopback import TOKEN, LoopbackGitHub
from tests.support.repo import Repo

BRANCH = f"galfriday/conclude/{NAME}"
FILE = f"experiments/{NAME}.yaml"


def _changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_planted_lift_concludes_treatment_on_a_branch(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    add_experiment(repo)
    head, status = repo.git("rev-parse", "HEAD"), repo.git("status", "--porcelain")

    res = gfops("experiment", "conclude", NAME, cwd=repo.path)
    assert res.code == 0, res.err
    assert "treatment wins (winner: 1.2.0)" in res.out

    # The user's checkout is exactly as it was: same HEAD, branch, files.
    assert repo.git("rev-parse", "HEAD") == head
    assert repo.git("branch", "--show-current") == "main"
    assert repo.git("status", "--porcelain") == status
    assert repo.read(FILE) == EXPERIMENT_YAML

    after = repo.git("show", f"{BRANCH}:{FILE}") + "\n"
    removed, added = _changed_lines(EXPERIMENT_YAML, after)
    assert removed == ["  status: running          # planned | running | concluded | stopped"]
    assert added[0] == "  status: concluded        # planned | running | concluded | stopped"
    assert added[1] == "  result:"
    assert all(line.startswith("    ") for line in added[2:])
    assert after.startswith(EXPERIMENT_YAML.split("  status:")[0])  # every line above untouched
    assert after.endswith("  # nothing below the status line but this comment\n")
    assert repo.git("diff", "--name-only", "main", BRANCH) == FILE

    result = yaml.safe_load(after)["spec"]["result"]
    data_md5 = hashlib.md5((repo.path / DATA).read_bytes()).hexdigest()
    assert result["winner"] == "1.2.0"
    assert result["decision"] == "treatment wins"
    assert result["dataMd5"] == data_md5
    assert result["samples"] == {"control": 4000, "treatment": 4000}
    assert 0.03 < result["relativeLift"] < 0.07
    assert result["ci"][0] < result["relativeLift"] < result["ci"][1]
    assert result["pValue"] < 0.001
    assert result["chanceToWin"] > 0.99
    assert result["srmPValue"] == 1.0  # 4000 vs 4000 against 50/50

    check = gfops("validate", "--rev", BRANCH, cwd=repo.path)
    assert check.code == 0, check.out + check.err

    # Idempotent: the same data gives the same commit content, concludedAt included
    # (the clock has moved on by then, so a fresh timestamp would show in the file).
    while dt.datetime.now(dt.UTC).replace(microsecond=0) <= result["concludedAt"]:
        time.sleep(0.05)
    again = in_process(capsys, "-C", str(repo.path), "experiment", "conclude", NAME)
    assert again.code == 0, again.err
    assert repo.git("show", f"{BRANCH}:{FILE}") + "\n" == after
    assert repo.git("rev-list", "--count", f"main..{BRANCH}") == "1"


def test_srm_refuses_to_conclude(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    add_experiment(repo, outcomes(4000, 3400, lift=0.05))
    res = in_process(capsys, "-C", str(repo.path), "experiment", "conclude", NAME)
    assert res.code == 1
    assert "refusing to conclude" in res.err
    assert "sample-ratio mismatch" in res.err
    assert "Decision: invalid: SRM" in res.out
    assert "SRM: p=" in res.out
    assert repo.git("branch", "--list", BRANCH) == ""


def test_conclude_bad_input_exit_2(repo: Repo) -> None:
    add_experiment(repo)
    unknown = gfops("experiment", "conclude", "nope", cwd=repo.path)
    assert unknown.code == 2
    assert "no experiment named 'nope' at main" in unknown.err
    (repo.path / DATA).unlink()
    missing = gfops("experiment", "conclude", NAME, cwd=repo.path)
    assert missing.code == 2
    assert "no such file" in missing.err
    for res in (unknown, missing):
        assert len(res.err.strip().splitlines()) == 1, res.err
    assert repo.git("branch", "--list", BRANCH) == ""


def test_open_pr_opens_once_then_updates(
    repo: Repo,
    github: LoopbackGitHub,
    github_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_experiment(repo)
    remote = repo.add_origin(tmp_path / "origin.git")
    env = github_env

    first = gfops("experiment", "conclude", NAME, "--open-pr", cwd=repo.path, env=env)
    assert first.code == 0, first.err
    assert "opened pull request #1" in first.out
    assert TOKEN not in first.out + first.err
    assert len(github.pulls) == 1
    pull = github.pulls[1]
    assert pull["head"]["ref"] == BRANCH
    assert pull["base"]["ref"] == "main"
    assert pull["title"].startswith(f"Conclude experiment {NAME}: treatment wins")
    assert "**Decision:** treatment wins" in pull["body"]
    assert "| `pnl_bps` | primary |" in pull["body"]
    pushed = Repo(remote).git("rev-parse", f"refs/heads/{BRANCH}")
    assert pushed == repo.git("rev-parse", BRANCH)

    # New data: the same branch and PR are updated, no second PR.
    outcomes(4000, 4000, lift=0.0, seed=99).to_parquet(repo.path / DATA, index=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    second = in_process(capsys, "-C", str(repo.path), "experiment", "conclude", NAME, "--open-pr")
    assert second.code == 0, second.err
    assert "updated pull request #1" in second.out
    assert len(github.pulls) == 1
    assert [r.method for r in github.requests if r.template.endswith("/pulls")].count("POST") == 1
    assert any(r.method == "PATCH" for r in github.requests)
    assert "**Decision:** no significant difference" in github.pulls[1]["body"]
    assert "no significant difference (winner: none)" in github.pulls[1]["title"]
    assert Repo(remote).git("rev-parse", f"refs/heads/{BRANCH}") == repo.git("rev-parse", BRANCH)


def _outcome() -> ExperimentOutcome:
    return ExperimentOutcome.model_validate(
        {
            "winner": None,
            "decision": "guardrail failed: latency_ms",  # ": " must be quoted
            "concludedAt": dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC),
            "dataMd5": "01234567890123456789012345678901",  # all digits: an int unless quoted
            "samples": {"control": 10, "treatment": 12},
            "relativeLift": -1e-06,  # repr "1e-06" is a string in YAML 1.1
            "ci": [-0.5, 0.25],
            "pValue": 1.0,
            "chanceToWin": 0.0,
            "srmPValue": 0.5,
        }
    )


STALE_RESULT = """\
  result:                  # left over from an aborted run
    winner: 1.1.0
    decision: old
    concludedAt: 2026-01-01T00:00:00Z
    dataMd5: "ffffffffffffffffffffffffffffffff"
    samples: {control: 1, treatment: 1}

"""


@pytest.mark.parametrize(
    "variant", ["plain", "stale result before status", "no final newline", "crlf", "4 spaces"]
)
def test_record_outcome_layouts(variant: str) -> None:
    from galfriday_gitops.load.layout import Slot, classify
    from galfriday_gitops.load.state import parse_blob
    from galfriday_gitops.write.conclude import record_outcome

    text = EXPERIMENT_YAML
    if variant == "stale result before status":
        text = text.replace("  status: running", STALE_RESULT + "  status: running")
    elif variant == "no final newline":
        text = text.split("  # nothing below")[0].rstrip("\n")
    elif variant == "crlf":
        text = text.replace("\n", "\r\n")
    elif variant == "4 spaces":
        text = "\n".join(
            " " * (2 * (len(ln) - len(ln.lstrip(" ")))) + ln.lstrip(" ") for ln in text.splitlines()
        )
    out = record_outcome(text.encode(), _outcome()).decode()

    slot = classify(FILE)
    assert isinstance(slot, Slot)
    resource, findings = parse_blob(out.encode(), slot)
    assert findings == ()
    assert isinstance(resource, Experiment)
    assert resource.spec.status.value == "concluded"
    assert resource.spec.result == _outcome()
    removed, added = _changed_lines(text, out)
    assert len([ln for ln in removed if "status: running" in ln]) == 1
    stale = [ln for ln in STALE_RESULT.splitlines() if ln] if "stale" in variant else []
    assert sorted(removed) == sorted([*stale, *(ln for ln in removed if "status" in ln)])
    assert all(ln.lstrip().split(":")[0] in {"status", *_RESULT_KEYS} for ln in added)
    assert ("\r\n" in out) == (variant == "crlf")
    assert out.count("\n\n") == text.count("\n\n")  # no blank line added or lost


_RESULT_KEYS = {
    "result",
    "winner",
    "decision",
    "concludedAt",
    "dataMd5",
    "samples",
    "relativeLift",
    "ci",
    "pValue",
    "chanceToWin",
    "srmPValue",
}


def test_conclude_preview_is_the_gates_verdict(repo: Repo, tmp_path: Path) -> None:
    from tests.write.test_preview import assert_agree, gate

    add_experiment(repo)
    res = gfops("experiment", "conclude", NAME, "--format", "json", cwd=repo.path)
    assert res.code == 0, res.err
    out = json.loads(res.out)
    assert out["branch"] == BRANCH and out["decision"] == "treatment wins"
    assert out["result"]["winner"] == "1.2.0"
    report = gate(repo, BRANCH, tmp_path)
    assert_agree(out["preview"], report)
    assert [e["kind"] for e in report["events"]] == ["experiment-changed"]  # it was judged
    body = repo.git("log", "-1", "--format=%B", BRANCH)
    assert "Data: data/experiments/" in body


def test_srm_refusal_in_json_is_exit_1_with_the_reason(repo: Repo) -> None:
    add_experiment(repo, outcomes(4000, 3400, lift=0.05))
    res = gfops("experiment", "conclude", NAME, "--format", "json", cwd=repo.path)
    assert res.code == 1
    out = json.loads(res.out)
    assert out["decision"] == "invalid: SRM" and "sample-ratio mismatch" in out["refused"]
    assert out["preview"] is None and "branch" not in out
    assert "refusing to conclude" in res.err


def _recorded_md5(repo: Repo) -> str:
    result = yaml.safe_load(repo.git("show", f"{BRANCH}:{FILE}"))["spec"]["result"]
    return str(result["dataMd5"])


def test_conclude_rev_reads_the_data_committed_at_that_revision(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    add_experiment(repo)
    repo.git("checkout", "-q", "-b", "more-data")
    lifted = outcomes(lift=0.05, seed=11)
    lifted.to_parquet(repo.path / DATA, index=False)
    committed = hashlib.md5((repo.path / DATA).read_bytes()).hexdigest()
    repo.git("add", "-f", DATA)
    repo.commit("the experiment's data, in git")
    repo.git("checkout", "-q", "main")  # the committed file leaves the work tree...
    (repo.path / DATA).parent.mkdir(parents=True, exist_ok=True)
    outcomes(lift=0.0, seed=3).to_parquet(repo.path / DATA, index=False)  # ...another is there
    local = hashlib.md5((repo.path / DATA).read_bytes()).hexdigest()
    # the control: main does not hold the data, so the work tree's file is read
    here = in_process(capsys, "-C", str(repo.path), "experiment", "conclude", NAME)
    assert here.code == 0, here.err
    assert "treatment wins" not in here.out and _recorded_md5(repo) == local
    at_branch = in_process(capsys, "-C", str(repo.path), "experiment", "conclude", NAME,
                           "--rev", "more-data")  # fmt: skip
    assert at_branch.code == 0, at_branch.err
    assert "treatment wins" in at_branch.out and _recorded_md5(repo) == committed
    assert hashlib.md5((repo.path / DATA).read_bytes()).hexdigest() == local  # untouched


def test_conclude_rev_reads_dvcs_copy_not_the_modified_work_tree(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.dvc import dvc

    add_experiment(repo, outcomes(lift=0.05, seed=11))
    repo.write(".gitignore", "")
    dvc(repo.path, "init", "-q")
    dvc(repo.path, "add", DATA)
    repo.commit("the experiment's data, in DVC")
    committed = hashlib.md5((repo.path / DATA).read_bytes()).hexdigest()
    (repo.path / DATA).unlink()  # DVC's link to its cache: replace, never write through it
    outcomes(lift=0.0, seed=3).to_parquet(repo.path / DATA, index=False)
    local = hashlib.md5((repo.path / DATA).read_bytes()).hexdigest()
    assert local != committed
    res = in_process(capsys, "-C", str(repo.path), "experiment", "conclude", NAME)
    assert res.code == 0, res.err
    assert "treatment wins" in res.out and _recorded_md5(repo) == committed
    assert hashlib.md5((repo.path / DATA).read_bytes()).hexdigest() == local  # untouched
    assert len(repo.git("worktree", "list").splitlines()) == 1  # the temporary one is gone
