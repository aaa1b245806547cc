"""The preview of a proposed change: the reconciler's own verdict on it, before any review.

A write verb does not guess what the gate will say. The planned files are committed as
an unreferenced commit object on the base (no branch, no work tree, no index touched) and
:func:`galfriday_gitops.rules.engine.reconcile` judges base → that commit with the base's
policies, exactly as ``gfops check`` will judge the pull request. The pull request is not
reviewed yet, so the approval rules see an empty review list: what they report (GF202,
GF213) is what the change still needs, rendered as pending rather than failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from galfriday_gitops import gitcommit
from galfriday_gitops.findings import Severity
from galfriday_gitops.rules.engine import Verdict, reconcile
from galfriday_gitops.rules.reviews import PullRequestFacts

#: Findings that say "approvals still missing": pending on a PR nobody has reviewed yet.
PENDING_RULES = frozenset({"GF202", "GF213"})


def preview(
    repo: Path,
    base_commit: str,
    files: Mapping[str, bytes | None],
    *,
    author: str | None = None,
    now: dt.datetime | None = None,
) -> Verdict:
    """The reconciler's verdict on ``files`` committed on ``base_commit``, with no reviews."""
    head = gitcommit.commit_files(
        repo, base_commit, dict(files), "galfriday preview (unreferenced)"
    )
    unreviewed = PullRequestFacts(number=None, author=author, head_sha=head)
    return reconcile(repo, base_commit, head, unreviewed, now)


def once_approved(verdict: Verdict) -> bool:
    """Whether the change will be allowed once its pending approvals are given."""
    return not any(
        f.rule not in PENDING_RULES for f in verdict.findings if f.severity is Severity.ERROR
    )
