"""``gfops drift`` end to end: ad hoc files, bad data, a DriftPolicy on a real registry."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from galfriday_gitops import dvcio
from galfriday_gitops.cli.main import main
from tests.monitor.conftest import BASELINE_ACCURACY, MODEL, DriftRegistry
from tests.support.cli import gfops, imported_top_level
from tests.support.collision import colliding_pair

N = 3000


def _frames(shift: float, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(loc: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "price": rng.normal(loc, 1.0, N),
                "volume": rng.lognormal(loc, 0.5, N),
                "venue": rng.choice(["a", "b", "c"], N),
                "hour": rng.integers(0, 4, N),  # low-cardinality integers: categorical
            }
        )

    return frame(0.0), frame(shift)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    ref, same = _frames(0.0)
    _, shifted = _frames(0.5)
    ref.to_csv(tmp_path / "ref.csv", index=False)
    with gzip.open(tmp_path / "same.csv.gz", "wt") as fh:
        same.to_csv(fh, index=False)
    shifted.to_parquet(tmp_path / "shifted.parquet")
    return tmp_path


def test_adhoc_planted_shift_is_drift_with_json_shape(files: Path) -> None:
    res = gfops(
        "drift", "--reference", "ref.csv", "--current", "shifted.parquet", "--format", "json",
        cwd=files,
    )  # fmt: skip
    assert res.code == 1, res.err
    doc = json.loads(res.out)
    assert doc["dataset_drift"] is True
    assert 0.0 < doc["drift_share"] <= 1.0
    feats = doc["features"]
    assert set(feats) == {"price", "volume", "venue", "hour"}
    assert feats["price"]["kind"] == "numeric" and feats["price"]["drifted"] is True
    assert set(feats["price"]["test"]) == {"ks"}
    assert {"statistic", "p_value", "p_value_adjusted"} <= set(feats["price"]["test"]["ks"])
    assert set(feats["price"]["effect_sizes"]) == {"wasserstein", "psi"}
    assert feats["venue"]["kind"] == "categorical"
    assert feats["hour"]["kind"] == "categorical"  # inferred from 4 distinct integers
    assert set(feats["venue"]["test"]) == {"chi2"}
    assert set(feats["venue"]["effect_sizes"]) == {"jensenshannon"}
    assert next(iter(feats)) == "price"  # drifted features first
    assert feats["venue"]["drifted"] is False


def test_adhoc_no_shift_exits_0_and_kinds_can_be_forced(files: Path) -> None:
    res = gfops(
        "drift", "--reference", "ref.csv", "--current", "same.csv.gz", "--numeric", "hour",
        "--format", "json", cwd=files,
    )  # fmt: skip
    assert res.code == 0, res.out + res.err
    doc = json.loads(res.out)
    assert doc["dataset_drift"] is False and doc["drift_share"] == 0.0
    assert doc["features"]["hour"]["kind"] == "numeric"


def test_adhoc_text_table_and_report(files: Path) -> None:
    res = gfops(
        "drift", "--reference", "ref.csv", "--current", "shifted.parquet", "--report", "out",
        cwd=files,
    )  # fmt: skip
    assert res.code == 1
    first_row = res.out.splitlines()[2]
    assert first_row.startswith("price") and " drifted " in first_row
    assert "DRIFT:" in res.out
    assert (files / "out" / "drift.md").is_file() and (files / "out" / "drift.html").is_file()


def _write(path: Path, frame: pd.DataFrame) -> str:
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("missing-column", "'price'"),
        ("all-nan", "'price'"),
        ("empty", "no rows"),
        ("text-in-numeric", "'price'"),
        ("infinite", "'price' in current contains infinite values"),
        ("beyond-floating-point", "'price': values from -1e+308 to 1e+308 span more"),
    ],
)
def test_bad_data_is_exit_2_with_one_line_naming_the_column(
    tmp_path: Path, case: str, expect: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ref, cur = _frames(0.0)
    extra: list[str] = []
    if case == "missing-column":
        cur = cur.drop(columns=["price"])
    elif case == "all-nan":
        cur["price"] = np.nan
    elif case == "empty":
        cur = cur.iloc[:0]
    elif case == "infinite":
        cur.loc[7, "price"] = np.inf
    elif case == "beyond-floating-point":
        cur.loc[7, "price"], cur.loc[8, "price"] = -1e308, 1e308
    else:
        cur["price"] = cur["price"].astype(str)
        cur.loc[5, "price"] = "twelve"
        extra = ["--numeric", "price"]
    r, c = _write(tmp_path / "r.csv", ref), _write(tmp_path / "c.csv", cur)
    # In-process through the real CLI entry point: the parametrised cases stay fast.
    code = main(["drift", "--reference", r, "--current", c, *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("gfops: error:"), err
    assert expect in lines[0]
    assert "Traceback" not in err


def test_bad_invocations_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", "--reference", "x.csv"]) == 2
    assert "--current" in capsys.readouterr().err
    assert main(["drift", "--reference", "x.csv", "--current", "y.csv"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["drift", "--model", "price-direction", "--current", "y.csv"]) == 2


def test_policy_mode_finds_planted_drift_and_performance_drop(
    drift_registry: DriftRegistry,
) -> None:
    res = gfops("drift", "--model", MODEL, "--format", "json", cwd=drift_registry.path)
    assert res.code == 1, res.err
    doc = json.loads(res.out)
    assert doc["model"] == MODEL and doc["dataset_drift"] is True
    feats = doc["features"]
    # The regime shift widens spreads and raises volatility; sessions are not shifted.
    for name in ("spread_bps", "vol_1h"):
        assert feats[name]["drifted"] is True
    assert feats["session"]["drifted"] is False
    assert list(feats)[-1] == "session"
    perf = doc["performance"]["metrics"]["accuracy"]
    assert perf["baseline"] == BASELINE_ACCURACY
    assert perf["current"] < BASELINE_ACCURACY - 0.03 and perf["drifted"] is True
    assert doc["on_drift"] == "retraining-pr"
    # The policy's other detectors run too: the multivariate test and the error stream.
    assert doc["multivariate"]["features"] == [
        "spread_bps",
        "imbalance_l5",
        "ret_5m",
        "ret_1h",
        "vol_1h",
    ]
    assert doc["multivariate"]["p_value_adjusted"] is not None
    stream = doc["error_stream"]
    assert stream["version"] == "1.0.0" and stream["requests"] > 0
    assert [d["detector"] for d in stream["detectors"]] == ["adwin", "page-hinkley"]
    assert stream["drifted"] is False  # the demo's error rate is stable (no spike planted)
    # A real but small shift must also reach the policy's wasserstein min (0.1) to count.
    for feat in feats.values():
        if feat["drifted"] and feat["kind"] == "numeric":
            assert feat["effect_sizes"]["wasserstein"]["value"] >= 0.1


def test_policy_mode_text_shows_every_detector(drift_registry: DriftRegistry) -> None:
    res = gfops("drift", "--model", MODEL, cwd=drift_registry.path)
    assert res.code == 1, res.err
    assert "multivariate (PCA reconstruction" in res.out
    assert "error stream of 1.0.0" in res.out and "adwin no alarm" in res.out
    assert "page-hinkley no alarm" in res.out
    assert "performance accuracy:" in res.out


def test_policy_mode_unknown_model_and_bad_rev(drift_registry: DriftRegistry) -> None:
    res = gfops("drift", "--model", "nope", cwd=drift_registry.path)
    assert res.code == 2 and "no DriftPolicy for model 'nope'" in res.err
    res = gfops("drift", "--all", "--rev", "no-such-rev", cwd=drift_registry.path)
    assert res.code == 2 and "no-such-rev" in res.err


HEAVY = {"numpy", "scipy", "pandas", "pyarrow", "ruamel"}


def test_help_imports_no_heavy_library_and_the_check_can_see_one(files: Path) -> None:
    help_imports = imported_top_level("--help")
    assert {"galfriday_gitops", "argparse"} <= help_imports  # the list is really read
    assert not help_imports & HEAVY
    # Positive control: a command that needs numpy and pandas is seen importing them.
    drift_imports = imported_top_level(
        "drift", "--reference", "ref.csv", "--current", "same.csv.gz", cwd=files
    )
    assert {"numpy", "pandas"} <= drift_imports


def _production_artifact_as(
    registry: DriftRegistry, repo: Path, registered: bytes, on_disk: bytes
) -> None:
    """The production manifest pins ``registered`` (its md5 and SHA-256); the work tree
    holds ``on_disk`` where the performance check would read the model."""
    manifest = repo / "models" / MODEL / "1.0.0.yaml"
    artifact = _artifact(repo)
    text = manifest.read_text(encoding="utf-8")
    old_md5, old_sha = dvcio.md5_and_sha256(artifact)
    new_md5 = hashlib.md5(registered, usedforsecurity=False).hexdigest()
    new_sha = hashlib.sha256(registered).hexdigest()
    assert old_md5 in text and old_sha in text
    manifest.write_text(text.replace(old_md5, new_md5).replace(old_sha, new_sha))
    registry.run("git", "commit", "-qam", "pin other bytes", cwd=repo)
    _put(repo, on_disk)


def _artifact(repo: Path) -> Path:
    return repo / "artifacts" / MODEL / "1.0.0" / "model.json"


def _put(repo: Path, data: bytes) -> None:
    """New bytes at the artifact's path (unlinked first: DVC may have linked it to its cache)."""
    _artifact(repo).unlink()
    _artifact(repo).write_bytes(data)


def _performance_notes(repo: Path) -> list[str]:
    res = gfops("drift", "--model", MODEL, "--format", "json", cwd=repo)
    assert res.code in (0, 1), res.err
    return [n for n in json.loads(res.out)["notes"] if n.startswith("performance")]


def test_swapped_model_bytes_with_the_same_md5_are_never_scored(
    drift_registry: DriftRegistry, tmp_path: Path
) -> None:
    """The performance check scores the production artifact only after its bytes match
    the manifest's md5 AND SHA-256: a file swapped for one with the same md5 (a real
    collision) is refused before the loader sees it."""
    benign, evil = colliding_pair()
    repo = tmp_path / "registry"
    shutil.copytree(drift_registry.path, repo, symlinks=True)
    _production_artifact_as(drift_registry, repo, registered=benign, on_disk=evil)
    notes = _performance_notes(repo)
    assert any("does not match the sha256 in" in n for n in notes), notes
    # Control: the registered bytes pass both digests and reach the loader, which refuses
    # them for another reason (they are not a model it can score).
    _put(repo, benign)
    notes = _performance_notes(repo)
    assert any("is not a format gfops can score" in n for n in notes), notes
    assert not any("does not match" in n for n in notes)
    # Other bytes altogether: the md5 already differs.
    _put(repo, b"{}\n")
    assert any("does not match the md5 in" in n for n in _performance_notes(repo))
