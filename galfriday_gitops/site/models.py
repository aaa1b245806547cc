"""The index (models x stages) and one page per model: versions, comparison, lineage,
stage history with PRs, approvers and audit tags, end of life."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from galfriday_gitops.audit.history import Change
from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.resources import ModelStage, ModelVersion
from galfriday_gitops.site.collect import ModelData, SiteData
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
    when,
)

DAY = 86_400
INDEX_STAGES = (
    ModelStage.STAGING,
    ModelStage.TESTING,
    ModelStage.DEVELOPMENT,
    ModelStage.DEPRECATED,
)
COMPARED = 8  # versions in the comparison: production and the newest others


def _versions(versions: Iterable[ModelVersion]) -> str:
    return ", ".join(v.version for v in versions) or DASH


def _share(version: ModelVersion) -> float | None:
    rollout = version.spec.rollout
    return rollout.traffic_percent if rollout is not None else None


def _canary(model: ModelData) -> Html:
    parts = []
    for v in model.in_stage(ModelStage.CANARY):
        share = _share(v)
        parts.append(v.version + (f" ({num(share)} %)" if share is not None else ""))
    return td(", ".join(parts) or DASH)


def _key_metrics(model: ModelData, version: ModelVersion | None) -> Html:
    if version is None or not model.key_metrics:
        return td(DASH)
    values = [(ref, version.spec.metrics.get(ref)) for ref in model.key_metrics]
    shown = [join([el("code", ref), f" {num(value)}"]) for ref, value in values]
    first = values[0][1]
    return td(el("ul", [el("li", s) for s in shown], class_="plain"), sort=first)


def _age(data: SiteData, model: ModelData, version: ModelVersion | None) -> Html:
    since = model.since.get(version.version) if version is not None else None
    if since is None:
        return td(DASH, numeric=True)
    days = max(0, (data.head.time - since) // DAY)
    return td(f"{days} d", sort=days, numeric=True)


def _index_row(data: SiteData, model: ModelData) -> list[Html]:
    production = model.in_stage(ModelStage.PRODUCTION)
    current = production[-1] if production else None
    return [
        td(model_link(model.name, 0), sort=model.name),
        td(_versions(production)),
        _key_metrics(model, current),
        _age(data, model, current),
        _canary(model),
        *(td(_versions(model.in_stage(s))) for s in INDEX_STAGES),
        td(str(len(model.versions)), numeric=True),
    ]


def index_page(data: SiteData) -> str:
    columns = [
        Col("model"),
        Col("production"),
        Col("key metrics"),
        Col("in production", numeric=True),
        Col("canary (traffic)"),
        *(Col(s.value) for s in INDEX_STAGES),
        Col("versions", numeric=True),
    ]
    versions = sum(len(m.versions) for m in data.models)
    audit = (
        badge("audit ok", "ok")
        if not data.audit
        else el("a", badge(f"{len(data.audit)} audit finding(s)", "bad"), href="audit.html")
    )
    body: list[Html] = [
        el("h1", "Models"),
        el(
            "p",
            f"{len(data.models)} models, {versions} versions at ",
            el("code", data.rev),
            f" (commit {data.head.sha[:12]}, {when(data.head.time)}). ",
            audit,
            class_="lead",
        ),
    ]
    if data.invalid:
        body += [
            el("h2", "Files the loader refused"),
            el("p", "These files are left out of every page until they are fixed."),
            findings_table(data.invalid, "refused files (gfops validate shows the same)"),
        ]
    rows = [_index_row(data, m) for m in data.models]
    body.append(
        table(
            columns,
            rows,
            caption="Models by stage; ages as of the commit date. Select a heading to sort.",
            sortable=True,
        )
        if rows
        else el("p", "No models at this revision.")
    )
    return page(data, title="Models", current="index.html", body=body)


# ---------------------------------------------------------------- a model's page


def _metric_refs(versions: Sequence[ModelVersion]) -> list[str]:
    test = sorted({f"test.{m}" for v in versions for m in v.spec.metrics.test})
    validation = sorted({f"validation.{m}" for v in versions for m in v.spec.metrics.validation})
    return test + validation


def _eol(model: ModelData, version: ModelVersion) -> Html:
    deprecation = version.spec.deprecation
    if deprecation is None:
        return td(DASH)
    eol = deprecation.end_of_life.isoformat()
    return td(eol, sort=eol)


def _versions_table(model: ModelData) -> Html:
    refs = _metric_refs(model.versions)
    columns = [
        Col("version"),
        Col("stage"),
        Col("trained"),
        Col("samples", numeric=True),
        *(Col(r, numeric=True) for r in refs),
        Col("traffic %", numeric=True),
        Col("end of life"),
    ]
    rows = []
    for rank, v in reversed(list(enumerate(model.versions))):  # SemVer order, oldest first
        training = v.spec.training
        trained = training.trained_at.date().isoformat() if training.trained_at else DASH
        metrics = [v.spec.metrics.get(r) for r in refs]
        share = _share(v)
        rows.append(
            [
                td(el("code", v.version), sort=f"{rank:06d}"),
                td(badge(v.stage.value, "stage"), sort=list(ModelStage).index(v.stage)),
                td(trained),
                td(num(training.samples), sort=training.samples, numeric=True),
                *(td(num(m), sort=m, numeric=True) for m in metrics),
                td(num(share), sort=share, numeric=True),
                _eol(model, v),
            ]
        )
    return table(
        columns,
        rows,
        caption=f"Versions of {model.name}, newest first. Select a heading to sort.",
        sortable=True,
    )


def _fields(v: ModelVersion) -> list[tuple[str, str]]:
    spec, training = v.spec, v.spec.training
    window = training.data_window
    rows = [
        ("stage", spec.stage.value),
        ("model type", spec.model_type),
        ("framework", spec.framework),
        ("target", spec.target or DASH),
        ("features", ", ".join(spec.features) or DASH),
        ("data window", f"{window.start} to {window.end}" if window else DASH),
        ("samples", num(training.samples)),
        ("trained at", training.trained_at.isoformat() if training.trained_at else DASH),
        ("code commit", (training.code_commit or DASH)[:12]),
    ]
    rows += [(f"hyperparameter {k}", str(val)) for k, val in sorted(spec.hyperparameters.items())]
    return rows


def _comparison(model: ModelData) -> Html | None:
    if len(model.versions) < 2:
        return None
    production = model.in_stage(ModelStage.PRODUCTION)
    reference = production[-1] if production else model.versions[-1]
    others = [v for v in reversed(model.versions) if v is not reference][: COMPARED - 1]
    shown = [reference, *others]
    fields = {v.version: dict(_fields(v)) for v in shown}
    names = list(dict.fromkeys(name for v in shown for name, _ in _fields(v)))
    rows: list[list[Html]] = []
    for name in names:
        base = fields[reference.version].get(name, DASH)
        cells = [td(name)]
        for v in shown:
            value = fields[v.version].get(name, DASH)
            differs = v is not reference and value != base
            cells.append(td(value + (" *" if differs else ""), cls="differs" if differs else ""))
        rows.append(cells)
    for ref in _metric_refs(shown):
        base_metric = reference.spec.metrics.get(ref)
        cells = [td(ref)]
        for v in shown:
            metric = v.spec.metrics.get(ref)
            text = num(metric)
            if v is not reference and metric is not None and base_metric is not None:
                text += f" ({metric - base_metric:+.4g})"
            cells.append(td(text, numeric=True))
        rows.append(cells)
    what = "production" if production else "the newest version"
    return join(
        [
            el("h2", "Comparison"),
            el(
                "p",
                f"Each version against {what} ({reference.version}): metric differences in "
                "brackets, other fields that differ marked *.",
                class_="muted",
            ),
            table(
                [Col("field"), *(Col(v.version) for v in shown)],
                rows,
                caption=f"{model.name}: {reference.version} and up to {COMPARED - 1} newer or "
                "older versions",
            ),
        ]
    )


def _lineage(model: ModelData) -> Html:
    known = {v.version for v in model.versions}
    children: dict[str | None, list[ModelVersion]] = {}
    for v in model.versions:
        parent = v.spec.lineage.parent
        children.setdefault(parent if parent in known else None, []).append(v)

    def item(v: ModelVersion) -> Html:
        lineage = v.spec.lineage
        notes = []
        if lineage.parent and lineage.parent not in known:
            notes.append(f"parent {lineage.parent} (not at this revision)")
        if lineage.experiment:
            notes.append(f"experiment {lineage.experiment}")
        if lineage.retraining:
            notes.append(f"retraining: {lineage.retraining}")
        kids = children.get(v.version, [])
        return el(
            "li",
            el("code", v.version),
            " ",
            badge(v.stage.value, "stage"),
            f" — {'; '.join(notes)}" if notes else None,
            el("ul", [item(k) for k in kids], class_="lineage") if kids else None,
        )

    roots = children.get(None, [])
    return el("ul", [item(v) for v in roots], class_="lineage")


def _move(change: Change) -> str:
    e = change.event
    if e.kind is EventKind.REGISTERED:
        return f"registered in {e.to_stage.value if e.to_stage else '?'}"
    if e.kind is EventKind.STAGE_CHANGED and e.from_stage and e.to_stage:
        return f"{e.from_stage.value} → {e.to_stage.value}"
    return e.kind.value


def _audit_cell(change: Change) -> Html:
    tags = [el("code", t.ref.name) for t in change.tags]
    if change.approved:
        state = badge("approved", "ok")
    elif change.tagged:
        state = badge("tagged", "warn")
    else:
        state = badge("untagged", "bad")
    return td(join([state, " ", join(tags)]))


def _history(model: ModelData) -> Html:
    rows = []
    for c in model.changes:
        rows.append(
            [
                td(when(c.entry.time), sort=c.entry.time),
                td(el("code", c.version)),
                td(_move(c)),
                td(f"#{c.pr}" if c.pr is not None else DASH, sort=c.pr, numeric=True),
                td(", ".join(c.approvers) or DASH),
                td(el("code", c.entry.sha[:12], title=c.entry.subject)),
                _audit_cell(c),
            ]
        )
    if not rows:
        return el("p", "No audited change of this model on the revision's history.")
    columns = [
        Col("when"),
        Col("version"),
        Col("change"),
        Col("PR", numeric=True),
        Col("approvers"),
        Col("commit"),
        Col("audit tags"),
    ]
    return table(columns, rows, caption=f"Registrations and stage changes of {model.name}")


def _end_of_life(model: ModelData) -> Html:
    if not model.end_of_life:
        return el("p", "No deprecated version.")
    rows = []
    for item in model.end_of_life:
        deprecation = item.version.spec.deprecation
        level = badge(item.level, "bad" if item.critical else "warn")
        rows.append(
            [
                td(el("code", item.version.version)),
                td(item.end_of_life.isoformat() if item.end_of_life else DASH),
                td(num(item.days_left), sort=item.days_left, numeric=True),
                td(level),
                td(deprecation.replacement if deprecation and deprecation.replacement else DASH),
                td(deprecation.reason if deprecation else DASH),
            ]
        )
    columns = [
        Col("version"),
        Col("end of life"),
        Col("days left", numeric=True),
        Col("level"),
        Col("replacement"),
        Col("reason"),
    ]
    return table(columns, rows, caption="Deprecated versions; days left as of the commit date")


def model_page(data: SiteData, model: ModelData) -> str:
    newest = model.versions[-1]
    labels = [badge(f"{k}={v}", "stage") for k, v in sorted(newest.metadata.labels.items())]
    stages = [
        (stage.value, _versions(model.in_stage(stage)))
        for stage in ModelStage
        if model.in_stage(stage)
    ]
    body: list[Html | None] = [
        el("h1", model.name),
        el("p", model.description, class_="lead") if model.description else None,
        el("p", [join([b, " "]) for b in labels]) if labels else None,
        facts(stages),
    ]
    if model.invalid:
        body.append(findings_table(model.invalid, "files of this model the loader refused"))
    body += [
        el("h2", "Versions"),
        _versions_table(model),
        _comparison(model),
        el("h2", "Lineage"),
        _lineage(model),
        el("h2", "Stage history"),
        _history(model),
        el("h2", "End of life"),
        _end_of_life(model),
    ]
    return page(
        data,
        title=model.name,
        current="",
        body=[b for b in body if b is not None],
        depth=1,
    )
