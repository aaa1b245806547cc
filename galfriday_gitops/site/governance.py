"""The policies page (transition graphs, approvals and thresholds per stage, teams, the
lifecycle and drift policies) and the audit page (``gfops audit verify`` of the revision)."""

from __future__ import annotations

from galfriday_gitops.resources import ModelStage, StagePolicy, StageRules
from galfriday_gitops.site.collect import SiteData
from galfriday_gitops.site.html import Html, el, join
from galfriday_gitops.site.layout import (
    DASH,
    Col,
    badge,
    facts,
    findings_table,
    model_link,
    num,
    page,
    table,
    td,
)
from galfriday_gitops.site.svg import transition_graph


def _approvals(rules: StageRules) -> str:
    a = rules.approvals
    if a is None:
        return DASH
    who = [*(f"team {t}" for t in a.from_), *(f"user {u}" for u in a.users)]
    if a.code_owners:
        who.append("code owners")
    return f"{a.count} from " + (", ".join(who) or "anyone") if a.count else "none"


def _thresholds(rules: StageRules) -> Html:
    items = []
    for ref, t in sorted(rules.thresholds.items()):
        bounds = [
            f"≥ {num(t.min)}" if t.min is not None else "",
            f"≤ {num(t.max)}" if t.max is not None else "",
        ]
        items.append(el("li", el("code", ref), " ", " and ".join(b for b in bounds if b)))
    return el("ul", items, class_="plain") if items else join([DASH])


def _stage_rows(policy: StagePolicy) -> list[list[Html]]:
    rows = []
    for stage, rules in sorted(
        policy.spec.stages.items(), key=lambda kv: list(ModelStage).index(kv[0])
    ):
        rollout = rules.rollout
        rows.append(
            [
                td(badge(stage.value, "stage")),
                td(_approvals(rules)),
                td(_thresholds(rules)),
                td(", ".join(rules.required_fields) or DASH),
                td(num(rules.capacity), numeric=True),
                td(f"{num(rollout.max_traffic_percent)} %" if rollout else DASH, numeric=True),
                td(rules.previous_holder.value if rules.previous_holder else DASH),
                td("required" if rules.require_experiment_win else DASH),
            ]
        )
    return rows


def _policy(index: int, policy: StagePolicy) -> list[Html]:
    spec = policy.spec
    scope = spec.applies_to
    labels = ", ".join(f"{k}={v}" for k, v in sorted(scope.labels.items()))
    columns = [
        Col("stage"),
        Col("approvals"),
        Col("thresholds"),
        Col("required fields"),
        Col("capacity", numeric=True),
        Col("max traffic", numeric=True),
        Col("previous holder moves to"),
        Col("experiment win"),
    ]
    out: list[Html | None] = [
        el("h2", f"Stage policy {policy.metadata.name}"),
        el("p", policy.metadata.description, class_="lead")
        if policy.metadata.description
        else None,
        facts(
            [
                ("applies to models", ", ".join(scope.models)),
                ("with labels", labels or "any"),
                ("owners (approve policy changes)", ", ".join(spec.owners)),
                ("new versions start in", spec.initial_stage.value),
            ]
        ),
        transition_graph(
            f"policy-{index}", policy.metadata.name, spec.transitions, spec.initial_stage
        ),
        table(
            columns,
            _stage_rows(policy),
            caption=f"What each target stage requires ({policy.metadata.name})",
        )
        if spec.stages
        else el("p", "No stage rules."),
    ]
    if spec.freeze:
        rows = [
            [
                td(str(f.from_)),
                td(str(f.to)),
                td(", ".join(s.value for s in f.stages)),
                td(f.reason),
            ]
            for f in spec.freeze
        ]
        out.append(
            table(
                [Col("from"), Col("to"), Col("stages"), Col("reason")],
                rows,
                caption="Freeze windows: no moves into these stages",
            )
        )
    return [o for o in out if o is not None]


def _teams(data: SiteData) -> list[Html]:
    teams = data.teams
    if teams is None:
        return [el("h2", "Teams"), el("p", "No Teams resource: approvals cannot name teams.")]
    rows = [
        [td(name), td(", ".join(members) or DASH)]
        for name, members in sorted(teams.spec.teams.items())
    ]
    out: list[Html] = [
        el("h2", "Teams"),
        table([Col("team"), Col("members")], rows, caption="Who approves for which team"),
    ]
    auto = teams.spec.automation
    if auto is not None:
        signing = (
            f"SSH-signed, allowed signers in {auto.allowed_signers}"
            if auto.allowed_signers
            else "unsigned"
        )
        out.append(
            facts(
                [
                    ("automation login", auto.login),
                    ("audit tagger", auto.tagger),
                    ("audit tags", signing),
                ]
            )
        )
    return out


def _lifecycle(data: SiteData) -> list[Html]:
    policy = data.lifecycle_policy
    out: list[Html] = [el("h2", "Lifecycle policy")]
    if policy is None:
        return [*out, el("p", "No LifecyclePolicy: default deprecation rules apply.")]
    d = policy.spec.deprecation
    out.append(
        facts(
            [
                ("grace period", f"{d.grace_period_days} days"),
                ("warn before end of life", f"{d.warn_days_before_eol} days"),
                ("critical before end of life", f"{d.critical_days_before_eol} days"),
                ("retire automatically", "yes" if d.auto_retire else "no"),
                ("replacement required", "yes" if d.require_replacement else "no"),
            ]
        )
    )
    inference = policy.spec.inference
    if inference is not None:
        limits = inference.thresholds.model_dump(by_alias=True, exclude_none=True)
        out.append(
            facts(
                [
                    ("inference logs", el("code", inference.logs)),
                    ("window", inference.window),
                    ("minimum samples", num(inference.min_samples)),
                    (
                        "thresholds",
                        ", ".join(f"{k} {num(v)}" for k, v in sorted(limits.items())) or DASH,
                    ),
                    ("on a critical violation", inference.on_critical_violation.value),
                ]
            )
        )
    return out


def _drift_policies(data: SiteData) -> list[Html]:
    out: list[Html] = [el("h2", "Drift policies")]
    if not data.drift_policies:
        return [*out, el("p", "No DriftPolicy.")]
    rows = []
    for p in data.drift_policies:
        s = p.spec
        rows.append(
            [
                td(model_link(s.model, 0)),
                td(", ".join([*s.features.numeric, *s.features.categorical]) or DASH),
                td(pct_share(s.dataset_drift.share)),
                td(s.correction.value),
                td(s.on_drift.value),
            ]
        )
    columns = [
        Col("model"),
        Col("features"),
        Col("dataset drift at"),
        Col("correction"),
        Col("on drift"),
    ]
    return [*out, table(columns, rows, caption="What the scheduled drift job checks")]


def pct_share(share: float) -> str:
    return f"{share * 100:g} % of features"


def policies_page(data: SiteData) -> str:
    body: list[Html] = [
        el("h1", "Policies"),
        el(
            "p",
            "A pull request is judged by the policies of its base; these are the policies at ",
            el("code", data.rev),
            ".",
            class_="lead",
        ),
    ]
    if not data.stage_policies:
        body.append(el("p", "No StagePolicy: no stage change can be approved."))
    for i, policy in enumerate(data.stage_policies, 1):
        body += _policy(i, policy)
    body += _teams(data) + _lifecycle(data) + _drift_policies(data)
    return page(data, title="Policies", current="policies.html", body=body)


def audit_page(data: SiteData) -> str:
    audited = sum(len(m.changes) for m in data.models)
    untagged = sum(1 for m in data.models for c in m.changes if not c.tagged)
    if data.audit_errors:
        status = badge(f"{data.audit_errors} finding(s)", "bad")
        said = "The history and its audit tags disagree; each finding below says where."
    else:
        status = badge("ok", "ok")
        said = "Every audited change on this history has its tags, and every tag matches a change."
    body: list[Html] = [
        el("h1", "Audit"),
        el(
            "p",
            "gfops audit verify on the first-parent history of ",
            el("code", data.rev),
            ": ",
            status,
            class_="lead",
        ),
        el("p", said),
        facts(
            [
                ("audited changes", num(audited)),
                ("without their tags", num(untagged)),
                ("audit tags in the repository", num(data.audit_tags)),
            ]
        ),
    ]
    if data.audit:
        body.append(findings_table(data.audit, "Findings of gfops audit verify"))
    return page(data, title="Audit", current="audit.html", body=body)
