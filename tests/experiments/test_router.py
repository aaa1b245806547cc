"""Router: stable hashing, uniformity, weighted splits, bandits and shadow mode."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from galfriday_gitops.experiments import Router, ShadowRecord, hash_unit, rollout_router
from galfriday_gitops.registry import Registry, ResolveError
from tests.support.factories import manifest
from tests.support.repo import Repo

ROOT = Path(__file__).resolve().parents[2]


def documented_hash(experiment: str, unit: str) -> float:
    digest = hashlib.blake2b(f"{experiment}\x1f{unit}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> 11) / 2**53


def test_hash_follows_documented_algorithm_and_pinned_values() -> None:
    for exp, unit in [("exp-1", "u0"), ("exp-1", "user-42"), ("pnl-ab", "alice"), ("é", "ü")]:
        assert hash_unit(exp, unit) == documented_hash(exp, unit)
    # Pinned: a change of algorithm would silently reshuffle every running experiment.
    assert hash_unit("exp-1", "u0") == 0.5834960152587335
    assert hash_unit("exp-1", "user-42") == 0.3914707315592949
    assert hash_unit("pnl-ab", "alice") == 0.7329614265144948
    router = Router("exp-1", {"control": 0.9, "treatment": 0.1})
    assert [router.assign(f"u{i}") for i in range(5)] == [
        "control",
        "control",
        "control",
        "treatment",
        "control",
    ]


def test_separator_distinguishes_id_boundaries() -> None:
    assert hash_unit("ab", "c") != hash_unit("a", "bc")


def test_assignment_stable_across_processes_with_different_hash_seeds() -> None:
    ids = [f"unit-{i}" for i in range(200)]
    router = Router("stable-exp", {"a": 1, "b": 2, "c": 1})
    here = [router.assign(u) for u in ids]
    code = (
        "import json,sys\n"
        "from galfriday_gitops.experiments import Router\n"
        "r = Router('stable-exp', {'a': 1, 'b': 2, 'c': 1})\n"
        "print(json.dumps([r.assign(f'unit-{i}') for i in range(200)]))\n"
    )
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert json.loads(out.stdout) == here


def test_hash_is_uniform() -> None:
    router = Router("uniformity", {"x": 1})
    u = np.array([hash_unit(router.experiment_id, str(i)) for i in range(100_000)])
    assert u.min() >= 0.0
    assert u.max() < 1.0
    counts = np.bincount((u * 50).astype(int), minlength=50)
    assert stats.chisquare(counts).pvalue > 0.001


def test_weighted_split_respected() -> None:
    weights = {"control": 0.7, "treatment": 0.2, "holdout": 0.1}
    router = Router("weights", weights)
    got = router.assign_many([f"id{i}" for i in range(100_000)])
    observed = [int(np.sum(got == k)) for k in weights]
    expected = [100_000 * w for w in weights.values()]
    assert stats.chisquare(observed, expected).pvalue > 0.001
    assert abs(observed[2] / 100_000 - 0.1) < 4 * math.sqrt(0.1 * 0.9 / 100_000)


def test_assign_many_matches_assign() -> None:
    router = Router("vector", {"control": 0.5, "t1": 0.25, "t2": 0.25})
    ids = [f"u{i}" for i in range(5000)] + ["", "ünïcode", "with\x1fsep"]
    many = router.assign_many(ids)
    assert list(many) == [router.assign(u) for u in ids]
    as_array = router.assign_many(np.array(ids[:100]))
    assert list(as_array) == list(many[:100])


def test_zero_weight_variant_never_assigned() -> None:
    router = Router("zero", {"control": 1.0, "treatment": 0.0})
    assert set(router.assign_many([str(i) for i in range(2000)])) == {"control"}


def test_invalid_configuration() -> None:
    with pytest.raises(ValueError, match="strategy"):
        Router("e", {"a": 1}, strategy="round-robin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weights"):
        Router("e", {"a": -1, "b": 2})
    with pytest.raises(ValueError, match="control"):
        Router("e", {"a": 1, "b": 1}, control="c")


def test_thompson_beta_moves_allocation_to_better_arm() -> None:
    router = Router("ts", {"control": 0.5, "treatment": 0.5}, strategy="thompson", seed=1)
    rng = np.random.default_rng(1)
    rates = {"control": 0.05, "treatment": 0.15}
    for _ in range(2000):
        arm = router.assign("any")
        router.record(arm, float(rng.random() < rates[arm]))
    assert router.arms["treatment"].n > 0.8 * 2000
    assert router.allocation(1000)["treatment"] > 0.9


def test_thompson_normal_rewards() -> None:
    router = Router(
        "tsn", {"control": 1, "treatment": 1}, strategy="thompson", reward_kind="mean", seed=2
    )
    rng = np.random.default_rng(2)
    means = {"control": 0.0, "treatment": 0.5}
    for _ in range(1000):
        arm = router.assign("any")
        router.record(arm, rng.normal(means[arm], 1.0))
    assert router.arms["treatment"].n > 0.8 * 1000


def test_epsilon_greedy_exploits_with_exploration_floor() -> None:
    router = Router(
        "eg", {"control": 1, "treatment": 1}, strategy="epsilon-greedy", epsilon=0.1, seed=3
    )
    rng = np.random.default_rng(3)
    rates = {"control": 0.05, "treatment": 0.15}
    for _ in range(3000):
        arm = router.assign("any")
        router.record(arm, float(rng.random() < rates[arm]))
    share = router.allocation(4000)
    # Expected: treatment gets 1 - eps/2 = 0.95, control eps/2 = 0.05 once learned.
    sd = math.sqrt(0.05 * 0.95 / 4000)
    assert share["treatment"] == pytest.approx(0.95, abs=4 * sd)


def test_bandits_are_reproducible_with_seed() -> None:
    def run() -> list[str]:
        router = Router("rep", {"a": 1, "b": 1}, strategy="thompson", seed=9)
        picks = []
        for i in range(200):
            arm = router.assign(str(i))
            router.record(arm, float(i % 3 == 0))
            picks.append(arm)
        return picks

    assert run() == run()


def test_record_validates_input() -> None:
    router = Router("v", {"a": 1, "b": 1}, strategy="thompson")
    with pytest.raises(KeyError):
        router.record("zzz", 1.0)
    with pytest.raises(ValueError, match="0 or 1"):
        router.record("a", 0.5)


def test_shadow_returns_control_and_logs_both() -> None:
    records: list[ShadowRecord[int]] = []
    router = Router(
        "sh", {"control": 1, "treatment": 0}, strategy="shadow", on_shadow=records.append
    )
    assert router.assign("u1") == "control"
    assert list(router.assign_many(["a", "b"])) == ["control", "control"]
    assert router.predict("u1", lambda: 1, lambda: 2) == 1
    assert records[0].control == 1
    assert records[0].treatment == 2
    assert records[0].treatment_error is None


def test_shadow_treatment_exception_never_breaks_answer() -> None:
    records: list[ShadowRecord[int]] = []
    router = Router(
        "sh", {"control": 1, "treatment": 1}, strategy="shadow", on_shadow=records.append
    )

    def broken() -> int:
        raise RuntimeError("model blew up")

    assert router.predict("u1", lambda: 7, broken) == 7
    assert records[0].treatment is None
    assert records[0].treatment_error == "RuntimeError: model blew up"


def test_shadow_sink_failure_and_control_failure() -> None:
    def bad_sink(record: ShadowRecord[int]) -> None:
        raise OSError("disk full")

    router = Router("sh", {"control": 1, "treatment": 1}, strategy="shadow", on_shadow=bad_sink)
    assert router.predict("u", lambda: 3, lambda: 4) == 3

    def control_down() -> int:
        raise LookupError("control down")

    with pytest.raises(LookupError):
        router.predict("u", control_down, lambda: 4)


def test_import_does_not_load_scipy_or_pandas() -> None:
    code = (
        "import sys, galfriday_gitops.experiments\n"
        "print(sorted(m for m in ('scipy', 'pandas', 'numpy') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- canary rollout


def _canary_registry(repo: Repo, *canaries: tuple[str, float]) -> Registry:
    for version, share in canaries:
        text = manifest(version=version, stage="canary").replace(
            "  artifacts:", f"  rollout: {{trafficPercent: {share}}}\n  artifacts:"
        )
        repo.write(f"models/price-direction/{version}.yaml", text)
    repo.commit("canaries")
    return Registry(str(repo.path), rev="main")


def test_rollout_router_gives_the_canary_its_share(repo: Repo) -> None:
    router = rollout_router(_canary_registry(repo, ("1.2.0", 10)), "price-direction")
    assert router.control == "1.1.0"  # production
    n = 200_000
    got = router.assign_many([f"user-{i}" for i in range(n)])
    on_canary = int(np.sum(got == "1.2.0"))
    assert set(got) == {"1.1.0", "1.2.0"}
    assert stats.binomtest(on_canary, n, 0.10).pvalue > 0.001
    # the same unit always gets the same version
    assert [router.assign(f"user-{i}") for i in range(50)] == list(got[:50])


def test_rollout_split_is_calibrated_on_null_replicates() -> None:
    """Under a correct split, the binomial test's p-values over independent sets of units
    are uniform: the hash adds no bias at small or large shares."""
    for share in (0.02, 0.25):
        router = Router("price-direction/rollout", {"1.1.0": 1 - share, "1.2.0": share})
        p_values = []
        for rep in range(100):
            got = router.assign_many([f"rep{rep}-user-{i}" for i in range(4000)])
            p_values.append(stats.binomtest(int(np.sum(got == "1.2.0")), 4000, share).pvalue)
        # at most 5% of replicates reject at 0.05 (binomtest is exact, so conservative):
        # their count is tested against Binomial(100, 0.05)
        rejected = int(np.sum(np.array(p_values) < 0.05))
        assert stats.binomtest(rejected, 100, 0.05, alternative="greater").pvalue > 0.001
    biased = Router("price-direction/rollout", {"1.1.0": 0.88, "1.2.0": 0.12})
    got = biased.assign_many([f"user-{i}" for i in range(4000)])
    assert stats.binomtest(int(np.sum(got == "1.2.0")), 4000, 0.10).pvalue < 0.05  # control


def test_ramping_the_canary_keeps_its_units() -> None:
    ids = [f"user-{i}" for i in range(20_000)]
    small = Router("m/rollout", {"1.1.0": 95.0, "1.2.0": 5.0}).assign_many(ids)
    large = Router("m/rollout", {"1.1.0": 80.0, "1.2.0": 20.0}).assign_many(ids)
    was_canary = small == "1.2.0"
    assert was_canary.sum() > 0 and np.all(large[was_canary] == "1.2.0")
    assert (large == "1.2.0").sum() > was_canary.sum()  # the control: the ramp added units


def test_rollout_router_without_a_canary_or_production(repo: Repo) -> None:
    registry = Registry(str(repo.path), rev="main")
    router = rollout_router(registry, "price-direction")
    assert set(router.assign_many([str(i) for i in range(1000)])) == {"1.1.0"}
    repo.write("models/price-direction/1.1.0.yaml", manifest(version="1.1.0", stage="staging"))
    repo.commit("no production")
    with pytest.raises(ResolveError, match="no production versions"):
        rollout_router(Registry(str(repo.path), rev="main"), "price-direction")


def test_canary_shares_over_100_are_refused(repo: Repo) -> None:
    registry = _canary_registry(repo, ("1.2.0", 60), ("1.3.0", 50))
    with pytest.raises(ValueError, match="add up to 110%"):
        rollout_router(registry, "price-direction")
