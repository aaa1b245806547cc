"""dvcio: one way to run DVC, and DVC's own files read as DVC wrote them (real DVC)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from galfriday_gitops import dvcio
from galfriday_gitops.dvcio import DvcError, Output
from galfriday_gitops.errors import UserError
from tests.support.dvc import dvc


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A DVC project (no git needed) with a local remote."""
    root = tmp_path / "project"
    root.mkdir()
    dvc(root, "init", "--no-scm", "-q")
    dvc(root, "remote", "add", "-d", "local", str(tmp_path / "remote"))
    return root


def test_a_dvc_file_written_by_dvc_parses_to_what_it_tracks(project: Path) -> None:
    model = project / "model.json"
    model.write_bytes(b'{"weights": [1, 2, 3]}\n')
    out = dvcio.add(project, model)
    assert out == Output("model.json", dvcio.md5_of(model), model.stat().st_size)
    parsed = dvcio.parse_dvc_file((project / "model.json.dvc").read_bytes())
    assert parsed.outs == (out,)


def test_a_tracked_folder_is_an_output_with_a_dir_hash(project: Path) -> None:
    (project / "logs").mkdir()
    for i in range(3):
        (project / "logs" / f"{i}.csv").write_text(f"a\n{i}\n")
    dvc(project, "add", "-q", "logs")
    (out,) = dvcio.read_dvc_file(project / "logs.dvc").outs
    assert out.path == "logs" and out.nfiles == 3
    assert out.md5 is not None and out.md5.endswith(".dir")


def test_every_output_is_exposed_in_order() -> None:
    raw = b"outs:\n- md5: aa\n  size: 1\n  path: a\n- md5: bb\n  size: 2\n  path: b\n"
    assert dvcio.parse_dvc_file(raw).outs == (Output("a", "aa", 1), Output("b", "bb", 2))
    assert dvcio.parse_dvc_file(b"outs: []\n").outs == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"outs: [\n", "YAML syntax"),
        (b"a: &x 1\nouts: []\n", "anchor"),  # the loader's refusals apply: it may be a PR's
        (b"md5: aa\n", "no outs list"),
        (b"- outs\n", "no outs list"),
        (b"outs:\n- md5: aa\n", "an entry without a path"),
        (b"outs:\n- md5: 123\n  path: m\n", "md5 of m has the wrong type"),
        (b"outs:\n- md5: aa\n  size: yes\n  path: m\n", "size of m has the wrong type"),
        (b"outs:\n- md5: aa\n  size: '3'\n  path: m\n", "size of m has the wrong type"),
    ],
)
def test_a_broken_dvc_file_is_one_clear_error(raw: bytes, message: str) -> None:
    with pytest.raises(DvcError, match=message) as info:
        dvcio.parse_dvc_file(raw, "artifacts/m.dvc")
    assert str(info.value).startswith("artifacts/m.dvc")
    assert isinstance(info.value, UserError)  # exit 2 at the CLI, never a traceback


def test_a_missing_dvc_file(tmp_path: Path) -> None:
    with pytest.raises(DvcError, match=r"no such \.dvc file"):
        dvcio.read_dvc_file(tmp_path / "x.dvc")


def _pipeline(project: Path) -> None:
    """One stage reading params.txt and writing a folder, run by dvc repro."""
    (project / "params.txt").write_text("3\n")
    (project / "dvc.yaml").write_text(
        "stages:\n"
        "  write:\n"
        "    cmd: python -c \"import os, sys; os.makedirs('out', exist_ok=True);"
        " open('out/a.csv', 'w').write('x\\n1\\n');"
        " open('out/env.txt', 'w').write(sys.executable + ' ' + os.environ['DVC_NO_ANALYTICS'])\"\n"
        "    deps: [params.txt]\n"
        "    outs: [out]\n"
    )
    dvcio.dvc(project, "repro", "--quiet")  # through dvcio: its environment is under test


def test_dvc_runs_stages_with_this_interpreter_and_no_analytics(project: Path) -> None:
    _pipeline(project)
    python, analytics = (project / "out" / "env.txt").read_text().rsplit(" ", 1)
    assert Path(python).parent == Path(sys.executable).parent
    assert analytics == "1"


def test_dvc_lock_stages_as_dvc_wrote_them(project: Path) -> None:
    _pipeline(project)
    (stage,) = dvcio.read_lock(project)
    assert stage.name == "write"
    assert [d.path for d in stage.deps] == ["params.txt"]
    assert stage.deps[0].md5 == dvcio.md5_of(project / "params.txt")
    (out,) = stage.outs
    assert out.path == "out" and out.nfiles == 2
    assert dvcio.lock_outputs(project) == ["out"]
    # The same stages from the bytes (a pull request's dvc.lock, read from git).
    assert dvcio.parse_lock((project / "dvc.lock").read_bytes()) == [stage]


def test_without_a_lock_there_are_no_stages(tmp_path: Path) -> None:
    assert dvcio.read_lock(tmp_path) == []
    (tmp_path / "dvc.lock").write_text("stages: [\n")
    with pytest.raises(DvcError, match=r"dvc\.lock: unreadable"):
        dvcio.read_lock(tmp_path)


def test_a_broken_lock_given_as_bytes_names_where_and_the_line() -> None:
    with pytest.raises(DvcError, match=r"^head:dvc\.lock:3: YAML syntax"):
        dvcio.parse_lock(b"stages:\n  a: [\n", "head:dvc.lock")


def test_a_file_inside_a_pipeline_output_is_pulled_when_missing(project: Path) -> None:
    _pipeline(project)
    dvc(project, "push", "-q")
    wanted = project / "out" / "a.csv"
    shutil.rmtree(project / "out")
    shutil.rmtree(project / ".dvc" / "cache")

    dvcio.pull_if_missing(wanted)  # the project is found above the file
    assert wanted.read_text() == "x\n1\n"
    dvcio.pull_if_missing(wanted)  # present: nothing to do (the control)

    shutil.rmtree(project / "out")
    shutil.rmtree(project / ".dvc" / "cache")
    shutil.rmtree(project.parent / "remote")
    with pytest.raises(DvcError, match="fetching it through DVC failed"):
        dvcio.pull_if_missing(wanted, project)


def test_what_dvc_does_not_track_is_not_pulled(project: Path, tmp_path: Path) -> None:
    with pytest.raises(DvcError, match=r"neither a \.dvc file nor a DVC pipeline output"):
        dvcio.pull_if_missing(project / "nothing.csv")
    outside = tmp_path / "elsewhere" / "x.csv"
    with pytest.raises(DvcError, match=r"no such file or folder$"):
        dvcio.pull_if_missing(outside)


def test_a_dvc_failure_is_dvcs_last_line(tmp_path: Path) -> None:
    with pytest.raises(DvcError, match=r"^dvc status failed: .*not inside of a DVC repository"):
        dvcio.dvc(tmp_path, "status")
