"""``gfops lifecycle``: end-of-life warnings, retirement PRs, inference health and rollback PRs.

Exit codes: 0 nothing critical; 1 critical findings (a version past or within
``criticalDaysBeforeEol`` of its end of life, a live version breaking an inference
threshold with enough samples); 2 could not run. With ``$GITHUB_STEP_SUMMARY`` set, the
Markdown report is appended to the job summary as well.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops.cli.output import add_format, print_json
from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    from galfriday_gitops.forge.base import Forge
    from galfriday_gitops.lifecycle.run import LifecycleRun

HELP = (
    "deprecation warnings, retirement PRs past end of life, inference-log health and rollback "
    "PRs (exit 0 ok, 1 critical, 2 could not run)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rev", default="main", help="branch to judge and base PRs on (main)")
    add_format(parser, ("text", "markdown", "json"))
    parser.add_argument(
        "--act",
        action="store_true",
        help="open or update the retirement/rollback PRs and issues "
        "(GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL); without it, only report",
    )
    parser.add_argument(
        "--local", action="store_true", help="with --act: write local branches only, no forge"
    )
    parser.add_argument("--remote", default="origin", help="git remote to push to (--act)")
    parser.add_argument(
        "--logs", type=Path, help="inference logs, file or folder (default: the policy's logs)"
    )
    parser.add_argument(
        "--now",
        help="judge as of this UTC date/time, also the end of the inference window "
        "(default: today, and the newest log record)",
    )


def _now(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--now {text!r}: expected YYYY-MM-DD[THH:MM[:SS]]") from None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _forge() -> Forge:
    from galfriday_gitops.cli.commands.promote import forge_from_env

    return forge_from_env()


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops import gitio
    from galfriday_gitops.forge import ForgeError
    from galfriday_gitops.lifecycle.run import run_lifecycle

    if args.local and not args.act:
        raise UserError("--local only makes sense with --act")
    root = gitio.toplevel(args.repo)
    if args.act and not args.local:
        forge = _forge()  # fail before anything is written when the forge is not configured
    logs = args.logs if args.logs is None or args.logs.is_absolute() else Path.cwd() / args.logs
    try:
        result = run_lifecycle(
            root,
            rev=args.rev,
            logs=logs,
            now=_now(args.now),
            act=args.act,
            forge=(lambda: None) if args.local or not args.act else (lambda: forge),
            remote=None if args.local or not args.act else args.remote,
        )
    except ForgeError as exc:
        raise UserError(str(exc)) from None
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as fh:
            fh.write(markdown(result) + "\n")
    if args.format == "json":
        print_json(result.as_json())
    elif args.format == "markdown":
        print(markdown(result))
    else:
        print(text(result))
    return 1 if result.critical else 0


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
