"""A merge group, judged pull request by pull request.

GitHub's merge queue gives every queued pull request a branch
``gh-readonly-queue/<base>/pr-<N>-<queued head sha>`` whose tip is the base branch plus every
pull request ahead of it in the queue plus its own changes; a ``merge_group`` event names
one such tip (``head_sha``) and its parent (``base_sha``): the base branch's head, or the tip
of the entry ahead of it. So a group's head can hold several pull requests' changes, and
judging base → head with the reviews of the one pull request the event names would let the
others borrow its approvals, or be blocked for lack of theirs.

Here the group is decomposed along its first parents, from the base branch's current head
(asked of the forge) up to the group's head: every queue tip on the way closes one pull
request's segment. Each segment is judged by the reconciler with its own pull request's
reviews (approvals must be on the head that was queued), with the policies of the commit it
applies to, exactly as if the queued pull requests merged one after another; whole-state
rules of the last segment see the group's merged state. The group is blocked (GF223) when
its base is neither the base branch's head nor a queue tip on it, when its head does not sit
on the base branch's head, or when a commit cannot be attributed to a queued pull request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.catalogue import rule
from galfriday_gitops.findings import Finding
from galfriday_gitops.forge.base import Forge, ForgeError
from galfriday_gitops.forge.events import ForgeEvent, parse_queue_entry
from galfriday_gitops.rules.engine import Verdict
from galfriday_gitops.rules.reviews import PullRequestFacts, facts_from_forge

QUEUE_PREFIX = "gh-readonly-queue"

Judge = Callable[[Path, str, str, PullRequestFacts | None, dt.datetime | None], Verdict]


@dataclass(frozen=True, slots=True)
class Entry:
    """One queued pull request: its number, the head that was queued, its queue tip."""

    number: int
    queued_head: str
    tip: str


@dataclass(frozen=True, slots=True)
class Segment:
    """The commits one queued pull request brings: ``start`` (exclusive) .. ``entry.tip``."""

    start: str
    entry: Entry


def queue_entries(forge: Forge, branch: str) -> dict[str, Entry]:
    """The merge queue of ``branch`` as the forge holds it: tip sha -> entry."""
    entries = {}
    for ref in forge.matching_refs(f"heads/{QUEUE_PREFIX}/{branch}/"):
        queued_base, number, head = parse_queue_entry(ref.ref)
        if queued_base == branch:
            entries[ref.sha] = Entry(number, head, ref.sha)
    return entries


def _blocked(message: str) -> Finding:
    return rule("GF223").finding(".", 1, message, hint="let the merge queue rebuild the group")


def segments(
    repo: Path, event: ForgeEvent, main_head: str, entries: dict[str, Entry]
) -> list[Segment] | Finding:
    """The pull requests of the group, oldest first, or why the group cannot be judged."""
    _, number, queued_head = parse_queue_entry(event.head_ref)
    entries = {**entries, event.head_sha: Entry(number, queued_head, event.head_sha)}
    branch = event.base_ref.removeprefix("refs/heads/")
    if event.base_sha != main_head and event.base_sha not in entries:
        return _blocked(
            f"the merge group's base {event.base_sha[:12]} is neither {branch}'s head "
            f"{main_head[:12]} nor a queued group on it"
        )
    chain = gitio.first_parent_log(repo, event.head_sha, exclude=main_head)
    if not chain or chain[0].first_parent != main_head:
        return _blocked(
            f"the merge group's head {event.head_sha[:12]} does not sit on {branch}'s head "
            f"{main_head[:12]}"
        )
    out, start = [], main_head
    for commit in chain:
        if commit.sha in entries:
            out.append(Segment(start, entries[commit.sha]))
            start = commit.sha
    if event.base_sha not in {main_head, *(s.entry.tip for s in out)}:
        return _blocked(f"the merge group's base {event.base_sha[:12]} is not on its chain")
    return out


def _facts(forge: Forge, entry: Entry) -> PullRequestFacts:
    """The pull request's reviews and commits; approvals must be on the head that was queued."""
    try:
        facts = facts_from_forge(forge, entry.number)
    except ForgeError as exc:
        raise ForgeError(f"cannot read pull request #{entry.number}'s reviews: {exc}") from exc
    return replace(facts, head_sha=entry.queued_head)


def _tagged(verdict: Verdict, number: int) -> Verdict:
    """The verdict of one pull request's segment, every finding and approval naming it."""
    return replace(
        verdict,
        findings=[replace(f, message=f"#{number}: {f.message}") for f in verdict.findings],
        reviews=[replace(r, pull=number) for r in verdict.reviews or []],
        tallies=[(f"#{number} {what}", t) for what, t in verdict.tallies],
    )


def judge_group(
    repo: Path, event: ForgeEvent, forge: Forge, judge: Judge, now: dt.datetime | None
) -> Verdict:
    """One verdict for the group: base = the base branch's head, head = the group's head,
    the events, findings, reviews and approvals of every queued pull request in it."""
    branch = event.base_ref.removeprefix("refs/heads/")
    main_head = forge.branch_head(branch)
    found = segments(repo, event, main_head, queue_entries(forge, branch))
    if isinstance(found, Finding):
        return Verdict(main_head, event.head_sha, [], [found], [], [])
    parts = []
    for seg in found:
        verdict = judge(repo, seg.start, seg.entry.tip, _facts(forge, seg.entry), now)
        parts.append(_tagged(verdict, seg.entry.number))
    return Verdict(
        main_head,
        event.head_sha,
        [e for p in parts for e in p.events],
        [f for p in parts for f in p.findings],
        [r for p in parts for r in p.reviews or []],
        [t for p in parts for t in p.tallies],
    )
