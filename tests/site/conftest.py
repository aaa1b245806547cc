"""A registry for the site tests: the audit trail of ``tests.support.trail`` (PRs #1-#6
merged and applied, so the timeline has PR numbers and approvers), then one direct commit
that brings crafted values: a description and a commit subject written to break out of
HTML text and attributes, a canary with a traffic share, and a concluded experiment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.factories import dvc_file, manifest
from tests.support.repo import IDENTITY, Repo
from tests.support.trail import copy_of, history_fixture

# Each would run script or add an event handler if it reached a page unescaped.
CRAFTED_DESCRIPTION = (
    "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\"> & 'quoted'"
)
CRAFTED_SUBJECT = (
    'Merge pull request #7 from acme/x" onmouseover="window.pwned=3" data-x=\'<b>bold</b>'
)
CRAFTED_MODEL = "xss-model"

EXPERIMENT = """\
apiVersion: galfriday/v1
kind: Experiment
metadata:
  name: spread-ab
  description: A/B of the spread model
spec:
  model: spread-model
  control: 0.1.0
  treatment: 0.2.0
  allocation: {strategy: weighted}
  unit: account_id
  metrics:
    primary: {name: pnl_bps, kind: mean, direction: higher}
  design: {minimumDetectableEffect: 0.02}
  window: {start: 2026-11-02, end: 2026-11-16}
  data: data/experiments/spread-ab/outcomes.parquet
  status: concluded
  result:
    winner: 0.2.0
    decision: treatment wins on pnl_bps
    concludedAt: 2026-11-17T00:00:00Z
    dataMd5: "0123456789abcdef0123456789abcdef"
    samples: {control: 5000, treatment: 5000}
    relativeLift: 0.031
    ci: [0.012, 0.05]
    pValue: 0.002
    chanceToWin: 0.99
    srmPValue: 0.5
"""

trail_registry = history_fixture(apply=True)


@dataclass(frozen=True)
class SiteRegistry:
    repo: Repo
    trail: str  # main after the applied PRs: audit ok
    crafted: str  # main after the crafted commit (untagged: audit findings)


def _crafted_commit(repo: Repo) -> str:
    quoted = CRAFTED_DESCRIPTION.replace("'", "''")
    text = manifest(name=CRAFTED_MODEL, version="1.0.0")
    text = text.replace("  version: 1.0.0\n", f"  version: 1.0.0\n  description: '{quoted}'\n")
    repo.write(f"models/{CRAFTED_MODEL}/1.0.0.yaml", text)
    repo.write(f"artifacts/{CRAFTED_MODEL}/1.0.0/model.json.dvc", dvc_file(CRAFTED_MODEL, "1.0.0"))
    canary = manifest(name="spread-model", version="0.2.0", stage="canary", accuracy=0.93)
    canary = canary.replace("  artifacts:\n", "  rollout: {trafficPercent: 10}\n  artifacts:\n")
    repo.write("models/spread-model/0.2.0.yaml", canary)
    repo.write("artifacts/spread-model/0.2.0/model.json.dvc", dvc_file("spread-model", "0.2.0"))
    repo.write("experiments/spread-ab.yaml", EXPERIMENT)
    return repo.commit(CRAFTED_SUBJECT)


@pytest.fixture(scope="module")
def site_registry(
    trail_registry: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SiteRegistry]:
    repo = copy_of(trail_registry, tmp_path_factory.mktemp("site-registry"))
    with pytest.MonkeyPatch.context() as mp:
        for key, value in IDENTITY.items():
            mp.setenv(key, value)
        trail = repo.git("rev-parse", "main")
        crafted = _crafted_commit(repo)
    yield SiteRegistry(repo, trail, crafted)
