"""Markdown verdict: the pull request comment and the job summary.

A reviewer should see, without opening the logs: what changes (model, version,
from -> to), each rule's result, what is still missing, and every review with the
reason it counted or not.
"""

from __future__ import annotations

from urllib.parse import quote

from galfriday_gitops.catalogue import RULES
from galfriday_gitops.findings import printable
from galfriday_gitops.rules.engine import Verdict

MARKER = "<!-- galfriday-gitops:check -->"


def cell(text: str) -> str:
    return printable(text).replace("|", "\\|")


def where(file: str, line: int, blob: str | None) -> str:
    """``file:line`` as code; with ``blob`` (``https://github.com/O/R/blob/<sha>``) a link
    to that line at that commit."""
    shown = f"`{cell(file)}:{line}`"
    if blob is None or file in ("", "."):
        return shown
    return f"[{shown}]({blob}/{quote(file, safe='/')}#L{line})"


def render(verdict: Verdict, *, blob: str | None = None) -> str:
    """The comment; ``blob`` (see :func:`where`) turns each finding's place into a link."""
    icon = ":white_check_mark: **Allowed**" if verdict.allowed else ":no_entry: **Blocked**"
    out = [MARKER, f"## galfriday-gitops: {icon}", ""]
    out.append(
        f"Base `{verdict.base[:12]}` → head `{verdict.head[:12]}`, judged with the base's policies."
    )
    out += ["", "### What changes", ""]
    if verdict.events:
        out += ["| change | model | version | from | to |", "| --- | --- | --- | --- | --- |"]
        for e in verdict.events:
            out.append(
                f"| {e.kind.value} | {e.name or cell(e.path)} | {e.version or ''} | "
                f"{e.from_stage.value if e.from_stage else ''} | "
                f"{e.to_stage.value if e.to_stage else ''} |"
            )
    else:
        out.append("No registry changes.")
    missing = [(what, t) for what, t in verdict.tallies if t.missing]
    if missing:
        out += ["", "### Still missing", ""]
        out += [f"- {cell(what)}: {t.describe_missing()}" for what, t in missing]
    if verdict.findings:
        out += ["", "### Findings", "", "| rule | where | message |", "| --- | --- | --- |"]
        for f in verdict.findings:
            name = RULES[f.rule].name if f.rule in RULES else ""
            hint = f" — {f.hint}" if f.hint else ""
            out.append(
                f"| {f.rule} {name} | {where(f.file, f.line, blob)} | {cell(f.message + hint)} |"
            )
    out += ["", "<details><summary>Rules</summary>", "", "| rule | result |", "| --- | --- |"]
    for rule_id, status in verdict.rule_status().items():
        label = f"{rule_id} {RULES[rule_id].name}" if rule_id in RULES else rule_id
        shown = {"passed": "pass", "warned": "warning"}.get(status, "**fail**")
        out.append(f"| {label} | {shown} |")
    out += ["", "</details>"]
    if verdict.reviews is not None:
        out += ["", "### Reviews", ""]
        if not verdict.reviews:
            out.append("No reviews yet.")
        else:
            out += ["| reviewer | state | counted | why |", "| --- | --- | --- | --- |"]
            for r in verdict.reviews:
                counted = "yes" if r.approves else "no"
                out.append(f"| {cell(r.who)} | {r.state} | {counted} | {cell(r.reason)} |")
    return "\n".join(out) + "\n"
