"""``conclude``: record an experiment's outcome in its YAML, on a branch, as a pull request.

The experiment is analysed as committed at the base revision (``--rev``), from the data
file it names as it is at that revision (git's blob, or DVC's copy of it; untracked data is
read from the work tree); ``spec.status`` becomes ``concluded`` and ``spec.result`` records
the outcome. The edit goes through :mod:`galfriday_gitops.write.edit` (the status value in
place, the result as a block of its own lines), so every other byte of the file stays as
the author wrote it; the edited file is read back with the registry's own loader before
it is committed on ``galfriday/conclude/<name>`` without touching the work tree.

The pull request's body carries the analysis and the reconciler's own verdict on the
proposed commit (:func:`galfriday_gitops.write.preview.preview`), as ``gfops check`` will
judge it. A sample-ratio mismatch refuses the conclusion: the assignment is broken, so
every number is suspect, and recording "no winner" would hide a bug that must be fixed
and the experiment re-run. A re-run on the same data keeps the earlier ``concludedAt``, so
it changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import Forge
    from galfriday_gitops.resources import Experiment, ExperimentOutcome
    from galfriday_gitops.rules.engine import Verdict
    from galfriday_gitops.stats.experiment import ExperimentResult
    from galfriday_gitops.write.propose import Proposal

__all__ = [
    "BRANCH_PREFIX",
    "PR_MARKER",
    "ConcludeRequest",
    "Conclusion",
    "conclude",
    "record_outcome",
]

BRANCH_PREFIX = "galfriday/conclude/"
PR_MARKER = "<!-- galfriday:experiment-conclusion -->"


@dataclass(frozen=True)
class ConcludeRequest:
    """``gfops experiment conclude NAME``, by the CLI's own words."""

    name: str
    rev: str = "main"
    open_pr: bool = False  # push the branch and open or update the pull request
    remote: str = "origin"


@dataclass(frozen=True)
class Conclusion:
    """The analysis, and either the proposal made (with the reconciler's preview of it) or
    why the conclusion was refused."""

    name: str
    result: ExperimentResult
    outcome: ExperimentOutcome | None
    proposal: Proposal | None
    preview: Verdict | None = None
    refused: str | None = None

    @property
    def winner(self) -> str:
        """The winning version, or ``none``."""
        return (self.outcome.winner if self.outcome else None) or "none"

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: the analysis, the recorded outcome, the proposal, the preview."""
        return {
            "experiment": self.name,
            "decision": self.result.decision,
            "winner": None if self.outcome is None else self.outcome.winner,
            "refused": self.refused,
            "analysis": self.result.to_dict(),
            "result": None if self.outcome is None else self.outcome.model_dump(mode="json"),
            **(self.proposal.to_dict() if self.proposal is not None else {}),
            "preview": None if self.preview is None else self.preview.to_dict(),
        }


@dataclass(frozen=True)
class _Committed:
    """The experiment at the base revision: resource, file, raw YAML."""

    experiment: Experiment
    path: str
    raw: bytes


def _committed_experiment(root: Path, rev: str, name: str) -> _Committed:
    from galfriday_gitops import gitio
    from galfriday_gitops.load.state import load_state
    from galfriday_gitops.resources import ExperimentStatus

    state = load_state(root, rev)
    experiment = state.experiment(name)
    if experiment is None:
        known = ", ".join(e.metadata.name for e in state.experiments()) or "none"
        raise UserError(f"no experiment named {name!r} at {rev} (experiments: {known})")
    if experiment.spec.status is ExperimentStatus.CONCLUDED:
        raise UserError(f"experiment {name} is already concluded at {rev}")
    path = state.path_of(experiment)
    raw = gitio.read_blob(root, gitio.rev_parse(root, rev), path)
    if raw is None:  # pragma: no cover - the state was just read from this revision
        raise UserError(f"{path} is missing at {rev}")
    return _Committed(experiment, path, raw)


def _read_back(path: str, raw: bytes) -> Experiment | None:
    """``raw`` as the registry's loader reads it at ``path`` (None if not an Experiment)."""
    from galfriday_gitops.load.layout import Slot, classify
    from galfriday_gitops.load.state import parse_blob
    from galfriday_gitops.resources import Experiment

    slot = classify(path)
    if not isinstance(slot, Slot):
        return None
    resource, _ = parse_blob(raw, slot)
    return resource if isinstance(resource, Experiment) else None


def _previous_conclusion(root: Path, branch: str, path: str) -> ExperimentOutcome | None:
    """The ``result`` on our branch from an earlier run, if there is a valid one."""
    from galfriday_gitops import gitio

    raw = gitio.read_blob(root, f"refs/heads/{branch}", path)
    resource = _read_back(path, raw) if raw is not None else None
    return resource.spec.result if resource is not None else None


def record_outcome(raw: bytes, outcome: ExperimentOutcome) -> bytes:
    """``raw`` with ``spec.status: concluded`` and ``spec.result`` set to ``outcome``."""
    from galfriday_gitops.resources import ExperimentStatus
    from galfriday_gitops.write.edit import set_block, set_scalar

    concluded = set_scalar(raw, ("spec", "status"), ExperimentStatus.CONCLUDED.value)
    payload = outcome.model_dump(mode="python", by_alias=True)
    return set_block(concluded, ("spec", "result"), payload, after="status")


def _check_recorded(path: str, raw: bytes, outcome: ExperimentOutcome) -> None:
    """Re-read the edited file with the registry's own loader: it must say what we meant."""
    from galfriday_gitops.resources import ExperimentStatus

    resource = _read_back(path, raw)
    if (
        resource is None
        or resource.spec.status is not ExperimentStatus.CONCLUDED
        or resource.spec.result != outcome
    ):
        raise RuntimeError(f"edited {path} does not validate as the concluded experiment")


def _pr_body(committed: _Committed, outcome: ExperimentOutcome, report: str, preview: str) -> str:
    experiment, spec = committed.experiment, committed.experiment.spec
    return "\n".join(
        [
            PR_MARKER,
            f"Concludes `{experiment.metadata.name}` ({spec.model} {spec.treatment} vs "
            f"{spec.control}) in `{committed.path}`.",
            "",
            report.rstrip("\n"),
            "",
            f"Data: `{spec.data}` (md5 `{outcome.data_md5}`), concluded at "
            f"{outcome.concluded_at.isoformat()}.",
            "",
            preview,
            "",
        ]
    )


def _keep_earlier(
    root: Path, committed: _Committed, outcome: ExperimentOutcome, branch: str
) -> ExperimentOutcome:
    """An earlier run's identical conclusion keeps its timestamp (a re-run changes nothing)."""
    previous = _previous_conclusion(root, branch, committed.path)
    if (
        previous is not None
        and previous.model_copy(update={"concluded_at": outcome.concluded_at}) == outcome
    ):
        return previous
    return outcome


def conclude(
    repo: Path,
    request: ConcludeRequest,
    *,
    forge: Forge | None = None,
    actions: ActionsEnv | None = None,
) -> Conclusion:
    """Analyse the experiment at ``request.rev`` and propose its conclusion.

    Without ``open_pr`` the branch is only committed locally; with it the branch is pushed
    to ``request.remote`` and the pull request opened, or updated on a re-run (the forge
    given, else the Actions environment's).
    """
    from galfriday_gitops import dvcio, gitio
    from galfriday_gitops.experiments.evidence import analyse, srm_refusal
    from galfriday_gitops.paths import is_name
    from galfriday_gitops.report.experiment import render_markdown
    from galfriday_gitops.report.preview import preview_markdown
    from galfriday_gitops.write.preview import preview
    from galfriday_gitops.write.propose import forge_for, propose
    from galfriday_gitops.write.worktree import data_at

    name = request.name
    if not is_name(name):
        raise UserError(f"{name!r} is not a valid experiment name")
    client = forge_for(request.open_pr, forge, actions)  # fail before anything is written
    root = gitio.toplevel(repo).resolve()
    committed = _committed_experiment(root, request.rev, name)
    experiment = committed.experiment
    base = gitio.rev_parse(root, request.rev)
    with data_at(root, base, experiment.spec.data) as data:  # the data as at --rev
        if not data.is_file():
            raise UserError(f"{experiment.spec.data}: no such file (nor in DVC's cache or remote)")
        # The very computation the reconciler repeats on the DVC object of this md5 (GF220).
        result, outcome = analyse(
            experiment, data, data_md5=dvcio.md5_of(data), concluded_at=dt.datetime.now(dt.UTC)
        )
    refused = srm_refusal(result)
    if refused is not None:
        return Conclusion(name, result, None, None, refused=refused)
    branch = BRANCH_PREFIX + name
    outcome = _keep_earlier(root, committed, outcome, branch)
    new_raw = record_outcome(committed.raw, outcome)
    _check_recorded(committed.path, new_raw, outcome)
    files: dict[str, bytes | None] = {committed.path: new_raw}
    verdict = preview(root, base, files)
    title = f"Conclude experiment {name}: {result.decision} (winner: {outcome.winner or 'none'})"
    body = _pr_body(
        committed, outcome, render_markdown(result), preview_markdown(verdict, request.rev)
    )
    proposal = propose(
        root,
        base=request.rev,
        branch=branch,
        files=files,
        message=f"{title}\n\nData: {experiment.spec.data} (md5 {outcome.data_md5})",
        title=title,
        body=body,
        forge=client,
        remote=request.remote if client is not None else None,
    )
    return Conclusion(name, result, outcome, proposal, verdict)
