"""docs/data.md's two examples, run as written (the real gfops, bash, this interpreter as
``python``): the ad hoc drift run finds the one shifted column, the ad hoc experiment finds
the planted revenue lift and reports CUPED's variance reduction."""

from __future__ import annotations

from pathlib import Path

from tests.support.docs import DOCS, fenced_block, run_shell, user_env

DOC = DOCS / "data.md"


def test_the_drift_example_flags_the_shifted_column_only(tmp_path: Path) -> None:
    block = fenced_block(DOC, "<!-- data-drift-example:")
    run = run_shell(block, tmp_path, user_env(tmp_path / "home"))
    assert run.code == 0, run.err
    rows = {line.split()[0]: line.split()[2] for line in run.out.splitlines()[2:5]}
    assert rows == {"amount": "drifted", "tenure_days": "no", "country": "no"}, run.out
    assert "exit 1" in run.out  # drift is exit 1, as the comment says


def test_the_experiment_example_finds_the_lift_with_cuped(tmp_path: Path) -> None:
    block = fenced_block(DOC, "<!-- data-experiment-example:")
    run = run_shell(block, tmp_path, user_env(tmp_path / "home"))
    assert run.code == 0, run.err
    assert "Decision: treatment wins" in run.out
    reduction = run.out.split("variance reduced by ", 1)[1].split("%", 1)[0]
    assert 65 < float(reduction) < 85  # "about three quarters"
