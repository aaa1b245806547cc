"""Attach a newly registered version to an experiment, so it can earn production.

Under ``requireExperimentWin`` a version reaches production only as the winner of a
concluded experiment it is the treatment of, and ``spec.lineage.experiment`` is immutable
once the version is merged. So the experiment is named when the version is registered
(``gfops retrain --experiment NAME``):

* an experiment ``NAME`` that exists at the base, of this model and still ``planned``, gets
  the new version as its treatment (and the production version as its control), edited in
  place so every comment and other line stays;
* otherwise a new ``experiments/NAME.yaml`` is written, ``planned``, with the declaration
  (allocation, unit, metrics, design) of the model's most recent experiment at the base,
  the production version as control, the new version as treatment, and its outcome data at
  ``data/experiments/NAME/`` (the file name of the template's data).

Either way the experiment file is part of the same pull request, so the owners (or the
policy's ``experimentApprovals``) review the design before any data exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath

from galfriday_gitops.errors import UserError
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.paths import experiment_path, is_name
from galfriday_gitops.resources import Experiment, ExperimentStatus, ModelStage


@dataclass(frozen=True)
class Attachment:
    """The experiment a new version joins: its file, and the bytes to write there."""

    name: str
    path: str
    content: bytes
    created: bool  # a new experiment (True) or a planned one updated (False)


def _control(state: RegistryState, model: str) -> str:
    production = state.latest(model, ModelStage.PRODUCTION)
    if production is None:
        raise UserError(
            f"{model} has no production version to compare with; a model's first production "
            "version needs no experiment"
        )
    return production.version


def _template(state: RegistryState, model: str) -> Experiment:
    mine = [e for e in state.experiments() if e.spec.model == model]
    if not mine:
        raise UserError(
            f"no experiment of {model} at the base to copy the design from: commit "
            "experiments/<name>.yaml (status: planned) first, then name it with --experiment"
        )
    return max(mine, key=lambda e: (e.spec.window.start, e.metadata.name))


def _joinable(experiment: Experiment, model: str) -> None:
    name, spec = experiment.metadata.name, experiment.spec
    if spec.model != model:
        raise UserError(f"experiment {name} compares versions of {spec.model}, not {model}")
    if spec.status is not ExperimentStatus.PLANNED:
        raise UserError(
            f"experiment {name} is {spec.status.value}: a new version joins a planned "
            "experiment, or a new one (--experiment with a new name)"
        )


def _existing(
    state: RegistryState, experiment: Experiment, model: str, version: str, raw: bytes
) -> Attachment:
    from galfriday_gitops.write.edit import set_scalar

    _joinable(experiment, model)
    name = experiment.metadata.name
    edited = set_scalar(raw, ("spec", "treatment"), version)
    edited = set_scalar(edited, ("spec", "control"), _control(state, model))
    return Attachment(name, state.path_of(experiment), edited, created=False)


def _new(state: RegistryState, name: str, model: str, version: str, today: dt.date) -> Attachment:
    from galfriday_gitops.write.manifest import render_experiment

    template = _template(state, model)
    data_name = PurePosixPath(template.spec.data).name
    spec = template.spec.model_copy(
        update={
            "control": _control(state, model),
            "treatment": version,
            "window": template.spec.window.model_copy(update={"start": today, "end": None}),
            "data": f"data/experiments/{name}/{data_name}",
            "status": ExperimentStatus.PLANNED,
            "result": None,
        }
    )
    draft = template.model_copy(
        update={
            "metadata": template.metadata.model_copy(
                update={"name": name, "description": f"{model} {version} vs production"}
            ),
            "spec": spec,
        }
    )
    experiment = Experiment.model_validate(draft.model_dump(mode="python", by_alias=True))
    source = template.metadata.name
    note = f"Written by gfops retrain for {model} {version}; design copied from {source}."
    text = render_experiment(experiment, note)
    return Attachment(name, experiment_path(name), text.encode(), created=True)


def attach(
    state: RegistryState, name: str, model: str, version: str, *, today: dt.date, raw: bytes | None
) -> Attachment:
    """The experiment file that makes ``model@version`` the treatment of experiment ``name``
    (``raw``: that experiment's bytes at the base, when it exists there)."""
    if not is_name(name):
        raise UserError(f"--experiment {name!r} is not a valid experiment name")
    existing = state.experiment(name)
    if existing is not None:
        if raw is None:  # pragma: no cover - the state was read from the same revision
            raise UserError(f"{state.path_of(existing)} is unreadable at the base")
        return _existing(state, existing, model, version, raw)
    return _new(state, name, model, version, today)


def check_attachable(state: RegistryState, name: str, model: str) -> None:
    """Fail before anything is built when ``name`` cannot take a new version of ``model``."""
    if not is_name(name):
        raise UserError(f"--experiment {name!r} is not a valid experiment name")
    _control(state, model)
    existing = state.experiment(name)
    if existing is None:
        _template(state, model)
    else:
        _joinable(existing, model)
