"""A concluded experiment is evidence, not a claim (issue 11, holes 1 and 2).

Real git, real DVC with a local remote, the real CLI: the outcome data is tracked and
pushed, ``gfops experiment conclude`` writes the result, and ``gfops check`` recomputes it
from the DVC object at the recorded hash (with the local cache emptied, so it comes from
the remote). A hand-edited winner, number or hash is blocked (GF220); so is an unreviewed
experiment change (GF213), and an experiment whose versions do not exist, are archived, or
are archived or deleted while it runs (GF221).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.experiments.test_cli import DATA, EXPERIMENT_YAML, NAME, outcomes
from tests.support.cli import gfops
from tests.support.dvc import dvc
from tests.support.gate import check_json, messages, review_args, rule_ids
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo

FILE = f"experiments/{NAME}.yaml"
PROJECT_EXPERIMENT = "experiments/price-direction-1.2-vs-1.1.yaml"  # running, 1.2.0 vs 1.1.0
BRANCH = f"galfriday/conclude/{NAME}"
OWNER_OK = [("frank", "APPROVED", "HEAD")]  # frank is in platform, the policy's owners


@pytest.fixture
def tracked(repo: Repo, tmp_path: Path) -> Repo:
    """The registry with a running experiment whose outcome data DVC tracks and pushed."""
    dvc(repo.path, "init", "-q")
    dvc(repo.path, "remote", "add", "-d", "local", str(tmp_path / "dvc-remote"))
    data = repo.path / DATA
    data.parent.mkdir(parents=True)
    outcomes().to_parquet(data, index=False)
    dvc(repo.path, "add", "-q", DATA)
    dvc(repo.path, "push", "-q")
    repo.write(FILE, EXPERIMENT_YAML)
    repo.commit("a running experiment and its outcome data")
    return repo


def approvals(
    github: LoopbackGitHub, tmp: Path, head: str, who: list[tuple[str, str, str]]
) -> list[str]:
    return review_args(github, tmp, [(u, s, head if c == "HEAD" else c) for u, s, c in who])


def conclude(repo: Repo) -> str:
    result = gfops("experiment", "conclude", NAME, cwd=repo.path)
    assert result.code == 0, result.err
    return repo.git("rev-parse", BRANCH)


def edited(repo: Repo, head: str, old: str, new: str, branch: str) -> str:
    """A commit on ``head`` whose experiment file has ``old`` replaced by ``new``."""
    repo.git("checkout", "-q", "-b", branch, head)
    text = repo.read(FILE)
    assert old in text, (old, text)
    repo.write(FILE, text.replace(old, new, 1))
    sha = repo.commit(f"edit: {new.strip()}")
    repo.git("checkout", "-q", "main")
    return sha


def result_line(repo: Repo, rev: str, key: str) -> str:
    return next(
        line for line in repo.git("show", f"{rev}:{FILE}").splitlines() if f" {key}:" in line
    )


def test_a_conclusion_is_recomputed_from_its_data_at_the_recorded_hash(
    tracked: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    head = conclude(tracked)
    # Only the remote has the data now: the check fetches the object by its hash.
    shutil.rmtree(tracked.path / ".dvc" / "cache")
    (tracked.path / DATA).unlink()
    code, report = check_json(
        tracked, *approvals(github, tmp_path / "ok", head, OWNER_OK), head=head
    )
    assert code == 0, report["findings"]  # control: what conclude writes is what the data says
    assert [e["kind"] for e in report["events"]] == ["experiment-changed"]

    # The same conclusion, unreviewed: an experiment change needs the owners (GF213).
    code, report = check_json(tracked, *review_args(github, tmp_path / "none", [], pr=8), head=head)
    assert code == 1 and rule_ids(report) == {"GF213"}
    assert "change to experiments/checkout-ab.yaml" in messages(report, "GF213")[0]


@pytest.mark.parametrize(
    ("key", "forged", "says"),
    [
        ("winner", "    winner: 1.1.0", "winner: recorded 1.1.0, the data says 1.2.0"),
        ("pValue", "    pValue: 0.2", "pValue: recorded 0.2, the data says"),
        ("relativeLift", "    relativeLift: 0.5", "relativeLift: recorded 0.5, the data says"),
    ],
    ids=["winner", "p-value", "lift"],
)
def test_a_hand_edited_result_is_blocked(
    tracked: Repo, github: LoopbackGitHub, tmp_path: Path, key: str, forged: str, says: str
) -> None:
    head = conclude(tracked)
    sha = edited(tracked, head, result_line(tracked, head, key) + "\n", forged + "\n", "forged")
    code, report = check_json(
        tracked, *approvals(github, tmp_path, sha, OWNER_OK), head=sha
    )  # even with the owners' approval
    assert code == 1 and rule_ids(report) == {"GF220"}
    (message,) = messages(report, "GF220")
    assert "the recorded result is not what its data says" in message and says in message
    line = next(f["line"] for f in report["findings"] if f["rule"] == "GF220")
    assert tracked.git("show", f"{sha}:{FILE}").splitlines()[line - 1] == "  result:"


def test_a_made_up_conclusion_with_a_zero_hash_is_blocked(
    tracked: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    # The attack of the issue: only the YAML, concluded, winner the treatment, invented
    # numbers, a zero data hash, and no review at all.
    tracked.git("checkout", "-q", "-b", "claim", "main")
    tracked.write(
        FILE,
        tracked.read(FILE).replace(
            "  status: running          # planned | running | concluded | stopped\n",
            "  status: concluded\n"
            "  result:\n"
            "    winner: 1.2.0\n"
            "    decision: treatment wins\n"
            "    concludedAt: 2026-11-17T09:00:00Z\n"
            '    dataMd5: "00000000000000000000000000000000"\n'
            "    samples: {control: 9000, treatment: 9000}\n"
            "    relativeLift: 0.2\n"
            "    pValue: 0.0001\n",
        ),
    )
    sha = tracked.commit("experiment won, trust me")
    code, report = check_json(tracked, *review_args(github, tmp_path / "none", []), head=sha)
    assert code == 1 and {"GF213", "GF220"} <= rule_ids(report)
    (message,) = messages(report, "GF220")
    assert f"dataMd5 {'0' * 32} is not the data DVC tracks at {DATA}" in message
    line = next(f["line"] for f in report["findings"] if f["rule"] == "GF220")
    assert "dataMd5" in tracked.read(FILE).splitlines()[line - 1]
    # With the owners' approval it is still no evidence.
    code, report = check_json(tracked, *approvals(github, tmp_path / "ok", sha, OWNER_OK), head=sha)
    assert code == 1 and rule_ids(report) == {"GF220"}


def test_the_design_cannot_change_in_the_pull_request_that_concludes(
    tracked: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    head = conclude(tracked)
    sha = edited(tracked, head, "minSamplesPerVariant: 1000", "minSamplesPerVariant: 100", "p-hack")
    code, report = check_json(tracked, *approvals(github, tmp_path, sha, OWNER_OK), head=sha)
    assert code == 1 and rule_ids(report) == {"GF220"}
    assert "edits its declaration (design)" in messages(report, "GF220")[0]


def test_experiments_reference_existing_live_versions(
    tracked: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    tracked.git("checkout", "-q", "-b", "ghost", "main")
    tracked.write(FILE, tracked.read(FILE).replace("treatment: 1.2.0", "treatment: 9.9.9"))
    ghost = tracked.commit("compare with a version that does not exist")
    code, report = check_json(
        tracked, *approvals(github, tmp_path / "a", ghost, OWNER_OK), head=ghost
    )
    assert code == 1 and rule_ids(report) == {"GF221"}
    assert "its treatment price-direction@9.9.9 does not exist" in messages(report, "GF221")[0]

    # Archiving a version a running experiment compares is blocked ...
    tracked.git("checkout", "-q", "-b", "archive", "main")
    manifest = "models/price-direction/1.2.0.yaml"
    text = tracked.read(manifest)
    tracked.write(manifest, text.replace("  stage: staging", "  stage: archived", 1))
    archive = tracked.commit("archive 1.2.0")
    code, report = check_json(
        tracked, *approvals(github, tmp_path / "b", archive, []), head=archive
    )
    assert code == 1 and rule_ids(report) == {"GF221"}
    found = messages(report, "GF221")
    assert any(
        "1.2.0 is archived, but it is the treatment of running experiment" in m for m in found
    )

    # ... and allowed once the experiments that compare it are stopped (the control).
    tracked.git("checkout", "-q", "main")
    for path in (FILE, PROJECT_EXPERIMENT):
        tracked.write(path, tracked.read(path).replace("status: running", "status: stopped"))
    tracked.commit("stop the experiments")
    tracked.git("checkout", "-q", "archive")
    tracked.git("rebase", "-q", "main")
    archive = tracked.git("rev-parse", "HEAD")
    code, report = check_json(
        tracked, *approvals(github, tmp_path / "c", archive, []), head=archive
    )
    assert code == 0, report["findings"]


def test_a_result_on_other_data_than_the_tracked_data_is_blocked(
    tracked: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    # Better-looking numbers: other bytes pushed to the remote and concluded on, then the
    # .dvc file put back, so the pull request's diff shows only the result.
    tracked_md5 = tracked.read(f"{DATA}.dvc")
    outcomes(lift=0.3, seed=9).to_parquet(tracked.path / DATA, index=False)
    dvc(tracked.path, "add", "-q", DATA)
    dvc(tracked.path, "push", "-q")
    tracked.commit("other outcome data")
    concluded = conclude(tracked)
    tracked.git("checkout", "-q", BRANCH)
    tracked.write(f"{DATA}.dvc", tracked_md5)
    head = tracked.commit("the old data's .dvc file back")
    tracked.git("checkout", "-q", "main")
    tracked.git("reset", "-q", "--hard", "HEAD~1")  # main never tracked the other data
    assert head != concluded and tracked.git("diff", "--name-only", "main", head) == FILE
    code, report = check_json(tracked, *approvals(github, tmp_path, head, OWNER_OK), head=head)
    assert code == 1 and rule_ids(report) == {"GF220"}
    (message,) = messages(report, "GF220")
    assert f"is not the data DVC tracks at {DATA}" in message


def test_a_conclusion_whose_data_is_not_in_the_remote_is_blocked(
    tracked: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    # New data tracked and concluded on, but never pushed: the check cannot read it (fail closed).
    outcomes(lift=0.3, seed=9).to_parquet(tracked.path / DATA, index=False)
    dvc(tracked.path, "add", "-q", DATA)
    tracked.commit("new outcome data, not pushed")
    head = conclude(tracked)
    cache = tracked.path / ".dvc" / "cache"
    cache.rename(tmp_path / "cache")
    code, report = check_json(
        tracked, *approvals(github, tmp_path / "a", head, OWNER_OK), head=head
    )
    assert code == 1 and rule_ids(report) == {"GF220"}
    (message,) = messages(report, "GF220")
    assert "the result cannot be recomputed, so it is not evidence" in message

    # Control: once pushed, the same conclusion is evidence (read from the remote again).
    (tmp_path / "cache").rename(cache)
    dvc(tracked.path, "push", "-q")
    shutil.rmtree(cache)
    code, report = check_json(
        tracked, *approvals(github, tmp_path / "b", head, OWNER_OK), head=head
    )
    assert code == 0, report["findings"]


def test_a_version_leaving_under_a_running_experiment_is_blocked(
    repo: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    # 1.2.0 is the treatment of the project's running experiment: deleting or renaming its
    # manifest takes it away as surely as archiving does.
    manifest = "models/price-direction/1.2.0.yaml"
    repo.git("checkout", "-q", "-b", "delete", "main")
    repo.git("rm", "-q", manifest)
    delete = repo.commit("delete 1.2.0")
    code, report = check_json(repo, *approvals(github, tmp_path / "a", delete, OWNER_OK))
    assert code == 1 and "GF221" in rule_ids(report)
    assert messages(report, "GF221") == [
        f"price-direction@1.2.0 is deleted, but it is the treatment of running experiment "
        f"{PROJECT_EXPERIMENT.removeprefix('experiments/').removesuffix('.yaml')}"
    ]
    # The control: deleting 1.0.0, which no experiment compares, is judged by the lifecycle
    # rules alone (GF209: only archived versions may be removed), not by GF221.
    repo.git("checkout", "-q", "-b", "delete-unused", "main")
    repo.git("rm", "-q", "models/price-direction/1.0.0.yaml")
    unused = repo.commit("delete 1.0.0")
    code, report = check_json(repo, *approvals(github, tmp_path / "b", unused, OWNER_OK))
    assert code == 1 and rule_ids(report) == {"GF209"}


def test_an_experiment_cannot_compare_an_archived_version(
    repo: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    old = "models/price-direction/1.0.0.yaml"
    repo.write(old, repo.read(old).replace("  stage: deprecated", "  stage: archived", 1))
    repo.commit("1.0.0 is archived")
    text = repo.read(PROJECT_EXPERIMENT)
    repo.git("checkout", "-q", "-b", "archived-control", "main")
    repo.write(PROJECT_EXPERIMENT, text.replace("control: 1.1.0", "control: 1.0.0"))
    head = repo.commit("compare with the archived 1.0.0")
    code, report = check_json(repo, *approvals(github, tmp_path / "a", head, OWNER_OK), head=head)
    assert code == 1 and rule_ids(report) == {"GF221"}
    (message,) = messages(report, "GF221")
    assert "its control price-direction@1.0.0 is archived after this change" in message
    line = next(f["line"] for f in report["findings"] if f["rule"] == "GF221")
    assert repo.read(PROJECT_EXPERIMENT).splitlines()[line - 1].strip() == "control: 1.0.0"

    # The control: the same edit naming a live version (1.2.0 stays the treatment).
    repo.git("checkout", "-q", "-b", "live-control", "main")
    repo.write(PROJECT_EXPERIMENT, text.replace("end: 2026-11-16", "end: 2026-11-30"))
    head = repo.commit("run two more weeks")
    code, report = check_json(repo, *approvals(github, tmp_path / "b", head, OWNER_OK), head=head)
    assert code == 0, report["findings"]


def test_a_result_on_data_dvc_does_not_track_is_blocked(
    tracked: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    # The experiment points at a file the repository does not track; the forged outcomes
    # are pushed to the remote by hand, so the recomputation alone would agree with them.
    other = DATA.replace("outcomes.parquet", "forged.parquet")
    tracked.write(FILE, tracked.read(FILE).replace(DATA, other))
    tracked.commit("the experiment reads forged.parquet")
    outcomes(lift=0.3, seed=9).to_parquet(tracked.path / other, index=False)
    dvc(tracked.path, "add", "-q", other)
    dvc(tracked.path, "push", "-q")
    (tracked.path / f"{other}.dvc").unlink()  # the object stays in the cache and the remote
    tracked.git("checkout", "--", str(Path(other).parent / ".gitignore"))
    head = conclude(tracked)
    code, report = check_json(tracked, *approvals(github, tmp_path, head, OWNER_OK), head=head)
    assert code == 1 and rule_ids(report) == {"GF220"}
    (message,) = messages(report, "GF220")
    assert f"DVC does not track {other} (no .dvc file, no dvc.lock output)" in message
