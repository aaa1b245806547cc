"""`gfops register` as DVC users meet it: it refuses without a remote, fails whole when the
remote refuses, and leaves a registry that the real DVC client pulls, checks and serves
(``dvc pull``, ``dvc status -c``, ``dvc artifacts get --rev``) from a fresh clone."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.cli import gfops
from tests.support.dvc import dvc
from tests.support.repo import Repo

GTO = str(Path(sys.executable).with_name("gto"))

# A two-stage pipeline over a raw input added with `dvc add`: the manifest's lineage names
# the raw input and the prepared data, so `dvc pull` of a clone needs all three in the remote.
PIPELINE = """\
stages:
  prepare:
    cmd: python prepare.py
    deps: [raw.csv, prepare.py]
    outs: [prepared.txt]
  train:
    cmd: python train.py
    deps: [prepared.txt, train.py]
    params: [train.l2]
    outs: [build/model.json]
"""
PREPARE = """\
from pathlib import Path
Path("prepared.txt").write_text(Path("raw.csv").read_text().upper())
"""
TRAIN = """\
import json
from pathlib import Path
import yaml
l2 = yaml.safe_load(Path("params.yaml").read_text())["train"]["l2"]
Path("build").mkdir(exist_ok=True)
rows = len(Path("prepared.txt").read_text().splitlines())
Path("build/model.json").write_text(json.dumps({"l2": l2, "rows": rows}))
"""


def dvc_repo(repo: Repo, remote: Path | None) -> None:
    dvc(repo.path, "init", "-q")
    if remote is not None:
        dvc(repo.path, "remote", "add", "-d", "store", str(remote))
    repo.commit("dvc")


def porcelain(repo: Repo) -> str:
    return repo.git("status", "--porcelain", "--untracked-files=all")


def test_register_without_a_remote_refuses_and_leaves_nothing(
    empty_repo: Repo, tmp_path: Path
) -> None:
    dvc_repo(empty_repo, remote=None)
    model = tmp_path / "model.json"
    model.write_text('{"w": 1}\n')
    args = ("register", str(model), "--name", "churn", "--version", "1.0.0")
    refused = gfops(*args, cwd=empty_repo.path)
    assert refused.code == 2, refused.out + refused.err
    assert "no default DVC remote" in refused.err and "dvc remote add -d" in refused.err
    assert "Traceback" not in refused.err
    assert porcelain(empty_repo) == ""  # no manifest, no artifacts/churn/1.0.0/, no dvc.yaml

    # Control: with a remote, the same command registers and the remote holds the object.
    dvc(empty_repo.path, "remote", "add", "-d", "store", str(tmp_path / "remote"))
    done = gfops(*args, cwd=empty_repo.path)
    assert done.code == 0, done.err
    assert (empty_repo.path / "models/churn/1.0.0.yaml").is_file()
    status = dvc(empty_repo.path, "status", "-c", "artifacts/churn/1.0.0/model.json.dvc")
    assert "in sync" in status, status


def test_a_remote_that_refuses_shows_dvcs_error_and_leaves_nothing(
    empty_repo: Repo, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the remote's folder should be\n")
    dvc_repo(empty_repo, remote=blocker / "remote")
    model = tmp_path / "model.json"
    model.write_text('{"w": 1}\n')
    result = gfops("register", str(model), "--name", "churn", "--version", "1.0.0",
                   cwd=empty_repo.path)  # fmt: skip
    assert result.code == 2, result.out + result.err
    assert "Traceback" not in result.err
    assert "Having any troubles" not in result.err  # DVC's support banner is not the error
    # DVC's own cause line (its "ERROR: " prefix replaced by ours), one line.
    assert "dvc push failed" in result.err and "Not a directory" in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert porcelain(empty_repo) == ""
    assert not (empty_repo.path / "artifacts").exists()


def test_a_registry_built_by_register_passes_dvc_pull_status_and_artifacts_get(
    empty_repo: Repo, tmp_path: Path
) -> None:
    repo = empty_repo
    dvc_repo(repo, remote=tmp_path / "remote")
    repo.write("raw.csv", "day,price\n1,10\n2,11\n")
    repo.write("params.yaml", "train: {l2: 1.0}\n")
    repo.write("dvc.yaml", PIPELINE)
    repo.write("prepare.py", PREPARE)
    repo.write("train.py", TRAIN)
    dvc(repo.path, "add", "-q", "raw.csv")
    dvc(repo.path, "repro", "-q")
    repo.commit("pipeline ran")

    registered: dict[str, tuple[str, bytes]] = {}
    for version, l2 in (("1.0.0", "1.0"), ("1.1.0", "0.5")):
        if version != "1.0.0":
            repo.write("params.yaml", f"train: {{l2: {l2}}}\n")
            dvc(repo.path, "repro", "-q")
        result = gfops("register", "build/model.json", "--name", "churn", "--version", version,
                       cwd=repo.path)  # fmt: skip
        assert result.code == 0, result.err
        registered[version] = (
            repo.commit(f"register {version}"),
            (repo.path / f"artifacts/churn/{version}/model.json").read_bytes(),
        )
        entry = yaml.safe_load(repo.read("dvc.yaml"))["artifacts"]["churn"]
        assert entry["path"] == f"artifacts/churn/{version}/model.json"  # not build/model.json
    assert registered["1.0.0"][1] != registered["1.1.0"][1]
    lineage = yaml.safe_load(repo.read("models/churn/1.0.0.yaml"))["spec"]["training"]["params"]
    assert "dvc.dep.prepared.txt" in lineage

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    pulled = dvc(clone, "pull")
    assert "failed" not in pulled.lower(), pulled
    for path in ("raw.csv", "prepared.txt", "build/model.json", "artifacts/churn/1.0.0/model.json"):
        assert (clone / path).is_file(), path
    assert "in sync" in dvc(clone, "status", "-c")

    # DVC serves each version's own bytes from its registration tag (written here by GTO,
    # as `gfops apply` writes them after review), although the pipeline output was
    # retrained after 1.0.0.
    for version, (commit, expected) in registered.items():
        subprocess.run([GTO, "register", "churn", commit, "--version", f"v{version}"],
                       cwd=repo.path, capture_output=True, check=True)  # fmt: skip
        out = tmp_path / f"served-{version}"
        dvc(tmp_path, "artifacts", "get", str(repo.path), "churn", "--rev", f"v{version}",
            "-o", str(out))  # fmt: skip
        assert out.read_bytes() == expected, version


def test_register_sets_tags_hyperparameters_window_and_reads_dvc_metrics(
    empty_repo: Repo, tmp_path: Path
) -> None:
    dvc_repo(empty_repo, remote=tmp_path / "remote")
    model = tmp_path / "model.json"
    model.write_text('{"w": 1}\n')
    metrics = tmp_path / "metrics.json"  # `dvc metrics show --json`'s shape
    metrics.write_text(json.dumps(
        {"": {"data": {"build/metrics.json": {"data": {"accuracy": 0.91, "auc": 0.88}}}}}
    ))  # fmt: skip
    result = gfops(
        "register", str(model), "--name", "churn", "--version", "1.0.0",
        "--tag", "baseline", "--tag", "q4", "--hyperparameter", "l2=0.5",
        "--hyperparameter", "depth=3", "--hyperparameter", "balanced=true",
        "--data-start", "2026-01-01", "--data-end", "2026-03-31",
        "--metrics", str(metrics), cwd=empty_repo.path,
    )  # fmt: skip
    assert result.code == 0, result.err
    spec = yaml.safe_load(empty_repo.read("models/churn/1.0.0.yaml"))["spec"]
    assert spec["tags"] == ["baseline", "q4"]
    assert spec["hyperparameters"] == {"l2": 0.5, "depth": 3, "balanced": True}
    window = spec["training"]["dataWindow"]
    assert (str(window["start"]), str(window["end"])) == ("2026-01-01", "2026-03-31")
    assert spec["metrics"]["test"] == {"accuracy": 0.91, "auc": 0.88}
    artifact = spec["artifacts"][0]
    assert artifact["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()

    backwards = gfops("register", str(model), "--name", "churn", "--version", "1.0.1",
                      "--data-start", "2026-03-31", "--data-end", "2026-01-01",
                      cwd=empty_repo.path)  # fmt: skip
    assert backwards.code == 2 and "before --data-start" in backwards.err


# A training script logging with the real DVCLive (3.x): nested names ("train/loss"), the
# splits the manifest knows ("test/...", "validation/..."), a summary entry set by hand, and
# the step counter DVCLive writes beside them.
DVCLIVE_TRAINING = """\
import sys
from dvclive import Live

with Live(sys.argv[1], save_dvc_exp=False, dvcyaml=None) as live:
    for epoch in range(3):
        live.log_metric("train/loss", 1 / (epoch + 1))
        live.log_metric("test/accuracy", 0.9 + epoch / 100)
        live.log_metric("validation/auc", 0.8 + epoch / 100)
        live.next_step()
    live.summary["test/latency_ms"] = 12.5
"""


def test_register_reads_dvclives_metrics_json_without_its_step(
    empty_repo: Repo, tmp_path: Path
) -> None:
    dvc_repo(empty_repo, remote=tmp_path / "remote")
    training = tmp_path / "training"
    training.mkdir()
    (training / "train.py").write_text(DVCLIVE_TRAINING)
    subprocess.run(
        [sys.executable, "train.py", "dvclive"], cwd=training, check=True, capture_output=True
    )
    metrics = training / "dvclive" / "metrics.json"
    written = json.loads(metrics.read_text())
    assert written["step"] == 2  # the control: DVCLive's file holds its step counter
    model = tmp_path / "model.json"
    model.write_text('{"w": 1}\n')

    result = gfops(
        "register", str(model), "--name", "churn", "--version", "1.0.0",
        "--metrics", str(metrics), cwd=empty_repo.path,
    )  # fmt: skip

    assert result.code == 0, result.err
    spec = yaml.safe_load(empty_repo.read("models/churn/1.0.0.yaml"))["spec"]
    assert spec["metrics"] == {
        "validation": {"auc": written["validation"]["auc"]},
        "test": {
            "accuracy": written["test"]["accuracy"],
            "latency_ms": written["test/latency_ms"],
            "train.loss": written["train"]["loss"],  # outside a split: --metrics-split
        },
    }
    assert gfops("validate", "models/churn/1.0.0.yaml", cwd=empty_repo.path).code == 0


def test_without_metrics_register_reads_what_dvclive_declared_in_dvc_yaml(
    empty_repo: Repo, tmp_path: Path
) -> None:
    # DVCLive run in the registry writes dvc.yaml with a top-level `metrics:` (no stage).
    dvc_repo(empty_repo, remote=tmp_path / "remote")
    empty_repo.write("train.py", DVCLIVE_TRAINING.replace(", dvcyaml=None", ""))
    subprocess.run(
        [sys.executable, "train.py", "dvclive"], cwd=empty_repo.path, check=True,
        capture_output=True,
    )  # fmt: skip
    declared = yaml.safe_load(empty_repo.read("dvc.yaml"))
    assert declared["metrics"] == ["dvclive/metrics.json"] and "stages" not in declared
    empty_repo.write("model.json", '{"w": 1}\n')
    empty_repo.commit("trained")
    # The oracle: what DVC itself reports as this repository's metrics.
    (tmp_path / "shown.json").write_text(dvc(empty_repo.path, "metrics", "show", "--json"))

    implicit = gfops("register", "model.json", "--name", "churn", "--version", "1.0.0",
                     cwd=empty_repo.path)  # fmt: skip
    shown = gfops("register", "model.json", "--name", "churn", "--version", "1.0.1",
                  "--metrics", str(tmp_path / "shown.json"), cwd=empty_repo.path)  # fmt: skip

    assert implicit.code == 0 and shown.code == 0, implicit.err + shown.err
    recorded = [
        yaml.safe_load(empty_repo.read(f"models/churn/{v}.yaml"))["spec"]["metrics"]
        for v in ("1.0.0", "1.0.1")
    ]
    assert recorded[0] == recorded[1]
    assert recorded[0]["validation"] == {"auc": pytest.approx(0.82)}  # control: not empty
    assert "step" not in recorded[0]["test"]
