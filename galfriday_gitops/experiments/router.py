"""Serving-time assignment of units to experiment variants.

Deterministic assignment (strategies ``weighted`` and ``shadow``)
-----------------------------------------------------------------
``u = int.from_bytes(blake2b(experiment_id + "\\x1f" + unit_id, digest_size=8), "big") >> 11``
scaled by ``2**-53`` gives a uniform number in ``[0, 1)`` (the top 53 bits, so
the float is exact). Strings are UTF-8 encoded; ``"\\x1f"`` (unit separator)
keeps ``("ab", "c")`` and ``("a", "bc")`` apart. The variant is the first one,
in declaration order, whose cumulative normalised weight exceeds ``u``. The
result depends only on the experiment id, the unit id and the ordered weights:
it is the same in every process and on every machine (no use of ``hash()``).

Bandits (``epsilon-greedy`` and ``thompson``)
---------------------------------------------
Assignments are drawn from the policy using a seeded :class:`random.Random`, and
the policy learns from :meth:`Router.record`. Thompson sampling uses a
``Beta(1 + successes, 1 + failures)`` posterior per arm for 0/1 rewards
(``reward_kind="proportion"``) and, for real-valued rewards
(``reward_kind="mean"``), a normal posterior ``N(mean, var/n)`` from the arm's
sample mean and variance (flat prior); arms with fewer than two rewards are
tried first. Epsilon-greedy explores uniformly with probability ``epsilon`` and
otherwise exploits the arm with the highest mean reward (ties go to the arm
declared first).

Canary rollout
--------------
:func:`rollout_router` routes a model's production/canary pair as the manifests say at
the registry's pinned commit: each canary gets its ``spec.rollout.trafficPercent`` of the
units, production the rest, by the same stable hash (experiment id ``<model>/rollout``).
The canary is the last bucket, so ramping its share up keeps every unit that was on the
canary there. Without a canary, production takes every unit.

Shadow mode
-----------
:meth:`Router.predict` calls control and treatment, returns control's answer and
hands both (or treatment's exception) to a log sink; treatment errors never
reach the caller.

This module imports neither numpy, scipy nor pandas at import time; numpy is
imported inside :meth:`Router.assign_many` only.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from galfriday_gitops.registry import Registry

__all__ = ["ArmStats", "Router", "ShadowRecord", "Strategy", "hash_unit", "rollout_router"]

Strategy = Literal["weighted", "epsilon-greedy", "thompson", "shadow"]
RewardKind = Literal["proportion", "mean"]
T = TypeVar("T")

_SEPARATOR = "\x1f"
_SCALE = 2.0**-53
logger = logging.getLogger(__name__)


def hash_unit(experiment_id: str, unit_id: str) -> float:
    """The documented stable hash of (experiment, unit) as a float in ``[0, 1)``."""
    digest = hashlib.blake2b(
        f"{experiment_id}{_SEPARATOR}{unit_id}".encode(), digest_size=8
    ).digest()
    return (int.from_bytes(digest, "big") >> 11) * _SCALE


@dataclass
class ArmStats:
    """Running reward statistics of one arm (Welford's algorithm for the variance)."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    successes: float = 0.0

    def add(self, reward: float) -> None:
        """Record one reward."""
        self.n += 1
        delta = reward - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (reward - self.mean)
        self.successes += reward

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1); 0 with fewer than two rewards."""
        return self.m2 / (self.n - 1) if self.n > 1 else 0.0


@dataclass(frozen=True)
class ShadowRecord(Generic[T]):
    """Both answers of one shadow prediction (``treatment_error`` set if treatment raised)."""

    experiment_id: str
    unit_id: str
    control: T
    treatment: T | None
    treatment_error: str | None
    control_seconds: float
    treatment_seconds: float


@dataclass
class Router:
    """Assigns units to variants of one experiment.

    ``variants`` maps variant name to weight (weights are normalised; order matters
    for the hash buckets). ``control`` defaults to the first variant.
    ``on_shadow`` receives every :class:`ShadowRecord` in shadow mode (default: the
    module logger at DEBUG level).
    """

    experiment_id: str
    variants: Mapping[str, float]
    strategy: Strategy = "weighted"
    control: str | None = None
    epsilon: float = 0.1
    reward_kind: RewardKind = "proportion"
    seed: int | None = 0
    on_shadow: Callable[[ShadowRecord[Any]], None] | None = None
    arms: dict[str, ArmStats] = field(init=False)
    _names: list[str] = field(init=False, repr=False)
    _cumulative: list[float] = field(init=False, repr=False)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.strategy not in ("weighted", "epsilon-greedy", "thompson", "shadow"):
            raise ValueError(f"unknown strategy {self.strategy!r}")
        if not self.variants:
            raise ValueError("at least one variant is required")
        weights = [float(w) for w in self.variants.values()]
        if any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        if not 0.0 <= self.epsilon <= 1.0:
            raise ValueError("epsilon must be in [0, 1]")
        self._names = list(self.variants)
        total = sum(weights)
        running = 0.0
        self._cumulative = []
        for w in weights:
            running += w
            self._cumulative.append(running / total)
        self._cumulative[-1] = 1.0  # guard against rounding leaving a gap below 1
        if self.control is None:
            self.control = self._names[0]
        elif self.control not in self.variants:
            raise ValueError(f"control {self.control!r} is not a variant")
        if self.strategy == "shadow" and len(self._names) != 2:
            raise ValueError("shadow mode needs exactly two variants (control and treatment)")
        self.arms = {name: ArmStats() for name in self._names}
        self._rng = random.Random(self.seed)  # noqa: S311 - bandit exploration, not security

    @property
    def treatment(self) -> str:
        """The first non-control variant."""
        return next(n for n in self._names if n != self.control)

    # -- deterministic assignment -----------------------------------------------------------

    def bucket(self, unit_id: str) -> str:
        """The hash-based variant of ``unit_id`` (independent of the strategy)."""
        u = hash_unit(self.experiment_id, unit_id)
        return self._names[bisect.bisect_right(self._cumulative, u)]

    def assign(self, unit_id: str) -> str:
        """Variant for ``unit_id``: hashed (weighted), control (shadow) or the bandit's draw."""
        if self.strategy == "weighted":
            return self.bucket(unit_id)
        if self.strategy == "shadow":
            assert self.control is not None
            return self.control
        if self.strategy == "epsilon-greedy":
            return self._epsilon_greedy()
        return self._thompson()

    def assign_many(self, unit_ids: Iterable[str] | npt.NDArray[Any]) -> npt.NDArray[np.str_]:
        """Vectorised :meth:`assign`; identical results for the hashing strategies."""
        import numpy as np

        ids = [str(u) for u in unit_ids]
        names = np.array(self._names)
        if self.strategy == "shadow":
            return np.full(len(ids), self.control, dtype=names.dtype)
        if self.strategy != "weighted":
            return np.array([self.assign(u) for u in ids], dtype=names.dtype)
        prefix = hashlib.blake2b(f"{self.experiment_id}{_SEPARATOR}".encode(), digest_size=8)
        raw = bytearray()
        for uid in ids:
            h = prefix.copy()
            h.update(uid.encode())
            raw += h.digest()
        u = (np.frombuffer(bytes(raw), dtype=">u8") >> np.uint64(11)).astype(np.float64) * _SCALE
        index = np.searchsorted(np.array(self._cumulative), u, side="right")
        return names[index]

    # -- bandits ------------------------------------------------------------------------------

    def record(self, variant: str, reward: float) -> None:
        """Feed back one observed reward for ``variant`` (used by the bandit strategies)."""
        if variant not in self.arms:
            raise KeyError(f"unknown variant {variant!r}")
        reward = float(reward)
        if self.reward_kind == "proportion" and reward not in (0.0, 1.0):
            raise ValueError("proportion rewards must be 0 or 1")
        self.arms[variant].add(reward)

    def _epsilon_greedy(self) -> str:
        if self._rng.random() < self.epsilon:
            return self._rng.choice(self._names)
        best = max(self._names, key=lambda n: (self.arms[n].n > 0, self.arms[n].mean))
        if self.arms[best].n == 0:
            return self._rng.choice(self._names)
        return best

    def _thompson(self) -> str:
        if self.reward_kind == "mean":
            untried = [n for n in self._names if self.arms[n].n < 2]
            if untried:
                return untried[0]
        draws: dict[str, float] = {}
        for name in self._names:
            arm = self.arms[name]
            if self.reward_kind == "proportion":
                draws[name] = self._rng.betavariate(
                    1.0 + arm.successes, 1.0 + arm.n - arm.successes
                )
            else:
                draws[name] = self._rng.gauss(arm.mean, math.sqrt(arm.variance / arm.n))
        return max(self._names, key=draws.__getitem__)

    def allocation(self, draws: int = 1000) -> dict[str, float]:
        """Share of ``draws`` assignments each variant would receive right now (bandits)."""
        counts = dict.fromkeys(self._names, 0)
        for i in range(draws):
            counts[self.assign(f"allocation-probe-{i}")] += 1
        return {k: v / draws for k, v in counts.items()}

    # -- shadow -------------------------------------------------------------------------------

    def predict(
        self, unit_id: str, control_fn: Callable[[], T], treatment_fn: Callable[[], T]
    ) -> T:
        """Shadow prediction: return ``control_fn()``; run and log ``treatment_fn()`` too.

        Control's exceptions propagate (it is the real answer); treatment's, and
        the log sink's, are caught and logged.
        """
        start = time.perf_counter()
        answer = control_fn()
        control_seconds = time.perf_counter() - start
        treatment_value: T | None = None
        error: str | None = None
        start = time.perf_counter()
        try:
            treatment_value = treatment_fn()
        except Exception as exc:  # the shadow model must never break serving
            error = f"{type(exc).__name__}: {exc}"
        treatment_seconds = time.perf_counter() - start
        record = ShadowRecord(
            experiment_id=self.experiment_id,
            unit_id=unit_id,
            control=answer,
            treatment=treatment_value,
            treatment_error=error,
            control_seconds=control_seconds,
            treatment_seconds=treatment_seconds,
        )
        try:
            if self.on_shadow is not None:
                self.on_shadow(record)
            else:
                logger.debug("shadow %s", record)
        except Exception:
            logger.exception("shadow log sink failed for experiment %s", self.experiment_id)
        return answer


def rollout_router(registry: Registry, name: str) -> Router:
    """A weighted :class:`Router` over ``name``'s production version and its canaries.

    Variants are version strings, production first (the control); each canary's weight is
    its ``spec.rollout.trafficPercent``, production's what is left of 100. Raises
    ``ResolveError`` when the model has no production version (a canary is a share *beside*
    production) and ``ValueError`` when the canaries' shares exceed 100.
    """
    from galfriday_gitops.registry import ResolveError
    from galfriday_gitops.resources import ModelStage

    versions = registry.versions(name)
    production = [v for v in versions if v.stage is ModelStage.PRODUCTION]
    if len(production) != 1:
        raise ResolveError(
            f"{name} has {len(production) or 'no'} production versions; a rollout routes "
            "between one production version and its canaries"
        )
    canaries = {
        v.version: v.spec.rollout.traffic_percent if v.spec.rollout else 0.0
        for v in versions
        if v.stage is ModelStage.CANARY
    }
    rest = 100.0 - sum(canaries.values())
    if rest < 0:
        raise ValueError(f"{name}: the canaries' traffic shares add up to {100 - rest:g}%")
    weights = {production[0].version: rest, **canaries}
    return Router(f"{name}/rollout", weights, control=production[0].version)
