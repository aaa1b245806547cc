"""The demo pipeline run for real through DVC in a throwaway git + DVC repository."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import galfriday_gitops.demo
from galfriday_gitops.demo.pipeline import ALL_FEATURES, TARGET
from galfriday_gitops.demo.pipeline.simulate import experiment_outcomes, inference_log
from galfriday_gitops.demo.pipeline.train import fit, model_json
from galfriday_gitops.monitor.model import ModelFormatError, load_model
from tests.support.dvc import dvc, dvc_env
from tests.support.repo import ROOT

TEMPLATE = ROOT  # the project root is the template registry
PACKAGE_ROOT = Path(galfriday_gitops.demo.__file__).parents[2]
OUTPUTS = (
    "build/model/model.json",
    "build/metrics.json",
    "data/prepared/train.parquet",
    "data/prepared/test.parquet",
    "data/reference/price-direction.parquet",
    "data/live/price-direction/last-7d.parquet",
    "data/experiments/price-direction-1.2-vs-1.1/outcomes.parquet",
    "data/inference/1.0.0.jsonl",
    "data/inference/1.1.0.jsonl",
)
WEAK_FEATURES = ["spread_bps", "ret_5m", "ret_1h", "vol_1h", "session"]


def _env() -> dict[str, str]:
    # The stages run `python -m galfriday_gitops...` (dvc_env puts this interpreter first on
    # PATH): make the package importable even when it is not installed.
    path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
    return dvc_env({"PYTHONPATH": path})


def _run(repo: Path, *args: str) -> None:
    subprocess.run(args, cwd=repo, env=_env(), check=True, capture_output=True, text=True)


def _md5s(repo: Path) -> dict[str, str]:
    return {p: hashlib.md5((repo / p).read_bytes()).hexdigest() for p in OUTPUTS}


def _metrics(repo: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((repo / "build/metrics.json").read_text())
    return result


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git + DVC repository with the template copied in and ``dvc repro`` done."""
    root = tmp_path_factory.mktemp("registry")
    _run(root, "git", "init", "-q")
    dvc(root, "init", "-q", env=_env())
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(TEMPLATE / name, root / name)
    dvc(root, "repro", env=_env())
    return root


@pytest.fixture(scope="module")
def forced_md5s(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Output hashes after ``dvc repro --force`` in a copy of ``repo``."""
    copy = tmp_path_factory.mktemp("forced") / "repo"
    shutil.copytree(repo, copy)
    dvc(copy, "repro", "--force", env=_env())
    return _md5s(copy)


@pytest.fixture(scope="module")
def weak_metrics(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Metrics of the weaker variant (no order-book imbalance) in a copy of ``repo``."""
    copy = tmp_path_factory.mktemp("weak") / "repo"
    shutil.copytree(repo, copy)
    params = yaml.safe_load((copy / "params.yaml").read_text())
    params["train"]["features"] = WEAK_FEATURES
    (copy / "params.yaml").write_text(yaml.safe_dump(params))
    dvc(copy, "repro", env=_env())
    return _metrics(copy)


def test_default_model_passes_production_gate(repo: Path) -> None:
    metrics = _metrics(repo)
    assert set(metrics) == {"validation", "test"}
    assert {"accuracy", "f1", "auc", "latency_ms"} <= set(metrics["test"])
    assert metrics["test"]["accuracy"] > 0.85
    assert metrics["validation"]["accuracy"] > 0.85
    # Still a noisy problem, not a trivially separable one.
    assert metrics["test"]["accuracy"] < 0.95
    assert 0.5 < metrics["test"]["auc"] < 1.0


def test_weak_variant_lands_between_staging_and_production(weak_metrics: dict[str, Any]) -> None:
    assert 0.80 <= weak_metrics["test"]["accuracy"] < 0.85


def test_forced_repro_is_byte_identical(repo: Path, forced_md5s: dict[str, str]) -> None:
    assert _md5s(repo) == forced_md5s


def test_model_json_is_stable_text(repo: Path) -> None:
    text = (repo / "build/model/model.json").read_text()
    payload = json.loads(text)
    assert text == json.dumps(payload, sort_keys=True, indent=2) + "\n"
    assert payload["format_version"] == 1
    assert payload["features"] == list(ALL_FEATURES)


def test_model_bytes_ignore_summation_order(repo: Path) -> None:
    # Fitting the same rows in another order perturbs the optimum at the 1e-14 level, as a
    # different BLAS build or thread count would; the written model must not change.
    train = pd.read_parquet(repo / "data/prepared/train.parquet")
    reference = model_json(fit(train, list(ALL_FEATURES), 1.0, 100))
    for seed in range(3):
        shuffled = train.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        assert model_json(fit(shuffled, list(ALL_FEATURES), 1.0, 100)) == reference


def test_loaded_model_reproduces_evaluated_accuracy(repo: Path) -> None:
    model = load_model(repo / "build/model/model.json")
    test = pd.read_parquet(repo / "data/prepared/test.parquet")
    proba = model.predict_proba(test)
    assert proba.shape == (len(test),)
    assert ((proba >= 0) & (proba <= 1)).all()
    accuracy = float((model.predict(test) == test[TARGET].to_numpy()).mean())
    assert round(accuracy, 6) == _metrics(repo)["test"]["accuracy"]


def test_dvc_sees_artifact_and_clean_pipeline(repo: Path) -> None:
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc_repo:
        artifacts = dvc_repo.artifacts.read()["dvc.yaml"]
        # The registered file of the newest version (DVC serves each version's own bytes);
        # retraining finds the pipeline output in meta.
        assert artifacts["price-direction"].path == "artifacts/price-direction/1.2.0/model.json"
        assert artifacts["price-direction"].meta == {"pipelineOutput": "build/model/model.json"}
        assert artifacts["price-direction"].type == "model"
        assert not dvc_repo.status()


def test_live_data_matches_reference_schema(repo: Path) -> None:
    reference = pd.read_parquet(repo / "data/reference/price-direction.parquet")
    live = pd.read_parquet(repo / "data/live/price-direction/last-7d.parquet")
    assert list(live.columns) == list(reference.columns)
    assert list(live.dtypes) == list(reference.dtypes)
    assert live["timestamp"].min() > reference["timestamp"].max()


def test_simulated_outcomes_show_split_and_lift(repo: Path) -> None:
    outcomes = pd.read_parquet(
        repo / "data/experiments/price-direction-1.2-vs-1.1/outcomes.parquet"
    )
    assert list(outcomes.columns) == ["account_id", "variant", "pnl_bps", "latency_ms", "error"]
    assert outcomes["account_id"].is_unique
    share = float((outcomes["variant"] == "treatment").mean())
    assert abs(share - 0.5) < 3 * np.sqrt(0.25 / len(outcomes))
    means = outcomes.groupby("variant")["pnl_bps"].mean()
    assert means["treatment"] > means["control"]
    assert set(outcomes["error"].unique()) <= {0, 1}


def test_ninety_ten_split() -> None:
    params = yaml.safe_load((TEMPLATE / "params.yaml").read_text())
    params["experiment"]["split"] = 0.1
    outcomes = experiment_outcomes(params, seed=7)
    share = float((outcomes["variant"] == "treatment").mean())
    assert abs(share - 0.1) < 3 * np.sqrt(0.09 / len(outcomes))
    means = outcomes.groupby("variant")["pnl_bps"].mean()
    assert means["treatment"] > means["control"]


def test_inference_logs_and_error_spike(repo: Path) -> None:
    lines = (repo / "data/inference/1.0.0.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    assert set(record) == {"timestamp", "version", "success", "latency_ms", "confidence", "cost"}
    assert record["version"] == "1.0.0"

    params = yaml.safe_load((TEMPLATE / "params.yaml").read_text())
    params["inference"]["spike"]["version"] = "1.1.0"
    start = pd.Timestamp("2024-04-01", tz="UTC").to_pydatetime()
    calm = inference_log(params, 42, "1.0.0", start)
    spiky = inference_log(params, 42, "1.1.0", start)
    late = [r for r in spiky if r["timestamp"] >= "2024-04-04T12"]
    early = [r for r in spiky if r["timestamp"] < "2024-04-04T12"]
    assert sum(not r["success"] for r in late) / len(late) > 0.15
    assert sum(not r["success"] for r in early) / len(early) < 0.05
    assert sum(not r["success"] for r in calm) / len(calm) < 0.05


def test_regime_shift_moves_test_but_not_train(tmp_path: Path, repo: Path) -> None:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["data"]["regime_shift"] = 0.5
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    _run(tmp_path, sys.executable, "-m", "galfriday_gitops.demo.pipeline.prepare")
    for name in ("data/prepared/train.parquet", "data/reference/price-direction.parquet"):
        assert (tmp_path / name).read_bytes() == (repo / name).read_bytes()
    shifted = pd.read_parquet(tmp_path / "data/prepared/test.parquet")
    calm = pd.read_parquet(repo / "data/prepared/test.parquet")
    assert shifted["spread_bps"].mean() > 1.2 * calm["spread_bps"].mean()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda text: text[:-20], "not JSON"),
        (lambda text: text.replace('"format_version": 1', '"format_version": 9'), "format_version"),
        (lambda text: text.replace('"format": "galfriday-logreg"', '"format": "x"'), "'format'"),
        (lambda text: text.replace('"weights": [', '"weights": [1.0,'), "weights"),
    ],
)
def test_load_model_rejects_malformed_file(
    repo: Path, tmp_path: Path, mutate: Any, message: str
) -> None:
    broken = tmp_path / "model.json"
    broken.write_text(mutate((repo / "build/model/model.json").read_text()))
    with pytest.raises(ModelFormatError, match="invalid model file") as info:
        load_model(broken)
    assert message in str(info.value)
    assert str(broken) in str(info.value)


def test_load_model_rejects_a_binary_file(tmp_path: Path) -> None:
    """A pickle (or any non-text file) is a format error with the file's name, not a crash."""
    binary = tmp_path / "model.pkl"
    binary.write_bytes(b"\x80\x04\x95\xd1\x00 not text")
    with pytest.raises(ModelFormatError, match="not UTF-8 JSON") as info:
        load_model(binary)
    assert str(binary) in str(info.value)
