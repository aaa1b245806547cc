"""``gfops check --base REV --head REV``: judge a pull request (or a merge group).

Both revisions are read as git objects; nothing from the head is executed. Policies
and teams come from the base. Exit 0 allowed, 1 blocked, 2 could not run — and
anything that prevents a sound verdict (an API error, a truncated listing, missing
review data where approvals are needed) blocks rather than passes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from galfriday_gitops import gitio
from galfriday_gitops.cli.output import load_json
from galfriday_gitops.errors import UserError

HELP = "judge a change: diff base..head, apply the base's policies (0 allowed, 1 blocked)"
FORMATS = ("text", "markdown", "json", "sarif", "github")
STATUS_CONTEXT = "galfriday/reconciler"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", help="base revision (default: from --event)")
    parser.add_argument("--head", help="head revision (default: from --event)")
    parser.add_argument(
        "--event", type=Path, help="GitHub event payload (default: $GITHUB_EVENT_PATH)"
    )
    parser.add_argument("--event-name", help="pull_request | pull_request_review | merge_group")
    parser.add_argument("--reviews", type=Path, help="offline: JSON of GitHub's list-reviews")
    parser.add_argument("--commits", type=Path, help="offline: JSON of GitHub's list-PR-commits")
    parser.add_argument("--pr-author", help="offline: the pull request's author login")
    parser.add_argument("--pr-head", help="offline: the PR's head sha (approvals must be on it)")
    parser.add_argument("--now", help="judge as of this UTC date/time (freeze windows)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--comment", action="store_true", help="create/update the PR comment")
    parser.add_argument("--summary", action="store_true", help="append to $GITHUB_STEP_SUMMARY")
    parser.add_argument(
        "--status",
        action="store_true",
        help=f"post commit status {STATUS_CONTEXT!r} on the judged head (branch protection)",
    )


def _event_name(payload: dict[str, Any]) -> str:
    for key, name in (("merge_group", "merge_group"), ("review", "pull_request_review")):
        if key in payload:
            return name
    return "pull_request" if "pull_request" in payload else "push"


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.catalogue import rule
    from galfriday_gitops.findings import printable
    from galfriday_gitops.forge.base import ForgeError
    from galfriday_gitops.forge.events import EVENT_NAMES, ForgeEvent, load_event
    from galfriday_gitops.forge.github import GitHubForge, parse_pull_commits, parse_reviews
    from galfriday_gitops.report import github, markdown, sarif, text
    from galfriday_gitops.rules.engine import reconcile
    from galfriday_gitops.rules.reviews import PullRequestFacts, facts_from_forge

    repo = gitio.toplevel(args.repo)
    event: ForgeEvent | None = None
    event_path = args.event or (Path(p) if (p := os.environ.get("GITHUB_EVENT_PATH")) else None)
    try:
        if event_path is not None:
            name = args.event_name or os.environ.get("GITHUB_EVENT_NAME", "")
            if name not in EVENT_NAMES:
                # pull_request_target / workflow_run: the gate hands over a pull request's
                # payload (GitHub does not let a workflow rename its own event).
                name = _event_name(load_json(event_path, "event"))
            event = load_event(event_path, name)
    except ForgeError as exc:
        raise UserError(str(exc)) from None
    base = args.base or (event.base_sha if event else None)
    head = args.head or (event.head_sha if event else None)
    if not base or not head:
        raise UserError("give --base and --head, or an --event that names them")
    number = event.pr_number if event else None
    if number is None and event is not None and event.merge_queue_prs:
        number = event.merge_queue_prs[0]
    pull: PullRequestFacts | None = None
    forge: GitHubForge | None = None
    try:
        if args.reviews is not None:
            if args.commits is None:
                raise UserError("--reviews needs --commits (commit authors cannot self-approve)")
            author = args.pr_author or (event.author_login if event else None)
            if author is None:
                raise UserError("offline review data needs --pr-author or a pull request --event")
            pr_head = args.pr_head or (
                event.head_sha if event and event.name != "merge_group" else None
            )
            pull = PullRequestFacts(
                number,
                author,
                gitio.rev_parse(repo, pr_head or head),
                tuple(parse_reviews(load_json(args.reviews, "reviews"))),
                tuple(parse_pull_commits(load_json(args.commits, "commits"))),
            )
        elif os.environ.get("GITHUB_TOKEN") and number is not None:
            forge = GitHubForge.from_env()
            pull = facts_from_forge(forge, number)
    except ForgeError as exc:
        raise UserError(f"cannot read the pull request's reviews (blocking): {exc}") from None
    now = None
    if args.now:
        try:
            now = dt.datetime.fromisoformat(args.now).replace(tzinfo=dt.UTC)
        except ValueError:
            raise UserError(f"--now {args.now!r}: expected YYYY-MM-DD[THH:MM]") from None
    try:
        verdict = reconcile(repo, base, head, pull, now)
    except UserError:
        raise
    except Exception as exc:  # fail closed, and say so where the reviewer looks
        if args.debug:
            raise
        finding = rule("GF290").finding(".", 1, f"{type(exc).__name__}: {exc}")
        print(
            f"::error title=GF290 internal-error::{finding.message}"
            if args.format == "github"
            else printable(finding.one_line())
        )
        print("gfops: the reconciler failed; the change is blocked (exit 2)", file=sys.stderr)
        return 2
    if args.format == "json":
        json.dump(verdict.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "sarif":
        json.dump(sarif.render(verdict), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        renderer = {"text": text.render, "markdown": markdown.render, "github": github.render}
        sys.stdout.write(renderer[args.format](verdict))
    if args.summary and (summary := os.environ.get("GITHUB_STEP_SUMMARY")):
        with Path(summary).open("a", encoding="utf-8") as fh:
            fh.write(markdown.render(verdict))
    if args.status:
        # The PR's own head for pull requests (that is what branch protection looks at);
        # the queue's commit for a merge group.
        target = (
            pull.head_sha if pull is not None and event and event.name != "merge_group" else None
        )
        target = target or gitio.rev_parse(repo, head)
        words = "allowed" if verdict.allowed else f"blocked: {len(verdict.findings)} finding(s)"
        server, run_id = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_RUN_ID")
        url = (
            f"{server}/{os.environ.get('GITHUB_REPOSITORY')}/actions/runs/{run_id}"
            if server and run_id
            else None
        )
        try:
            forge = forge or GitHubForge.from_env()
            forge.set_status(
                target,
                "success" if verdict.allowed else "failure",
                STATUS_CONTEXT,
                f"galfriday-gitops: {words}",
                url,
            )
        except ForgeError as exc:
            raise UserError(f"could not post the commit status: {exc}") from None
    if args.comment:
        if number is None:
            raise UserError("--comment needs a pull request (--event of a pull request)")
        try:
            forge = forge or GitHubForge.from_env()
            forge.upsert_comment(number, markdown.MARKER, markdown.render(verdict))
        except ForgeError as exc:
            raise UserError(f"could not update the PR comment: {exc}") from None
    return 0 if verdict.allowed else 1
