"""Register a model version: artifact into DVC (add + push, checked in the remote), then the
manifest and ``dvc.yaml``'s artifact entry — all or nothing.

Order matters: everything that can be checked before touching DVC is (the version, the
manifest in memory, the default remote, the ``dvc.yaml`` edit); then the artifact is copied
to ``artifacts/<name>/<version>/``, tracked, pushed together with every pipeline output
``dvc.lock`` records (what ``dvc pull`` of the registry will ask for), and the remote is
asked whether it now holds all of it. Only then are the manifest and ``dvc.yaml`` written,
each atomically. A failure at any step removes what this run created, so no manifest
points at nothing and no half-registered folder is left behind.

The manifest records the artifact's md5 and size (what its ``.dvc`` file says, what DVC
checks) and its SHA-256 (what consumers verify as well: MD5 collisions can be made).
"""

from __future__ import annotations

import datetime as dt
import getpass
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from galfriday_gitops import dvcio, dvcyaml, gitio
from galfriday_gitops.apply import tags
from galfriday_gitops.errors import UserError
from galfriday_gitops.fsutil import atomic_write, not_a_regular_file
from galfriday_gitops.load.state import load_worktree
from galfriday_gitops.paths import artifact_dir, manifest_path
from galfriday_gitops.progress import Progress, size
from galfriday_gitops.resources import API_VERSION, ModelStage, ModelVersion
from galfriday_gitops.semver import Bump, Version, is_semver
from galfriday_gitops.write import training_facts as facts
from galfriday_gitops.write.manifest import render


@dataclass
class Registration:
    artifact: Path
    name: str
    version: str | None = None
    bump: Bump | None = None
    metrics_file: Path | None = None
    metrics_split: facts.Split = "test"  # where numbers outside validation/test blocks go
    model_type: str = "unknown"
    framework: str = "unknown"
    target: str | None = None
    features: list[str] = field(default_factory=list)
    parent: str | None = None
    experiment: str | None = None
    retraining: str | None = None
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    hyperparameters: dict[str, facts.Scalar] | None = None  # None: from dvc.lock/params.yaml
    data_start: dt.date | None = None  # both or neither; None: params.yaml's data window
    data_end: dt.date | None = None
    push: bool = True
    progress: bool | None = None  # lines on stderr: None = only when stderr is a terminal


def next_version(existing: list[str], *, version: str | None, bump: Bump | None) -> str:
    if version is not None:
        if not is_semver(version):
            raise UserError(f"--version {version!r} is not SemVer (e.g. 1.2.0)")
        if version in existing:
            raise UserError(f"version {version} is already registered")
        return version
    if bump is None:
        raise UserError("give --version or --bump major|minor|patch")
    latest = max((Version(v) for v in existing), default=Version("0.0.0"))
    return str(latest.bump(bump))


def _metrics(root: Path, reg: Registration) -> dict[str, Any]:
    if reg.metrics_file is not None:
        return facts.read_metrics(reg.metrics_file, reg.metrics_split)
    found: dict[str, dict[str, float]] = {}
    for path in facts.pipeline_metrics_files(root):
        for split, values in facts.read_metrics(path, reg.metrics_split).items():
            found.setdefault(split, {}).update(values)
    return found


def _window(root: Path, reg: Registration) -> dict[str, dt.date] | None:
    if (reg.data_start is None) != (reg.data_end is None):
        raise UserError("give both --data-start and --data-end, or neither")
    if reg.data_start is not None and reg.data_end is not None:
        if reg.data_end < reg.data_start:
            raise UserError(f"--data-end {reg.data_end} is before --data-start {reg.data_start}")
        return {"start": reg.data_start, "end": reg.data_end}
    window = facts.params_window(root)
    return {"start": window[0], "end": window[1]} if window else None


def _training(root: Path, reg: Registration, made_by: facts.Producer | None) -> dict[str, Any]:
    """Training facts: who and when, the code commit, the data window, the exact inputs."""
    from galfriday_gitops.forge.actions import ActionsEnv

    info: dict[str, Any] = {
        "trainedAt": dt.datetime.now(dt.UTC).replace(microsecond=0),
        "trainedBy": ActionsEnv.read().actor or getpass.getuser(),
    }
    with suppress(UserError):  # a repo without commits yet
        info["codeCommit"] = gitio.rev_parse(root, "HEAD")
    window = _window(root, reg)
    if window is not None:
        info["dataWindow"] = window
    if made_by is not None:
        deps = {f"dvc.dep.{path}": md5 for path, md5 in made_by.deps.items()}
        info["params"] = {"dvc.stage": made_by.stage} | deps
    return info


def _hyperparameters(root: Path, reg: Registration, made_by: facts.Producer | None) -> Any:
    if reg.hyperparameters is not None:
        return reg.hyperparameters
    if made_by is not None and made_by.params:
        return made_by.params
    return facts.params_hyperparameters(root)


def _lineage_targets(root: Path) -> list[str]:
    """What ``dvc pull`` of the registry will ask the remote for, besides the artifact:
    every stage ``dvc.lock`` records, and the ``.dvc`` files of any stage's inputs that are
    not pipeline outputs (raw data added with ``dvc add``, however many stages upstream)."""
    stages = dvcio.read_lock(root)
    targets = [f"dvc.yaml:{stage.name}" for stage in stages]
    raw = {dep.path for stage in stages for dep in stage.deps}
    targets += sorted(f"{path}.dvc" for path in raw if (root / f"{path}.dvc").is_file())
    return targets


def _push_and_verify(root: Path, targets: list[str]) -> None:
    """Push ``targets``, then ask the remote whether it holds them: ``dvc push`` exits 0
    when objects are missing from the cache, so its exit code alone proves nothing."""
    dvcio.dvc(root, "push", *targets)
    absent = dvcio.not_in_remote(root, targets)
    if absent:
        listed = ", ".join(f"{path} ({why})" for path, why in sorted(absent.items()))
        raise dvcio.DvcError(
            f"after dvc push the DVC remote still lacks {listed}; 'missing' means neither the "
            "DVC cache nor the remote has it (run the pipeline with dvc repro, or dvc pull)"
        )


@contextmanager
def _all_or_nothing(folder: Path, restore: dict[Path, bytes | None]) -> Iterator[None]:
    """On any failure, remove what this registration created in ``folder`` and put each
    file of ``restore`` back as it was (None: it did not exist)."""
    existed = folder.exists()
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} if existed else {}
    created = folder  # the outermost folder this registration creates (artifacts/<name>/...)
    while not created.parent.exists():
        created = created.parent
    try:
        yield
    except BaseException:
        if not existed:
            shutil.rmtree(created, ignore_errors=True)
        elif folder.is_dir():
            for path in folder.iterdir():
                if path.name not in before:
                    path.unlink(missing_ok=True)
                elif path.read_bytes() != before[path.name]:
                    path.write_bytes(before[path.name])
        for path, content in restore.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        raise


def _dvc_yaml_entry(root: Path, name: str, rel: str, output: Path | None) -> str | None:
    """``dvc.yaml`` with ``artifacts.<name>`` pointing at the registered file, so that DVC
    serves this version at its registration commit (None: GTO and DVC cannot name it)."""
    if not tags.gto_readable(name):
        return None
    pipeline_output = output.resolve().relative_to(root.resolve()).as_posix() if output else None
    return dvcyaml.point_artifact(root, name, rel, pipeline_output=pipeline_output)


def _draft(reg: Registration, version: str, stage: ModelStage, parent: str | None) -> Any:
    metadata: dict[str, Any] = {"name": reg.name, "version": version, "labels": reg.labels}
    if reg.description:
        metadata["description"] = reg.description
    return {
        "apiVersion": API_VERSION,
        "kind": "ModelVersion",
        "metadata": metadata,
        "spec": {
            "stage": stage.value,
            "modelType": reg.model_type,
            "framework": reg.framework,
            "target": reg.target,
            "features": reg.features,
            "lineage": {
                "parent": parent,
                "experiment": reg.experiment,
                "retraining": reg.retraining,
            },
            "tags": reg.tags,
        },
    }


def _validated(draft: dict[str, Any]) -> ModelVersion:
    try:
        manifest = ModelVersion.model_validate(draft)
        render(manifest)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(f"the manifest would be invalid: {where}: {first['msg']}") from None
    return manifest


def register(repo: Path, reg: Registration, *, stage: ModelStage | None = None) -> Path:
    """Track the artifact with DVC, push it and its lineage, write the manifest and point
    ``dvc.yaml``'s artifact entry at it. Returns the manifest path."""
    root = gitio.toplevel(repo)
    source = reg.artifact if reg.artifact.is_absolute() else Path.cwd() / reg.artifact
    problem = not_a_regular_file(source)
    if problem is not None:
        raise UserError(f"{reg.artifact}: {problem}")
    state = load_worktree(root)
    existing = [v.version for v in state.versions_of(reg.name)]
    version = next_version(existing, version=reg.version, bump=reg.bump)
    manifest_file = root / manifest_path(reg.name, version)
    if manifest_file.exists():
        raise UserError(f"{manifest_file.relative_to(root)} already exists")
    if stage is None:
        policies = state.stage_policies()
        stage = policies[0].spec.initial_stage if policies else ModelStage.DEVELOPMENT
    parent = reg.parent
    if parent is None and existing:
        live = state.latest(reg.name, ModelStage.PRODUCTION)
        parent = live.version if live else None
    if reg.push:
        dvcio.require_remote(root)  # refuse before anything is written
    target = root / artifact_dir(reg.name, version) / source.name
    rel = target.relative_to(root).as_posix()
    made_by = facts.producer(root, source)
    draft = _draft(reg, version, stage, parent)
    draft["spec"]["hyperparameters"] = _hyperparameters(root, reg, made_by)
    draft["spec"]["training"] = _training(root, reg, made_by)
    draft["spec"]["metrics"] = _metrics(root, reg)
    placeholder = {"path": rel, "md5": "0" * 32, "size": 0, "sha256": "0" * 64}
    _validated(draft | {"spec": draft["spec"] | {"artifacts": [placeholder]}})
    dvc_yaml = root / dvcyaml.DVC_YAML
    previous = dvc_yaml.read_bytes() if dvc_yaml.is_file() else None
    entry = _dvc_yaml_entry(root, reg.name, rel, source if made_by else None)
    progress = Progress("register", reg.progress)
    with _all_or_nothing(target.parent, {dvc_yaml: previous, manifest_file: None}):
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.resolve() != target.resolve():
            progress.step(f"copying {reg.artifact} to {rel} ({size(source.stat().st_size)})")
            shutil.copyfile(source, target)
        progress.step(f"dvc add {rel}: hashing {size(target.stat().st_size)}")
        tracked = dvcio.add(root, target)
        if reg.push:
            dvc_file = target.with_name(target.name + ".dvc").relative_to(root).as_posix()
            progress.step(f"dvc push {rel}: uploading {size(tracked.size or 0)} to the DVC remote")
            _push_and_verify(root, [dvc_file, *_lineage_targets(root)])
            progress.step("dvc push: done")
        md5, digest = dvcio.md5_and_sha256(target)
        if md5 != tracked.md5:  # the file changed while DVC read it
            raise UserError(f"{rel} changed while it was being registered; try again")
        artifact = {"path": rel, "md5": tracked.md5, "size": tracked.size, "sha256": digest}
        manifest = _validated(draft | {"spec": draft["spec"] | {"artifacts": [artifact]}})
        if entry is not None:
            atomic_write(dvc_yaml, entry)
        atomic_write(manifest_file, render(manifest))
    progress.step(f"wrote {manifest_file.relative_to(root).as_posix()}")
    return manifest_file
