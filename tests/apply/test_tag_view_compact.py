"""TagView.compact: what a warm ``status`` keeps of a long trail of stage changes.

The cached view drops every tag a later one makes indistinguishable; each reader of the
view (DVC's resolution, GTO's per-stage pick, the misreadings, ``gto show``) must answer
exactly as from the full view, while the view it decodes holds fewer tags.
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess

from galfriday_gitops.apply import readers
from galfriday_gitops.apply.readers import StageTag, TagView
from galfriday_gitops.apply.tags import TagAction, assignment, registration, unassignment
from tests.support.repo import Repo

MODELS = ("churn", "fraud")
STAGES = ("staging", "production", "canary")
VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "2.0.0")


def _random_view(rng: random.Random, n: int) -> TagView:
    """``n`` stage tags of random actions, stages and targets; each target registers one
    version, or (GTO refuses those, we still must not change the answer) two."""
    versions_at: dict[tuple[str, str], list[str]] = {}
    for model in MODELS:
        for i, version in enumerate(VERSIONS):
            versions_at[(model, f"c{i}")] = [version]
        versions_at[(model, "c-both")] = ["1.0.0", "1.1.0"]
    targets = [*(f"c{i}" for i in range(len(VERSIONS))), "c-both", "c-unknown"]
    tags = [
        StageTag(f"t{i}", rng.choice((TagAction.ASSIGN, TagAction.ASSIGN, TagAction.UNASSIGN)),
                 rng.choice(MODELS), rng.choice(STAGES), rng.choice(targets), rng.randrange(40))
        for i in range(n)
    ]  # fmt: skip
    tags.sort(key=lambda t: (t.date, t.name))
    return TagView(tags, versions_at)


def _picks(view: TagView) -> dict[tuple[str, str, tuple[str, ...]], str | None]:
    """GTO's pick for every (model, stage) and every set of versions that may hold it."""
    assigned = view.assignments()
    return {
        (model, stage, holders): view.last_assigned(assigned.get((model, stage), []), [*holders])
        for model in MODELS
        for stage in STAGES
        for k in range(len(VERSIONS) + 1)
        for holders in itertools.combinations(VERSIONS, k)
    }


def test_the_compact_view_answers_as_the_full_one_from_fewer_tags() -> None:
    rng = random.Random(16)
    dropped = 0
    for _ in range(200):
        full = _random_view(rng, rng.randrange(0, 60))
        small = full.compact()
        assert set(small.stage_tags) <= set(full.stage_tags)
        assert small.stage_tags == [t for t in full.stage_tags if t in small.stage_tags]
        assert small.dvc_resolves() == full.dvc_resolves()
        assert _picks(small) == _picks(full)
        dropped += len(full.stage_tags) - len(small.stage_tags)
    assert dropped > 1000  # the control: long trails do shrink (else this tests nothing)


def _tag(repo: Repo, name: str, when: int) -> None:
    """An annotated tag on HEAD dated ``when`` (DVC and GTO order tags by tagger time)."""
    env = {**os.environ, "GIT_COMMITTER_DATE": f"{when} +0000"}
    subprocess.run(["git", "-C", str(repo.path), "tag", "-a", "-m", "record", name],
                   env=env, check=True, capture_output=True)  # fmt: skip


def test_status_reads_the_compact_view_and_says_the_same(empty_repo: Repo) -> None:
    """A version moved back and forth between two stages 20 times: the cached view keeps
    3 of its 41 stage tags, and status's answers (the DVC misreading of the stage the
    manifests emptied, the gto format) are those of the full view."""
    repo = empty_repo
    repo.write("models/churn/1.0.0.yaml", "a: 1\n")
    repo.commit("register churn 1.0.0")
    when = 1_780_000_000
    _tag(repo, str(registration("churn", "1.0.0")), when)
    _tag(repo, str(assignment("churn", "staging", 1)), when + 1)
    counter = 1
    for i in range(20):
        frm, to = ("staging", "production") if i % 2 == 0 else ("production", "staging")
        _tag(repo, str(unassignment("churn", frm, counter + 1)), when + 10 * i + 2)
        _tag(repo, str(assignment("churn", to, counter + 2)), when + 10 * i + 3)
        counter += 2
    full = readers.read_tags(repo.path)
    cached = readers.read_tags_cached(repo.path)  # a miss: built, compacted, stored
    again = readers.read_tags_cached(repo.path)  # a hit
    assert len(full.stage_tags) == 41
    # the newest tag of each stage, and the last assignment to production
    assert len(cached.stage_tags) == len(again.stage_tags) == 3
    assert again == cached
    in_staging = {"churn": {"staging": ["1.0.0"]}}  # where the last move put it
    in_production = {"churn": {"production": ["1.0.0"]}}  # moved once more, not tagged
    stages = ["staging", "production"]
    for table, stale in ((in_staging, "production"), (in_production, "staging")):
        (line,) = readers.misreadings(full, table)  # DVC cannot represent an emptied stage
        assert f"--stage {stale}` serves 1.0.0" in line
        for view in (cached, again):
            assert readers.misreadings(view, table) == [line]
            assert readers.gto_show(view, table, stages) == readers.gto_show(full, table, stages)
