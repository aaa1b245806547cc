"""`gfops check` end to end: real git branches, the real CLI, GitHub-shaped review data.

The registry is a copy of this project's own (price-direction 1.0.0 deprecated,
1.1.0 production, 1.2.0 staging) with the experiment concluded for 1.2.0 on main.
Review and commit listings are built by the loopback GitHub, so their shape is
checked against GitHub's OpenAPI description.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import gfops
from tests.support.factories import dvc_file, manifest
from tests.support.gate import check_json, review_args
from tests.support.loopback import TOKEN, LoopbackGitHub
from tests.support.repo import Repo

NOW = "2026-11-24"
PR = 7
RESULT = """\
  status: concluded
  result:
    winner: 1.2.0
    decision: treatment wins
    concludedAt: 2026-11-17T09:00:00Z
    dataMd5: "0123456789abcdef0123456789abcdef"
    samples: {control: 9000, treatment: 1000}
"""


@pytest.fixture
def reg(repo: Repo) -> Repo:
    path = "experiments/price-direction-1.2-vs-1.1.yaml"
    text = repo.read(path).replace(
        "  status: running                    # planned | running | concluded | stopped\n", RESULT
    )
    assert "winner: 1.2.0" in text
    repo.write(path, text)
    repo.commit("conclude the experiment")
    return repo


def track(repo: Repo, version: str) -> None:
    """The .dvc file a registered version's artifact needs."""
    repo.write(
        f"artifacts/price-direction/{version}/model.json.dvc", dvc_file("price-direction", version)
    )


def stage(repo: Repo, version: str, new: str) -> None:
    path = f"models/price-direction/{version}.yaml"
    text = repo.read(path)
    old = next(line for line in text.splitlines() if line.startswith("  stage: "))
    repo.write(path, text.replace(old + "\n", f"  stage: {new}\n", 1))


def deprecate(repo: Repo, version: str, replacement: str | None) -> None:
    stage(repo, version, "deprecated")
    path = f"models/price-direction/{version}.yaml"
    named = f"    replacement: {replacement}\n" if replacement else ""
    repo.write(
        path,
        repo.read(path).replace(
            "  artifacts:\n",
            f"  deprecation:\n    reason: replaced in production\n{named}"
            "    endOfLife: 2027-02-28\n  artifacts:\n",
        ),
    )


def promotion(repo: Repo, branch: str = "promote") -> str:
    repo.git("checkout", "-q", "-b", branch, "main")
    stage(repo, "1.2.0", "production")
    deprecate(repo, "1.1.0", "1.2.0")
    return repo.commit("promote 1.2.0 to production")


# The helpers every check test shares (tests/support/gate.py), under this file's names.
reviews = review_args
check = check_json


def rules_of(report: dict[str, Any]) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["file"], f["line"]) for f in report["findings"]}


def counted(report: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    return {r["reviewer"]: (r["counted"], r["reason"]) for r in report["reviews"]}


def test_valid_promotion_is_allowed(reg: Repo, github: LoopbackGitHub, tmp_path: Path) -> None:
    head = promotion(reg)
    args = reviews(github, tmp_path, [("dave", "APPROVED", head), ("erin", "APPROVED", head)])
    code, report = check(reg, *args)
    assert report["findings"] == [] and code == 0, report["findings"]
    assert report["verdict"] == "allowed"
    assert {
        (e["version"], e["from"], e["to"]) for e in report["events"] if e["kind"] == "stage-changed"
    } == {
        ("1.2.0", "staging", "production"),
        ("1.1.0", "production", "deprecated"),
    }
    modified = [e for e in report["events"] if e["kind"] == "modified"]
    assert [(e["version"], e["fields"]) for e in modified] == [("1.1.0", ["spec.deprecation"])]
    assert counted(report)["dave"][0] and counted(report)["erin"][0]


def test_stage_skip_is_blocked_at_the_stage_line(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    reg.write(
        "models/price-direction/1.3.0.yaml",
        manifest(version="1.3.0", stage="development", accuracy=0.9),
    )
    track(reg, "1.3.0")
    reg.commit("register 1.3.0")
    reg.git("checkout", "-q", "-b", "skip")
    stage(reg, "1.3.0", "production")
    head = reg.commit("skip to production")
    code, report = check(
        reg, *reviews(github, tmp_path, [("dave", "APPROVED", head), ("erin", "APPROVED", head)])
    )
    assert code == 1
    assert ("GF200", "models/price-direction/1.3.0.yaml", 9) in rules_of(report)
    message = next(f["message"] for f in report["findings"] if f["rule"] == "GF200")
    assert "development -> production is not allowed" in message and "testing, archived" in message


@pytest.mark.parametrize(
    ("approvals", "author", "committers", "who", "reason"),
    [
        (
            [("dave", "APPROVED", "HEAD"), ("erin", "APPROVED", "HEAD")],
            "dave",
            ("dave",),
            "dave",
            "author: the pull request's author cannot approve it",
        ),
        (
            [("dave", "APPROVED", "HEAD"), ("erin", "APPROVED", "HEAD")],
            "alice",
            ("alice", "erin"),
            "erin",
            "pushed a commit to this pull request (authored ",
        ),
        (
            [("dave", "APPROVED", "HEAD"), ("erin", "APPROVED", "OLD")],
            "alice",
            ("alice",),
            "erin",
            "which is no longer in the pull request's history (force-pushed away)",
        ),
        (
            [("dave", "APPROVED", "HEAD"), ("bob", "APPROVED", "HEAD")],
            "alice",
            ("alice",),
            "bob",
            "teams: ml-team",
        ),
        (
            [("dave", "APPROVED", "HEAD"), ("galfriday-bot[bot]", "APPROVED", "HEAD")],
            "alice",
            ("alice",),
            "galfriday-bot[bot]",
            "bot: bots cannot approve",
        ),
        (
            [
                ("dave", "APPROVED", "HEAD"),
                ("erin", "APPROVED", "HEAD"),
                ("erin", "DISMISSED", "HEAD"),
            ],
            "alice",
            ("alice",),
            "erin",
            "dismissed: the review was dismissed",
        ),
    ],
    ids=["self-approval", "commit-author", "stale", "outside-team", "bot", "dismissed"],
)
def test_approvals_that_do_not_count(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path,
    approvals: list[tuple[str, str, str]],
    author: str,
    committers: tuple[str, ...],
    who: str,
    reason: str,
) -> None:  # fmt: skip
    old = reg.git("rev-parse", "main")
    head = promotion(reg)
    shas = {"HEAD": head, "OLD": old}
    args = reviews(
        github,
        tmp_path,
        [(u, s, shas[c]) for u, s, c in approvals],
        author=author,
        committers=committers,
    )
    code, report = check(reg, *args)
    assert code == 1
    assert ("GF202", "models/price-direction/1.2.0.yaml", 15) in rules_of(report)
    assert reason in counted(report)[who][1]
    missing = "needs 1 more approval(s) from ml-leads"
    assert any(missing in f["message"] for f in report["findings"] if f["rule"] == "GF202")
    # The missing approval names the review that did not count here, and why.
    not_counted = {
        n["reviewer"]: n["reason"] for a in report["approvals"] for n in a["not_counted"]
    }
    assert who in not_counted
    if who == "bob":
        assert not_counted[who] == "not in ml-leads"
    markdown = gfops(
        "check",
        "--base",
        "main",
        "--head",
        "HEAD",
        "--now",
        NOW,
        "--format",
        "markdown",
        *args,
        cwd=reg.path,
    ).out
    assert "needs 1 more approval(s) from ml-leads" in markdown and who in markdown


def test_changes_requested_blocks(reg: Repo, github: LoopbackGitHub, tmp_path: Path) -> None:
    head = promotion(reg)
    args = reviews(
        github,
        tmp_path,
        [
            ("dave", "APPROVED", head),
            ("erin", "APPROVED", head),
            ("carol", "CHANGES_REQUESTED", head),
        ],
    )
    code, report = check(reg, *args)
    assert code == 1 and "GF203" in {f["rule"] for f in report["findings"]}


def test_editing_metrics_with_a_stage_change_is_blocked(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    reg.git("checkout", "-q", "-b", "sneaky", "main")
    stage(reg, "1.2.0", "production")
    deprecate(reg, "1.1.0", "1.2.0")
    path = "models/price-direction/1.2.0.yaml"
    reg.write(path, reg.read(path).replace("accuracy: 0.898703", "accuracy: 0.95"))
    head = reg.commit("promote and polish")
    code, report = check(
        reg, *reviews(github, tmp_path, [("dave", "APPROVED", head), ("erin", "APPROVED", head)])
    )
    assert code == 1
    line = next(
        i for i, text in enumerate(reg.read(path).splitlines(), 1) if "accuracy: 0.95" in text
    )
    assert ("GF208", path, line) in rules_of(report)
    message = next(f["message"] for f in report["findings"] if f["rule"] == "GF208")
    assert "spec.metrics.test.accuracy: base 0.898703, head 0.95" in message


def test_loosening_the_policy_in_the_same_pr_does_not_help(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    head_branch = promotion(reg)
    policy = reg.read("policies/stages.yaml")
    reg.write(
        "policies/stages.yaml",
        policy.replace(
            "approvals: {count: 2, from: [ml-leads]}", "approvals: {count: 0, from: [ml-leads]}"
        ),
    )
    head = reg.commit("no approvals needed, surely")
    assert head != head_branch
    code, report = check(reg, *reviews(github, tmp_path, []))
    assert code == 1
    found = {f["rule"] for f in report["findings"]}
    assert {
        "GF202",
        "GF213",
    } <= found  # base policy still wants 2 approvals; platform must OK the policy change
    assert any("needs 2 more approval(s) from ml-leads" in f["message"] for f in report["findings"])


def test_deleting_the_production_manifest_is_blocked(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    reg.git("checkout", "-q", "-b", "delete", "main")
    (reg.path / "models/price-direction/1.1.0.yaml").unlink()
    head = reg.commit("delete production")
    code, report = check(
        reg, *reviews(github, tmp_path, [("dave", "APPROVED", head), ("erin", "APPROVED", head)])
    )
    assert code == 1
    finding = next(f for f in report["findings"] if f["rule"] == "GF209")
    assert (
        finding["file"] == "models/price-direction/1.1.0.yaml"
        and "while live" in finding["message"]
    )


def test_thresholds_and_experiment_gate(reg: Repo, github: LoopbackGitHub, tmp_path: Path) -> None:
    reg.git("checkout", "-q", "-b", "weak", "main")
    stage(reg, "1.0.0", "production")  # deprecated -> production is in the graph; metrics are not
    deprecate(reg, "1.1.0", "1.0.0")
    head = reg.commit("bring back 1.0.0")
    code, report = check(
        reg, *reviews(github, tmp_path, [("dave", "APPROVED", head), ("erin", "APPROVED", head)])
    )
    assert code == 1
    messages = {f["rule"]: f["message"] for f in report["findings"]}
    assert "test.accuracy = 0.829454 is below the production minimum 0.85" in messages["GF204"]
    assert "GF205" in messages  # no spec.lineage.experiment
    assert "GF212" in messages


def test_freeze_window(reg: Repo, github: LoopbackGitHub, tmp_path: Path) -> None:
    head = promotion(reg)
    args = reviews(github, tmp_path, [("dave", "APPROVED", head), ("erin", "APPROVED", head)])
    result = gfops(
        "check",
        "--base",
        "main",
        "--head",
        "HEAD",
        "--now",
        "2026-12-24",
        "--format",
        "json",
        *args,
        cwd=reg.path,
    )
    assert result.code == 1
    assert any(
        f["rule"] == "GF211" and "year-end freeze" in f["message"]
        for f in json.loads(result.out)["findings"]
    )


def test_no_review_data_fails_closed(reg: Repo) -> None:
    promotion(reg)
    code, report = check(reg)
    assert code == 1 and "GF217" in {f["rule"] for f in report["findings"]}


def test_artifact_must_match_its_dvc_file(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    reg.git("checkout", "-q", "-b", "register", "main")
    reg.write("models/price-direction/2.0.0.yaml", manifest(version="2.0.0", stage="development"))
    reg.write(
        "artifacts/price-direction/2.0.0/model.json.dvc",
        "outs:\n- md5: ffffffffffffffffffffffffffffffff\n  size: 100\n  path: model.json\n",
    )
    reg.commit("register with a wrong hash")
    code, report = check(reg, *reviews(github, tmp_path, []))
    assert code == 1
    assert any(f["rule"] == "GF210" and "ffffffff" in f["message"] for f in report["findings"])


def test_toolkit_and_workflow_changes_in_the_head_do_not_change_the_logic(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    promotion(reg)
    reg.write("galfriday_gitops/rules/engine.py", "CHECKS = ()\ndef judge(ctx):\n    return []\n")
    reg.write(".github/workflows/check.yml", "on: push\njobs: {}\n")
    stage(reg, "1.0.0", "archived")  # deprecated -> archived is not in the graph
    head = reg.commit("disable the reconciler from inside")
    args = reviews(github, tmp_path, [("dave", "APPROVED", head), ("erin", "APPROVED", head)])
    code, report = check(reg, *args, head=head)
    assert code == 1  # even with the head checked out (a developer's machine)
    reg.git(
        "checkout", "-q", "main"
    )  # as in CI: the base is checked out, the head only read as objects
    code, report = check(reg, *args, head=head)
    assert code == 1
    found = {f["rule"] for f in report["findings"]}
    assert {"GF200", "GF213"} <= found
    assert any(e["kind"] == "workflow-changed" for e in report["events"])


def test_reports_in_every_format(reg: Repo, github: LoopbackGitHub, tmp_path: Path) -> None:
    reg.git("checkout", "-q", "-b", "bad", "main")
    stage(reg, "1.2.0", "canary")
    reg.write(
        "models/price-direction/1.2.0.yaml",
        reg.read("models/price-direction/1.2.0.yaml").replace("  stage: canary", "  stage: cnary"),
    )
    reg.commit("typo")
    base = [
        "check",
        "--base",
        "main",
        "--head",
        "HEAD",
        "--now",
        NOW,
        *reviews(github, tmp_path, []),
    ]
    annotations = gfops(*base, "--format", "github", cwd=reg.path)
    assert annotations.code == 1
    assert (
        "::error file=models/price-direction/1.2.0.yaml,line=15,col=3,title=GF114 invalid-stage::"
        in annotations.out
    )
    sarif = json.loads(gfops(*base, "--format", "sarif", cwd=reg.path).out)
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert (
        result["ruleId"] == "GF114"
        and result["locations"][0]["physicalLocation"]["region"]["startLine"] == 15
    )
    summary = tmp_path / "summary.md"
    text = gfops(
        *base,
        "--format",
        "text",
        "--summary",
        cwd=reg.path,
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert text.out.startswith("BLOCKED") and "GF114" in summary.read_text()


def test_merge_queue_blocks_the_second_of_two_production_promotions(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    # Two staging versions, each allowed to replace production alone (no experiment gate here).
    policy = (
        reg.read("policies/stages.yaml")
        .replace("      requireExperimentWin: true\n", "")
        .replace("      requiredFields: [spec.lineage.experiment]\n", "")
    )
    reg.write("policies/stages.yaml", policy)
    lifecycle = reg.read("policies/lifecycle.yaml").replace(
        "requireReplacement: true", "requireReplacement: false"
    )
    reg.write("policies/lifecycle.yaml", lifecycle)
    reg.write(
        "models/price-direction/1.3.0.yaml",
        manifest(version="1.3.0", stage="staging", accuracy=0.9),
    )
    track(reg, "1.3.0")
    reg.commit("a second candidate")

    heads, args = {}, {}
    for number, branch, version in ((8, "pr-a", "1.2.0"), (9, "pr-b", "1.3.0")):
        reg.git("checkout", "-q", "-b", branch, "main")
        stage(reg, version, "production")
        deprecate(reg, "1.1.0", None)  # identical change on both branches: they merge cleanly
        heads[branch] = head = reg.commit(f"promote {version}")
        folder = tmp_path / branch
        folder.mkdir()
        approvals = [("dave", "APPROVED", head), ("erin", "APPROVED", head)]
        args[branch] = [*reviews(github, folder, approvals, pr=number), "--pr-head", head]
    for branch in heads:
        code, report = check(reg, *args[branch], head=branch)
        assert code == 0, (branch, report["findings"])

    # The queue: group 1 = main + A, which lands; group 2 = (main + A) + B.
    reg.git("checkout", "-q", "main")
    reg.git("checkout", "-q", "-b", "gh-readonly-queue/main/pr-1")
    reg.git("merge", "-q", "--no-ff", "-m", "queue A", "pr-a")
    code, _ = check(reg, *args["pr-a"])
    assert code == 0
    reg.git("checkout", "-q", "main")
    reg.git("merge", "-q", "--ff-only", "gh-readonly-queue/main/pr-1")
    reg.git("checkout", "-q", "-b", "gh-readonly-queue/main/pr-2")
    reg.git("merge", "-q", "--no-ff", "-m", "queue B", "pr-b")
    code, report = check(reg, *args["pr-b"])
    assert code == 1
    finding = next(f for f in report["findings"] if f["rule"] == "GF206")
    assert "2 versions in production (1.2.0, 1.3.0)" in finding["message"]


def synchronize_event(
    examples: dict[str, list[dict[str, Any]]], path: Path, head: str, base: str
) -> None:
    """GitHub's own `pull_request` synchronize example, made about pull request PR by alice
    from ``base`` to ``head``, written to ``path``."""
    event = next(e for e in examples["pull_request"] if e.get("action") == "synchronize")
    event = json.loads(json.dumps(event))
    event["number"] = event["pull_request"]["number"] = PR
    event["pull_request"]["head"]["sha"] = head
    event["pull_request"]["base"]["sha"] = base
    event["pull_request"]["user"]["login"] = "alice"
    path.write_text(json.dumps(event))


def test_live_api_path_with_an_event_and_a_pr_comment(
    reg: Repo,
    github: LoopbackGitHub,
    github_env: dict[str, str],
    tmp_path: Path,
    webhook_examples: dict[str, list[dict[str, Any]]],
) -> None:
    head = promotion(reg)
    base = reg.git("rev-parse", "main")
    github.add_pull(PR, author="alice")
    github.pulls[PR]["head"]["sha"] = head
    github.add_review(PR, "dave", "APPROVED", head)
    github.add_review(PR, "erin", "APPROVED", head)
    github.add_commit(PR, author="alice", committer="alice")
    synchronize_event(webhook_examples, tmp_path / "event.json", head, base)
    env = github_env
    for _ in range(2):
        result = gfops(
            "check",
            "--event",
            str(tmp_path / "event.json"),
            "--event-name",
            "pull_request",
            "--now",
            NOW,
            "--comment",
            cwd=reg.path,
            env=env,
        )
        assert result.code == 0, result.out + result.err
        assert TOKEN not in result.out + result.err
    comments = github.comments[PR]
    assert len(comments) == 1 and "Allowed" in comments[0]["body"]


def test_pr_comment_findings_link_to_the_line_at_the_head_commit(
    reg: Repo,
    github: LoopbackGitHub,
    github_env: dict[str, str],
    tmp_path: Path,
    webhook_examples: dict[str, list[dict[str, Any]]],
) -> None:
    head = promotion(reg)  # no approvals yet: GF202 on the stage line of 1.2.0
    github.add_pull(PR, author="alice")
    github.pulls[PR]["head"]["sha"] = head
    github.add_commit(PR, author="alice", committer="alice")
    synchronize_event(webhook_examples, tmp_path / "event.json", head, reg.git("rev-parse", "main"))
    env = {**github_env, "GITHUB_SERVER_URL": "https://github.com"}
    result = gfops(
        "check", "--event", str(tmp_path / "event.json"), "--event-name", "pull_request",
        "--now", NOW, "--comment", cwd=reg.path, env=env,
    )  # fmt: skip
    assert result.code == 1, result.out + result.err
    body = github.comments[PR][0]["body"]
    path = "models/price-direction/1.2.0.yaml"
    lines = reg.git("show", f"{head}:{path}").splitlines()
    stage_line = next(i for i, text in enumerate(lines, 1) if text.startswith("  stage: "))
    url = f"https://github.com/{github.owner}/{github.repo}/blob/{head}/{path}#L{stage_line}"
    assert f"[`{path}:{stage_line}`]({url})" in body
    # offline (no Actions environment): the same finding as plain file:line
    offline = gfops(
        "check", "--base", "main", "--head", head, "--now", NOW, "--format", "markdown",
        cwd=reg.path, env={"GITHUB_SERVER_URL": "", "GITHUB_REPOSITORY": ""},
    )  # fmt: skip
    assert f"| `{path}:{stage_line}` |" in offline.out and "/blob/" not in offline.out


def test_a_branch_behind_main_is_judged_as_its_merge_result(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    # B branched before A landed: diffing main..B naively would "revert" A's changes.
    reg.write(
        "models/price-direction/1.3.0.yaml",
        manifest(version="1.3.0", stage="staging", accuracy=0.9),
    )
    track(reg, "1.3.0")
    reg.commit("candidate 1.3.0")
    reg.git("checkout", "-q", "-b", "pr-b", "main")
    stage(reg, "1.3.0", "canary")
    head_b = reg.commit("1.3.0 to canary")
    reg.git("checkout", "-q", "main")
    stage(reg, "1.2.0", "canary")
    reg.commit("1.2.0 to canary (landed first)")
    args = reviews(github, tmp_path, [("dave", "APPROVED", head_b)], pr=11)
    code, report = check(reg, *args, "--pr-head", head_b, head="pr-b")
    assert code == 1
    assert [(e["kind"], e["version"]) for e in report["events"]] == [("stage-changed", "1.3.0")]
    assert any(
        f["rule"] == "GF206" and "(1.2.0, 1.3.0)" in f["message"] for f in report["findings"]
    )


def test_a_conflicting_branch_cannot_be_judged(reg: Repo) -> None:
    reg.git("checkout", "-q", "-b", "conflict", "main")
    stage(reg, "1.2.0", "canary")
    reg.commit("canary here")
    reg.git("checkout", "-q", "main")
    stage(reg, "1.2.0", "testing")
    reg.commit("testing there")
    result = gfops("check", "--base", "main", "--head", "conflict", cwd=reg.path)
    assert (
        result.code == 2
        and "does not merge cleanly" in result.err
        and "Traceback" not in result.err
    )


EVIL_NAME = "models/price-direction/x\n::add-mask::oops.yaml"
# How each format prints that name: the newline escaped, so no output line can start with
# an attacker's workflow command (the github format percent-encodes its properties).
ESCAPED_NAME = {
    "text": "models/price-direction/x\\x0a::add-mask::oops.yaml",
    "github": "models/price-direction/x%0A%3A%3Aadd-mask%3A%3Aoops.yaml",
    "markdown": "models/price-direction/x\\x0a::add-mask::oops.yaml",
}
# The finding (GF113: the file name is no version) as each format prints it.
FINDING_LINE = {
    "text": ESCAPED_NAME["text"] + ":1:1: GF113 ",
    "github": f"::error file={ESCAPED_NAME['github']},line=1,col=1,title=GF113 invalid-semver::",
    "markdown": f"| GF113 invalid-semver | `{ESCAPED_NAME['markdown']}:1` |",
}


def injects_a_workflow_command(out: str) -> bool:
    """A line GitHub Actions would run as the attacker's ``::add-mask::`` command."""
    return any(line.startswith("::add-mask") for line in out.splitlines())


def test_crafted_file_names_cannot_inject_workflow_commands(reg: Repo) -> None:
    reg.git("checkout", "-q", "-b", "evil", "main")
    reg.write(EVIL_NAME, "a: 1\n")
    reg.commit("evil name")
    for fmt, escaped in ESCAPED_NAME.items():
        result = gfops("check", "--base", "main", "--head", "HEAD", "--format", fmt, cwd=reg.path)
        assert result.code == 1, (fmt, result.err)  # judged and blocked, not crashed
        lines = [line.lstrip() for line in result.out.splitlines()]
        assert any(line.startswith(FINDING_LINE[fmt]) for line in lines), (fmt, result.out)
        assert not injects_a_workflow_command(result.out), fmt
        # Positive control: the same report with the name printed unescaped is caught.
        unescaped = result.out.replace(escaped, EVIL_NAME)
        assert unescaped != result.out and injects_a_workflow_command(unescaped), fmt


def test_status_is_posted_for_a_pull_request_target_run(
    reg: Repo,
    github: LoopbackGitHub,
    github_env: dict[str, str],
    tmp_path: Path,
    webhook_examples: dict[str, list[dict[str, Any]]],
) -> None:
    head = promotion(reg)
    github.add_pull(PR, author="alice")
    github.pulls[PR]["head"]["sha"] = head
    github.add_review(PR, "dave", "APPROVED", head)
    github.add_commit(PR, author="alice", committer="alice")
    event = json.loads(
        json.dumps(next(e for e in webhook_examples["pull_request"] if e.get("action") == "opened"))
    )
    event["number"] = event["pull_request"]["number"] = PR
    event["pull_request"]["head"]["sha"] = head
    event["pull_request"]["base"]["sha"] = reg.git("rev-parse", "main")
    (tmp_path / "event.json").write_text(json.dumps(event))
    env = github_env | {
        "GITHUB_EVENT_NAME": "pull_request_target",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "42",
    }
    result = gfops("check", "--now", NOW, "--status", "--format", "github", cwd=reg.path, env=env)
    assert result.code == 1, result.err  # one approval of two
    status = github.latest_status(head, "galfriday/reconciler")
    assert (
        status is not None and status["state"] == "failure" and "blocked" in status["description"]
    )
    assert "::error file=models/price-direction/1.2.0.yaml,line=15" in result.out


# ------------------------------------------- offline listings (docs/offline-reviews.md)


def _pages(items: list[Any], shape: str) -> str:
    """``items`` as ``gh api`` writes them: one array, --paginate's arrays one after another
    (one item per page), or --slurp's array of those pages."""
    if shape == "array":
        return json.dumps(items, indent=2)
    if shape == "paginate":
        return "".join(json.dumps([item]) for item in items) + "\n"
    return json.dumps([[item] for item in items])


@pytest.mark.parametrize("shape", ["array", "paginate", "slurp"])
def test_gh_api_output_is_read_as_is(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path, shape: str
) -> None:
    head = promotion(reg)
    args = reviews(github, tmp_path, [("dave", "APPROVED", head), ("erin", "APPROVED", head)])
    for name in ("reviews.json", "commits.json"):
        listing = tmp_path / name
        listing.write_text(_pages(json.loads(listing.read_text()), shape))
    code, report = check(reg, *args)
    assert code == 0 and report["verdict"] == "allowed", report["findings"]
    assert counted(report)["dave"][0] and counted(report)["erin"][0]


def test_the_documented_hand_written_listings_are_read(reg: Repo, tmp_path: Path) -> None:
    from tests.support.docs import DOCS, fenced_block

    doc = DOCS / "offline-reviews.md"
    head = promotion(reg)
    for marker, name in (("offline-reviews-example:", "r"), ("offline-commits-example:", "c")):
        text = fenced_block(doc, f"<!-- {marker}", lang="json").replace("HEAD_SHA", head)
        (tmp_path / f"{name}.json").write_text(text)
    _, report = check(reg, "--reviews", str(tmp_path / "r.json"),
                      "--commits", str(tmp_path / "c.json"), "--pr-author", "alice")  # fmt: skip
    assert counted(report)["bob"] == (True, "approved (teams: ml-team)")
    assert "carol" not in counted(report)  # a comment is not a decision


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"reviews": []}', "expected the JSON array(s) GitHub's API returns"),
        ("[1, 2", "not JSON"),
        ('[{"id": 1, "state": "LGTM", "user": null}]', "unknown review state"),
    ],
)
def test_a_listing_in_another_shape_is_refused_not_read_as_no_reviews(
    reg: Repo, tmp_path: Path, content: str, words: str
) -> None:
    promotion(reg)
    (tmp_path / "bad.json").write_text(content)
    (tmp_path / "none.json").write_text("[]")
    result = gfops("check", "--base", "main", "--head", "HEAD", "--reviews",
                   str(tmp_path / "bad.json"), "--commits", str(tmp_path / "none.json"),
                   "--pr-author", "alice", cwd=reg.path)  # fmt: skip
    assert result.code == 2 and words in result.err, result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
