"""`gfops apply` end to end: real repositories, the real CLI, GTO itself as the reader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import GFOPS, gfops
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo, make_repo
from tests.support.signing import sign_as_demo
from tests.support.trail import (
    BOT,
    Pusher,
    audit_tags,
    commit_record,
    copy_of,
    gto_tags,
    history_fixture,
    set_stage,
    tag_record,
)

applied = history_fixture(apply=True)
unapplied = history_fixture(apply=False)

# What the history in trail.py must leave: GTO names, counters per model, in write order.
EXPECTED_TAGS = {
    "price-direction@v1.0.0",
    "price-direction#development#1",
    "spread-model@v0.1.0",
    "spread-model#development#1",
    "price-direction#development!#2",
    "price-direction#testing#3",
    "spread-model#development!#2",
    "spread-model#testing#3",
    "price-direction@v1.1.0",
    "price-direction#development#4",
    "price-direction#testing!#5",
    "price-direction#staging#6",
    "price-direction#staging!#7",
    "price-direction#production#8",
}


def test_apply_writes_gto_tags_with_records_and_is_idempotent(
    applied: Path, tmp_path: Path
) -> None:
    repo = copy_of(applied, tmp_path)
    before = audit_tags(repo)
    assert set(gto_tags(repo)) == EXPECTED_TAGS
    # Stage tags point at the version's registration commit (that is how GTO finds it).
    registered = repo.git("rev-parse", "refs/tags/price-direction@v1.0.0^{commit}")
    assert repo.git("rev-parse", "refs/tags/price-direction#production#8^{commit}") == registered
    assert repo.git("log", "-1", "--format=%s", registered).startswith("Merge pull request #1 ")

    record = tag_record(repo, "price-direction#production#8")
    assert record["event"] == "stage-changed" and record["action"] == "assign"
    assert (record["from"], record["to"], record["pr"]) == ("staging", "production", 5)
    assert record["approvers"] == ["dave", "erin"] and record["approvals_needed"] == 2
    assert record["approved"] is True and record["actor"] == "alice"
    assert record["verdict"] == "allowed"
    assert {k for k, v in record["rules"].items() if v == "failed"} == set()
    assert (
        str(record["policy_digest"]).startswith("sha256:")
        and len(str(record["policy_digest"])) == 71
    )
    assert record["commit"] == repo.git("rev-parse", "main~1")  # PR 5's merge (PR 6 is last)
    # The hash chain: each tag names the previous tag object of the same model.
    assert record["prev"] == before["price-direction#staging!#7"] and record["seq"] == 10
    staging = tag_record(repo, "price-direction#staging#6")
    assert staging["approvers"] == ["bob"] and staging["pr"] == 4
    tagger = repo.git(
        "for-each-ref", "--format=%(taggername) %(taggeremail)", "refs/tags/price-direction@v1.0.0"
    )
    assert tagger == f"{BOT[0]} <{BOT[1]}>"
    subject = repo.git(
        "for-each-ref", "--format=%(contents:subject)", "refs/tags/price-direction#staging#6"
    )
    assert subject == "price-direction 1.0.0: testing -> staging (PR #4, approved by bob)"
    # Every tag is SSH-signed (the example policies list allowed signers).
    assert "SSH SIGNATURE" in repo.git("cat-file", "-p", "refs/tags/price-direction#staging#6")

    # One commit record per first-parent commit: the genesis, then each merged PR.
    commits = repo.git("rev-list", "--first-parent", "--reverse", "main").split()
    records = [commit_record(repo, sha) for sha in commits]
    assert [r["verdict"] if r else None for r in records] == ["genesis"] + ["allowed"] * 6
    assert [r["pr"] if r else None for r in records] == [None, 1, 2, 3, 4, 5, 6]
    teams = records[-1]
    assert teams is not None
    assert (teams["approved"], teams["approvers"], teams["governed"]) == (
        True, ["frank"], ["policies/teams.yaml"],
    )  # fmt: skip

    again = gfops("apply", "--after", "main", "--no-reviews", "--format", "json", cwd=repo.path)
    assert again.code == 0, again.err
    report = json.loads(again.out)
    # It starts after the newest recorded commit: nothing left to judge, nothing written.
    assert (report["start"], report["created"], report["commits"]) == (commits[-1], 0, [])
    assert audit_tags(repo) == before  # not one tag object changed


def test_gto_show_agrees_with_status(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    gto = Path(sys.executable).with_name("gto")
    shown = subprocess.run(
        [str(gto), "show", "--json", "--vs", "-1"],  # every version of a stage, not only
        cwd=repo.path, capture_output=True, text=True, check=True,  # the one assigned last
    )  # fmt: skip
    # gto also lists stages that once had a version, with null: no version is there now.
    gto_state = {
        model: {"stage": {s: v for s, v in info["stage"].items() if v is not None}}
        for model, info in json.loads(shown.stdout).items()
    }
    status = json.loads(gfops("status", "--format", "json", cwd=repo.path).out)["models"]
    assert set(gto_state) == set(status) == {"price-direction", "spread-model"}
    for model, stages in status.items():
        ours = {stage: sorted("v" + v for v in versions) for stage, versions in stages.items()}
        theirs = {s: sorted(v.split(", ")) for s, v in gto_state[model]["stage"].items()}
        assert theirs == ours, model
    assert gto_state["price-direction"]["stage"] == {
        "production": "v1.0.0",
        "development": "v1.1.0",
    }


def test_two_concurrent_applies_leave_one_consistent_trail(unapplied: Path, tmp_path: Path) -> None:
    repo = copy_of(unapplied, tmp_path)
    assert audit_tags(repo) == {}
    # No review data: every merge is judged as a direct push, so PRs 4 and 5 (approvals
    # needed) and 6 (a governed path) are blocked, by both runs alike.
    cmd = [*GFOPS, "apply", "--after", "main", "--no-reviews", "--format", "json"]
    procs = [
        subprocess.Popen(
            cmd, cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    # Hang guard (a deadlock between the two would hang): both finish in ~3 s when quiet.
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [1, 1], [e for _, e in outs]
    unblocked = EXPECTED_TAGS - {
        "price-direction#testing!#5",
        "price-direction#staging#6",
        "price-direction#staging!#7",
        "price-direction#production#8",
    }
    assert set(gto_tags(repo)) == unblocked
    reports = [json.loads(o) for o, _ in outs]
    created = sum(r["created"] for r in reports)
    assert created == len(unblocked)  # each tag created by exactly one of the two
    records = [c for r in reports for c in r["commits"] if c["status"] == "created"]
    assert len(records) == 7  # each commit recorded once, by one of the two
    verify = gfops("audit", "verify", "--format", "json", cwd=repo.path)
    rules = {f["rule"] for f in json.loads(verify.out) if f["severity"] == "error"}
    # Unapproved: PRs 4 and 5 (stage changes), PR 6 (teams). Nothing else is wrong.
    assert rules == {"GF301", "GF309"}, verify.out


def test_a_tag_name_taken_by_another_target_is_an_error_naming_both(
    unapplied: Path, tmp_path: Path
) -> None:
    repo = copy_of(unapplied, tmp_path)
    elsewhere = repo.git("rev-parse", "main~2")
    repo.git("tag", "-a", "-m", "someone else's", "price-direction@v1.1.0", elsewhere)
    result = gfops("apply", "--after", "main", "--no-reviews", cwd=repo.path)
    assert result.code == 2
    assert "tag price-direction@v1.1.0 already exists" in result.err
    assert f"target {elsewhere[:12]}" in result.err  # the existing one
    wanted = repo.git("log", "--first-parent", "--format=%H", "--grep", "#3 ", "main")
    assert f"target {wanted[:12]}" in result.err and "1.1.0: registered" in result.err


def test_push_sends_the_new_tags(applied: Path, tmp_path: Path, github: LoopbackGitHub) -> None:
    repo = copy_of(applied, tmp_path)
    remote = repo.add_origin(tmp_path / "remote.git", push=True)
    before = repo.git("rev-parse", "main")
    pusher = Pusher(repo, github)
    pusher.open(9, lambda: set_stage(repo, "spread-model", "0.1.0", "staging"), ("bob",))
    after = pusher.land(9)
    result = pusher.apply(before, "--push")
    assert result.code == 0, result.err
    remote_tags = subprocess.run(
        ["git", "-C", str(remote), "tag", "-l"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert set(remote_tags) == {
        "spread-model#testing!#4",
        "spread-model#staging#5",
        f"gfops/commit/{after}",
    }


def log_pushes(remote: Path) -> Path:
    """A pre-receive hook on ``remote`` that logs each push as one line: the refs it
    updates (GitHub starts workflows for the tags of a push only when it holds <= 3)."""
    log = remote.parent / "pushes.log"
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\ncut -d' ' -f3 | paste -sd' ' >> '{log}'\n", encoding="utf-8")
    hook.chmod(0o755)
    return log


def pushes_of(log: Path) -> list[list[str]]:
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    return [line.split() for line in text.splitlines()]


@pytest.mark.parametrize("batch", [None, "10"])
def test_push_sends_at_most_three_tags_per_push_so_deploys_fire(
    batch: str | None, applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    """Two promotions in one run: six tags. Pushed at once, GitHub would start no workflow
    for any of them (the deploy on `*#production#*` never fires); by default each push
    holds at most three, each commit's record after its tags. The control raises the batch
    (as a one-off backfill may) and the hook sees the one push of six."""
    repo = copy_of(applied, tmp_path)
    remote = repo.add_origin(tmp_path / "remote.git", push=True)
    log = log_pushes(remote)
    before = repo.git("rev-parse", "main")
    pusher = Pusher(repo, github)
    pusher.open(9, lambda: set_stage(repo, "spread-model", "0.1.0", "staging"), ("bob",))
    staged = pusher.land(9)
    pusher.open(10, lambda: set_stage(repo, "spread-model", "0.1.0", "production"),
                ("dave", "erin"))  # fmt: skip
    shipped = pusher.land(10)
    extra = ("--push-batch", batch) if batch else ()
    result = pusher.apply(before, "--push", *extra)
    assert result.code == 0, result.err
    pushed = [[ref.removeprefix("refs/tags/") for ref in push] for push in pushes_of(log)]
    everything = [
        "spread-model#testing!#4", "spread-model#staging#5", f"gfops/commit/{staged}",
        "spread-model#staging!#6", "spread-model#production#7", f"gfops/commit/{shipped}",
    ]  # fmt: skip
    if batch:
        assert pushed == [everything]
    else:
        assert pushed == [everything[:3], everything[3:]]


def test_a_push_batch_below_one_is_refused_before_anything_is_written(repo: Repo) -> None:
    sign_as_demo(repo.path)
    result = gfops("apply", "--no-reviews", "--push", "--push-batch", "0", cwd=repo.path)
    assert result.code == 2 and "--push-batch must be at least 1" in result.err
    assert audit_tags(repo) == {}
    assert gfops("apply", "--no-reviews", cwd=repo.path).code == 0  # the control


@pytest.mark.parametrize("before", ["0" * 40, None])
def test_from_the_root_backfills_an_existing_registry(repo: Repo, before: str | None) -> None:
    sign_as_demo(repo.path)
    args = ["apply", "--after", "main", "--no-reviews", "--format", "json"]
    if before:
        args += ["--before", before]
    result = gfops(*args, cwd=repo.path)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert {t["tag"] for t in report["tags"]} == {
        "price-direction@v1.0.0",
        "price-direction#deprecated#1",
        "price-direction@v1.1.0",
        "price-direction#production#2",
        "price-direction@v1.2.0",
        "price-direction#staging#3",
    }
    # The import is the registry's genesis: recorded, never approved (nothing could be).
    [genesis] = report["commits"]
    assert (genesis["verdict"], genesis["record"]["approved"]) == ("genesis", False)
    # This project's registry was imported in one commit: GTO cannot tell those apart.
    assert "GTO allows one version per commit" in result.err


def test_apply_without_review_data_refuses_to_record_blind(repo: Repo) -> None:
    sign_as_demo(repo.path)
    result = gfops("apply", "--after", "main", cwd=repo.path, env={"GITHUB_TOKEN": ""})
    assert result.code == 2 and "--no-reviews" in result.err
    assert audit_tags(repo) == {}
    control = gfops("apply", "--after", "main", "--no-reviews", cwd=repo.path)
    assert control.code == 0, control.err


def test_a_genesis_whose_state_breaks_its_own_policy_is_red(repo: Repo) -> None:
    """An imported registry holding two production versions (capacity 1): nothing judged
    the import as a change, but main's state after it is still checked, by apply and by
    verify; the control is the same import as it is (one version in production)."""
    sign_as_demo(repo.path)
    control = gfops("apply", "--after", "main", "--no-reviews", cwd=repo.path)
    assert control.code == 0, control.err

    breach = make_repo(repo.path.parent / "breach")
    set_stage(breach, "price-direction", "1.2.0", "production")
    breach.git("commit", "-q", "-a", "--amend", "--no-edit")  # still the one, root commit
    sha = breach.git("rev-parse", "main")
    assert breach.git("rev-list", "--count", "main") == "1"
    sign_as_demo(breach.path)
    result = gfops("apply", "--after", "main", "--no-reviews", "--format", "json", cwd=breach.path)
    assert result.code == 1, result.err
    report = json.loads(result.out)
    [finding] = [f for f in report["findings"] if f["rule"] == "GF308"]
    assert finding["file"].startswith("models/price-direction/"), finding
    assert sha[:12] in finding["message"] and "GF206" in finding["message"]
    assert "genesis" in finding["message"]
    [genesis] = report["commits"]
    assert (genesis["verdict"], genesis["record"]["approved"]) == ("genesis", False)
    verified = gfops("audit", "verify", "--format", "json", cwd=breach.path)
    assert verified.code == 1, verified.err
    assert any(
        f["rule"] == "GF308" and "GF206" in f["message"] and sha[:12] in f["message"]
        for f in json.loads(verified.out)
    )
