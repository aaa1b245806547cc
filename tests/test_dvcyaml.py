"""``dvc.yaml`` as gfops reads it: the artifacts DVC serves and the metrics files the
pipeline declares, through the registry's safe loader (a dvc.yaml may come from a PR)."""

from __future__ import annotations

import pytest

from galfriday_gitops.dvcyaml import metrics_files, parse_artifacts
from galfriday_gitops.errors import UserError

PIPELINE = b"""\
stages:
  prepare:
    cmd: python prepare.py
    outs: [data/clean.csv]
  train:
    cmd: python train.py
    metrics:
      - build/metrics.json:
          cache: false
      - build/extra.json
  report:
    cmd: python report.py
    metrics: [reports/summary.json]
artifacts:
  churn:
    path: artifacts/churn/1.0.0/model.json
    type: model
    meta: {pipelineOutput: build/model.json}
  other:
    path: build/other.pkl
"""


def test_metrics_files_are_every_stages_declared_metrics_in_order() -> None:
    assert metrics_files(PIPELINE) == [
        "build/metrics.json", "build/extra.json", "reports/summary.json",
    ]  # fmt: skip
    assert metrics_files(b"stages: {train: {cmd: x}}\n") == []
    # DVCLive declares its file at the top level: it comes first, each file once.
    top = b"metrics: [dvclive/metrics.json]\n" + PIPELINE.replace(
        b"      - build/extra.json", b"      - dvclive/metrics.json"
    )
    assert metrics_files(top) == [
        "dvclive/metrics.json", "build/metrics.json", "reports/summary.json",
    ]  # fmt: skip
    assert metrics_files(b"") == []


def test_artifacts_name_the_served_path_and_the_pipeline_output() -> None:
    found = parse_artifacts(PIPELINE)
    assert (found["churn"].path, found["churn"].pipeline_output) == (
        "artifacts/churn/1.0.0/model.json", "build/model.json",
    )  # fmt: skip
    assert (found["other"].path, found["other"].pipeline_output) == ("build/other.pkl", None)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"- a list\n- not a pipeline\n", "dvc.yaml: not a mapping"),
        (b"stages:\n  train: {cmd: [unclosed\n", "dvc.yaml:"),
        (b"a: &x [1]\nb: *x\n", "dvc.yaml:"),  # the loader refuses aliases
    ],
)
def test_a_bad_dvc_yaml_is_a_clear_error(raw: bytes, message: str) -> None:
    for read in (metrics_files, parse_artifacts):
        with pytest.raises(UserError, match=message):
            read(raw)
