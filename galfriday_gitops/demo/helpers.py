"""Small helpers of ``make demo`` (``run.py`` tells the story): the failure a step raises,
step titles, params.yaml edits, what the loopback GitHub received."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class DemoFailure(Exception):
    """A step did not give the expected result."""


def step(title: str) -> None:
    print(f"\n\033[1m==> {title}\033[0m", flush=True)


def set_params(repo: Path, values: dict[str, str]) -> None:
    """Change scalar knobs of params.yaml in place (comments kept): ``{"seed": "7"}``."""
    path = repo / "params.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for dotted, value in values.items():
        *parents, key = dotted.split(".")
        indent, depth = "", 0
        for i, line in enumerate(lines):
            if depth < len(parents) and line.startswith(f"{indent}{parents[depth]}:"):
                depth, indent = depth + 1, indent + "  "
            elif depth == len(parents) and line.startswith(f"{indent}{key}:"):
                lines[i] = f"{indent}{key}: {value}\n"
                break
        else:
            raise DemoFailure(f"params.yaml has no {dotted}")
    path.write_text("".join(lines), encoding="utf-8")


def expect(text: str, *needles: str) -> None:
    missing = [n for n in needles if n not in text]
    if missing:
        raise DemoFailure(f"expected {missing} in:\n{text}")


def forge_summary(github: Any) -> None:
    """What the loopback GitHub received: PRs, reconciler comments, commit statuses."""
    step("What GitHub (the loopback) received")
    for number, pull in sorted(github.pulls.items()):
        merged = " merged" if pull.get("merged") else ""
        print(
            f"PR #{number:<3} {pull['state']}{merged:7} {pull['user']['login']:14} {pull['title']}"
        )
        for comment in github.comments.get(number, []):
            lines = comment["body"].splitlines()
            first = next((ln for ln in lines if ln.strip() and not ln.startswith("<!--")), "")
            print(f"        comment by {comment['user']['login']}: {first[:80]}")
        for st in github.statuses.get(pull["head"]["sha"], []):
            print(f"        status {st['context']}: {st['state']} ({st['description']})")
    print(f"{len(github.requests)} API requests; OpenAPI violations: {len(github.violations)}")
    for violation in github.violations:
        print(f"  VIOLATION {violation}")
