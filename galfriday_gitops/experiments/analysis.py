"""The library verbs behind ``gfops experiment analyze``: an Experiment, or a data file.

Both read the outcome data with :func:`galfriday_gitops.data.read_table` (only the columns
the analysis needs; DVC-pulled when missing) and return an
:class:`~galfriday_gitops.stats.experiment.ExperimentResult`. Bad input -- an unknown or
invalid experiment, missing data, a column that is not numeric -- raises a one-line
:class:`~galfriday_gitops.errors.UserError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from galfriday_gitops.experiments.adhoc import AdHocRequest
    from galfriday_gitops.experiments.spec import AnalysisPlan
    from galfriday_gitops.resources import Experiment
    from galfriday_gitops.stats.experiment import ExperimentResult

__all__ = ["analyze_data", "analyze_experiment", "experiment_plan", "run_plan"]


def _experiment_file(repo: Path, ref: str) -> tuple[Path, Experiment]:
    """(registry root, resource) for ``experiments/NAME.yaml`` (a path) or ``NAME``."""
    from galfriday_gitops import gitio
    from galfriday_gitops.findings import blocking
    from galfriday_gitops.load.state import load_worktree
    from galfriday_gitops.paths import experiment_path
    from galfriday_gitops.resources import Experiment

    root = gitio.toplevel(repo).resolve()
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        path = Path(ref)
        path = (path if path.is_absolute() else Path.cwd() / path).resolve()
    else:
        path = root / experiment_path(ref)
    if not path.is_file():
        raise UserError(f"{ref}: no such experiment file ({path})")
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        raise UserError(f"{path} is outside the registry {root}") from None
    state = load_worktree(root, [path])
    errors = blocking(state.findings)
    if errors:
        raise UserError(f"invalid experiment: {errors[0].one_line()}")
    found = [e for e in state.experiments() if state.path_of(e) == rel]
    if not found or not isinstance(found[0], Experiment):
        raise UserError(f"{rel}: not an Experiment")
    return root, found[0]


def experiment_plan(experiment: Experiment) -> AnalysisPlan:
    """The analysis an Experiment declares, with its problems as a :class:`UserError`."""
    from galfriday_gitops.experiments.spec import plan_for

    try:
        return plan_for(experiment)
    except ValueError as exc:
        raise UserError(f"experiment {experiment.metadata.name}: {exc}") from None


def run_plan(frame: pd.DataFrame, plan: AnalysisPlan) -> ExperimentResult:
    """:func:`galfriday_gitops.experiments.spec.analyze`, bad data as a :class:`UserError`."""
    from galfriday_gitops.experiments.spec import analyze
    from galfriday_gitops.stats.errors import ExperimentDataError

    try:
        return analyze(frame, plan)
    except (ExperimentDataError, ValueError) as exc:
        raise UserError(str(exc)) from None


def analyze_experiment(repo: Path, ref: str) -> ExperimentResult:
    """Analyse ``experiments/NAME.yaml`` (``ref`` is that path or ``NAME``) in the work tree."""
    from galfriday_gitops.data import read_table

    root, experiment = _experiment_file(repo, ref)
    plan = experiment_plan(experiment)
    frame = read_table(experiment.spec.data, repo=root, columns=plan.columns())
    return run_plan(frame, plan)


def analyze_data(request: AdHocRequest) -> ExperimentResult:
    """Analyse a data file as ``request`` describes it (see :class:`AdHocRequest`)."""
    from galfriday_gitops.data import read_table
    from galfriday_gitops.experiments.adhoc import plan_for_data

    plan = request.plan()
    frame = read_table(request.data, columns=plan.columns())
    return run_plan(frame, plan_for_data(request, frame))
