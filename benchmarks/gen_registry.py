"""Generate a large registry: N models x M versions of realistic manifests, committed in git.

python benchmarks/gen_registry.py DIR [--models 1000] [--versions 10]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One version per stage with capacity (production, canary): a valid registry.
STAGES = ["archived", "retired", "deprecated", "deprecated", "development",
          "testing", "staging", "canary", "production", "development"]  # fmt: skip


def manifest(name: str, version: str, stage: str, rng: random.Random) -> str:
    md5 = hashlib.md5(f"{name}{version}".encode(), usedforsecurity=False).hexdigest()
    acc = round(rng.uniform(0.7, 0.95), 4)
    commit = hashlib.sha1(version.encode(), usedforsecurity=False).hexdigest()
    test_tail = f"auc: {round(acc + 0.035, 4)}, latency_ms: {round(rng.uniform(2, 40), 2)}"
    return f"""\
# yaml-language-server: $schema=../../schemas/model-version.schema.json
apiVersion: galfriday/v1
kind: ModelVersion
metadata:
  name: {name}
  version: {version}
  description: Synthetic model {name} for scale benchmarks
  labels: {{team: team-{rng.randint(1, 20)}, asset: asset-{rng.randint(1, 50)}}}
spec:
  stage: {stage}
  modelType: gradient-boosting
  framework: lightgbm 4.5
  target: direction_1h
  features: [spread_bps, imbalance_l5, ret_5m, ret_1h, vol_1h, session, depth_l10, trade_flow]
  hyperparameters: {{num_leaves: 63, learning_rate: 0.05, n_estimators: 400, l2: 0.01}}
  training:
    dataWindow: {{start: 2026-01-01, end: 2026-10-31}}
    samples: {rng.randint(10_000, 500_000)}
    trainedAt: 2026-11-01T12:00:00Z
    trainedBy: ci
    codeCommit: {commit}
  metrics:
    validation: {{accuracy: {acc}, f1: {round(acc - 0.01, 4)}, auc: {round(acc + 0.04, 4)}}}
    test: {{accuracy: {round(acc - 0.005, 4)}, f1: {round(acc - 0.015, 4)}, {test_tail}}}
  lineage:
    parent: null
    experiment: null
  artifacts:
    - path: artifacts/{name}/{version}/model.json
      md5: "{md5}"
      size: {rng.randint(10_000, 5_000_000)}
"""


def generate(target: Path, models: int, versions: int) -> None:
    rng = random.Random(0)
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    for part in ("policies", "schemas"):
        subprocess.run(["cp", "-r", str(ROOT / part), str(target)], check=True)
    for m in range(models):
        name = f"model-{m:04d}"
        folder = target / "models" / name
        folder.mkdir(parents=True, exist_ok=True)
        for v in range(versions):
            stage = STAGES[v % len(STAGES)] if v < len(STAGES) else "archived"
            version = f"1.{v}.0"
            text = manifest(name, version, stage, rng)
            (folder / f"{version}.yaml").write_text(text)
            md5 = text.split('md5: "')[1][:32]
            size = text.rsplit("size: ", 1)[1].strip()
            dvc = target / "artifacts" / name / version / "model.json.dvc"
            dvc.parent.mkdir(parents=True, exist_ok=True)
            dvc.write_text(f"outs:\n- md5: {md5}\n  size: {size}\n  path: model.json\n")
    subprocess.run(["git", "-C", str(target), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(target), "commit", "-qm", "big registry"], check=True, env=env)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    args = parser.parse_args()
    generate(args.dir, args.models, args.versions)
