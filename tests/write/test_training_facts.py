"""The metrics shapes ``register --metrics`` accepts beside ours: DVCLive's names and step
counter, and names that would be recorded twice. (The real DVCLive writes its file in
tests/write/test_register_dvc_e2e.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from galfriday_gitops.errors import UserError
from galfriday_gitops.write.training_facts import metrics_from, pipeline_metrics_files


def test_dvclive_step_counter_is_dropped_only_at_the_top() -> None:
    data = {"step": 4, "loss": 0.2, "train": {"step": 7}}
    assert metrics_from(data, "m.json", "test") == {"test": {"loss": 0.2, "train.step": 7.0}}
    assert metrics_from({"loss": 0.2}, "m.json", "test") == {"test": {"loss": 0.2}}  # control


def test_a_slash_is_dvclives_nesting() -> None:
    data = {"test/auc": 0.9, "validation/auc": 0.8, "train/loss": 0.3, "eval": {"f1/macro": 0.7}}
    assert metrics_from(data, "m.json", "validation") == {
        "validation": {"auc": 0.8, "train.loss": 0.3, "eval.f1.macro": 0.7},
        "test": {"auc": 0.9},
    }


@pytest.mark.parametrize(
    "data",
    [
        {"test": {"auc": 0.9}, "test/auc": 0.8},
        {"test": {"a.b": 0.9, "a": {"b": 0.8}}},
        {"auc": 0.9, "test": {"auc": 0.8}},  # the default split is test
    ],
)
def test_a_metric_given_twice_is_refused(data: dict[str, Any]) -> None:
    with pytest.raises(UserError, match="is given twice"):
        metrics_from(data, "m.json", "test")


def test_a_string_metric_is_named() -> None:
    # DVCLive's log_metric accepts a string; a manifest's metrics are numbers.
    with pytest.raises(UserError, match=r"m.json: metric 'train.phase' is 'warmup', not a number"):
        metrics_from({"train": {"phase": "warmup"}}, "m.json", "test")


def test_declared_metrics_files_stay_inside_the_repository(tmp_path: Path) -> None:
    """The files dvc.yaml declares are read only as regular files inside the repository:
    a symlink (to anywhere) and a path leading out of it are skipped, not followed."""
    root, outside = tmp_path / "repo", tmp_path / "outside.json"
    root.mkdir()
    outside.write_text('{"auc": 0.5}')
    (root / "real.json").write_text('{"auc": 0.9}')
    (root / "link.json").symlink_to(outside)
    (root / "dvc.yaml").write_text(
        "metrics: [link.json, ../outside.json, missing.json]\n"
        "stages: {train: {cmd: x, metrics: [real.json]}}\n"
    )
    assert pipeline_metrics_files(root) == [root / "real.json"]
    (root / "dvc.yaml").write_text("- not a pipeline\n")  # unreadable: no defaults
    assert pipeline_metrics_files(root) == []
