"""`gfops validate`: every bad file reported with file:line, exit 1, never a traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import gfops
from tests.support.factories import manifest
from tests.support.repo import Repo

BAD_FILES = {
    "duplicate key": (
        "models/m/1.0.0.yaml",
        manifest("m", "1.0.0").replace(
            "  framework: numpy\n", "  framework: numpy\n  framework: torch\n"
        ),
        "GF101",
        12,
    ),
    "alias": (
        "models/m/1.0.0.yaml",
        manifest("m", "1.0.0").replace("  framework: numpy", "  framework: &fw numpy"),
        "GF102",
        11,
    ),
    "python tag": (
        "policies/p.yaml",
        "apiVersion: galfriday/v1\nkind: !!python/name:os.system Teams\n",
        "GF103",
        2,
    ),
    "two documents": ("experiments/e.yaml", "a: 1\n---\nb: 2\n", "GF104", 2),
    "bom": ("policies/p.yaml", "\ufeffapiVersion: galfriday/v1\n", "GF105", 1),
    "bidi in stage": (
        "models/m/1.0.0.yaml",
        manifest("m", "1.0.0", stage="produc\u202etion"),
        "GF106",
        9,
    ),
    "zero width in name": (
        "models/m/1.0.0.yaml",
        manifest("m", "1.0.0").replace("name: m", "name: m\u200b"),
        "GF106",
        5,
    ),
    "stage no": ("models/m/1.0.0.yaml", manifest("m", "1.0.0", stage="no"), "GF114", 9),
    "float version": ("models/m/1.10.0.yaml", manifest("m", "1.10"), "GF113", 6),
    "bad name": ("models/m/1.0.0.yaml", manifest("M_1", "1.0.0"), "GF112", 5),
    "path mismatch": ("models/m/2.0.0.yaml", manifest("m", "1.0.0"), "GF120", 5),
    "nan metric": (
        "models/m/1.0.0.yaml",
        manifest("m", "1.0.0").replace("accuracy: 0.9", "accuracy: .nan"),
        "GF110",
        17,
    ),
    "too deep": ("policies/p.yaml", "a: " + "[" * 80 + "]" * 80 + "\n", "GF108", 1),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_exits_1_with_file_and_line(empty_repo: Repo, case: str) -> None:
    path, text, rule_id, line = BAD_FILES[case]
    empty_repo.write(path, text)
    result = gfops("validate", "--format", "json", cwd=empty_repo.path)
    assert result.code == 1, result.err
    assert "Traceback" not in result.err + result.out
    findings = json.loads(result.out)["findings"]
    assert any(
        f["rule"] == rule_id and f["file"] == path and f["line"] == line for f in findings
    ), findings
    text_result = gfops("validate", cwd=empty_repo.path)
    assert f"{path}:{line}:" in text_result.out and rule_id in text_result.out


def test_reports_every_bad_file_not_just_the_first(empty_repo: Repo) -> None:
    empty_repo.write("models/m/1.0.0.yaml", manifest("m", "1.0.0", stage="prod"))
    empty_repo.write("models/m/1.1.0.yaml", manifest("m", "1.1.0"))
    empty_repo.write("models/m/1.2.0.yaml", manifest("m", "1.2.0", stage="stagin"))
    result = gfops("validate", "--format", "json", cwd=empty_repo.path)
    files = {f["file"] for f in json.loads(result.out)["findings"]}
    assert files == {"models/m/1.0.0.yaml", "models/m/1.2.0.yaml"}


def test_valid_registry_exits_0(repo: Repo) -> None:
    result = gfops("validate", cwd=repo.path)
    assert result.code == 0, result.out + result.err
    assert "all valid" in result.err


def test_paths_and_revisions(empty_repo: Repo) -> None:
    empty_repo.write("models/m/1.0.0.yaml", manifest("m", "1.0.0"))
    empty_repo.commit()
    empty_repo.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", stage="bogus"))
    assert gfops("validate", "models/m/1.0.0.yaml", cwd=empty_repo.path).code == 0
    assert gfops("validate", "models/m/1.1.0.yaml", cwd=empty_repo.path).code == 1
    assert gfops("validate", "--rev", "HEAD", cwd=empty_repo.path).code == 0
    outside = gfops("validate", "README.md", cwd=empty_repo.path)
    assert outside.code == 2 and "no such file" in outside.err


def test_could_not_run_is_exit_2_without_traceback(tmp_path: Path) -> None:
    result = gfops("-C", str(tmp_path), "status")
    assert result.code == 2
    assert "not inside a git repository" in result.err and "Traceback" not in result.err
    assert gfops("validate", "--format", "xml").code == 2


def test_status_and_show(empty_repo: Repo) -> None:
    empty_repo.write("models/m/1.0.0.yaml", manifest("m", "1.0.0", stage="production"))
    empty_repo.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", stage="staging"))
    empty_repo.commit()
    status = json.loads(gfops("status", "--format", "json", cwd=empty_repo.path).out)
    assert status["models"] == {"m": {"production": ["1.0.0"], "staging": ["1.1.0"]}}
    table = gfops("status", cwd=empty_repo.path).out
    assert "production" in table and "1.0.0" in table
    shown = json.loads(gfops("show", "m@1.1.0", "--format", "json", cwd=empty_repo.path).out)
    assert shown["spec"]["stage"] == "staging" and shown["metadata"]["version"] == "1.1.0"
    missing = gfops("show", "m@9.0.0", cwd=empty_repo.path)
    assert missing.code == 2 and "no version 9.0.0" in missing.err


def test_validate_outside_a_git_repository_exits_2(tmp_path: Path) -> None:
    (tmp_path / "models/m").mkdir(parents=True)
    (tmp_path / "models/m/1.0.0.yaml").write_text(manifest("m", "1.0.0"), encoding="utf-8")
    for args in ((), ("models/m/1.0.0.yaml",)):
        result = gfops("validate", *args, cwd=tmp_path)
        assert result.code == 2, result
        assert "not inside a git repository" in result.err and "all valid" not in result.err
    # the control: the same folder once it is a repository
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    valid = gfops("validate", cwd=tmp_path)
    assert valid.code == 0 and "1 files checked, 0 errors: all valid" in valid.err
