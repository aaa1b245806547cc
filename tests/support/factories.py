"""Builders for registry files used across tests (valid by default; tests break them)."""

from __future__ import annotations

import hashlib


def fake_md5(name: str, version: str) -> str:
    """The md5 of the bytes ``b"<name>@<version>"`` (what a test stores as the artifact)."""
    return hashlib.md5(f"{name}@{version}".encode(), usedforsecurity=False).hexdigest()


def fake_sha256(name: str, version: str) -> str:
    """The SHA-256 of the same bytes as :func:`fake_md5`."""
    return hashlib.sha256(f"{name}@{version}".encode()).hexdigest()


def dvc_file(name: str, version: str) -> str:
    """The ``.dvc`` file of a registered version's artifact (``artifacts/<n>/<v>/model.json``)."""
    return f"outs:\n- md5: {fake_md5(name, version)}\n  size: 100\n  path: model.json\n"


def manifest(
    name: str = "price-direction",
    version: str = "1.0.0",
    stage: str = "development",
    *,
    accuracy: float = 0.9,
    latency: float = 12.0,
    experiment: str | None = None,
    labels: str = "{team: quant}",
    md5: str | None = None,
    size: int = 100,
    sha256: str | None = None,
    traffic: float | None = None,
) -> str:
    """A valid manifest; ``traffic`` adds ``spec.rollout`` after the stage line, as
    ``gfops promote NAME VERSION canary --traffic N`` writes it."""
    lineage = f"\n  lineage: {{experiment: {experiment}}}" if experiment else ""
    rollout = f"\n  rollout:\n    trafficPercent: {traffic:g}" if traffic is not None else ""
    return f"""\
# yaml-language-server: $schema=../../schemas/model-version.schema.json
apiVersion: galfriday/v1
kind: ModelVersion
metadata:
  name: {name}
  version: {version}
  labels: {labels}
spec:
  stage: {stage}          # a comment that must survive edits{rollout}
  modelType: logistic-regression
  framework: numpy
  features: [spread_bps, imbalance_l5]
  training:
    trainedAt: 2026-11-01T12:00:00Z
    codeCommit: 4f2a9c1e0b7d3a5f6e8c9d0b1a2f3e4d5c6b7a89
  metrics:
    test: {{accuracy: {accuracy}, latency_ms: {latency}}}{lineage}
  artifacts:
    - path: artifacts/{name}/{version}/model.json
      md5: "{md5 or fake_md5(name, version)}"
      size: {size}
      sha256: "{sha256 or fake_sha256(name, version)}"
"""
