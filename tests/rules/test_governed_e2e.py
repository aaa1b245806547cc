"""Files that change how registry files are read are governed (issue 11, hole 4).

A pull request that adds ``.gitattributes`` with a filter or ``eol`` on ``models/**``, edits
``.dvc/config``, the artifact entries of ``dvc.yaml``, a CODEOWNERS file or ``.github/``
changes what the registry means without touching a manifest; so does the gate's own code
(``galfriday_gitops/``, and ``pyproject.toml`` where the toolkit lives), whose copy on main
judges every later pull request. Each is an event in the
report and needs the policy owners' approval (GF213); a ``.gitattributes`` that touches no
registry folder, or a ``dvc.yaml`` edit outside its artifacts, is an ordinary change.
A change under ``experiments/`` needs the approvers the base's policy names for experiments
(``experimentApprovals``), even when the same pull request drops them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.gate import check_json, messages, review_args, rule_ids
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import ROOT, Repo

DVC_YAML = (ROOT / "dvc.yaml").read_text(encoding="utf-8")

GOVERNED = {
    "root-gitattributes": (".gitattributes", "models/** filter=lfs diff=lfs merge=lfs -text\n"),
    "eol-in-policies": ("policies/.gitattributes", "*.yaml eol=crlf\n"),
    "nested-in-artifacts": ("artifacts/price-direction/.gitattributes", "*.dvc eol=crlf diff\n"),
    "dvc-config": (".dvc/config", "[core]\n    remote = evil\n"),
    "codeowners": (".github/CODEOWNERS", "* @octo-org/platform\n"),
    "docs-codeowners": ("docs/CODEOWNERS", "models/ @mallory\n"),
    "dvcignore": (".dvcignore", "artifacts/\n"),
    # On macOS and Windows checkouts these are models/..., policies/.gitattributes, .dvc/config.
    "case-twin-manifest": ("Models/price-direction/9.9.9.yaml", "kind: ModelVersion\n"),
    "case-twin-attributes": ("Policies/.GitAttributes", "*.yaml filter=evil\n"),
    "case-twin-dvc-config": (".DVC/config", "[core]\n    remote = evil\n"),
    "toolkit-code": ("galfriday_gitops/rules/approvals.py", "def tallies(ctx):\n    return []\n"),
    "artifact-entry": (
        "dvc.yaml",
        # an older version's bytes served as the newest registration's (DVC reads this entry)
        re.sub(
            r"path: artifacts/price-direction/[0-9.]+/model.json",
            "path: artifacts/price-direction/1.0.0/model.json",
            DVC_YAML,
        ),
    ),
}


def change(repo: Repo, path: str, text: str) -> str:
    repo.git("checkout", "-q", "-b", "quiet", "main")
    repo.write(path, text)
    return repo.commit(f"only {path}")


@pytest.fixture
def reg(repo: Repo) -> Repo:
    repo.write("dvc.yaml", DVC_YAML)
    repo.commit("the pipeline, with its artifacts section")
    return repo


@pytest.mark.parametrize("case", sorted(GOVERNED))
def test_a_governed_file_is_reported_and_needs_the_owners(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path, case: str
) -> None:
    path, text = GOVERNED[case]
    head = change(reg, path, text)
    code, report = check_json(reg, *review_args(github, tmp_path / "none", []))
    assert code == 1 and rule_ids(report) >= {"GF213"}
    (event,) = [e for e in report["events"] if e["path"] == path]
    assert event["kind"] == "repo-config-changed" and event["note"]
    assert f"change to {path}" in messages(report, "GF213")[0]
    if case == "artifact-entry":
        assert event["fields"] == ["artifacts.price-direction"]
    if case.startswith("case-twin"):
        assert event["note"] == f"is {path.lower()} on a case-insensitive file system " + (
            "(macOS and Windows checkouts)"
        )
    # The control: the owners approve (frank is in platform), and it is allowed.
    approved = review_args(github, tmp_path / "ok", [("frank", "APPROVED", head)], pr=8)
    code, report = check_json(reg, *approved)
    assert code == 0, report["findings"]


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("data/.gitattributes", "*.parquet binary\n"),  # no registry folder below it
        ("Data/.GitAttributes", "*.parquet binary\n"),  # nor in any case
        (
            "dvc.yaml",
            DVC_YAML.replace(
                "cmd: python -m galfriday_gitops.demo.pipeline.train",
                "cmd: python -m galfriday_gitops.demo.pipeline.train --fast",
            ),
        ),
    ],
    ids=["gitattributes-elsewhere", "case-twin-elsewhere", "dvc-yaml-stage"],
)
def test_files_that_do_not_touch_the_registry_are_not_governed(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path, path: str, text: str
) -> None:
    change(reg, path, text)
    code, report = check_json(reg, *review_args(github, tmp_path, []))
    assert code == 0, report["findings"]
    assert report["events"] == []


def test_the_report_says_why_in_every_format(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    from tests.support.cli import gfops

    change(reg, ".gitattributes", "models/** filter=evil\n")
    args = review_args(github, tmp_path, [])
    text = gfops("check", "--base", "main", "--head", "HEAD", *args, cwd=reg.path)
    assert text.code == 1
    assert ".gitattributes changed: it decides how registry files are checked out" in text.out
    markdown = gfops(
        "check", "--base", "main", "--head", "HEAD", "--format", "markdown", *args, cwd=reg.path
    )
    assert "| repo-config-changed | .gitattributes |" in markdown.out


def test_the_toolkits_build_files_are_governed_where_the_toolkit_lives(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    pyproject = '[project]\nname = "x"\ndependencies = ["pydantic @ https://evil.example/p.whl"]\n'
    # A registry that does not hold the toolkit: its pyproject.toml is its own business.
    change(reg, "pyproject.toml", pyproject)
    code, report = check_json(reg, *review_args(github, tmp_path / "plain", []))
    assert code == 0 and report["events"] == [], report

    # The toolkit's own repository: main's pyproject.toml decides what the gate installs.
    reg.git("checkout", "-q", "main")
    reg.git("branch", "-q", "-D", "quiet")
    reg.write("galfriday_gitops/__init__.py", "")
    reg.commit("the toolkit lives here")
    head = change(reg, "pyproject.toml", pyproject)
    code, report = check_json(reg, *review_args(github, tmp_path / "none", [], pr=8))
    assert code == 1 and rule_ids(report) == {"GF213"}
    (event,) = report["events"]
    assert (event["kind"], event["path"]) == ("repo-config-changed", "pyproject.toml")
    assert event["note"].startswith("is the gate's own code")
    approved = review_args(github, tmp_path / "ok", [("frank", "APPROVED", head)], pr=9)
    code, report = check_json(reg, *approved)
    assert code == 0, report["findings"]


EXPERIMENT = "experiments/price-direction-1.2-vs-1.1.yaml"
EXPERIMENT_APPROVALS = "  experimentApprovals: {count: 2, from: [ml-leads]}\n"


def test_experiment_changes_need_the_approvers_the_policy_names(
    repo: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    policy = repo.read("policies/stages.yaml")
    repo.write(
        "policies/stages.yaml",
        policy.replace("  initialStage:", EXPERIMENT_APPROVALS + "  initialStage:"),
    )
    repo.commit("experiment changes are the leads' to approve")
    repo.git("checkout", "-q", "-b", "extend", "main")
    repo.write(EXPERIMENT, repo.read(EXPERIMENT).replace("end: 2026-11-16", "end: 2026-11-30"))
    # The same pull request drops the rule: the base's policy still judges the experiment.
    repo.write("policies/stages.yaml", policy)
    head = repo.commit("run the experiment two more weeks, and loosen who approves it")

    # An owner's approval (frank, platform) covers the policy change but not the experiment.
    owner = review_args(github, tmp_path / "owner", [("frank", "APPROVED", head)])
    code, report = check_json(repo, *owner)
    assert code == 1 and rule_ids(report) == {"GF213"}
    (message,) = messages(report, "GF213")
    assert message.startswith(f"change to {EXPERIMENT}: needs 2 more approval(s) from ml-leads")
    assert "frank (not in ml-leads)" in message

    # The control: the leads the base's policy names approve too, and it is allowed.
    leads = [("frank", "APPROVED", head), ("dave", "APPROVED", head), ("erin", "APPROVED", head)]
    code, report = check_json(repo, *review_args(github, tmp_path / "leads", leads, pr=8))
    assert code == 0, report["findings"]
    tallies = {a["change"]: (a["eligible"], a["approvers"]) for a in report["approvals"]}
    assert tallies == {
        "change to policies/stages.yaml": (["platform"], ["frank"]),
        f"change to {EXPERIMENT}": (["ml-leads"], ["dave", "erin"]),
    }
