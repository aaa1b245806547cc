"""Stage policies that cannot mean what they say, found when a revision is loaded.

A policy file can be valid on its own and still describe a gate nobody can pass, or one
that lets everything through: a protected stage (``protectedStages``: canary and production
unless the policy says otherwise) without approvals, a team that the Teams resource does
not define, or a count the eligible people cannot reach once the change's author, who may
never approve their own change, is left out. Each is a load-phase finding (GF115, GF116)
with the file and line, so ``gfops validate``, pre-commit and ``gfops check`` (head findings
block; base findings stop every change until main is fixed) all show it. They are asked for
(:func:`gate_findings`) by what validates or judges, not computed by every load: reading the
registry (``gfops status``) never builds a policy's validator.

A stage is exempt from the protection only by saying so where every report prints it:
``approvalsWaived: <reason>``. A protected stage that no transition leads into (nor the
initial stage) is not checked: nothing can enter it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from galfriday_gitops.catalogue import rule
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.safe_yaml import Path as DocPath
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.resources import Approvals, ModelStage, StagePolicy, Teams

LineOf = Callable[[str, DocPath], int]


@dataclass(frozen=True, slots=True)
class _Where:
    """One approval rule of a policy file: where its parts are, and what it is for."""

    file: str
    teams_at: DocPath  # the YAML path of its list of teams
    count_at: DocPath  # the line that says how many approvals
    what: str  # "production approvals", "changes the owners approve", ...

    @classmethod
    def of(cls, file: str, at: DocPath, what: str) -> _Where:
        """An ``approvals`` mapping at ``at``: ``from`` and ``count`` inside it."""
        return cls(file, (*at, "from"), (*at, "count"), what)


def _enterable(policy: StagePolicy) -> set[ModelStage]:
    spec = policy.spec
    return {spec.initial_stage} | {to for targets in spec.transitions.values() for to in targets}


def _unknown_teams(
    where: _Where, names: list[str], teams: Teams | None, line_of: LineOf
) -> list[Finding]:
    known = set(teams.spec.teams) if teams is not None else set()
    findings = []
    for i, team in enumerate(names):
        if team not in known:
            defined = ", ".join(sorted(known)) or "none: there is no Teams resource"
            findings.append(
                rule("GF116").finding(
                    where.file,
                    line_of(where.file, (*where.teams_at, i)),
                    f"{where.what} name team {team!r}, which the Teams resource does not "
                    f"define (teams: {defined})",
                    hint="add the team to the Teams file, or fix the name",
                )
            )
    return findings


def _reach(
    where: _Where, approvals: Approvals, teams: Teams | None, line_of: LineOf
) -> list[Finding]:
    """The count against the people who may give it, the author left out."""
    if approvals.code_owners:
        return []  # who owns a file is known per change, from CODEOWNERS at the base
    people = {u.lower() for u in approvals.users}
    if teams is not None:
        for team in approvals.from_:
            people |= {m.lower() for m in teams.spec.teams.get(team, [])}
    count, eligible = approvals.count, len(people)
    if count <= eligible - 1:
        return []
    who = " and ".join([*approvals.from_, *approvals.users])
    if count > eligible:
        problem = f"can never be met: {who} count(s) {eligible} person(s)"
    else:
        problem = (
            f"cannot be met for a change authored by one of the {eligible} eligible "
            f"person(s) of {who} (an author never approves their own change)"
        )
    return [
        rule("GF115").finding(
            where.file,
            line_of(where.file, where.count_at),
            f"{where.what} need {count} approval(s), which {problem}",
            hint="lower the count or add members (one more than the count at least)",
        )
    ]


def _approvals(
    where: _Where, approvals: Approvals, teams: Teams | None, line_of: LineOf
) -> list[Finding]:
    return [
        *_unknown_teams(where, approvals.from_, teams, line_of),
        *_reach(where, approvals, teams, line_of),
    ]


def _protected(file: str, policy: StagePolicy, line_of: LineOf) -> list[Finding]:
    """Every protected stage that something can enter has approvals or says it waives them."""
    findings = []
    enterable = _enterable(policy)
    for stage in policy.spec.protected_stages:
        rules = policy.spec.stages.get(stage)
        if stage not in enterable or (rules is not None and rules.approvals_waived):
            continue
        if rules is None or rules.approvals is None:
            at: DocPath = ("spec", "stages", stage.value) if rules else ("spec", "stages")
            findings.append(
                rule("GF115").finding(
                    file,
                    line_of(file, at),
                    f"{stage.value} is a protected stage but needs no approval: anyone with "
                    "write access could move a version into it",
                    hint=f"give stages.{stage.value}.approvals (count and from), or say why "
                    f"not with stages.{stage.value}.approvalsWaived: <reason>",
                )
            )
    return findings


def check_gates(
    policies: list[tuple[str, StagePolicy]],
    teams: Teams | None,
    line_of: LineOf,
    *,
    teams_known: bool = True,
) -> list[Finding]:
    """GF115 and GF116 for each stage policy (path, resource), against the Teams resource.

    ``teams_known`` is False when only some files were loaded and no Teams among them: then
    nothing that needs the teams is judged (a partial ``gfops validate``).
    """
    findings = []
    for file, policy in policies:
        spec = policy.spec
        findings += _protected(file, policy, line_of)
        if not teams_known:
            continue
        # The owners approve policy, workflow and experiment changes: one of them, not the author.
        owners = Approvals.model_construct(
            count=1, from_=list(spec.owners), users=[], code_owners=False
        )
        at: DocPath = ("spec", "owners")
        findings += _approvals(
            _Where(file, at, at, "changes the owners approve"), owners, teams, line_of
        )
        for stage, rules in spec.stages.items():
            if rules.approvals is not None:
                at = ("spec", "stages", stage.value, "approvals")
                where = _Where.of(file, at, f"{stage.value} approvals")
                findings += _approvals(where, rules.approvals, teams, line_of)
        if spec.experiment_approvals is not None:
            where = _Where.of(file, ("spec", "experimentApprovals"), "experiment approvals")
            findings += _approvals(where, spec.experiment_approvals, teams, line_of)
    return findings


def gate_findings(state: RegistryState, *, complete: bool = True) -> list[Finding]:
    """GF115/GF116 of every stage policy of ``state``, against its Teams resource.

    ``complete``: every registry file was loaded, so a missing Teams resource is missing,
    not merely unread (``gfops validate PATH`` passes False).
    """
    policies = [(state.path_of(p), p) for p in state.stage_policies()]
    if not policies:
        return []
    teams = state.teams()
    return check_gates(policies, teams, state.line_of, teams_known=complete or teams is not None)
