"""Code owners as approvers: ``approvals.codeOwners: true`` makes the owners of a changed
manifest, in the base revision's CODEOWNERS (GitHub's file, syntax and precedence:
:mod:`galfriday_gitops.forge.codeowners`), eligible to approve its stage change.

An owner ``@user`` is that login; ``@org/team`` is the Teams resource's team of that name
(our teams are the ones whose members we know without an org-admin token); an email or an
unknown team is reported as unresolvable (GF224, a warning) and counts nobody. Invalid
lines of the base's file are warnings (GitHub skips them too); a pull request that changes
a CODEOWNERS file must leave it valid (GF224, an error at the head's line).
"""

from __future__ import annotations

from dataclasses import replace

from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.findings import Finding, Severity
from galfriday_gitops.forge.codeowners import LOCATIONS, CodeOwners, Owner
from galfriday_gitops.rules.context import Context
from galfriday_gitops.rules.reviews import Eligible


def _members(ctx: Context, owner: Owner) -> set[str] | None:
    """The logins an owner stands for (lower case); None when it cannot be resolved."""
    if owner.kind == "user":
        return {owner.name.lower()}
    if owner.kind == "team" and ctx.teams is not None:
        members = ctx.teams.spec.teams.get(owner.name)
        return {m.lower() for m in members} if members is not None else None
    return None


def eligible_owners(ctx: Context, path: str) -> Eligible:
    """The code owners of ``path`` at the base, as approvers of a change to it."""
    owners_file = ctx.code_owners("base")
    if owners_file is None:
        return Eligible(f"code owners of {path} (no CODEOWNERS at the base)", frozenset())
    owners = owners_file.owners_of(path)
    logins: set[str] = set()
    for owner in owners:
        logins |= _members(ctx, owner) or set()
    named = ", ".join(str(o) for o in owners) or "none"
    return Eligible(f"code owners of {path} ({named})", frozenset(logins))


def _line_errors(owners_file: CodeOwners, severity: Severity, what: str) -> list[Finding]:
    found = rule("GF224")
    return [
        replace(found.finding(owners_file.path, e.line, f"{what}: {e.message}"), severity=severity)
        for e in owners_file.errors
    ]


def _unresolved(ctx: Context, owners_file: CodeOwners) -> list[Finding]:
    """Owners of the changed manifests that name nobody we know."""
    findings = []
    seen: set[tuple[int, str]] = set()
    for event in ctx.events:
        entry = owners_file.match(event.path) if event.name else None
        if entry is None:
            continue
        for owner in entry.owners:
            if _members(ctx, owner) is None and (entry.line, str(owner)) not in seen:
                seen.add((entry.line, str(owner)))
                why = (
                    "an email address cannot be matched to a login"
                    if owner.kind == "email"
                    else f"the Teams resource has no team {owner.name!r}"
                )
                findings.append(
                    replace(
                        rule("GF224").finding(
                            owners_file.path,
                            entry.line,
                            f"code owner {owner} of {event.path} cannot approve: {why}",
                            hint="name users or teams of the Teams resource in CODEOWNERS",
                        ),
                        severity=Severity.WARNING,
                    )
                )
    return findings


def code_owner_findings(ctx: Context, *, used: bool) -> list[Finding]:
    """Errors in a CODEOWNERS file the change brings; when the change's approvals use code
    owners (``used``), warnings for the base file's invalid lines and unresolvable owners."""
    findings = []
    changed = {e.path for e in ctx.events if e.kind is EventKind.REPO_CONFIG_CHANGED}
    if changed & set(LOCATIONS):
        head_file = ctx.code_owners("head")
        if head_file is not None and head_file.path in changed:
            findings += _line_errors(head_file, Severity.ERROR, "invalid CODEOWNERS line")
    base_file = ctx.code_owners("base") if used else None  # read only when it matters
    if base_file is not None:
        findings += _line_errors(
            base_file, Severity.WARNING, "CODEOWNERS line skipped at the base, as GitHub does"
        )
        findings += _unresolved(ctx, base_file)
    return findings
