"""Which version was in production when: read from the manifests along main's history.

This is the manifest-based view (what each commit on the first-parent line of a branch
says), enough for ``gfops rollback`` to find "the version before this one". The audit
trail (annotated tags written by ``gfops apply``) is a separate, richer source.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.load.state import load_state
from galfriday_gitops.paths import model_dir
from galfriday_gitops.resources import ModelStage


@dataclass(frozen=True, slots=True)
class ProductionPeriod:
    """From ``commit`` on (until the next period), ``versions`` were in production."""

    commit: str
    date: str  # committer date, ISO 8601
    subject: str
    versions: tuple[str, ...]  # usually one; empty when nothing was in production


def production_history_from_manifests(
    repo: Path | str, name: str, rev: str = "main"
) -> list[ProductionPeriod]:
    """Periods of production versions of ``name`` along ``rev``'s first parents, oldest first.

    Only commits that touched ``models/<name>/`` are read (each with ``load_state``,
    cheap thanks to the blob cache); consecutive commits with the same production set
    are merged into one period.
    """
    commit = gitio.rev_parse(repo, rev)
    log = gitio.git_text(
        repo,
        "log",
        "--first-parent",
        "--format=%H%x09%cI%x09%s",
        commit,
        "--",
        model_dir(name) + "/",
    )
    periods: list[ProductionPeriod] = []
    for line in reversed(log.splitlines()):
        sha, date, subject = [*line.split("\t", 2), "", ""][:3]
        state = load_state(repo, sha)
        versions = tuple(v.version for v in state.in_stage(name, ModelStage.PRODUCTION))
        if periods and periods[-1].versions == versions:
            continue
        periods.append(ProductionPeriod(sha, date, subject, versions))
    return periods


def previous_production_version(periods: list[ProductionPeriod], current: str) -> str | None:
    """The last version other than ``current`` that was (alone) in production before it."""
    for period in reversed(periods):
        others = [v for v in period.versions if v != current]
        if len(others) == 1:  # a period with two other versions is ambiguous: skipped
            return others[0]
    return None
