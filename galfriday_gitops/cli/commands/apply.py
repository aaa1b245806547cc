"""``gfops apply --before SHA --after SHA``: write the audit tags of a pushed range.

Run on push to main (GitHub's ``before``/``after``; an all-zero or missing
``--before`` means the whole history, which is also how an existing registry is
backfilled). Review data comes from the forge when GITHUB_TOKEN is set, or offline
from ``--reviews/--commits`` as for ``gfops check``. Exit 0 written or nothing to do,
2 could not run (including a tag name taken by a different fact).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from galfriday_gitops import gitio
from galfriday_gitops.cli.output import add_format, load_json, print_json
from galfriday_gitops.errors import UserError

HELP = "write the audit trail of a pushed range as GTO-compatible annotated tags"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--before", help="the previous tip (default / all zeros: from the root)")
    parser.add_argument("--after", default="HEAD", help="the new tip (default: HEAD)")
    parser.add_argument("--push", action="store_true", help="push the range's tags to --remote")
    parser.add_argument("--remote", default="origin", help="remote for --push (default: origin)")
    parser.add_argument("--actor", help="who pushed (default: $GITHUB_ACTOR)")
    parser.add_argument("--reviews", type=Path, help="offline: JSON of GitHub's list-reviews")
    parser.add_argument("--commits", type=Path, help="offline: JSON of GitHub's list-PR-commits")
    parser.add_argument("--pr-author", help="offline: the pull request's author login")
    parser.add_argument(
        "--pr", type=int, help="offline: the PR the review data is for (default: newest commit's)"
    )
    parser.add_argument(
        "--pr-head", help="offline: the PR's head sha (default: the merge's second parent)"
    )
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.apply.apply import apply, pr_number
    from galfriday_gitops.forge.base import ForgeError
    from galfriday_gitops.forge.github import GitHubForge, parse_pull_commits, parse_reviews
    from galfriday_gitops.rules.reviews import PullRequestFacts, facts_from_forge

    repo = gitio.toplevel(args.repo)
    actor = args.actor or os.environ.get("GITHUB_ACTOR") or None
    offline: tuple[Any, Any] | None = None
    if args.reviews is not None or args.commits is not None:
        if args.reviews is None or args.commits is None or not args.pr_author:
            raise UserError("offline review data needs --reviews, --commits and --pr-author")
        offline = (
            tuple(parse_reviews(load_json(args.reviews, "reviews"))),
            tuple(parse_pull_commits(load_json(args.commits, "commits"))),
        )
    offline_pr: int | None = args.pr
    if offline is not None and offline_pr is None:
        newest = gitio.first_parent_log(repo, args.after, paths=())[-1:]
        offline_pr = pr_number(newest[0].subject) if newest else None
    forge: GitHubForge | None = None
    cache: dict[int, PullRequestFacts] = {}

    def facts(entry: gitio.LogEntry, number: int | None) -> PullRequestFacts | None:
        nonlocal forge
        if number is None:
            return None  # a direct push: no pull request, nothing approved it
        if offline is not None:
            if number != offline_pr:
                return None
            head = args.pr_head or (entry.parents[1] if len(entry.parents) > 1 else entry.sha)
            return PullRequestFacts(
                number, args.pr_author, gitio.rev_parse(repo, head), offline[0], offline[1]
            )
        if not os.environ.get("GITHUB_TOKEN"):
            return None
        if number not in cache:
            try:
                forge = forge or GitHubForge.from_env()
                cache[number] = facts_from_forge(forge, number)
            except ForgeError as exc:
                raise UserError(f"cannot read the reviews of PR #{number}: {exc}") from None
        return cache[number]

    result = apply(repo, args.before, args.after, actor=actor, facts=facts)
    if args.push:
        gitio.push_tags(repo, args.remote, list(dict.fromkeys(o.name for o in result.outcomes)))
    for warning in result.warnings:
        print(f"gfops: warning: {warning}", file=sys.stderr)
    if args.format == "json":
        print_json(
            {
                "created": len(result.created),
                "tags": [o.to_dict() for o in result.outcomes],
                "warnings": result.warnings,
                "pushed": bool(args.push),
            }
        )
        return 0
    for o in result.outcomes:
        print(f"{o.status:8} {o.name:40} {o.target[:12]}  {o.record.summary()}")
    existing = len(result.outcomes) - len(result.created)
    print(f"{len(result.created)} tag(s) written, {existing} already present")
    return 0
