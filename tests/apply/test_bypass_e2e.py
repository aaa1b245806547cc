"""Protection bypassed, and the audit says so: real repositories, the real CLI, the loopback
GitHub for pull requests and reviews, GTO as a reader.

Each attack lands on main around the gate; ``gfops apply`` (as the push workflow runs it) or
``gfops audit verify`` turns red with a rule id naming the commit and the file, and no record
says "approved" for it. Each has a control that is allowed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from gto.tag import parse_name

from tests.support.cli import gfops
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo
from tests.support.trail import (
    Pusher,
    approved_records,
    commit_record,
    copy_of,
    gto_tags,
    history_fixture,
    recreate,
    register,
    set_stage,
    tag_message,
)

applied = history_fixture(apply=True)
GTO = str(Path(sys.executable).with_name("gto"))


def applied_json(pusher: Pusher, before: str | None) -> tuple[int, dict[str, Any]]:
    result = pusher.apply(before, "--format", "json")
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)


def verify(repo: Repo) -> tuple[int, list[dict[str, Any]]]:
    result = gfops("audit", "verify", "--format", "json", cwd=repo.path)
    assert result.code in (0, 1, 3), result.err
    return result.code, json.loads(result.out)


def named(findings: list[dict[str, Any]], rule: str, file: str, sha: str) -> dict[str, Any]:
    """The finding of ``rule`` on ``file`` that names commit ``sha`` (fails if none does)."""
    hits = [
        f for f in findings if f["rule"] == rule and f["file"] == file and sha[:12] in f["message"]
    ]
    assert hits, (
        f"no {rule} on {file} naming {sha[:12]} in {[(f['rule'], f['file']) for f in findings]}"
    )
    return hits[0]


def errors(findings: list[dict[str, Any]]) -> set[str]:
    return {f["rule"] for f in findings if f["severity"] == "error"}


def direct(repo: Repo, change: Any, message: str) -> tuple[str, str]:
    """Commit ``change`` straight onto main (protection bypassed); (before, after)."""
    before = repo.git("rev-parse", "main")
    change()
    return before, repo.commit(message)


def to_staging(pusher: Pusher, number: int) -> None:
    """spread-model 0.1.0 testing -> staging through an approved PR (the starting point)."""
    repo = pusher.repo
    pusher.merge(number, lambda: set_stage(repo, "spread-model", "0.1.0", "staging"), ("bob",))


def gto_production(repo: Repo, model: str) -> str | None:
    shown = subprocess.run([GTO, "show", "--json"], cwd=repo.path, capture_output=True,
                           text=True, check=True)  # fmt: skip
    stages: dict[str, str | None] = json.loads(shown.stdout)[model]["stage"]
    return stages.get("production")


# ------------------------------------------------------------------------- the seven cases


def test_a_direct_push_to_production_is_red_and_recorded_as_blocked(
    applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    repo = copy_of(applied, tmp_path)
    pusher = Pusher(repo, github)
    to_staging(pusher, 7)
    manifest = "models/spread-model/0.1.0.yaml"
    before, sha = direct(
        repo, lambda: set_stage(repo, "spread-model", "0.1.0", "production"), "hotfix: ship it"
    )
    code, report = applied_json(pusher, before)
    assert code == 1
    finding = named(report["findings"], "GF301", manifest, sha)
    assert "no merged pull request made this commit" in finding["message"]
    assert [c["verdict"] for c in report["commits"]] == ["blocked"] and report["tags"] == []
    assert approved_records(repo, sha) == []
    # GTO (and DVC through it) keep the last approved state: nothing reads the push as a stage.
    assert gto_production(repo, "spread-model") is None
    vcode, findings = verify(repo)
    assert vcode == 1 and named(findings, "GF301", manifest, sha)

    # Control: the same promotion through a pull request the leads approved.
    control = copy_of(applied, tmp_path / "control")
    pusher = Pusher(control, github)
    to_staging(pusher, 17)
    before = control.git("rev-parse", "main")
    pusher.open(18, lambda: set_stage(control, "spread-model", "0.1.0", "production"),
                ("dave", "erin"))  # fmt: skip
    merged = pusher.land(18)
    code, report = applied_json(pusher, before)
    assert (code, report["findings"]) == (0, [])
    assert approved_records(control, merged)  # the tags and the commit record say approved
    assert gto_production(control, "spread-model") == "v0.1.0"
    assert verify(control)[0] == 0


def test_a_force_pushed_range_is_red(applied: Path, tmp_path: Path, github: LoopbackGitHub) -> None:
    repo = copy_of(applied, tmp_path)
    old_tip = repo.git("rev-parse", "main")
    dropped = repo.git("rev-list", "--first-parent", "-2", "main").split()  # PRs 6 and 5
    repo.git("reset", "-q", "--hard", "main~2")
    _, sha = direct(
        repo, lambda: set_stage(repo, "price-direction", "1.0.0", "canary"), "rewritten history"
    )
    code, report = applied_json(Pusher(repo, github), old_tip)  # GitHub's before: the old tip
    assert code == 1
    for gone in dropped:
        named(report["findings"], "GF302", f"refs/tags/gfops/commit/{gone}", gone)
    named(report["findings"], "GF301", "models/price-direction/1.0.0.yaml", sha)
    assert approved_records(repo, sha) == []
    vcode, findings = verify(repo)
    assert vcode == 1 and {"GF302", "GF301"} <= errors(findings)

    # Control: a fast-forward push (a merged, approved pull request) rewrites nothing.
    control = copy_of(applied, tmp_path / "control")
    pusher = Pusher(control, github)
    before = control.git("rev-parse", "main")
    to_staging(pusher, 7)
    assert "GF302" not in {f["rule"] for f in applied_json(pusher, before)[1]["findings"]}


def test_a_capacity_breach_through_two_stale_green_prs_is_red(
    applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    repo = copy_of(applied, tmp_path)
    pusher = Pusher(repo, github)
    to_staging(pusher, 7)
    pusher.merge(8, lambda: register(repo, "spread-model", "0.2.0"))
    pusher.merge(9, lambda: set_stage(repo, "spread-model", "0.2.0", "testing"))
    pusher.merge(10, lambda: set_stage(repo, "spread-model", "0.2.0", "staging"), ("bob",))
    # Two PRs from the same main, each green there: either would be the first production one.
    leads = ("dave", "erin")
    pusher.open(11, lambda: set_stage(repo, "spread-model", "0.1.0", "production"), leads)
    pusher.open(12, lambda: set_stage(repo, "spread-model", "0.2.0", "production"), leads)
    for number in (11, 12):
        head = repo.git("rev-parse", f"pr-{number}")
        check = gfops("check", "--base", "main", "--head", head, "--format", "json",
                      "--reviews", str(_dump(tmp_path, github.reviews[number])),
                      "--commits", str(_dump(tmp_path, github.commits[number])),
                      "--pr-author", "alice", cwd=repo.path)  # fmt: skip
        assert check.code == 0, check.out  # green, against the main both were cut from
    before = repo.git("rev-parse", "main")
    first = pusher.land(11)
    code, report = applied_json(pusher, before)
    assert (code, report["findings"]) == (0, [])  # the control: the first one is fine
    before, second = first, pusher.land(12)  # the stale green check of the second one
    code, report = applied_json(pusher, before)
    assert code == 1
    breach = capacity(report["findings"], second)
    assert "0.1.0, 0.2.0" in breach["message"]
    assert approved_records(repo, second) == [] and approved_records(repo, first)
    record = commit_record(repo, second)
    assert record is not None and record["verdict"] == "blocked" and record["pr"] == 12
    vcode, findings = verify(repo)
    assert vcode == 1 and capacity(findings, second)


def capacity(findings: list[dict[str, Any]], sha: str) -> dict[str, Any]:
    """The GF308 finding that names the capacity rule (GF206) for ``sha``'s manifest."""
    hits = [
        f
        for f in findings
        if f["rule"] == "GF308"
        and f["file"] == "models/spread-model/0.2.0.yaml"
        and sha[:12] in f["message"]
        and "GF206 capacity" in f["message"]
    ]
    assert hits, findings
    return hits[0]


def _dump(tmp: Path, data: Any) -> Path:
    path = tmp / f"data-{abs(hash(json.dumps(data, sort_keys=True)))}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_direct_policy_relaxation_is_red(
    applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    def relax(repo: Repo) -> None:
        text = repo.read("policies/stages.yaml")
        repo.write("policies/stages.yaml", text.replace(
            "approvals: {count: 2, from: [ml-leads]}", "approvals: {count: 1, from: [ml-leads]}"
        ))  # fmt: skip

    repo = copy_of(applied, tmp_path)
    before, sha = direct(repo, lambda: relax(repo), "one lead is enough")
    assert repo.git("diff", "--stat", "HEAD~1")  # it really changed the policy
    code, report = applied_json(Pusher(repo, github), before)
    assert code == 1
    named(report["findings"], "GF309", "policies/stages.yaml", sha)
    assert approved_records(repo, sha) == []
    vcode, findings = verify(repo)
    assert vcode == 1 and named(findings, "GF309", "policies/stages.yaml", sha)
    export = gfops("audit", "export", "--since", "2000-01-01", "--until", "2100-01-01",
                   cwd=repo.path)  # fmt: skip
    assert export.code == 1  # a governed change without an approved PR fails the export

    # Control: the same change through a pull request the policy owners approved.
    control = copy_of(applied, tmp_path / "control")
    pusher = Pusher(control, github)
    merged = pusher.merge(7, lambda: relax(control), ("frank",))
    record = commit_record(control, merged)
    assert record is not None and (record["approved"], record["approvers"]) == (True, ["frank"])
    assert verify(control)[0] == 0


def test_a_forged_unsigned_record_is_red(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    assert verify(repo)[0] == 0  # the control: the trail as apply signed it
    # A direct push, then its record forged as anyone who can push a tag could: the commit
    # record and the staging tag claim an approved PR #77; neither is signed.
    _, sha = direct(repo, lambda: set_stage(repo, "spread-model", "0.1.0", "staging"), "quick fix")
    claim = {"commit": sha, "parent": repo.git("rev-parse", "HEAD~1"), "verdict": "allowed",
             "pr": 77, "approved": True, "approvers": ["dave", "erin"]}  # fmt: skip
    message = f"forged\n\n--- galfriday-commit/v1 ---\n{json.dumps(claim)}\n"
    repo.git("tag", "-a", "-m", message, f"gfops/commit/{sha}", sha)
    name = "spread-model#staging#4"
    target = repo.git("rev-parse", "spread-model@v0.1.0^{}")
    repo.git("tag", "-a", "-m", "placeholder", name, target)
    template = tag_message(repo, "spread-model#testing#3")
    old_commit = repo.git("rev-parse", "main~5")  # PR 2's merge, which that tag records
    assert old_commit in template and '"pr": 2' in template
    forged = (
        template.replace('"to": "testing"', '"to": "staging"')
        .replace('"from": "development"', '"from": "testing"')
        .replace(old_commit, sha)
        .replace('"pr": 2', '"pr": 77')
    )
    recreate(repo, name, forged)
    code, findings = verify(repo)
    assert code == 1
    record = f"refs/tags/gfops/commit/{sha}"
    named(findings, "GF305", record, sha)  # claims a PR the commit does not name
    named(findings, "GF305", f"refs/tags/{name}", sha)
    assert {("GF304", record), ("GF304", f"refs/tags/{name}")} <= {
        (f["rule"], f["file"]) for f in findings
    }  # unsigned, where the policies list allowed signers
    named(findings, "GF300", "models/spread-model/0.1.0.yaml", sha)  # the change itself


def test_a_gto_simple_tag_is_red(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    assert verify(repo)[0] == 0  # the control: apply's own tags, every one with its record
    assert gto_production(repo, "price-direction") == "v1.0.0"
    # GTO takes a stage's newest tag by date, in whole seconds, and apply dates a burst of
    # tags one second apart (so DVC and GTO order them): up to a few seconds ahead of the
    # clock. A person runs `gto assign` later than that; so does this test (GTO dates its
    # tag with the real clock). The bound is a hang guard, not a speed check.
    newest = int(repo.git("for-each-ref", "--sort=-creatordate", "--count=1",
                          "--format=%(creatordate:unix)", "refs/tags"))  # fmt: skip
    deadline = time.monotonic() + 120
    while time.time() < newest + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    shell = subprocess.run(
        [GTO, "assign", "price-direction", "--version", "v1.1.0", "--stage", "production",
         "--simple", "true"],
        cwd=repo.path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert shell.returncode == 0, shell.stderr
    assert "price-direction#production" in gto_tags(repo)
    assert gto_production(repo, "price-direction") == "v1.1.0"  # GTO believes it
    code, findings = verify(repo)
    assert code == 1
    (simple,) = [f for f in findings if f["rule"] == "GF310"]
    assert simple["file"] == "refs/tags/price-direction#production"
    assert "simple form" in simple["message"] and "(1.1.0)" in simple["message"]
    history = gfops("history", "price-direction", "--format", "json", cwd=repo.path)
    rows = json.loads(history.out)["history"]
    assert any(r.get("foreign") and r["tags"] == ["price-direction#production"] for r in rows)
    text = gfops("history", "price-direction", cwd=repo.path).out
    assert "price-direction#production  (a tag gfops apply did not write" in text


def test_three_quick_pushes_with_the_middle_run_cancelled(
    applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    """GitHub keeps one running and one pending run per concurrency group and cancels the
    older pending one: the middle push's run never happens. The third run still judges it."""
    repo = copy_of(applied, tmp_path)
    pusher = Pusher(repo, github)
    tip = repo.git("rev-parse", "main")
    pusher.open(7, lambda: set_stage(repo, "spread-model", "0.1.0", "staging"), ("bob",))
    first = pusher.land(7)
    assert applied_json(pusher, tip)[0] == 0  # run 1
    _, middle = direct(
        repo, lambda: set_stage(repo, "price-direction", "1.1.0", "staging"), "quick"
    )  # run 2: cancelled, never ran
    pusher.open(8, lambda: register(repo, "spread-model", "0.2.0"))
    third = pusher.land(8)
    code, report = applied_json(pusher, middle)  # run 3: GitHub's before is the middle push
    assert code == 1
    assert report["start"] == first  # from the newest recorded commit, not from --before
    assert [c["commit"] for c in report["commits"]] == [middle, third]
    named(report["findings"], "GF301", "models/price-direction/1.1.0.yaml", middle)
    assert approved_records(repo, middle) == [] and approved_records(repo, third)
    code, again = applied_json(pusher, third)  # the next push's run: all recorded, no finding
    assert (code, again["start"], again["commits"], again["findings"]) == (0, third, [], [])


def test_three_quick_pushes_control_and_a_run_cancelled_mid_commit(
    applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    repo = copy_of(applied, tmp_path)
    pusher = Pusher(repo, github)
    tip = repo.git("rev-parse", "main")
    pusher.open(7, lambda: set_stage(repo, "spread-model", "0.1.0", "staging"), ("bob",))
    pusher.land(7)
    pusher.open(8, lambda: set_stage(repo, "price-direction", "1.1.0", "testing"))
    middle = pusher.land(8)  # an approved PR this time; its run is cancelled
    pusher.open(9, lambda: register(repo, "spread-model", "0.2.0"))
    third = pusher.land(9)
    code, report = applied_json(pusher, middle)
    assert (code, report["findings"]) == (0, [])
    assert report["start"] == tip and approved_records(repo, middle)
    # A run cancelled after a commit's tags but before its record: the next run judges that
    # commit again, finds its tags (the same facts) and writes only the record.
    repo.git("tag", "-d", f"gfops/commit/{third}")
    code, report = applied_json(pusher, third)
    assert code == 0 and {t["status"] for t in report["tags"]} == {"exists"}
    assert [c["commit"] for c in report["commits"]] == [third]
    assert verify(repo)[0] == 0


# Every other form GTO writes, as someone with push access and the gto CLI would write it
# (the simple form is the case above): each is a tag GTO and DVC read, with no record.
GTO_BY_HAND = {
    "assign": (["assign", "price-direction", "--version", "v1.1.0", "--stage", "production",
                "--simple", "false"], "price-direction#production#9", "GF305"),
    "unassign": (["deprecate", "price-direction", "v1.0.0", "production"],
                 "price-direction#production!#9", "GF305"),
    "deregister": (["deprecate", "price-direction", "v1.1.0"], "price-direction@v1.1.0!", "GF305"),
    "deprecate": (["deprecate", "price-direction"], "price-direction@deprecated", "GF310"),
    "register": (["register", "price-direction", "--version", "v9.0.0"],
                 "price-direction@v9.0.0", "GF305"),
}  # fmt: skip


@pytest.mark.parametrize("form", sorted(GTO_BY_HAND))
def test_every_gto_tag_form_written_by_hand_is_red(
    form: str, applied: Path, tmp_path: Path
) -> None:
    """The control is the clean trail of the simple-tag case (verify ok before the tag)."""
    args, name, rule = GTO_BY_HAND[form]
    repo = copy_of(applied, tmp_path)
    before = set(gto_tags(repo))
    shell = subprocess.run([GTO, *args], cwd=repo.path, capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert shell.returncode == 0, shell.stderr
    assert set(gto_tags(repo)) - before == {name}
    assert parse_name(name)  # GTO (and DVC through it) read it as one of theirs
    code, findings = verify(repo)
    assert code == 1
    assert errors_on(findings) == {(rule, f"refs/tags/{name}")}


def errors_on(findings: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(f["rule"], f["file"]) for f in findings if f["severity"] == "error"}


def test_a_version_born_into_production_by_a_direct_push_is_red(
    applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    """A new version registered straight into production (no PR, not the initial stage):
    apply writes no tag for it, so GTO and DVC keep serving the approved version."""
    repo = copy_of(applied, tmp_path)
    manifest = "models/spread-model/0.2.0.yaml"
    before, sha = direct(
        repo, lambda: register(repo, "spread-model", "0.2.0", "production"), "ship 0.2.0"
    )
    code, report = applied_json(Pusher(repo, github), before)
    assert code == 1
    born = named(report["findings"], "GF308", manifest, sha)
    assert "GF201" in born["message"]
    named(report["findings"], "GF301", manifest, sha)  # and nothing approved it
    assert report["tags"] == [] and approved_records(repo, sha) == []
    assert gto_production(repo, "spread-model") is None
    vcode, findings = verify(repo)
    assert vcode == 1 and "GF201" in named(findings, "GF308", manifest, sha)["message"]

    # Control: the same version registered in the initial stage through a pull request.
    control = copy_of(applied, tmp_path / "control")
    pusher = Pusher(control, github)
    before = control.git("rev-parse", "main")
    merged = pusher.merge(7, lambda: register(control, "spread-model", "0.2.0"))
    code, report = applied_json(pusher, before)
    assert (code, report["findings"]) == (0, [])
    assert approved_records(control, merged)
    assert verify(control)[0] == 0


def test_a_promotion_whose_approver_left_the_team_before_merge_is_red(
    applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    """Approved by both leads while erin was one; a reviewed teams change removes her; the
    promotion's green check is stale when it lands. Judged as merged (base: main with the
    new teams), it has one lead's approval of the two production needs. The control: a
    teams change that removes someone else lands in between instead."""
    manifest = "models/spread-model/0.1.0.yaml"

    def land_after(
        repo: Repo, teams_change: tuple[str, str], first: int
    ) -> tuple[str, int, dict[str, Any]]:
        pusher = Pusher(repo, github)  # one loopback GitHub: PR numbers from ``first`` on
        to_staging(pusher, first)
        pusher.open(first + 1, lambda: set_stage(repo, "spread-model", "0.1.0", "production"),
                    ("dave", "erin"))  # fmt: skip
        teams = repo.read("policies/teams.yaml")
        assert teams_change[0] in teams
        pusher.merge(first + 2, lambda: repo.write("policies/teams.yaml",
                     teams.replace(*teams_change)), ("frank",))  # fmt: skip  # allowed
        before = repo.git("rev-parse", "main")
        sha = pusher.land(first + 1)
        return (sha, *applied_json(pusher, before))

    repo = copy_of(applied, tmp_path)
    sha, code, report = land_after(
        repo, ("ml-leads: [dave, erin, grace]", "ml-leads: [dave, grace, ivan]"), 7
    )
    assert code == 1
    finding = named(report["findings"], "GF308", manifest, sha)
    assert "GF202" in finding["message"]
    record = commit_record(repo, sha)
    assert record is not None and (record["verdict"], record["pr"]) == ("blocked", 8)
    assert approved_records(repo, sha) == [] and report["tags"] == []
    assert gto_production(repo, "spread-model") is None
    vcode, findings = verify(repo)
    assert vcode == 1 and named(findings, "GF301", manifest, sha)

    control = copy_of(applied, tmp_path / "control")
    sha, code, report = land_after(
        control, ("[alice, bob, carol, gina]", "[alice, bob, carol]"), 17
    )
    assert (code, report["findings"]) == (0, [])
    assert approved_records(control, sha)
    assert gto_production(control, "spread-model") == "v0.1.0"


GOVERNED_BY_HAND = {
    # The bytes of a registered version: its .dvc hash swapped (a model no one reviewed).
    "artifact": ("artifacts/price-direction/1.0.0/model.json.dvc",
                 "outs:\n- md5: 0123456789abcdef0123456789abcdef\n"
                 "  size: 100\n  path: model.json\n"),
    # What git and DVC treat as an artifact.
    "attributes": (".gitattributes", "*.json filter=lfs diff=lfs merge=lfs -text\n"),
    # The gate itself.
    "workflow": (".github/workflows/check.yml", "name: check\non: push\njobs: {}\n"),
    # Where DVC fetches the artifacts from, and who may approve (GF213 governs both in a PR).
    "dvc-config": (".dvc/config", "[core]\n    remote = elsewhere\n"),
    "codeowners": ("CODEOWNERS", "* @mallory\n"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(GOVERNED_BY_HAND))
def test_a_direct_push_to_a_governed_path_is_red(
    case: str, applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    """Paths that change what is served or how it is judged, pushed around the gate: each
    is GF309 on that path naming the commit, in apply and in verify, with no approved record."""
    path, text = GOVERNED_BY_HAND[case]
    repo = copy_of(applied, tmp_path)
    before, sha = direct(repo, lambda: repo.write(path, text), f"quietly change {path}")
    assert repo.git("diff", "--name-only", "HEAD~1") == path
    code, report = applied_json(Pusher(repo, github), before)
    assert code == 1
    named(report["findings"], "GF309", path, sha)
    assert approved_records(repo, sha) == []
    vcode, findings = verify(repo)
    assert vcode == 1 and named(findings, "GF309", path, sha)


def test_a_governed_path_changed_through_an_approved_pr_is_allowed(
    applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    """The control of the case above: a workflow change the policy owners approved."""
    path, text = GOVERNED_BY_HAND["workflow"]
    repo = copy_of(applied, tmp_path)
    pusher = Pusher(repo, github)
    merged = pusher.merge(7, lambda: repo.write(path, text), ("frank",))
    record = commit_record(repo, merged)
    assert record is not None and (record["approved"], record["governed"]) == (True, [path])
    assert verify(repo)[0] == 0
    # The export lists it with its PR and approvers, as it lists policy and teams changes.
    export = gfops("audit", "export", "--since", "2000-01-01", "--until", "2100-01-01",
                   cwd=repo.path)  # fmt: skip
    assert export.code == 0, export.err
    governed = [
        (g["pr"], g["paths"], g["approvers"]) for g in json.loads(export.out)["governed_changes"]
    ]
    assert governed[-1] == (7, [path], ["frank"])
