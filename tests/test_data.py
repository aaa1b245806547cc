"""``read_table``: CSV, gzip CSV and Parquet; clear errors; DVC-tracked files fetched back."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from galfriday_gitops.data import read_table
from galfriday_gitops.dvcio import dvc_target
from galfriday_gitops.errors import UserError
from tests.support.dvc import dvc
from tests.support.repo import make_repo


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "variant": rng.choice(["control", "treatment"], size=200),
            "pnl_bps": rng.normal(12.0, 4.0, size=200),
            "error": rng.integers(0, 2, size=200),
        }
    )


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.name.endswith((".parquet", ".pq")):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)  # gzip chosen by pandas from the .gz suffix
    return path


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.CSV.GZ", "t.parquet", "t.pq"])
def test_round_trip(tmp_path: Path, frame: pd.DataFrame, name: str) -> None:
    path = _write(frame, tmp_path / name)
    if name.lower().endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"  # really gzip, not a renamed CSV
    got = read_table(path)
    pd.testing.assert_frame_equal(got, frame, check_exact=False, rtol=1e-12)


def test_columns_subset_and_relative_to_repo(tmp_path: Path, frame: pd.DataFrame) -> None:
    _write(frame, tmp_path / "t.parquet")
    _write(frame, tmp_path / "t.csv")
    for name in ("t.parquet", "t.csv"):
        got = read_table(name, repo=tmp_path, columns=["error", "variant", "error"])
        assert list(got.columns) == ["error", "variant"]  # as asked, duplicates dropped
        assert got["error"].tolist() == frame["error"].tolist()


@pytest.mark.parametrize("name", ["t.csv", "t.parquet"])
def test_missing_column_names_it_and_the_columns(
    tmp_path: Path, frame: pd.DataFrame, name: str
) -> None:
    path = _write(frame, tmp_path / name)
    with pytest.raises(UserError, match=r"missing column\(s\) 'nope' \(columns: variant, pnl_bps"):
        read_table(path, columns=["variant", "nope"])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.xlsx", b"x", "unknown table format"),
        ("t.csv", None, "no such file"),
        ("t.parquet", b"not parquet at all", "unreadable parquet file"),
        ("t.csv.gz", b"\x1f\x8b\x08\x00garbage", "unreadable csv.gz file"),
        ("t.csv.gz", gzip.compress(b"a,b\n1,2\n", mtime=0)[:-12], "unreadable csv.gz file"),
        ("t.csv", b"", "empty csv file"),
        ("t.csv", b'a,b\n"1,2\n', "unreadable csv file"),
        ("t.csv", b"a,b\n\xff\xfe,1\n", "unreadable csv file"),
    ],
)
def test_errors_are_user_errors(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError, match=message) as info:
        read_table(path)
    assert "\n" not in str(info.value)


def test_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(UserError, match="is a directory"):
        read_table(tmp_path / "d.csv")


def test_dvc_target_from_dvc_file_and_lock(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.parquet.dvc").write_text("outs: []\n")
    (tmp_path / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  simulate:\n    cmd: x\n    outs:\n"
        "    - path: data/exp/outcomes.parquet\n      md5: 0\n"
        "    - path: data/inference\n      md5: 1.dir\n"
    )
    assert dvc_target(tmp_path / "data" / "a.parquet", tmp_path) == "data/a.parquet.dvc"
    assert dvc_target(tmp_path / "data/exp/outcomes.parquet", tmp_path) == (
        "data/exp/outcomes.parquet"
    )
    assert dvc_target(tmp_path / "data/inference/1.0.0.csv", tmp_path) == (
        "data/inference/1.0.0.csv"
    )
    assert dvc_target(tmp_path / "data/other.csv", tmp_path) is None
    assert dvc_target(tmp_path / "data/inference-old/x.csv", tmp_path) is None
    assert dvc_target(Path("/elsewhere/x.csv"), tmp_path) is None


def test_dvc_tracked_file_is_pulled_from_the_remote(
    tmp_path: Path, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    repo = make_repo(tmp_path / "registry", with_examples=False)
    storage = tmp_path / "dvc-storage"
    dvc(repo.path, "init", "-q")
    dvc(repo.path, "remote", "add", "-d", "local", str(storage))
    (repo.path / "data").mkdir()
    path = _write(frame, repo.path / "data" / "outcomes.parquet")
    dvc(repo.path, "add", "-q", "data/outcomes.parquet")
    dvc(repo.path, "push", "-q")
    repo.commit("track outcomes")
    # Gone from the work tree and from the local cache: only the remote has it.
    path.unlink()
    shutil.rmtree(repo.path / ".dvc" / "cache")

    got = read_table("data/outcomes.parquet", repo=repo.path, columns=["pnl_bps"])
    assert got["pnl_bps"].tolist() == frame["pnl_bps"].tolist()
    assert path.is_file()

    # Found without repo= too (the nearest .dvc/ above the file), and a clear error when
    # the remote has lost the data.
    path.unlink()
    shutil.rmtree(repo.path / ".dvc" / "cache")
    shutil.rmtree(storage)
    with pytest.raises(UserError, match="fetching it through DVC failed"):
        read_table(path)


def test_missing_untracked_file_in_dvc_repo(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    with pytest.raises(UserError, match=r"neither a \.dvc file nor a DVC pipeline output"):
        read_table(tmp_path / "nothing.parquet")
