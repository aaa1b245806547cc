"""The GitHub Actions environment, read in one place, and the forge built from it.

Everything a command learns from the Actions runner comes through :class:`ActionsEnv`:
the event payload's path and name, the job summary file, the run's URL, the repository,
the actor, whether a token is there. :meth:`ActionsEnv.forge` is the one place the GitHub
client is built (from ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL``); the
token itself never leaves the mapping it was read from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops.forge.base import ForgeError

if TYPE_CHECKING:  # the client (http.client, ssl: ~25 ms) loads when a forge is built
    from galfriday_gitops.forge.github import GitHubForge


@dataclass(frozen=True)
class ActionsEnv:
    """What the Actions runner tells a step (all None outside Actions)."""

    event_path: Path | None
    event_name: str | None
    step_summary: Path | None
    run_url: str | None
    repository: str | None
    repository_url: str | None  # https://github.com/owner/repo (SARIF's provenance)
    actor: str | None
    has_token: bool
    environ: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> ActionsEnv:
        """The environment of this process (or ``environ``), as Actions sets it."""
        env = dict(os.environ if environ is None else environ)

        def get(key: str) -> str | None:
            return env.get(key) or None

        server, run_id, repository = (
            get("GITHUB_SERVER_URL"),
            get("GITHUB_RUN_ID"),
            get("GITHUB_REPOSITORY"),
        )
        return cls(
            event_path=Path(p) if (p := get("GITHUB_EVENT_PATH")) else None,
            event_name=get("GITHUB_EVENT_NAME"),
            step_summary=Path(s) if (s := get("GITHUB_STEP_SUMMARY")) else None,
            run_url=f"{server}/{repository}/actions/runs/{run_id}"
            if server and run_id and repository
            else None,
            repository=repository,
            repository_url=f"{server.rstrip('/')}/{repository}" if server and repository else None,
            actor=get("GITHUB_ACTOR"),
            has_token=bool(get("GITHUB_TOKEN")),
            environ=env,
        )

    def blob_url(self, commit: str) -> str | None:
        """Where the repository's files at ``commit`` are shown on GitHub
        (``https://github.com/O/R/blob/<sha>``); None outside Actions, so reports fall back
        to plain ``file:line``."""
        if self.repository_url is None or not commit:
            return None
        return f"{self.repository_url}/blob/{commit}"

    def forge(self, purpose: str = "") -> GitHubForge:
        """The GitHub client; a missing variable is a ForgeError naming ``purpose``."""
        try:
            from galfriday_gitops.forge.github import GitHubForge

            return GitHubForge.from_env(self.environ)
        except ForgeError as exc:
            raise ForgeError(f"{purpose}: {exc}" if purpose else str(exc)) from None

    def append_summary(self, markdown: str) -> bool:
        """Append to the job summary when the runner gave one; True if written."""
        if self.step_summary is None:
            return False
        with self.step_summary.open("a", encoding="utf-8") as fh:
            fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
        return True
