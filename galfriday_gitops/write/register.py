"""Register a model version: artifact into DVC (add + push), then the manifest, atomically.

Order matters: the artifact is tracked and pushed before the manifest exists, and the
manifest is validated in memory before it is written, so a failure at any step leaves
no manifest that points at nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from galfriday_gitops import dvcio, gitio
from galfriday_gitops.errors import UserError
from galfriday_gitops.fsutil import atomic_write, not_a_regular_file
from galfriday_gitops.load.state import load_worktree
from galfriday_gitops.paths import artifact_dir, manifest_path
from galfriday_gitops.progress import Progress, size
from galfriday_gitops.resources import API_VERSION, ModelStage, ModelVersion
from galfriday_gitops.semver import Bump, Version, is_semver
from galfriday_gitops.write.manifest import render


@dataclass
class Registration:
    artifact: Path
    name: str
    version: str | None = None
    bump: Bump | None = None
    metrics_file: Path | None = None
    model_type: str = "unknown"
    framework: str = "unknown"
    target: str | None = None
    features: list[str] = field(default_factory=list)
    parent: str | None = None
    experiment: str | None = None
    retraining: str | None = None
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
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


def _load_metrics(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"--metrics {path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"--metrics {path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or not set(data) <= {"validation", "test"}:
        raise UserError(f"--metrics {path}: expected {{'validation': {{...}}, 'test': {{...}}}}")
    return data


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(value)
    return None


def _training(root: Path) -> dict[str, Any]:
    """Training facts from params.yaml (data window, hyperparameters) and git."""
    from galfriday_gitops.forge.actions import ActionsEnv

    info: dict[str, Any] = {
        "trainedAt": dt.datetime.now(dt.UTC).replace(microsecond=0),
        "trainedBy": ActionsEnv.read().actor or getpass.getuser(),
    }
    with contextlib.suppress(UserError):  # a repo without commits yet
        info["codeCommit"] = gitio.rev_parse(root, "HEAD")
    params_file = root / "params.yaml"
    if params_file.exists():
        params = yaml.safe_load(params_file.read_text(encoding="utf-8")) or {}
        data = params.get("data", {}) if isinstance(params, dict) else {}
        window = {k: _as_date(data.get(k)) for k in ("start", "end")}
        if window["start"] is not None and window["end"] is not None:
            info["dataWindow"] = window
    return info


def _pipeline_inputs(root: Path, source: Path) -> dict[str, Any]:
    """What ``dvc.lock`` says produced ``source``: its stage and each dependency's md5.

    Recorded in ``spec.training.params`` as ``dvc.stage`` and ``dvc.dep.<path>``, so a
    version names the exact data it was trained on, not only the data window.
    """
    try:
        rel = source.resolve().relative_to(root.resolve()).as_posix()
        stages = dvcio.read_lock(root)
    except (ValueError, dvcio.DvcError):  # lineage is extra: a broken lock file is DVC's to report
        return {}
    for stage in stages:
        if rel in (o.path for o in stage.outs):
            inputs: dict[str, Any] = {"dvc.stage": stage.name}
            inputs |= {f"dvc.dep.{d.path}": d.md5 for d in stage.deps if d.md5 is not None}
            return inputs
    return {}


def _hyperparameters(root: Path) -> dict[str, Any]:
    params_file = root / "params.yaml"
    if not params_file.exists():
        return {}
    params = yaml.safe_load(params_file.read_text(encoding="utf-8")) or {}
    train = params.get("train", {}) if isinstance(params, dict) else {}
    return {k: v for k, v in train.items() if isinstance(v, (str, int, float, bool))}


def register(repo: Path, reg: Registration, *, stage: ModelStage | None = None) -> Path:
    """Track the artifact with DVC, push it, write the manifest. Returns the manifest path."""
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
    target = root / artifact_dir(reg.name, version) / source.name
    draft: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "ModelVersion",
        "metadata": {"name": reg.name, "version": version, "labels": reg.labels}
        | ({"description": reg.description} if reg.description else {}),
        "spec": {
            "stage": stage.value,
            "modelType": reg.model_type,
            "framework": reg.framework,
            "target": reg.target,
            "features": reg.features,
            "hyperparameters": _hyperparameters(root),
            "training": _training(root) | {"params": _pipeline_inputs(root, source)},
            "metrics": _load_metrics(reg.metrics_file),
            "lineage": {
                "parent": parent,
                "experiment": reg.experiment,
                "retraining": reg.retraining,
            },
            "artifacts": [
                {"path": target.relative_to(root).as_posix(), "md5": "0" * 32, "size": 0}
            ],
        },
    }
    try:  # validate (and render) everything we can before touching DVC
        render(ModelVersion.model_validate(draft))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(f"the manifest would be invalid: {where}: {first['msg']}") from None
    progress = Progress("register", reg.progress)
    shown = target.relative_to(root).as_posix()
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.resolve() != target.resolve():
        progress.step(f"copying {reg.artifact} to {shown} ({size(source.stat().st_size)})")
        shutil.copyfile(source, target)
    progress.step(f"dvc add {shown}: hashing {size(target.stat().st_size)}")
    tracked = dvcio.add(root, target)
    if reg.push and dvcio.has_remote(root):
        progress.step(f"dvc push {shown}: uploading {size(tracked.size or 0)} to the DVC remote")
        dvcio.push(root, [target])
        progress.step("dvc push: done")
    elif reg.push:
        progress.step("no DVC remote configured: nothing uploaded")
    draft["spec"]["artifacts"] = [
        {"path": target.relative_to(root).as_posix(), "md5": tracked.md5, "size": tracked.size}
    ]
    manifest = ModelVersion.model_validate(draft)
    atomic_write(manifest_file, render(manifest))
    progress.step(f"wrote {manifest_file.relative_to(root).as_posix()}")
    return manifest_file
