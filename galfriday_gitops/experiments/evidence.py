"""An experiment's result recomputed from its data: what ``conclude`` records and what the
reconciler checks (GF220) are one computation.

:func:`analyse` turns an Experiment's declaration and a data file into the analysis and the
``spec.result`` block that records it. ``gfops experiment conclude`` runs it on the data file
of the work tree; the reconciler runs it on the object DVC stores under the recorded
``dataMd5`` (:func:`recompute`: the local DVC cache, else the default remote, by hash only,
verified; no ``.dvc`` file, ``dvc.yaml`` or code of the judged revision is read or run), with
the toolkit that judges, so a hand-edited winner, number or hash cannot pass.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    from galfriday_gitops.resources import Experiment, ExperimentOutcome
    from galfriday_gitops.stats.experiment import ExperimentResult

__all__ = ["Evidence", "analyse", "recompute", "srm_refusal"]


@dataclass(frozen=True)
class Evidence:
    """What the data at the recorded hash says (``outcome``), or why it cannot be told."""

    outcome: ExperimentOutcome | None
    problem: str | None = None
    source: str = ""  # where the data came from: "cache" or "remote"


def srm_refusal(result: ExperimentResult) -> str | None:
    """Why no result may be concluded from this analysis (a sample-ratio mismatch), or None."""
    if not result.srm.flagged:
        return None
    return (
        f"sample-ratio mismatch (p = {result.srm.p_value:.3g} < 0.001, observed "
        f"{result.srm.observed} against the declared split). The assignment is broken: "
        "fix it and re-run the experiment."
    )


def analyse(
    experiment: Experiment, data: Path, *, data_md5: str, concluded_at: dt.datetime
) -> tuple[ExperimentResult, ExperimentOutcome]:
    """The declared analysis of ``data`` and the result block recording it (UserError on bad
    data or declaration)."""
    from galfriday_gitops.data import read_table
    from galfriday_gitops.experiments.analysis import experiment_plan, run_plan
    from galfriday_gitops.experiments.spec import outcome_of

    plan = experiment_plan(experiment)
    frame = read_table(data, columns=plan.columns())
    result = run_plan(frame, plan)
    outcome = outcome_of(experiment, result, data_md5=data_md5, concluded_at=concluded_at)
    return result, outcome


def recompute(root: Path, experiment: Experiment) -> Evidence:
    """The concluded ``experiment``'s result, recomputed from the DVC object its result names.

    Never raises for bad or missing data: the reason is the evidence's ``problem``, and the
    reconciler blocks on it (fail closed).
    """
    from galfriday_gitops import dvcobjects

    recorded = experiment.spec.result
    if recorded is None:
        return Evidence(None, "the experiment records no result")
    name = Path(experiment.spec.data).name  # the file name keeps its format (.parquet, .csv)
    with tempfile.TemporaryDirectory(prefix="gfops-evidence-") as tmp:
        data = Path(tmp) / name
        try:
            source = dvcobjects.fetch_object(root, recorded.data_md5, data)
            result, outcome = analyse(
                experiment,
                data,
                data_md5=recorded.data_md5,
                concluded_at=recorded.concluded_at,
            )
        except UserError as exc:
            return Evidence(
                None, f"cannot read {experiment.spec.data} at md5 {recorded.data_md5}: {exc}"
            )
    refused = srm_refusal(result)
    if refused is not None:
        return Evidence(None, f"the data at md5 {recorded.data_md5} shows a {refused}")
    return Evidence(outcome, None, source)
