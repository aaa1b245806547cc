"""``gfops check`` as CI runs it, with review and commit listings as GitHub returns them
(built by the loopback GitHub, so their shape is checked against the OpenAPI description)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cli import gfops
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo

NOW = "2026-11-24"


def review_args(
    github: LoopbackGitHub,
    tmp: Path,
    approvals: list[tuple[str, str, str]],
    *,
    author: str = "alice",
    committers: tuple[str, ...] = ("alice",),
    pr: int = 7,
) -> list[str]:
    """CLI args with review/commit listings of pull request ``pr`` as GitHub returns them:
    ``approvals`` are (reviewer, state, commit)."""
    if pr not in github.pulls:
        github.add_pull(pr, author=author)
    for login, state, sha in approvals:
        github.add_review(
            pr, login, state, sha, user_type="Bot" if login.endswith("[bot]") else "User"
        )
    for who in committers:
        github.add_commit(pr, author=who, committer=who)
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "reviews.json").write_text(json.dumps(github.reviews[pr]))
    (tmp / "commits.json").write_text(json.dumps(github.commits[pr]))
    return [
        "--reviews",
        str(tmp / "reviews.json"),
        "--commits",
        str(tmp / "commits.json"),
        "--pr-author",
        author,
    ]


def check_json(
    repo: Repo, *extra: str, base: str = "main", head: str = "HEAD", now: str = NOW
) -> tuple[int, dict[str, Any]]:
    """The real ``gfops check`` (JSON report): its exit code (0 or 1) and the report."""
    result = gfops(
        "check", "--base", base, "--head", head, "--now", now, "--format", "json", *extra,
        cwd=repo.path,
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.err
    return result.code, json.loads(result.out)


def rule_ids(report: dict[str, Any], *, notes: bool = False) -> set[str]:
    """The rules with findings (errors and warnings; notes too when asked)."""
    return {f["rule"] for f in report["findings"] if notes or f["severity"] != "note"}


def messages(report: dict[str, Any], rule_id: str) -> list[str]:
    return [f["message"] for f in report["findings"] if f["rule"] == rule_id]
