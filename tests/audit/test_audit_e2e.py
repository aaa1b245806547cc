"""`gfops history`, `gfops audit export` and `gfops audit verify` on real repositories."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from galfriday_gitops import Registry
from tests.support.blobs import count_blob_reads
from tests.support.cli import gfops, imported_top_level
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo
from tests.support.signing import keypair
from tests.support.trail import (
    BOT,
    Pusher,
    copy_of,
    history_fixture,
    new_registry,
    recreate,
    register,
    set_stage,
    tag_message,
)

applied = history_fixture(apply=True)


def verify(repo: Repo) -> tuple[int, list[dict[str, Any]]]:
    result = gfops("audit", "verify", "--format", "json", cwd=repo.path)
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)


def found(findings: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(rule, file) of the error findings (the demo key's warning is checked on its own)."""
    return {(f["rule"], f["file"]) for f in findings if f["severity"] == "error"}


def test_history_is_the_timeline_with_prs_and_approvers(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    result = gfops("history", "price-direction", "--format", "json", cwd=repo.path)
    assert result.code == 0, result.err
    rows = [
        (r["version"], r["event"], r["from"], r["to"], r["pr"], r["approvers"], r["tags"])
        for r in json.loads(result.out)["history"]
    ]
    assert rows == [
        ("1.0.0", "registered", None, "development", 1, [],
         ["price-direction@v1.0.0", "price-direction#development#1"]),
        ("1.0.0", "stage-changed", "development", "testing", 2, [],
         ["price-direction#development!#2", "price-direction#testing#3"]),
        ("1.1.0", "registered", None, "development", 3, [],
         ["price-direction@v1.1.0", "price-direction#development#4"]),
        ("1.0.0", "stage-changed", "testing", "staging", 4, ["bob"],
         ["price-direction#testing!#5", "price-direction#staging#6"]),
        ("1.0.0", "stage-changed", "staging", "production", 5, ["dave", "erin"],
         ["price-direction#staging!#7", "price-direction#production#8"]),
    ]  # fmt: skip
    commits = repo.git("log", "--first-parent", "--format=%H", "main").splitlines()
    assert json.loads(result.out)["history"][-1]["commit"] == commits[1]  # PR 5, before PR 6
    text = gfops("history", "price-direction", cwd=repo.path).out.splitlines()
    assert len(text) == 5 and "staging -> production" in text[-1] and "dave, erin" in text[-1]
    assert "PR #5" in text[-1] and "price-direction#production#8" in text[-1]


def test_history_of_a_misspelt_model_is_an_error_not_an_empty_timeline(
    applied: Path, tmp_path: Path
) -> None:
    repo = copy_of(applied, tmp_path)
    typo = gfops("history", "price-directoin", cwd=repo.path)
    assert typo.code == 2 and "Traceback" not in typo.err
    assert "no model 'price-directoin'" in typo.err and "did you mean 'price-direction'" in typo.err
    # the control: a model removed from main still has its history
    repo.git("rm", "-rq", "models/price-direction")
    repo.commit("remove price-direction")
    removed = gfops("history", "price-direction", "--format", "json", cwd=repo.path)
    assert removed.code == 0, removed.err
    assert len(json.loads(removed.out)["history"]) >= 5


def test_export_reports_the_period(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    result = gfops("audit", "export", "--since", "2000-01-01", "--until", "2100-12-31",
                   cwd=repo.path)  # fmt: skip
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    summary = doc["summary"]
    assert summary["by_type"] == {"registered": 3, "stage-changed": 4}
    assert summary["by_model"] == {
        "price-direction": {"registered": 2, "stage-changed": 3},
        "spread-model": {"registered": 1, "stage-changed": 1},
    }
    assert summary["stage_changes_without_approved_pr"] == 0 and summary["untagged"] == 0
    [prod] = doc["production_changes"]
    assert (prod["version"], prod["from"], prod["to"], prod["pr"], prod["approvers"]) == (
        "1.0.0", "staging", "production", 5, ["dave", "erin"],
    )  # fmt: skip
    governed = [
        (p["pr"], p["paths"], p["approvers"], p["verdict"]) for p in doc["governed_changes"]
    ]
    assert governed == [
        (None, ["policies/allowed_signers", "policies/drift.yaml", "policies/lifecycle.yaml",
                "policies/stages.yaml", "policies/teams.yaml"], [], "genesis"),
        (6, ["policies/teams.yaml"], ["frank"], "allowed"),
    ]  # fmt: skip
    assert doc["governed_changes"][1]["events"] == ["teams-changed"]
    assert summary["governed_changes_without_approved_pr"] == 0
    # A window that holds nothing.
    empty = json.loads(gfops("audit", "export", "--since", "2000-01-01", "--until", "2000-01-02",
                             cwd=repo.path).out)  # fmt: skip
    assert empty["summary"]["events"] == 0 and empty["governed_changes"] == []

    # A direct push (no PR) needing an approval: apply records it as blocked, tags nothing,
    # and the export counts it and fails.
    before = repo.git("rev-parse", "main")
    set_stage(repo, "spread-model", "0.1.0", "staging")
    repo.commit("hotfix straight to main")
    assert gfops("apply", "--before", before, "--no-reviews", cwd=repo.path).code == 1
    csv_out = gfops("audit", "export", "--since", "2000-01-01", "--until", "2100-12-31",
                    "--format", "csv", cwd=repo.path)  # fmt: skip
    assert csv_out.code == 1
    rows = list(csv.DictReader(io.StringIO(csv_out.out)))
    last = [r for r in rows if r["event"] == "stage-changed"][-1]
    fields = ("model", "from", "to", "pr", "approved", "tags")
    assert tuple(last[k] for k in fields) == ("spread-model", "testing", "staging", "", "no", "")
    assert [(r["pr"], r["approvers"]) for r in rows if r["event"] == "teams-changed"] == [
        ("6", "frank")
    ]


def test_verify_passes_on_a_clean_trail_and_catches_a_direct_push(
    applied: Path, tmp_path: Path
) -> None:
    repo = copy_of(applied, tmp_path)
    ok = gfops("audit", "verify", cwd=repo.path)
    assert ok.code == 0 and "ok" in ok.out, ok.out
    # The example policies trust the demo key: said, as a warning that keeps "ok".
    assert "GF313 (warning)" in ok.out and "1 warning" in ok.out
    set_stage(repo, "price-direction", "1.1.0", "testing")
    sha = repo.commit("direct push")
    code, findings = verify(repo)
    assert code == 1
    assert found(findings) == {("GF300", "models/price-direction/1.1.0.yaml")}
    assert sha[:12] in findings[0]["message"] and "development -> testing" in findings[0]["message"]


def test_verify_lists_the_tags_once(
    applied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One listing of every tag (with its message) serves the walk, the commit records and
    GTO's foreign forms: at 60,000 tags each listing is a large read, and one snapshot
    cannot disagree with itself. A forged record and a foreign tag are still caught."""
    from galfriday_gitops import gitio
    from galfriday_gitops.audit.verify import verify as verify_trail

    repo = copy_of(applied, tmp_path)
    repo.git("tag", "price-direction#production", "main")  # GTO's simple form, by hand
    records = repo.git("tag", "--list", "gfops/commit/*").split()
    repo.git("tag", "-f", "-a", "-m", "not a record", records[0], records[0] + "^{}")
    listed: list[tuple[str, ...]] = []
    list_tags = gitio.list_tags

    def spy(repo: Path | str, *patterns: str) -> list[gitio.TagRef]:
        listed.append(patterns)
        return list_tags(repo, *patterns)

    monkeypatch.setattr(gitio, "list_tags", spy)
    findings = verify_trail(repo.path, "main")
    # (A registration's own tags, refs/tags/NAME@vVERSION*, are narrow lookups: not counted.)
    wide = [p for p in listed if p == ("refs/tags",) or any("gfops/commit" in x for x in p)]
    assert wide == [("refs/tags",)]
    rules = {(f.rule, f.file) for f in findings}
    assert ("GF310", "refs/tags/price-direction#production") in rules
    assert ("GF305", f"refs/tags/{records[0]}") in rules


def test_verify_catches_a_force_push(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    repo.git("reset", "-q", "--hard", "main~2")  # drop PRs 5 and 6 from main...
    set_stage(repo, "price-direction", "1.0.0", "canary")
    path = "models/price-direction/1.0.0.yaml"  # a canary needs its share (GF215)
    text = repo.read(path)
    repo.write(path, text.replace("          # edited\n", "\n  rollout: {trafficPercent: 10}\n", 1))
    repo.commit("rewritten history")  # ...and push something else in their place
    code, findings = verify(repo)
    assert code == 1
    dropped = repo.git("rev-parse", "ORIG_HEAD")  # what the reset threw away (PR 6's merge)
    assert {
        ("GF302", "refs/tags/price-direction#staging!#7"),
        ("GF302", "refs/tags/price-direction#production#8"),
        ("GF302", f"refs/tags/gfops/commit/{repo.git('rev-parse', f'{dropped}~1')}"),
        ("GF302", f"refs/tags/gfops/commit/{dropped}"),
        ("GF300", "models/price-direction/1.0.0.yaml"),
    } == found(findings)


def test_verify_catches_a_forged_tag(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    name = "price-direction#staging#6"
    forged = (
        tag_message(repo, name)
        .replace('"pr": 4', '"pr": 44')
        .replace('"version": "1.0.0"', '"version": "1.1.0"')
    )
    recreate(repo, name, forged)
    code, findings = verify(repo)
    assert code == 1
    got = found(findings)
    assert ("GF305", f"refs/tags/{name}") in got  # 1.1.0 did not move to staging there
    assert ("GF306", "refs/tags/price-direction#staging!#7") in got  # chains to the original
    assert ("GF300", "models/price-direction/1.0.0.yaml") in got  # the real change lost its tag
    message = next(f["message"] for f in findings if f["rule"] == "GF305")
    assert "testing -> staging" in message


def test_verify_catches_a_deleted_tag(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    repo.git("tag", "-d", "price-direction#testing#3")
    code, findings = verify(repo)
    assert code == 1
    assert found(findings) == {
        ("GF300", "models/price-direction/1.0.0.yaml"),
        ("GF306", "refs/tags/price-direction@v1.1.0"),  # position 4 of the chain: 3 is gone
    }


def test_verify_catches_a_wrong_tagger_and_a_backdated_tag(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    name = "spread-model#testing#3"
    message = tag_message(repo, name)
    target = repo.git("rev-parse", f"refs/tags/{name}^{{commit}}")
    subprocess.run(
        ["git", "-C", str(repo.path), "tag", "-f", "-a", "--cleanup=verbatim", "-F", "-", name,
         target],
        input=message, text=True, check=True, capture_output=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_COMMITTER_NAME": "mallory",
             "GIT_COMMITTER_EMAIL": "m@evil.example", "GIT_COMMITTER_DATE": "1000000000 +0000"},
    )  # fmt: skip
    code, findings = verify(repo)
    assert code == 1
    assert {(r, f) for r, f in found(findings) if f == f"refs/tags/{name}"} == {
        ("GF303", f"refs/tags/{name}"),
        ("GF304", f"refs/tags/{name}"),  # mallory could not sign as the bot
        ("GF307", f"refs/tags/{name}"),
    }


def test_signed_tags_verify_and_a_key_not_allowed_is_caught(
    tmp_path: Path, github: LoopbackGitHub
) -> None:
    allowed, allowed_pub = keypair(tmp_path, "allowed")
    other, _ = keypair(tmp_path, "other")
    repo = new_registry(tmp_path / "registry")
    # The registry's own key, from its first commit on (its genesis).
    repo.write("policies/allowed_signers", f"{BOT[1]} {allowed_pub}\n")
    assert "allowedSigners: allowed_signers" in repo.read("policies/teams.yaml")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--amend", "--no-edit")
    before = repo.git("rev-parse", "main")
    pusher = Pusher(repo, github)
    # Without a signing key, apply refuses to write tags that would not verify.
    repo.git("config", "--unset", "user.signingkey")
    pusher.open(1, lambda: register(repo, "price-direction", "1.0.0"))
    pusher.land(1)
    refused = pusher.apply(before)
    assert refused.code == 2 and "must be signed" in refused.err
    repo.git("config", "user.signingkey", str(allowed))
    assert pusher.apply(before).code == 0
    pusher.merge(2, lambda: set_stage(repo, "price-direction", "1.0.0", "testing"))
    assert "SSH SIGNATURE" in repo.git("cat-file", "-p", "refs/tags/price-direction#testing#3")
    code, findings = verify(repo)
    assert (code, findings) == (0, [])  # signed by a key of its own: not even the warning
    name = "price-direction#testing#3"  # the last tag: only its signature changes
    recreate(repo, name, tag_message(repo, name), sign_with=other)
    code, findings = verify(repo)
    assert code == 1
    assert found(findings) == {("GF304", f"refs/tags/{name}")}
    assert "does not verify against policies/allowed_signers" in findings[0]["message"]


def test_unsigned_records_are_unverifiable_unless_the_policy_accepts_them(
    tmp_path: Path, github: LoopbackGitHub
) -> None:
    repo = new_registry(tmp_path / "registry")
    teams = repo.read("policies/teams.yaml").replace(", allowedSigners: allowed_signers", "")
    repo.write("policies/teams.yaml", teams)
    (repo.path / "policies" / "allowed_signers").unlink()
    repo.git("add", "-A")
    repo.git("commit", "-q", "--amend", "--no-edit")  # no signing, from the genesis on
    repo.git("config", "--unset", "user.signingkey")
    pusher = Pusher(repo, github)
    assert pusher.apply().code == 0
    pusher.merge(1, lambda: register(repo, "price-direction", "1.0.0"))
    result = gfops("audit", "verify", "--format", "json", cwd=repo.path)
    assert result.code == 3  # nothing found wrong, nothing that proves it: not "ok"
    (finding,) = json.loads(result.out)
    assert (finding["rule"], finding["file"]) == ("GF311", "policies/teams.yaml")
    assert "4 audit record(s) of 2 commit(s)" in finding["message"]
    assert "UNVERIFIABLE" in gfops("audit", "verify", cwd=repo.path).out

    # The policy says, in writing, that unsigned records are accepted: ok (a reviewed PR).
    tagger = 'tagger: "galfriday-bot <bot@galfriday.dev>"'
    accept = teams.replace(tagger, f"{tagger}, acceptUnsigned: true")
    assert accept != teams
    pusher.merge(2, lambda: repo.write("policies/teams.yaml", accept), ("frank",))
    accepted = gfops("audit", "verify", "--format", "json", cwd=repo.path)
    # Records written before the policy accepted them stay unverifiable: 3 of them now.
    assert accepted.code == 3 and "GF311" in accepted.out
    pusher.merge(3, lambda: set_stage(repo, "price-direction", "1.0.0", "testing"))
    later = gfops("audit", "verify", "--format", "json", cwd=repo.path)
    records: list[dict[str, Any]] = json.loads(later.out)
    assert [f["rule"] for f in records] == ["GF311"]
    # genesis, PR 1 and PR 2 (judged under the policy before it): PR 3's are not counted.
    assert "5 audit record(s) of 3 commit(s)" in records[0]["message"]


def test_a_policy_change_that_drops_a_stage_in_use_is_red(
    applied: Path, tmp_path: Path, github: LoopbackGitHub
) -> None:
    """The gate judged it by the policy it replaces; main's state after it, by its own."""
    repo = copy_of(applied, tmp_path)
    before = repo.git("rev-parse", "main")
    stages = repo.read("policies/stages.yaml")
    dropped = (
        stages.replace("development: [testing, archived]\n", "development: [staging, archived]\n")
        .replace("    testing: [staging, development, archived]\n", "")
        .replace("    staging: [canary, production, testing, archived]\n",
                 "    staging: [canary, production, archived]\n")
    )  # fmt: skip
    assert dropped.count("testing") == 0
    pusher = Pusher(repo, github)
    pusher.open(7, lambda: repo.write("policies/stages.yaml", dropped), ("frank",))
    sha = pusher.land(7)
    result = pusher.apply(before, "--format", "json")
    assert result.code == 1
    report = json.loads(result.out)
    stray = [f for f in report["findings"] if f["rule"] == "GF312"]
    assert {f["file"] for f in stray} == {"models/spread-model/0.1.0.yaml"}  # still in testing
    assert sha[:12] in stray[0]["message"] and "testing" in stray[0]["message"]
    code, findings = verify(repo)
    assert code == 1 and ("GF312", "models/spread-model/0.1.0.yaml") in found(findings)


def test_history_of_an_unknown_model_is_an_error(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    result = gfops("history", "price-directoin", cwd=repo.path)
    assert result.code == 2 and "no model 'price-directoin'" in result.err
    assert "did you mean 'price-direction'" in result.err
    assert gfops("history", "spread-model", cwd=repo.path).code == 0  # control


def _blobs_under(repo: Repo, folder: str) -> set[str]:
    """Every blob id a file under ``folder`` had in main's history."""
    listed = repo.git("rev-list", "--objects", "main", "--", folder).splitlines()
    return {line.split()[0] for line in listed if line.partition(" ")[2].startswith(folder)}


def test_history_reads_only_that_models_folder_and_tags(
    applied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from galfriday_gitops.audit.history import Change, timeline

    repo = copy_of(applied, tmp_path)
    shutil.rmtree(repo.path / ".git" / "galfriday")  # cold: apply's cache was copied too
    read = count_blob_reads(monkeypatch)
    mine = timeline(repo.path, "main", "spread-model")
    assert [c.kind if isinstance(c, Change) else "foreign" for c in mine] == [
        "registered",
        "stage-changed",
    ]
    assert read and not set(read) & _blobs_under(repo, "models/price-direction/")
    own = len(read)
    read.clear()
    everything = timeline(repo.path, "main")  # the control: every model's changes
    assert len(everything) == 7 and len(read) > own
    assert set(read) & _blobs_under(repo, "models/price-direction/")
    via_api = Registry(repo.path, rev="main").history("spread-model")
    assert [(e.event, e.version, e.to_stage, e.pr) for e in via_api] == [
        ("registered", "0.1.0", "development", 1),
        ("stage-changed", "0.1.0", "testing", 2),
    ]
    assert via_api[0].tags == ("spread-model@v0.1.0", "spread-model#development#1")


def test_history_on_a_warm_cache_builds_no_validator(applied: Path, tmp_path: Path) -> None:
    """``gfops history MODEL`` diffs each step from the cached index and validated data:
    once the files are parsed it imports no pydantic at all (building the manifest
    validator was a third of the command's time at 10,000 manifests)."""
    repo = copy_of(applied, tmp_path)
    shutil.rmtree(repo.path / ".git" / "galfriday", ignore_errors=True)
    # Control: a cold run parses the manifests, through the schema.
    assert "pydantic" in imported_top_level("history", "spread-model", cwd=repo.path)
    warm = imported_top_level("history", "spread-model", cwd=repo.path)
    assert "galfriday_gitops" in warm and "pydantic" not in warm
    result = gfops("history", "spread-model", cwd=repo.path)
    assert result.code == 0 and "registered" in result.out


def test_history_lists_only_that_models_commit_records_and_changed_paths(
    applied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One model's timeline lists the commit records of the commits that touched its
    folder, and its tags once; each step's changed paths come from the diff that derived
    the step's state (inside the folder), not from a second ``git diff`` per commit, and
    not from every record, tag and path of main (at 10,000 commits and manifests those
    listings were most of ``history MODEL``'s time)."""
    from galfriday_gitops import gitio
    from galfriday_gitops.audit.history import timeline

    repo = copy_of(applied, tmp_path)
    tags_listed: list[str] = []
    commands: list[tuple[str, ...]] = []
    list_tags, git = gitio.list_tags, gitio.git

    def spy_tags(*args: Any, **kwargs: Any) -> list[gitio.TagRef]:
        found = list_tags(*args, **kwargs)
        tags_listed.extend(t.name for t in found)
        return found

    def spy_git(repo: Path | str, *args: str, **kwargs: Any) -> bytes:
        commands.append(args)
        return git(repo, *args, **kwargs)

    monkeypatch.setattr(gitio, "list_tags", spy_tags)
    monkeypatch.setattr(gitio, "git", spy_git)
    touching = repo.git("rev-list", "--first-parent", "main", "--", "models/spread-model")
    mine = {f"gfops/commit/{sha}" for sha in touching.split()}
    every = set(repo.git("tag", "--list", "gfops/commit/*").split())
    assert len(mine) == 2 and len(every) > len(mine)

    rows = timeline(repo.path, "main", "spread-model")
    assert rows and {t for t in tags_listed if t.startswith("gfops/commit/")} == mine
    model_tags = [t for t in tags_listed if t.startswith("spread-model")]
    assert model_tags and len(model_tags) == len(set(model_tags))  # listed once, not twice
    steps = [c for c in commands if c[0] == "diff-tree"]
    assert steps and all(c[-1] == "models/spread-model" for c in steps)
    assert not [c for c in commands if c[0] == "diff"]  # no second listing of each step
    tags_listed.clear()
    commands.clear()
    timeline(repo.path, "main")  # the control: the whole registry's timeline lists them all
    assert {t for t in tags_listed if t.startswith("gfops/commit/")} == every
    listed = [c for c in commands if c[0] == "diff"]
    assert listed and any(c[-1:] == ("--",) for c in listed)  # every path of each commit
