"""The lifecycle job's report (text, Markdown) and the evidence of its rollback PRs and
issues; the backup's summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from galfriday_gitops.lifecycle.results import Candidate, HealthRow, Inference, LifecycleRun


def evidence_markdown(inf: Inference, row: HealthRow, tried: list[Candidate]) -> str:
    """The evidence table of a rollback PR or issue: figures, thresholds, candidates."""
    assert row.stats is not None
    stats = row.stats
    end = inf.window_end.isoformat() if inf.window_end else "newest record"
    lines = [
        f"`{row.model}@{row.version}` (production) breaks the LifecyclePolicy's inference "
        f"thresholds over the {inf.window} window ending {end}: {stats.requests} requests "
        f"from {stats.first.isoformat()} to {stats.last.isoformat()} "
        f"(minSamples {inf.min_samples}).",
        "",
        "| threshold | observed | limit | |",
        "| --- | --- | --- | --- |",
    ]
    broken = {v.metric for v in row.verdict.violations}
    rules_limits = _limits(inf, row)
    for metric, value, limit, _ in rules_limits:
        shown = "n/a" if value is None else _show(metric, value)
        mark = "❌" if metric in broken else ("—" if value is None else "✅")
        lines.append(f"| {metric} | {shown} | {_show(metric, limit)} | {mark} |")
    lines += [
        f"| p50 latency | {_show('LatencyMs', stats.p50_ms)} | | |",
        "",
        f"Logs: `{inf.logs}`.",
        "",
        "#### Rollback candidates (earlier production versions, newest first)",
        "",
        "| version | stage now | last window | requests | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in tried:
        stage = c.stage.value if c.stage else "not in the registry"
        if c.verdict is None:
            lines.append(f"| {c.version} | {stage} | — | — | not restorable |")
            continue
        span = f"{c.stats.first:%Y-%m-%d %H:%M} – {c.stats.last:%Y-%m-%d %H:%M}" if c.stats else "—"
        verdict: str = c.verdict.status
        if c.verdict.violations:
            verdict += ": " + "; ".join(v.describe() for v in c.verdict.violations)
        lines.append(f"| {c.version} | {stage} | {span} | {c.verdict.requests} | {verdict} |")
    if not tried:
        lines.append("| — | | | | no earlier production version in history |")
    return "\n".join(lines)


def _limits(inf: Inference, row: HealthRow) -> list[tuple[str, float | None, float, bool]]:
    from galfriday_gitops.lifecycle.health import threshold_checks

    assert row.stats is not None and inf.rules is not None
    return [
        (metric, value, limit, is_max)
        for metric, value, limit, is_max in threshold_checks(row.stats, inf.rules.thresholds)
        if limit is not None
    ]


def _show(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric.endswith("Rate"):
        return f"{value:.2%}"
    if metric.endswith("LatencyMs"):
        return f"{value:.1f} ms"
    return f"{value:.4g}"


def _pct(value: float) -> str:
    return f"{value:.2%}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _opt(value: float | None, digits: str = ".3f") -> str:
    return "n/a" if value is None else format(value, digits)


def _rows(result: LifecycleRun) -> tuple[list[list[str]], list[list[str]], list[str]]:
    eol = [
        [e.level.upper(), e.version.ref, e.describe(), (e.version.spec.deprecation.replacement
         if e.version.spec.deprecation and e.version.spec.deprecation.replacement else "—")]
        for e in result.end_of_life
    ]  # fmt: skip
    health: list[list[str]] = []
    for r in result.inference.rows if result.inference else []:
        s = r.stats
        verdict: str = r.verdict.status
        if r.verdict.violations:
            verdict += ": " + "; ".join(v.describe() for v in r.verdict.violations)
        health.append(
            [
                r.severity.upper(),
                f"{r.model}@{r.version}",
                r.stage.value if r.stage else "not registered",
                str(r.verdict.requests),
                _pct(s.error_rate) if s else "n/a",
                "/".join(_ms(x) for x in (s.p50_ms, s.p95_ms, s.p99_ms)) if s else "n/a",
                _opt(s.mean_confidence) if s else "n/a",
                _opt(s.cost_per_request, ".6f") if s else "n/a",
                verdict,
            ]
        )
    actions = [
        f"{a.kind} {a.model}@{a.version}: {a.detail}"
        + (f" (branch {a.branch})" if a.branch else "")
        + (f" #{a.number}" if a.number is not None else "")
        + (f" {a.url}" if a.url else "")
        for a in result.actions
    ]
    return eol, health, actions


HEALTH_HEADER = [
    "severity", "version", "stage", "requests", "error rate", "p50/p95/p99 ms",
    "confidence", "cost/request", "verdict",
]  # fmt: skip


def _window(result: LifecycleRun) -> str:
    inf = result.inference
    if inf is None:
        return "no inference policy (LifecyclePolicy spec.inference)"
    if inf.unavailable is not None:
        return inf.unavailable
    end = inf.window_end.isoformat() if inf.window_end else "no records"
    return (
        f"logs {inf.logs}, window {inf.window} ending {end}, minSamples {inf.min_samples}, "
        f"onCriticalViolation {inf.action.value}"
        + (f", {inf.dropped} records without timestamp/version ignored" if inf.dropped else "")
    )


def text(result: LifecycleRun) -> str:
    """The plain-text report."""
    eol, health, actions = _rows(result)
    lines = [
        f"lifecycle at {result.rev} ({result.commit[:12]}), today {result.today}, "
        f"policy {result.policy or 'none (defaults)'}, autoRetire {result.auto_retire}",
        "",
        "end of life:",
    ]
    lines += [f"  {row[0]:8} {row[1]}: {row[2]} (replacement {row[3]})" for row in eol] or [
        "  no deprecated versions"
    ]
    lines += ["", "inference: " + _window(result)]
    lines += [
        f"  {row[0]:8} {row[1]} [{row[2]}] n={row[3]} errors {row[4]} latency {row[5]} ms "
        f"confidence {row[6]} cost {row[7]}: {row[8]}"
        for row in health
    ]
    lines += ["", "actions:" if actions else "actions: none"]
    lines += [f"  {a}" for a in actions]
    lines += ["", "CRITICAL findings" if result.critical else "nothing critical"]
    return "\n".join(lines)


def markdown(result: LifecycleRun) -> str:
    """The Markdown report (job summary, ``--format markdown``)."""
    eol, health, actions = _rows(result)

    def table(header: list[str], rows: list[list[str]]) -> list[str]:
        out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        return out + ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]

    lines = [
        f"## Lifecycle at `{result.rev}` ({result.commit[:12]}), {result.today}",
        "",
        "**Critical findings.**" if result.critical else "Nothing critical.",
        "",
        "### End of life",
        "",
    ]
    lines += (
        table(["level", "version", "end of life", "replacement"], eol)
        if eol
        else ["No deprecated versions."]
    )
    lines += ["", "### Inference", "", _window(result), ""]
    if health:
        lines += table(HEALTH_HEADER, health)
    lines += ["", "### Actions", ""]
    lines += [f"- {a}" for a in actions] or ["None."]
    return "\n".join(lines)


def backed_up(target: str, manifest: dict[str, Any]) -> str:
    """``gfops backup``: refs in the bundle, the DVC remote, each live artifact's status."""
    counts, remote = manifest["counts"], manifest["dvcRemote"]
    lines = [
        f"backup {target}: {len(manifest['refs'])} refs ({counts['branches']} branches, "
        f"{counts['tags']} tags, {counts['auditTags']} audit tags), "
        f"bundle sha256 {manifest['bundle']['sha256'][:16]}",
        f"DVC remote: {remote['name'] + ' ' + remote['url'] if remote else 'none'}",
    ]
    lines += [
        f"  {a['status']:9} {a['model']}@{a['version']} ({a['stage']}) "
        f"{a['path']} md5 {a['md5']}: {a['detail']}"
        for a in manifest["artifacts"]
    ]
    missing = sum(1 for a in manifest["artifacts"] if a["status"] != "present")
    if missing:
        lines.append(
            f"{missing} live artifact(s) not confirmed in the DVC remote (missing, or bytes "
            "that do not match the manifest)"
        )
    return "\n".join(lines) + "\n"


def restored(target: str, manifest: dict[str, Any]) -> str:
    """``gfops restore``: what came back, and where the artifacts come from."""
    return (
        f"restored {len(manifest['refs'])} refs into {target} "
        f"(HEAD {manifest.get('head') or 'detached'}, commit {manifest['commit'][:12]} "
        "at backup time)\n"
        "artifacts come from the DVC remote named in .dvc/config: `dvc pull` fetches them\n"
    )
