"""``gfops init``: a complete registry in one commit, or nothing; re-runs change nothing;
a folder that is not a registry is refused unless told; the placeholder team does not load."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from galfriday_gitops.load.state import load_state
from tests.support.cli import Result, gfops
from tests.support.docs import user_env
from tests.support.repo import ROOT

TEAM = ("--team", "ml-leads=alice,bob")
SHA = "1" * 40


def init(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return gfops("init", *args, cwd=tmp_path, env=env or user_env(tmp_path / "home"))


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_new_registry_is_one_commit_that_validates(tmp_path: Path) -> None:
    result = init(tmp_path, "reg", *TEAM, "--action", f"acme/galfriday-gitops@{SHA}")
    assert result.code == 0, result.err
    reg = tmp_path / "reg"
    assert git(reg, "branch", "--show-current") == "main"
    assert git(reg, "status", "--porcelain") == ""
    assert len(git(reg, "log", "--oneline").splitlines()) == 1
    state = load_state(reg, "HEAD")
    assert state.findings == []
    teams = state.teams()
    assert teams is not None and teams.spec.teams == {"ml-leads": ["alice", "bob"]}
    (policy,) = state.stage_policies()
    for stage in ("canary", "production"):
        rules = policy.spec.stages[stage]  # type: ignore[index]
        assert rules.approvals is not None and rules.approvals.count >= 1
        assert rules.approvals.from_ == ["ml-leads"]
    assert gfops("validate", cwd=reg).code == 0
    # DVC: analytics off, the default remote a local folder beside the registry, for this
    # machine only (config.local is not committed)
    assert "analytics = false" in (reg / ".dvc" / "config").read_text()
    assert str(tmp_path / "reg-dvc-storage") in (reg / ".dvc" / "config.local").read_text()
    assert "local folder" in result.out and "reg-dvc-storage" in result.out
    # every YAML starts with a modeline; the workflows run the pinned action
    for path in [*reg.rglob("*.yaml"), *reg.rglob("*.yml"), reg / ".pre-commit-config.yaml"]:
        if ".git" not in path.parts:
            assert path.read_text().startswith("# yaml-language-server: $schema="), path
    check = (reg / ".github" / "workflows" / "check.yml").read_text()
    assert f"uses: acme/galfriday-gitops@{SHA}" in check and "__" not in check
    assert "@alice @bob" in (reg / ".github" / "CODEOWNERS").read_text()
    # the README points at the toolkit's docs at the pinned commit, and each exists here
    docs = f"https://github.com/acme/galfriday-gitops/blob/{SHA}/"
    readme = (reg / "README.md").read_text()
    linked = re.findall(re.escape(docs) + r"([^)\s]+)", readme)
    assert {"README.md", "docs/github-setup.md", "docs/trust.md"} <= set(linked)
    assert all((ROOT / rel).is_file() for rel in linked), linked
    assert "signing: OFF" in result.out
    assert "Signing is OFF" in (reg / "policies/teams.yaml").read_text()
    lines = result.out.splitlines()
    nexts = lines[lines.index("next:") + 1 :]
    assert [n.strip().split()[0] for n in nexts] == ["cd", "gfops", "git", "gfops"]


def test_init_in_the_current_empty_folder_keeps_that_folder(tmp_path: Path) -> None:
    here = tmp_path / "reg"
    here.mkdir()
    inode = here.stat().st_ino
    result = gfops("init", *TEAM, cwd=here, env=user_env(tmp_path / "home"))
    assert result.code == 0, result.err
    # the same directory, not one renamed over it: a shell inside it still sees the registry
    assert here.stat().st_ino == inode
    assert git(here, "status", "--porcelain") == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "reg"]  # no temp folder left
    assert "cd " not in result.out  # already there: the next commands start with register
    assert gfops("validate", cwd=here).code == 0


def test_a_rerun_changes_nothing_and_never_overwrites(tmp_path: Path) -> None:
    assert init(tmp_path, "reg", *TEAM).code == 0
    reg = tmp_path / "reg"
    head = git(reg, "rev-parse", "HEAD")
    stages = reg / "policies" / "stages.yaml"
    edited = stages.read_text().replace("maxTrafficPercent: 25", "maxTrafficPercent: 5")
    stages.write_text(edited)
    git(reg, "rm", "-q", ".github/workflows/pages.yml")
    git(reg, "commit", "-q", "-m", "no site for now")
    head = git(reg, "rev-parse", "HEAD")
    again = init(tmp_path, "reg", *TEAM, "--format", "json")
    assert again.code == 0, again.err
    report = json.loads(again.out)
    assert report["created"] is False
    assert report["written"] == [".github/workflows/pages.yml"]  # the missing file only
    assert report["kept"] == ["policies/stages.yaml"]  # the user's edit stays
    assert stages.read_text() == edited
    assert git(reg, "rev-list", "--count", f"{head}..HEAD") == "1"  # pages.yml committed
    third = json.loads(init(tmp_path, "reg", *TEAM, "--format", "json").out)
    assert third["written"] == [] and third["commit"] is None
    assert git(reg, "rev-list", "--count", f"{head}..HEAD") == "1"


def test_a_folder_that_is_not_a_registry_is_refused_unless_told(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text("print('training')\n")
    refused = init(tmp_path, "project", *TEAM)
    assert refused.code == 2 and "not empty and not a registry" in refused.err
    assert sorted(p.name for p in project.iterdir()) == ["train.py"]  # nothing written
    told = init(tmp_path, "project", *TEAM, "--existing")
    assert told.code == 0, told.err
    assert (project / "policies" / "stages.yaml").is_file()
    # only the registry's files were committed: the user's own file is still untracked
    assert git(project, "status", "--porcelain") == "?? train.py"


def test_nothing_is_left_behind_when_init_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = user_env(tmp_path / "home")
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        env.pop(key)
        monkeypatch.delenv(key)  # gfops() starts from this process's environment
    monkeypatch.delenv("EMAIL", raising=False)
    result = init(tmp_path, "reg", *TEAM, env=env)
    assert result.code == 2 and "git has no identity" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # no reg, no temp folder


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--team", "ml-leads=alice"), "at least two people"),
        (("--team", "Bad Team=alice,bob"), "a team name is"),
        (("--team", "ml-leads=al ice,bob"), "GitHub login"),
        (("--team", "ml-leads"), "expected NAME=login,login"),
        (("--team", "ml-leads=alice,bob", "--action", "acme/gfops@v1"), "40-hex commit"),
        (("--team", "ml-leads=alice,bob", "--allowed-signers", "nope"), "no such file"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(
    tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    result = init(tmp_path, "reg", *args)
    assert result.code == 2 and words in result.err and "Traceback" not in result.err
    assert not (tmp_path / "reg").exists()


def test_without_a_team_the_placeholder_is_refused_until_edited(tmp_path: Path) -> None:
    result = init(tmp_path, "reg")
    assert result.code == 0, result.err
    assert "PLACEHOLDER" in result.out
    reg = tmp_path / "reg"
    invalid = gfops("validate", cwd=reg)
    assert invalid.code == 1
    assert "policies/teams.yaml" in invalid.out
    assert "placeholder written by gfops init" in invalid.out
    teams = reg / "policies" / "teams.yaml"
    teams.write_text(teams.read_text().replace("edit-me-reviewer-1", "alice").replace(
        "edit-me-reviewer-2", "bob"))  # fmt: skip
    assert gfops("validate", cwd=reg).code == 0  # the control: edited, it loads


def test_a_shared_remote_and_signing(tmp_path: Path) -> None:
    signers = tmp_path / "signers"
    signers.write_text("apply@acme ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample\n")
    result = init(tmp_path, "reg", *TEAM, "--remote", "s3://acme-models/registry",
                  "--allowed-signers", str(signers))  # fmt: skip
    assert result.code == 0, result.err
    reg = tmp_path / "reg"
    assert "s3://acme-models/registry" in (reg / ".dvc" / "config").read_text()  # committed
    assert not (reg / ".dvc" / "config.local").exists()
    assert (reg / "policies" / "allowed_signers").read_text() == signers.read_text()
    teams = load_state(reg, "HEAD").teams()
    assert teams is not None and teams.spec.automation is not None
    assert teams.spec.automation.allowed_signers == "allowed_signers"
    assert "signing: on" in result.out
