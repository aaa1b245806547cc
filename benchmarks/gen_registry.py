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
    # A canary serves a share of traffic (GF215 refuses one without it).
    rollout = "\n  rollout:\n    trafficPercent: 10" if stage == "canary" else ""
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
  stage: {stage}{rollout}
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


# ---------------------------------------------------------------- with history and audit tags

# Five versions: one in each stage a reader cares about (GTO shows them as columns).
FIVE = ["archived", "deprecated", "production", "canary", "development"]
BASE_TIME = 1_780_000_000  # 2026-05-28, one hour per commit


def stage_of(v: int, versions: int) -> str:
    if versions <= len(FIVE):
        return FIVE[v]
    return STAGES[v] if v < len(STAGES) else "archived"


def _data(text: bytes) -> bytes:
    return b"data %d\n" % len(text) + text + b"\n"


def _fast_import(target: Path, stream: bytes) -> None:
    subprocess.run(
        ["git", "-C", str(target), "fast-import", "--quiet", "--force"],
        input=stream, check=True, capture_output=True,
    )  # fmt: skip


def _commits(models: int, versions: int, artifacts: bool) -> bytes:
    """One commit per version index: commit k registers 1.k.0 of every model (GTO allows one
    version of a model per commit), the first one with this project's policies and schemas."""
    rng = random.Random(0)
    out = []
    for v in range(versions):
        version = f"1.{v}.0"
        files: list[tuple[str, bytes]] = []
        if v == 0:
            for part in ("policies", "schemas"):
                files += [(p.relative_to(ROOT).as_posix(), p.read_bytes())
                          for p in sorted((ROOT / part).glob("*")) if p.is_file()]  # fmt: skip
        for m in range(models):
            name = f"model-{m:04d}"
            text = manifest(name, version, stage_of(v, versions), rng)
            md5 = text.split('md5: "')[1][:32]
            size = text.rsplit("size: ", 1)[1].strip()
            files.append((f"models/{name}/{version}.yaml", text.encode()))
            if artifacts:
                dvc = f"outs:\n- md5: {md5}\n  size: {size}\n  path: model.json\n"
                files.append((f"artifacts/{name}/{version}/model.json.dvc", dvc.encode()))
        when = BASE_TIME + 3600 * v
        out.append(f"commit refs/heads/main\nmark :{v + 1}\n".encode())
        out.append(f"committer bench <b@x> {when} +0000\n".encode())
        out.append(_data(f"Merge pull request #{v + 1} from acme/register-{version}".encode()))
        if v:
            out.append(f"from :{v}\n".encode())
        for path, content in files:
            out.append(f"M 100644 inline {path}\n".encode() + _data(content))
    return b"".join(out)


def _tags(target: Path, models: int, versions: int, total: int) -> bytes:
    """The audit tags `gfops apply` writes, in GTO's naming, with their records: per version
    a registration and a stage assignment, then (to reach ``total``) earlier stage changes
    of each version, unassign + assign pairs."""
    from galfriday_gitops.apply.message import AuditRecord
    from galfriday_gitops.apply.tags import (
        TagAction,
        TagName,
        assignment,
        registration,
        unassignment,
    )

    shas = subprocess.run(["git", "-C", str(target), "rev-list", "--reverse", "main"],
                          check=True, capture_output=True, text=True).stdout.split()  # fmt: skip
    per_version = max(2, -(-total // max(models * versions, 1)))  # at least ``total``
    out = []
    for m in range(models):
        name = f"model-{m:04d}"
        counter = seq = 0
        for v in range(versions):
            version, stage, sha = f"1.{v}.0", stage_of(v, versions), shas[v]
            parent = shas[v - 1] if v else None
            facts: list[tuple[TagName | None, TagAction, str | None, str]] = [
                (registration(name, version), TagAction.REGISTER, None, stage),
                (None, TagAction.ASSIGN, None, stage),
            ]
            for _ in range((per_version - 1) // 2):
                facts += [
                    (None, TagAction.UNASSIGN, stage, stage),
                    (None, TagAction.ASSIGN, stage, stage),
                ]
            for tag, action, before, after in facts:
                seq += 1
                if tag is None:
                    counter += 1
                    tag = (assignment if action is TagAction.ASSIGN else unassignment)(
                        name, after if action is TagAction.ASSIGN else before or after, counter
                    )
                record = AuditRecord(action, "registered", name, version, before, after,
                                     sha, parent, pr=v + 1, verdict="allowed", seq=seq)  # fmt: skip
                message = record.render().encode()
                out.append(f"tag {tag}\nfrom {sha}\n".encode())
                out.append(
                    f"tagger galfriday-bot <bot@galfriday.dev> {BASE_TIME + seq} +0000\n".encode()
                )
                out.append(_data(message))
    return b"".join(out)


def _records(target: Path) -> bytes:
    """The commit record apply writes for each first-parent commit it judged
    (``gfops/commit/<sha>``), as on a registry whose trail is up to date: the next apply
    judges only what lands after them."""
    from galfriday_gitops.apply.message import CommitRecord
    from galfriday_gitops.apply.tags import commit_record

    shas = subprocess.run(["git", "-C", str(target), "rev-list", "--reverse", "main"],
                          check=True, capture_output=True, text=True).stdout.split()  # fmt: skip
    out = []
    for v, sha in enumerate(shas):
        parent = shas[v - 1] if v else None
        record = CommitRecord(sha, parent, "allowed" if parent else "genesis", pr=v + 1)
        out.append(f"tag {commit_record(sha)}\nfrom {sha}\n".encode())
        out.append(f"tagger galfriday-bot <bot@galfriday.dev> {BASE_TIME + v} +0000\n".encode())
        out.append(_data(record.render().encode()))
    return b"".join(out)


def generate_trail(
    target: Path,
    models: int,
    versions: int,
    *,
    tags: int | None = None,
    artifacts: bool = True,
    records: bool = False,
) -> None:
    """``models`` x ``versions`` manifests in ``versions`` commits (see ``_commits``), with
    audit tags in GTO's naming (2 per version, or at least ``tags`` in all), checked out,
    refs packed as a clone has them (40,000 loose tag files cost every reader of the refs,
    GTO and gfops alike, seconds of file-system walking on a busy disk).
    ``artifacts``: each version's ``.dvc`` file too (GTO walks every commit's whole tree
    once per tag, so they double its time without being anything it reads).
    ``records``: each commit's commit record too, as apply leaves a trail it is up to date
    with (without them, apply judges the whole history again)."""
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    _fast_import(target, _commits(models, versions, artifacts))
    _fast_import(target, _tags(target, models, versions, tags or 2 * models * versions))
    if records:
        _fast_import(target, _records(target))
    subprocess.run(["git", "-C", str(target), "reset", "-q", "--hard", "main"], check=True)
    subprocess.run(["git", "-C", str(target), "pack-refs", "--all"], check=True)
