"""``drift``: the library verb behind ``gfops drift`` (typed request in, outcome out).

One call runs what was asked -- two files ad hoc, one model's DriftPolicy or every
policy -- performs each drifted policy's ``onDrift`` when asked to act, writes the
Markdown and HTML reports when given a folder, and returns everything a caller renders.
A policy whose data cannot be read does not hide the others' drift when every policy
runs: its one-line error is collected and the outcome's exit code is 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import Forge
    from galfriday_gitops.load.state import RegistryState
    from galfriday_gitops.monitor.actions import ActionResult
    from galfriday_gitops.monitor.drift_run import DriftRun, Progress
    from galfriday_gitops.resources import DriftPolicy

__all__ = ["DriftOutcome", "DriftRequest", "drift"]


@dataclass(frozen=True)
class DriftRequest:
    """``gfops drift``, by the CLI's own words: ``model`` (one policy), ``all`` (every
    policy), or ``reference`` + ``current`` files (ad hoc, with optional forced kinds).

    ``rev`` is where policies and manifests are read (the data comes from the work tree).
    ``act`` performs each drifted policy's ``onDrift`` (``base``, ``remote`` and
    ``window_days`` shape a retraining PR); with ``local`` too, a retraining PR is only a
    local branch and an issue is skipped: no forge is needed (as ``lifecycle --act --local``).
    ``report`` is a folder that receives ``drift.md`` and ``drift.html`` (one sub-folder
    per model when every policy runs).
    """

    model: str | None = None
    all: bool = False
    reference: Path | None = None
    current: Path | None = None
    numeric: Sequence[str] = ()
    categorical: Sequence[str] = ()
    rev: str = "HEAD"
    act: bool = False
    local: bool = False
    base: str = "main"
    remote: str = "origin"
    window_days: int | None = None
    report: Path | None = None
    progress: bool | None = None

    def check(self) -> None:
        """Refuse a request that mixes the modes (one line, as a :class:`UserError`)."""
        if self.local and not self.act:
            raise UserError("--local only makes sense with --act")
        modes = [self.model is not None, self.all, self.reference is not None]
        if sum(modes) != 1:
            raise UserError("give exactly one of a model, every policy, or a reference file")
        if self.reference is not None:
            if self.current is None:
                raise UserError("--reference needs --current")
            if self.act:
                raise UserError("--act needs a policy (--model or --all), not ad hoc files")
        elif self.current is not None or self.numeric or self.categorical:
            raise UserError("--current/--numeric/--categorical are for ad hoc runs (--reference)")


@dataclass
class DriftOutcome:
    """The runs, what acting did, the report files written, and per-policy errors."""

    runs: list[DriftRun]
    every_policy: bool
    actions: dict[str, ActionResult] = field(default_factory=dict)
    written: dict[str, list[Path]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return any(r.drifted for r in self.runs)

    @property
    def exit_code(self) -> int:
        """2 when a policy could not run, else 1 on drift, else 0."""
        if self.errors:
            return 2
        return 1 if self.drifted else 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: one run's, or ``{"models": {...}, "errors": [...]}``."""
        docs: list[dict[str, Any]] = []
        for r in self.runs:
            doc = r.to_dict()
            if r.name in self.actions:
                doc["action"] = self.actions[r.name].to_dict()
            docs.append(doc)
        if self.every_policy:
            return {"models": {d["model"]: d for d in docs}, "errors": list(self.errors)}
        return docs[0] if docs else {"errors": list(self.errors)}


def _write_report(run: DriftRun, directory: Path) -> list[Path]:
    """Write ``drift.md`` and ``drift.html`` of ``run`` into ``directory`` (created)."""
    from galfriday_gitops.report.drift import markdown_report
    from galfriday_gitops.report.drift_html import html_report

    try:
        directory.mkdir(parents=True, exist_ok=True)
        md, page = directory / "drift.md", directory / "drift.html"
        md.write_text(markdown_report(run), encoding="utf-8")
        page.write_text(html_report(run), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"report {directory}: {exc.strerror or exc}") from None
    return [md, page]


def _selected(repo: Path, request: DriftRequest) -> tuple[Path, RegistryState, list[DriftPolicy]]:
    """The registry at ``request.rev`` and the policies the request runs."""
    from galfriday_gitops import gitio
    from galfriday_gitops.load.state import load_state

    root = gitio.toplevel(repo)
    state = load_state(root, request.rev)
    policies = state.drift_policies()
    if request.model is not None:
        policies = [p for p in policies if p.spec.model == request.model]
        if not policies:
            raise UserError(f"no DriftPolicy for model {request.model!r} at {request.rev}")
    elif not policies:
        raise UserError(f"no DriftPolicy in policies/ at {request.rev}")
    return root, state, policies


def _policy_runs(
    root: Path,
    state: RegistryState,
    policies: Sequence[DriftPolicy],
    request: DriftRequest,
    progress: Progress,
) -> tuple[list[DriftRun], list[str]]:
    from galfriday_gitops.monitor.drift_run import run_policy

    runs: list[DriftRun] = []
    errors: list[str] = []
    for policy in policies:
        try:
            runs.append(run_policy(root, policy, state, progress=progress))
        except UserError as exc:
            if request.model is not None:
                raise
            # One model's bad data must not hide the others' drift.
            errors.append(f"{policy.spec.model}: {exc}")
    return runs, errors


def _needs_forge(policies: Sequence[DriftPolicy]) -> bool:
    from galfriday_gitops.resources import DriftAction

    return any(p.spec.on_drift is not DriftAction.REPORT for p in policies)


def _forge_first(
    request: DriftRequest,
    policies: Sequence[DriftPolicy],
    forge: Forge | None,
    actions: ActionsEnv | None,
) -> Forge | None:
    """The forge ``--act`` will need, built before any data is read: a missing token must
    not surface after minutes of analysis. None when acting locally or when every policy
    only reports."""
    if not request.act or request.local or not _needs_forge(policies):
        return None
    if forge is not None:
        return forge
    from galfriday_gitops.forge.actions import ActionsEnv

    return (actions or ActionsEnv.read()).forge("--act (or --act --local: no forge)")


def _act(root: Path, request: DriftRequest, outcome: DriftOutcome, forge: Forge | None) -> None:
    from galfriday_gitops.forge import ForgeError
    from galfriday_gitops.monitor.actions import act

    for r in outcome.runs:
        if not r.drifted:
            continue
        try:
            outcome.actions[r.name] = act(
                root,
                r,
                forge=forge,
                base=request.base,
                remote=None if request.local else request.remote,
                window_days=request.window_days,
            )
        except (UserError, ForgeError) as exc:
            outcome.errors.append(f"{r.name}: onDrift {r.action.value} failed: {exc}")


def drift(
    repo: Path,
    request: DriftRequest,
    *,
    forge: Forge | None = None,
    actions: ActionsEnv | None = None,
) -> DriftOutcome:
    """Run ``request`` against the registry at ``repo`` (see :class:`DriftRequest`).

    With ``act`` (and not ``local``) the forge (``forge``, else the Actions environment's)
    is built before any data is read, when a selected policy's action needs one. Bad input
    raises :class:`UserError`; see :class:`DriftOutcome` for what comes back.
    """
    from galfriday_gitops.monitor.drift_run import Progress, run_adhoc

    request.check()
    progress = Progress(request.progress)
    if request.reference is not None and request.current is not None:
        run = run_adhoc(
            request.reference,
            request.current,
            numeric=request.numeric,
            categorical=request.categorical,
            progress=progress,
        )
        outcome = DriftOutcome([run], every_policy=False)
    else:
        root, state, policies = _selected(repo, request)
        client = _forge_first(request, policies, forge, actions)
        runs, errors = _policy_runs(root, state, policies, request, progress)
        outcome = DriftOutcome(runs, every_policy=request.all, errors=errors)
        if request.act:
            _act(root, request, outcome, client)
    if request.report is not None:
        for r in outcome.runs:
            single = len(outcome.runs) == 1 and not request.all
            where = request.report if single else request.report / r.name
            outcome.written[r.name] = _write_report(r, where)
    return outcome
