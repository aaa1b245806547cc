"""The report says precisely why (issue 11, "Deliver": the report bullet).

Every review that did not count names its reason: the author, a person who pushed a
commit, an approval of an older commit, of a commit force-pushed away (named), a bot, a
dismissed review, a valid approval from outside the team the stage needs. An immutable
field shows its base and head values; a symlink names its target without following it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.support.cli import gfops
from tests.support.gate import NOW, check_json, messages
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo

PR = 9
MANIFEST = "models/price-direction/1.2.0.yaml"


def test_every_review_that_did_not_count_says_why(
    repo: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    repo.git("checkout", "-q", "-b", "canary", "main")
    repo.write(MANIFEST, repo.read(MANIFEST).replace("  stage: staging", "  stage: canary", 1))
    first = repo.commit("1.2.0 to canary")
    repo.write(MANIFEST, repo.read(MANIFEST).replace("metadata:", "metadata:  # canary", 1))
    head = repo.commit("a comment")
    gone = "f" * 40  # a commit the author force-pushed away
    github.add_pull(PR, author="alice")
    github.add_commit(PR, author="alice", committer="alice", sha=first)
    github.add_commit(PR, author="alice", committer="erin", sha=head)
    for login, state, sha in [
        ("alice", "APPROVED", head),
        ("erin", "APPROVED", head),  # committed the head commit
        ("dave", "APPROVED", first),  # an older commit of this pull request
        ("grace", "APPROVED", gone),
        ("renovate[bot]", "APPROVED", head),
        ("bob", "APPROVED", head),  # valid, but canary needs ml-leads
    ]:
        github.add_review(PR, login, state, sha, user_type="Bot" if "[bot]" in login else "User")
    github.add_review(PR, "frank", "APPROVED", head)
    github.add_review(PR, "frank", "DISMISSED", head)
    (tmp_path / "reviews.json").write_text(json.dumps(github.reviews[PR]))
    (tmp_path / "commits.json").write_text(json.dumps(github.commits[PR]))
    listings = ["--reviews", str(tmp_path / "reviews.json"), "--commits"]
    args = [*listings, str(tmp_path / "commits.json"), "--pr-author", "alice", "--pr-head", head]
    code, report = check_json(repo, *args)
    assert code == 1
    why = {r["reviewer"]: r["reason"] for r in report["reviews"]}
    assert why == {
        "alice": "author: the pull request's author cannot approve it",
        "erin": f"pushed a commit to this pull request (committed {head[:7]})",
        "dave": f"approved an older commit {first[:7]}; the head is now {head[:7]}",
        "grace": "approved fffffff, which is no longer in the pull request's history "
        f"(force-pushed away); the head is now {head[:7]}",
        "renovate[bot]": "bot: bots cannot approve",
        "bob": "approved (teams: ml-team)",
        "frank": "dismissed: the review was dismissed",
    }
    (tally,) = report["approvals"]
    assert {n["reviewer"]: n["reason"] for n in tally["not_counted"]}["bob"] == "not in ml-leads"
    # The same reasons where the reviewer reads them: the PR comment.
    markdown = gfops(
        "check", "--base", "main", "--head", "HEAD", "--now", NOW, "--format", "markdown", *args,
        cwd=repo.path,
    ).out  # fmt: skip
    assert "bob (not in ml-leads)" in markdown
    assert "(force-pushed away)" in markdown and f"approved an older commit {first[:7]}" in markdown


def test_an_immutable_field_shows_both_values(
    repo: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    repo.git("checkout", "-q", "-b", "polish", "main")
    repo.write(MANIFEST, repo.read(MANIFEST).replace("framework: numpy", "framework: torch", 1))
    repo.commit("polish a fact")
    code, report = check_json(repo)
    assert code == 1
    (message,) = messages(report, "GF208")
    assert 'spec.framework: base "numpy", head "torch"' in message


def test_a_symlink_names_its_target_without_reading_it(repo: Repo, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT\n")
    repo.git("checkout", "-q", "-b", "link", "main")
    os.symlink(secret, repo.path / "models/price-direction/9.9.9.yaml")
    repo.commit("a manifest that is a link")
    code, report = check_json(repo)
    assert code == 1
    (message,) = messages(report, "GF122")
    assert f"models/price-direction/9.9.9.yaml -> '{secret}'" in message
    assert "TOP-SECRET" not in json.dumps(report)
    # The work tree says the same (gfops validate reads the link, never the file).
    result = gfops("validate", "--format", "json", cwd=repo.path)
    assert result.code == 1 and str(secret) in result.out and "TOP-SECRET" not in result.out
