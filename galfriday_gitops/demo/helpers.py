"""Small helpers of ``make demo`` (``run.py`` tells the story): the failure a step raises,
step titles, params.yaml edits, what the loopback GitHub received."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml


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


def retrained_differs(git: Callable[..., str], model: str) -> None:
    """The retraining PR's model was trained on the new window's data: its bytes differ from
    every version registered on main. ``git`` runs git in the demo registry (its stdout)."""
    branch = f"galfriday/retrain/{model}"
    listed = git("ls-tree", "--name-only", f"{branch}:models/{model}").split()
    known = git("ls-tree", "--name-only", f"main:models/{model}").split()
    (added,) = sorted(set(listed) - set(known))

    def md5(rev: str, name: str) -> str:
        manifest = yaml.safe_load(git("show", f"{rev}:models/{model}/{name}"))
        return str(manifest["spec"]["artifacts"][0]["md5"])

    new = md5(branch, added)
    if new in {md5("main", name) for name in known}:
        raise DemoFailure(f"the retrained {added} has the bytes of an earlier version ({new})")
    print(f"  retrained {added.removesuffix('.yaml')}: md5 {new}, new bytes", flush=True)
