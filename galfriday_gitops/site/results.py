"""The experiments page (each recorded result drawn with its interval) and the drift and
lifecycle page (the scheduled jobs' latest reports, when given with ``--reports``)."""

from __future__ import annotations

from galfriday_gitops.resources import Experiment, ExperimentStatus
from galfriday_gitops.site.collect import SiteData
from galfriday_gitops.site.html import Html, el
from galfriday_gitops.site.layout import (
    DASH,
    Col,
    badge,
    facts,
    model_link,
    num,
    page,
    pct,
    table,
    td,
)
from galfriday_gitops.site.reports import DRIFT_FILE, LIFECYCLE_FILE, DriftSummary, LifecycleSummary
from galfriday_gitops.site.svg import interval_plot

_STATUS_BADGE = {
    ExperimentStatus.CONCLUDED: "ok",
    ExperimentStatus.RUNNING: "warn",
    ExperimentStatus.PLANNED: "stage",
    ExperimentStatus.STOPPED: "bad",
}


def _model(data: SiteData, name: str) -> Html | str:
    """A link to the model's page when it has one (reports may name other models)."""
    return model_link(name, 0) if data.has_model(name) else name


def _experiment(index: int, experiment: Experiment) -> list[Html]:
    spec = experiment.spec
    name = experiment.metadata.name
    primary = spec.metrics.primary
    guardrails = ", ".join(
        f"{g.name} (max loss {num(g.max_loss)})" for g in spec.metrics.guardrails
    )
    design = spec.design
    level = round((1 - design.alpha) * 100)
    out: list[Html] = [
        el("h2", f"Experiment {name}"),
        el(
            "p",
            badge(spec.status.value, _STATUS_BADGE[spec.status]),
            " ",
            experiment.metadata.description or "",
        ),
        facts(
            [
                ("model", model_link(spec.model, 0)),
                ("control → treatment", f"{spec.control} → {spec.treatment}"),
                ("allocation", spec.allocation.strategy.value),
                ("unit", spec.unit),
                (
                    "primary metric",
                    f"{primary.name} ({primary.kind.value}, {primary.direction.value} is better)",
                ),
                ("guardrails", guardrails or DASH),
                (
                    "design",
                    f"alpha {num(design.alpha)}, power {num(design.power)}, minimum detectable "
                    f"effect {num(design.minimum_detectable_effect)}, at least "
                    f"{num(design.min_samples_per_variant)} per variant"
                    + (", sequential" if design.sequential else ""),
                ),
                ("window", f"{spec.window.start} to {spec.window.end or 'open'}"),
            ]
        ),
    ]
    result = spec.result
    if result is None:
        out.append(
            el("p", "No result recorded yet (gfops experiment conclude writes it).", class_="muted")
        )
        return out
    samples = ", ".join(f"{k} {num(v)}" for k, v in sorted(result.samples.items()))
    out += [
        el("h3", "Result"),
        interval_plot(f"experiment-{index}", name, result.relative_lift, result.ci, level),
        facts(
            [
                ("winner", result.winner or "none"),
                ("decision", result.decision),
                ("relative lift", pct(result.relative_lift)),
                (f"{level} % interval", " to ".join(pct(v) for v in result.ci) or DASH),
                ("p-value", num(result.p_value)),
                ("chance to win", pct(result.chance_to_win)),
                ("samples", samples),
                ("sample-ratio check p", num(result.srm_p_value)),
                ("concluded", result.concluded_at.isoformat()),
            ]
        ),
    ]
    return out


def experiments_page(data: SiteData) -> str:
    body: list[Html] = [
        el("h1", "Experiments"),
        el(
            "p",
            "Results as recorded in each Experiment by gfops experiment conclude.",
            class_="lead",
        ),
    ]
    if not data.experiments:
        body.append(el("p", "No experiments at this revision."))
    for i, experiment in enumerate(data.experiments, 1):
        body += _experiment(i, experiment)
    return page(data, title="Experiments", current="experiments.html", body=body)


def _drift_section(
    data: SiteData, runs: tuple[DriftSummary, ...], errors: tuple[str, ...]
) -> list[Html]:
    rows = []
    for r in runs:
        drifted = [f.name for f in r.features if f.drifted]
        perf = [m.name for m in r.performance if m.drifted]
        rows.append(
            [
                td(_model(data, r.model), sort=r.model),
                td(
                    badge("drift", "bad") if r.drifted else badge("no drift", "ok"),
                    sort=int(r.drifted),
                ),
                td(", ".join(drifted) or DASH),
                td(pct(r.drift_share), sort=r.drift_share, numeric=True),
                td(pct(r.threshold_share), numeric=True),
                td(", ".join(perf) or DASH),
            ]
        )
    columns = [
        Col("model"),
        Col("verdict"),
        Col("drifted features"),
        Col("drift share", numeric=True),
        Col("dataset threshold", numeric=True),
        Col("performance drop"),
    ]
    out: list[Html] = [
        el("h2", "Drift"),
        table(columns, rows, caption="Latest drift run per model", sortable=True),
    ]
    for error in errors:
        out.append(el("p", badge("error", "bad"), " ", error))
    for r in runs:
        feature_rows = []
        for f in r.features:
            tests = "; ".join(
                f"{t.name} {num(t.statistic)}"
                + (f" (p {num(t.p_value)})" if t.p_value is not None else "")
                for t in f.tests
            )
            feature_rows.append(
                [
                    td(el("code", f.name)),
                    td(f.kind),
                    td(badge("drift", "bad") if f.drifted else "no"),
                    td(num(f.n_reference), numeric=True),
                    td(num(f.n_current), numeric=True),
                    td(tests or DASH),
                ]
            )
        out += [
            el("h3", f"Features of {r.model}"),
            el("p", "inputs: ", ", ".join(r.inputs) or DASH, class_="muted"),
            table(
                [
                    Col("feature"),
                    Col("kind"),
                    Col("drifted"),
                    Col("reference rows", numeric=True),
                    Col("current rows", numeric=True),
                    Col("tests"),
                ],
                feature_rows,
                caption=f"Per-feature tests of {r.model}",
            ),
        ]
    return out


def _lifecycle_section(data: SiteData, report: LifecycleSummary) -> list[Html]:
    out: list[Html] = [
        el("h2", "Lifecycle"),
        el(
            "p",
            badge("critical", "bad") if report.critical else badge("nothing critical", "ok"),
            f" as of {report.today}, commit {report.commit[:12]}",
        ),
    ]
    eol_rows = [
        [
            td(_model(data, e.model)),
            td(el("code", e.version)),
            td(e.end_of_life or DASH),
            td(num(e.days_left), sort=e.days_left, numeric=True),
            td(e.level),
        ]
        for e in report.end_of_life
    ]
    if eol_rows:
        out.append(
            table(
                [
                    Col("model"),
                    Col("version"),
                    Col("end of life"),
                    Col("days left", numeric=True),
                    Col("level"),
                ],
                eol_rows,
                caption="End of life, as the lifecycle job saw it",
            )
        )
    health_rows = [
        [
            td(_model(data, h.model)),
            td(el("code", h.version)),
            td(h.stage or DASH),
            td(h.status),
            td(h.severity),
            td(num(h.requests), numeric=True),
            td(pct(h.error_rate, 2), numeric=True),
            td(num(h.p95_ms), numeric=True),
            td(num(h.p99_ms), numeric=True),
        ]
        for h in report.health
    ]
    if health_rows:
        out.append(
            table(
                [
                    Col("model"),
                    Col("version"),
                    Col("stage"),
                    Col("status"),
                    Col("severity"),
                    Col("requests", numeric=True),
                    Col("error rate", numeric=True),
                    Col("p95 ms", numeric=True),
                    Col("p99 ms", numeric=True),
                ],
                health_rows,
                caption="Inference health per version over the policy's window",
            )
        )
    action_rows = [
        [
            td(a.kind),
            td(_model(data, a.model)),
            td(el("code", a.version)),
            td(a.detail),
            td(f"#{a.number}" if a.number is not None else DASH),
            td("done" if a.done else "proposed"),
        ]
        for a in report.actions
    ]
    if action_rows:
        out.append(
            table(
                [Col("action"), Col("model"), Col("version"), Col("why"), Col("PR"), Col("state")],
                action_rows,
                caption="What the lifecycle job did or proposed",
            )
        )
    return out


def reports_page(data: SiteData) -> str:
    reports = data.reports
    body: list[Html] = [el("h1", "Drift and lifecycle")]
    if reports.folder is None:
        body.append(
            el(
                "p",
                "Drift results and inference health are not in git, so this site was built "
                "without them. Build with ",
                el("code", "gfops site --reports DIR"),
                " where DIR holds the scheduled jobs' ",
                el("code", "drift.json"),
                " (gfops drift --all --format json) and ",
                el("code", "lifecycle.json"),
                " (gfops lifecycle --format json).",
            )
        )
        return page(data, title="Drift and lifecycle", current="reports.html", body=body)
    given = [
        f
        for f, present in ((DRIFT_FILE, reports.drift), (LIFECYCLE_FILE, reports.lifecycle))
        if present is not None
    ]
    body.append(
        el(
            "p",
            "From the scheduled jobs' reports: ",
            ", ".join(given) or "none found",
            ".",
            class_="lead",
        )
    )
    if reports.drift is None:
        body += [el("h2", "Drift"), el("p", "No drift.json in the reports folder.")]
    else:
        body += _drift_section(data, reports.drift, reports.drift_errors)
    if reports.lifecycle is None:
        body += [el("h2", "Lifecycle"), el("p", "No lifecycle.json in the reports folder.")]
    else:
        body += _lifecycle_section(data, reports.lifecycle)
    return page(data, title="Drift and lifecycle", current="reports.html", body=body)
