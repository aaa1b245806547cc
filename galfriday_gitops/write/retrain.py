"""Retrain a model on a new data window and propose the result as a pull request.

``gfops retrain NAME --reason TEXT`` (and ``gfops drift --act`` for a policy whose
``onDrift`` is ``retraining-pr``):

1. ``git worktree add --detach`` of ``--base`` in a temp dir: the user's work tree,
   index and current branch are never touched; the worktree is removed afterwards,
   whatever happens;
2. ``params.yaml``: ``data.end`` = ``--end`` (default: today, UTC), ``data.start`` =
   end - window + 1 day (window = ``--window-days``, default the current window length;
   both days inclusive, quoting and comments preserved);
3. ``dvc repro`` with this interpreter first on PATH (the stages run
   ``python -m galfriday_gitops...``) and the main checkout's DVC cache, so unchanged
   stages come from the run cache;
4. :func:`~galfriday_gitops.write.register.register` of the next *minor* version in
   ``development`` with lineage (parent = the production version at ``--base``,
   retraining = the reason), which ``dvc push``-es the artifact and every pipeline output
   ``dvc.lock`` records (so a reviewer can ``dvc pull`` them) and points ``dvc.yaml``'s
   artifact entry at the new version's file;
5. every file git sees as changed (manifest, ``.dvc``, ``.gitignore``, ``params.yaml``,
   ``dvc.lock``, non-cached metrics) is previewed by the reconciler (its verdict on that
   commit goes into the PR body) and committed on ``galfriday/retrain/<name>`` through
   :func:`~galfriday_gitops.write.propose.propose`; with ``--open-pr`` the branch is
   pushed and the PR opened, body = the drift summary and the preview.

Idempotent: the branch is automation-owned and force-pushed; when an open PR from it
exists, its title and body are updated instead of opening a second one. The next
version is computed from ``--base``, so a re-run proposes the same version number.

The PR must never merge unchecked. Pull requests opened with the workflow's default
``GITHUB_TOKEN`` do not trigger workflows, so the reconciler's required check would never
run on them and branch protection would wait forever (or, if the check is not required,
the PR could merge unjudged). The scheduled drift workflow must therefore authenticate
as a GitHub App installation (or with a fine-grained personal access token) limited to
this repository with contents: write, pull-requests: write and issues: write, and
``main`` must require the reconciler's check (see ``docs/github-setup.md``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops import dvcio, gitio
from galfriday_gitops.dvcyaml import DVC_YAML, PIPELINE_OUTPUT, metrics_files, parse_artifacts
from galfriday_gitops.errors import UserError
from galfriday_gitops.forge.base import Forge, PullRequest
from galfriday_gitops.fsutil import atomic_write
from galfriday_gitops.load.state import RegistryState, load_state
from galfriday_gitops.paths import is_name
from galfriday_gitops.resources import ModelStage
from galfriday_gitops.rules.engine import Verdict
from galfriday_gitops.write.attach import attach, check_attachable
from galfriday_gitops.write.preview import preview
from galfriday_gitops.write.propose import propose
from galfriday_gitops.write.register import Registration, register
from galfriday_gitops.write.worktree import share_dvc_config, temporary_worktree

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv

BRANCH_PREFIX = "galfriday/retrain/"
#: Longest reason accepted (it is stored in ``spec.lineage.retraining``).
MAX_REASON = 4096


@dataclass(frozen=True)
class RetrainRequest:
    """What to retrain, why, and where to propose it."""

    name: str
    reason: str
    base: str = "main"
    remote: str | None = "origin"
    open_pr: bool = False
    window_days: int | None = None
    end: dt.date | None = None
    body: str | None = None  # Markdown for the PR (the drift summary); default: the reason
    # The experiment the new version is the treatment of (write/attach.py): a planned one at
    # the base, or a new one; needed to reach a stage that requires an experiment win.
    experiment: str | None = None


@dataclass(frozen=True)
class RetrainResult:
    """The proposed version and where it went."""

    name: str
    version: str
    parent: str | None
    branch: str
    commit: str
    window: tuple[dt.date, dt.date]
    files: list[str]
    pull: PullRequest | None
    created: bool
    preview: Verdict  # the reconciler's verdict on the proposed commit, before any review
    experiment: str | None = None  # the experiment the version joined (or None)

    def to_dict(self) -> dict[str, Any]:
        pull = self.pull
        return {
            "name": self.name,
            "version": self.version,
            "parent": self.parent,
            "branch": self.branch,
            "commit": self.commit,
            "window": {"start": self.window[0], "end": self.window[1]},
            "files": self.files,
            "pull": {"number": pull.number, "url": pull.html_url} if pull else None,
            "created": self.created,
            "preview": self.preview.to_dict(),
            "experiment": self.experiment,
        }


def branch_for(name: str) -> str:
    """The automation-owned branch of ``name``'s retraining PR."""
    return BRANCH_PREFIX + name


def _as_date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise UserError(f"params.yaml: {what} is not a date (got {value!r})")


def update_window(
    params_file: Path, *, end: dt.date, window_days: int | None
) -> tuple[dt.date, dt.date]:
    """Move ``data.start``/``data.end`` of ``params_file``; keeps comments and quoting."""
    from ruamel.yaml import YAML

    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096
    try:
        doc = rt.load(params_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{params_file.name}: not found at the base revision") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or "start" not in data or "end" not in data:
        raise UserError("params.yaml: needs data.start and data.end (the training window)")
    old_start = _as_date(data["start"], "data.start")
    old_end = _as_date(data["end"], "data.end")
    days = window_days if window_days is not None else (old_end - old_start).days + 1
    if days < 1:
        raise UserError(f"--window-days must be at least 1 (got {days})")
    start = end - dt.timedelta(days=days - 1)
    for key, value in (("start", start), ("end", end)):
        old = data[key]
        # Same scalar style as before: a quoted string stays quoted, a YAML date a date.
        data[key] = type(old)(value.isoformat()) if isinstance(old, str) else value
    buf = io.StringIO()
    rt.dump(doc, buf)
    params_file.write_text(buf.getvalue(), encoding="utf-8")
    return start, end


def _pipeline_paths(wt: Path, name: str) -> tuple[Path, Path | None]:
    """The model file (``artifacts.<name>.path`` of dvc.yaml) and the first metrics file it
    declares (top-level ``metrics:``, DVCLive's, before the stages')."""
    try:
        raw = (wt / DVC_YAML).read_bytes()
    except FileNotFoundError:
        raise UserError("dvc.yaml: not found at the base revision (nothing to retrain)") from None
    entry = parse_artifacts(raw).get(name)
    # gfops register points `path` at the registered file and keeps the pipeline's output
    # in meta.pipelineOutput (galfriday_gitops/dvcyaml.py); an entry never registered
    # through gfops still names the pipeline output in `path`.
    artifact = (entry.pipeline_output or entry.path) if entry is not None else None
    if artifact is None:
        raise UserError(
            f"dvc.yaml: no artifacts.{name}.meta.{PIPELINE_OUTPUT} or .path "
            "(which pipeline output is the model?)"
        )
    metrics = metrics_files(raw)
    return wt / artifact, (wt / metrics[0] if metrics else None)


def _changed_files(wt: Path) -> dict[str, bytes | None]:
    """Every path git sees as modified, added or deleted in the worktree, with content."""
    out = gitio.git(wt, "status", "--porcelain", "-z", "--untracked-files=all")
    files: dict[str, bytes | None] = {}
    for record in out.split(b"\0"):
        if len(record) < 4:
            continue
        status, path = record[:2].decode(), record[3:].decode("utf-8", "surrogateescape")
        files[path] = None if "D" in status else (wt / path).read_bytes()
    return files


def _attach(
    wt: Path, state: RegistryState, req: RetrainRequest, version: str, day: dt.date
) -> None:
    """Write the experiment file that makes the new version its treatment."""
    assert req.experiment is not None
    existing = state.experiment(req.experiment)
    raw = (wt / state.path_of(existing)).read_bytes() if existing is not None else None
    attached = attach(state, req.experiment, req.name, version, today=day, raw=raw)
    atomic_write(wt / attached.path, attached.content)


def retrain(
    repo: Path,
    req: RetrainRequest,
    *,
    forge: Forge | None = None,
    actions: ActionsEnv | None = None,
    log: Callable[[str], None] | None = None,
) -> RetrainResult:
    """Retrain ``req.name`` in a temporary worktree of ``req.base`` and propose it."""
    from galfriday_gitops.write.propose import forge_for

    say = log or (lambda _msg: None)
    if not is_name(req.name):
        raise UserError(f"{req.name!r} is not a valid model name")
    reason = req.reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise UserError(f"--reason must be 1..{MAX_REASON} characters")
    if req.open_pr and req.remote is None:
        raise UserError("--open-pr needs a git remote to push the branch to")
    forge = forge_for(req.open_pr, forge, actions)  # fail before anything is written
    root = gitio.toplevel(repo)
    base_commit = gitio.rev_parse(root, req.base)
    state = load_state(root, base_commit)
    versions = state.versions_of(req.name)
    if not versions:
        from galfriday_gitops.query import unknown_model

        raise UserError(unknown_model(req.name, state.models(), req.base))
    production = state.latest(req.name, ModelStage.PRODUCTION)
    template = production or versions[-1]
    if req.experiment is not None:  # before the (long) repro: a wrong name fails at once
        check_attachable(state, req.experiment, req.name)
    end = req.end or dt.datetime.now(dt.UTC).date()
    branch = branch_for(req.name)
    with temporary_worktree(root, base_commit) as wt:
        say(f"worktree of {req.base} ({base_commit[:12]}) at {wt}")
        start, end = update_window(wt / "params.yaml", end=end, window_days=req.window_days)
        model_file, metrics_file = _pipeline_paths(wt, req.name)
        share_dvc_config(root, wt)
        say(f"dvc repro on {start}..{end}")
        dvcio.dvc(wt, "repro", "--quiet")
        if not model_file.is_file():
            raise UserError(f"dvc repro did not produce {model_file.relative_to(wt)}")
        manifest = register(
            wt,
            Registration(
                artifact=model_file,
                name=req.name,
                bump="minor",
                metrics_file=metrics_file if metrics_file and metrics_file.is_file() else None,
                model_type=template.spec.model_type,
                framework=template.spec.framework,
                target=template.spec.target,
                features=list(template.spec.features),
                parent=production.version if production else None,
                retraining=reason,
                description=f"Retrained on {start}..{end}: {reason}"[:200],
                labels=dict(template.metadata.labels),
                experiment=req.experiment,
            ),
            stage=ModelStage.DEVELOPMENT,
        )
        version = manifest.stem
        say(f"registered {req.name} {version} (development)")
        if req.experiment is not None:
            _attach(wt, state, req, version, end)
        files = _changed_files(wt)
    parent = production.version if production else None
    from galfriday_gitops.report.preview import preview_markdown

    title = f"Retrain {req.name}: {version} on {start}..{end}"
    footer = (
        f"\n---\n`{req.name}` **{version}** registered in `development` by `gfops retrain` "
        f"(parent: {parent or 'none'}, data window {start}..{end}).\n"
        f"Reason: {reason}\n\n"
        "This pull request goes through the same policies as any other change: it "
        "merges only after the reconciler's check passes and the required approvals.\n"
    )
    verdict = preview(root, base_commit, files)
    summary = req.body or f"{reason}\n"
    body = f"{summary}{footer}\n{preview_markdown(verdict, req.base)}\n"
    proposal = propose(
        root,
        base=req.base,
        branch=branch,
        files=files,
        message=f"Retrain {req.name} {version} on {start}..{end}\n\n{reason}",
        title=title,
        body=body,
        forge=forge,
        remote=req.remote if req.open_pr else None,
        base_commit=base_commit,
    )
    return RetrainResult(
        name=req.name,
        version=version,
        parent=parent,
        branch=branch,
        commit=proposal.commit,
        window=(start, end),
        files=sorted(files),
        pull=proposal.pull,
        created=proposal.created,
        preview=verdict,
        experiment=req.experiment,
    )
