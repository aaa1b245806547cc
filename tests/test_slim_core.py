"""``pip install galfriday-gitops`` with no extras runs the core (issue 13, item 5): a fresh
virtual environment gets the package and its three core dependencies from the package index,
then the real ``gfops`` validates, shows, lists, promotes, checks and applies on a clone of
this repository's registry. Commands that need an extra name it instead of a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.signing import sign_as_demo

ROOT = Path(__file__).resolve().parent.parent


def _run(
    argv: list[str], cwd: Path, *, check: bool = True, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_"))}
    env |= {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    if check:
        assert done.returncode == 0, (argv, done.stdout, done.stderr)
    return done


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the package and its core dependencies only."""
    venv = tmp_path_factory.mktemp("core") / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], ROOT)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    _run([*pip, str(ROOT)], ROOT)  # a hang guard of 900 s; the install takes about a minute
    return venv / "bin"


def test_the_core_install_has_no_extras(core: Path) -> None:
    freeze = _run([str(core / "python"), "-m", "pip", "freeze"], ROOT).stdout.lower()
    assert "pydantic==" in freeze and "ruamel" in freeze  # the control: freeze lists packages
    for heavy in ("dvc==", "numpy==", "scipy==", "pandas==", "pyarrow==", "dask=="):
        assert heavy not in freeze, heavy


def test_the_core_commands_run_without_extras(core: Path, tmp_path: Path) -> None:
    reg = tmp_path / "reg"
    _run(["git", "clone", "-q", "-b", "main", str(ROOT), str(reg)], tmp_path)
    gfops = str(core / "gfops")
    assert "0 errors: all valid" in _run([gfops, "validate"], reg).stderr
    assert "price-direction" in _run([gfops, "status"], reg).stdout
    assert "1.2.0" in _run([gfops, "show", "price-direction@1.2.0"], reg).stdout
    listed = json.loads(_run([gfops, "ls", "--format", "json"], reg).stdout)
    assert listed, listed
    promoted = _run(
        [gfops, "promote", "price-direction", "1.2.0", "canary", "--traffic", "10"], reg
    )
    assert "canary" in promoted.stdout + promoted.stderr
    for name in ("reviews.json", "commits.json"):
        (tmp_path / name).write_text("[]", encoding="utf-8")
    proposed = _run(["git", "for-each-ref", "--format=%(refname:short)", "refs/heads/"], reg)
    candidates = [b for b in proposed.stdout.split() if b != "main"]
    assert candidates, proposed.stdout  # promote made its branch
    checked = _run(
        [gfops, "check", "--base", "main", "--head", candidates[0], "--format", "json",
         "--reviews", str(tmp_path / "reviews.json"), "--commits", str(tmp_path / "commits.json"),
         "--pr-author", "alice"],
        reg, check=False,
    )  # fmt: skip
    assert checked.returncode in (0, 1), checked.stderr  # judged, not crashed
    assert json.loads(checked.stdout)["verdict"] in ("allowed", "blocked")
    sign_as_demo(reg)  # this registry's allowed signers ask for signed audit tags
    applied = _run([gfops, "apply", "--no-reviews"], reg, check=False)
    assert applied.returncode in (0, 1), applied.stderr  # recorded or refused, not missing
    assert "gfops/commit/" in applied.stdout + applied.stderr, applied.stdout
    verified = _run([gfops, "audit", "verify"], reg, check=False)
    assert verified.returncode in (0, 1, 3), verified.stderr  # a verdict, not a missing extra
    assert "Traceback" not in verified.stderr and "galfriday-gitops[" not in verified.stderr


def test_a_command_that_needs_an_extra_names_it(core: Path, tmp_path: Path) -> None:
    reg = tmp_path / "reg"
    _run(["git", "clone", "-q", "-b", "main", str(ROOT), str(reg)], tmp_path)
    numpy = _run([str(core / "python"), "-c", "import numpy"], reg, check=False)
    assert numpy.returncode != 0  # the control: the extra really is absent
    drift = _run([str(core / "gfops"), "drift", "--model", "price-direction"], reg, check=False)
    assert drift.returncode == 2 and "Traceback" not in drift.stderr, drift.stderr
    assert "pip install 'galfriday-gitops[stats]'" in drift.stderr, drift.stderr
    (reg / "model.json").write_text("{}", encoding="utf-8")
    register = _run(
        [str(core / "gfops"), "register", "model.json", "--name", "m", "--version", "9.9.9"],
        reg,
        check=False,
    )
    assert register.returncode == 2 and "Traceback" not in register.stderr, register.stderr
    assert "pip install 'galfriday-gitops[dvc]'" in register.stderr, register.stderr
