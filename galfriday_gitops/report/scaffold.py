"""What ``gfops init`` did, for a person: the registry, its remote, who approves, whether
audit tags are signed, whether the workflows are pinned, and the next commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from galfriday_gitops.scaffold.create import Initialised


def initialised(result: Initialised, shown_dir: str) -> str:
    """The text ``gfops init`` prints (``shown_dir``: the folder as the user named it)."""
    done = (
        f"initialised the registry {shown_dir} (commit {result.commit[:12]} on main)"
        if result.created and result.commit
        else f"{shown_dir} is a registry: "
        + (f"added {len(result.written)} file(s)" if result.written else "nothing to add")
    )
    remote = (
        f"local folder {result.remote} (this machine only; use --remote s3://bucket/path, "
        "gs://... or another DVC URL for a team)"
        if result.remote_is_local
        else result.remote
    )
    team = f"{result.approvers} ({', '.join(result.members)})"
    lines = [done, f"  DVC remote 'storage': {remote}"]
    if result.placeholder_team:
        lines.append(
            f"  teams: {team} is a PLACEHOLDER: edit policies/teams.yaml (or re-create with "
            "--team NAME=login,login); until then `gfops validate` fails and nothing is promoted"
        )
    else:
        lines.append(f"  teams: {team} approve canary and production and own policies/")
    lines.append(
        "  signing: on (policies/allowed_signers): give apply.yml the private key "
        "(galfriday-gitops docs/new-registry.md, 'Signing audit tags')"
        if result.signing
        else "  signing: OFF: audit tags are not signed (policies/teams.yaml: how to turn it on)"
    )
    workflows = ", ".join(f"{w}.yml" for w in result.workflows)
    if result.pinned:
        lines.append(f"  workflows: .github/workflows/{{{workflows}}} run {result.action}")
    else:
        lines.append(
            f"  workflows: .github/workflows/{{{workflows}}} are NOT PINNED to a toolkit commit: "
            "set `uses:` to OWNER/galfriday-gitops@<commit you trust> (gfops init --action)"
        )
    lines += [f"  kept (already there, not overwritten): {path}" for path in result.kept]
    lines += ["", "next:"] + [f"  {command}" for command in result.next_commands(shown_dir)]
    return "\n".join(lines) + "\n"
