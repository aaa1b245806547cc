"""Pull requests the write verbs open: titles, bodies, and the reconciler's preview in them.

Each body ends with the preview (:mod:`galfriday_gitops.report.preview`): the
reconciler's own verdict on the proposed commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from galfriday_gitops.report.markdown import cell
from galfriday_gitops.report.preview import preview_markdown

if TYPE_CHECKING:
    from galfriday_gitops.lifecycle.deprecation import EndOfLife
    from galfriday_gitops.load.history import ProductionPeriod
    from galfriday_gitops.resources import ModelVersion
    from galfriday_gitops.rules.engine import Verdict
    from galfriday_gitops.write.plan import Plan
    from galfriday_gitops.write.propose import Proposal, Proposed
    from galfriday_gitops.write.retrain import RetrainResult

MARKER = "<!-- galfriday:write -->"


def moves_table(plan: Plan) -> str:
    rows = ["| version | stage | why |", "| --- | --- | --- |"]
    rows += [
        f"| `{m.version.ref}` | {m.from_stage.value} → **{m.to_stage.value}** | {cell(m.why)} |"
        for m in plan.moves
    ]
    return "\n".join(rows)


def _footer(command: str, plan: Plan, verdict: Verdict, then: str = "") -> list[str]:
    then = then or "the reconciler's comment gives the verdict"
    return [
        "",
        moves_table(plan),
        "",
        preview_markdown(verdict, plan.base_rev),
        "",
        f"_Opened by `{command}`; {then}._",
        MARKER,
    ]


# ---------------------------------------------------------------- promote


def promotion_title(plan: Plan) -> str:
    m = plan.primary
    share = f" ({plan.traffic:g}% of traffic)" if plan.traffic is not None else ""
    if m.from_stage is m.to_stage:
        return f"Ramp canary {m.version.ref} to {plan.traffic:g}% of traffic"
    return f"Promote {m.version.ref} to {m.to_stage.value}{share}"


def promotion_body(plan: Plan, verdict: Verdict) -> str:
    m = plan.primary
    lines = [
        f"## {promotion_title(plan)}",
        "",
        f"`{m.version.ref}`: {m.from_stage.value} → **{m.to_stage.value}**"
        f" (base `{cell(plan.base_rev)}` {plan.base_commit[:12]}).",
    ]
    return "\n".join(lines + _footer("gfops promote", plan, verdict))


# ---------------------------------------------------------------- rollback


def rollback_title(plan: Plan) -> str:
    return f"Roll back {plan.name} to {plan.primary.version.version}"


def rollback_body(
    plan: Plan, periods: list[ProductionPeriod], evidence: str | None, verdict: Verdict
) -> str:
    restored, pulled = plan.moves[0], plan.moves[1]
    lines = [
        f"## {rollback_title(plan)}",
        "",
        f"Production goes back from `{pulled.version.ref}` to `{restored.version.ref}`; "
        f"`{pulled.version.version}` moves to {pulled.to_stage.value} "
        f"(base `{cell(plan.base_rev)}` {plan.base_commit[:12]}).",
        "",
        "### Evidence",
        "",
        evidence.strip() if evidence and evidence.strip() else "_No reason given (`--reason`)._",
        "",
        f"### Production history of `{plan.name}` (first-parent, from the manifests)",
        "",
        "| since | commit | in production | subject |",
        "| --- | --- | --- | --- |",
    ]
    for period in reversed(periods):
        shown = ", ".join(period.versions) or "none"
        lines.append(f"| {period.date} | {period.commit[:12]} | {shown} | {cell(period.subject)} |")
    return "\n".join(lines + _footer("gfops rollback", plan, verdict))


# ---------------------------------------------------------------- deprecate and retire


def deprecation_title(plan: Plan) -> str:
    return f"Deprecate {plan.primary.version.ref}"


def deprecation_body(plan: Plan, verdict: Verdict) -> str:
    from galfriday_gitops.load.safe_yaml import load

    move = plan.primary
    block = load(plan.files[move.path]).data["spec"]["deprecation"]
    lines = [
        f"## {deprecation_title(plan)}",
        "",
        f"`{move.version.ref}`: {move.from_stage.value} → **deprecated**"
        f" (base `{cell(plan.base_rev)}` {plan.base_commit[:12]}).",
        "",
        "| field | value |",
        "| --- | --- |",
        f"| reason | {cell(str(block['reason']))} |",
        f"| replacement | {block.get('replacement') or '—'} |",
        f"| end of life | {block['endOfLife']} |",
        "",
        "`gfops lifecycle` warns as the end of life approaches and, with `autoRetire`, "
        "opens the retirement pull request once it has passed.",
    ]
    return "\n".join(lines + _footer("gfops deprecate", plan, verdict))


def retirement_title(version: ModelVersion) -> str:
    return f"Retire {version.ref} (past end of life)"


def retirement_body(plan: Plan, item: EndOfLife, verdict: Verdict) -> str:
    version = item.version
    d = version.spec.deprecation
    lines = [
        f"## {retirement_title(version)}",
        "",
        f"`{version.ref}` is {item.describe()}; the LifecyclePolicy retires versions past "
        f"their end of life (`autoRetire: true`). Base `{cell(plan.base_rev)}` "
        f"{plan.base_commit[:12]}.",
        "",
        "| field | value |",
        "| --- | --- |",
        f"| reason deprecated | {cell(d.reason) if d else '—'} |",
        f"| replacement | {(d.replacement or '—') if d else '—'} |",
        f"| deprecated on | {d.deprecated_on if d and d.deprecated_on else '—'} |",
        f"| end of life | {item.end_of_life} |",
    ]
    then = "a later run updates this pull request"
    return "\n".join(lines + _footer("gfops lifecycle --act", plan, verdict, then))


# ---------------------------------------------------------------- what the CLI prints


def proposal_lines(proposal: Proposal) -> str:
    """What a write command did: the branch, its commit, the pull request."""
    verb = "committed" if proposal.pushed else "kept (unchanged)"
    lines = [f"{verb} {proposal.commit[:12]} on branch {proposal.branch}"]
    if proposal.pull is not None:
        how = "opened" if proposal.created else "updated"
        lines.append(f"{how} pull request #{proposal.pull.number}: {proposal.pull.html_url}")
    return "\n".join(lines) + "\n"


def proposed(result: Proposed) -> str:
    """The proposal, then the pull request's body (which holds the preview)."""
    return proposal_lines(result.proposal) + "\n" + result.body + "\n"


def retrained(result: RetrainResult) -> str:
    """``gfops retrain``: the new version, its branch and files, the pull request."""
    lines = [
        f"{result.name} {result.version} (development, parent {result.parent or 'none'})",
        f"branch {result.branch} at {result.commit[:12]}: {', '.join(result.files)}",
    ]
    if result.experiment is not None:
        lines.append(f"treatment of experiment {result.experiment} (planned)")
    if result.pull is not None:
        how = "opened" if result.created else "updated"
        lines.append(f"{how} PR #{result.pull.number}: {result.pull.html_url}")
    return "\n".join(lines) + "\n"
