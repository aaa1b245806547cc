"""Always-valid (peeking-safe) inference for a difference in means.

Method: the mixture sequential probability ratio test (mSPRT) of Johari, Pekelis
& Walsh ("Always valid inference", 2017), i.e. the Gaussian-mixture confidence
sequence of Robbins / Howard et al. Let ``d`` be the observed difference in
means (treatment - control) and ``V = var_t/n_t + var_c/n_c`` its variance. With
a normal mixing distribution ``theta ~ N(0, tau^2)`` over the true effect, the
mixture likelihood ratio against ``H0: theta = theta0`` is::

    Lambda(theta0) = sqrt(V / (V + tau^2)) * exp(tau^2 (d - theta0)^2 / (2 V (V + tau^2)))

Under ``H0`` ``Lambda`` is a nonnegative martingale, so by Ville's inequality
``P(sup_n Lambda_n >= 1/alpha) <= alpha``. Hence

* the always-valid p-value ``p_n = min(1, 1/Lambda_n(0))`` may be checked after
  every look without inflating the type-I error, and
* the confidence sequence ``{theta0 : Lambda_n(theta0) < 1/alpha}`` is
  ``d +/- sqrt(2 V (V + tau^2) / tau^2 * (log(1/alpha) + log((V + tau^2)/V) / 2))``
  and covers the true effect at all looks simultaneously with probability
  ``>= 1 - alpha``.

The mixing variance ``tau^2`` is the prior scale of plausible effects; the test is
valid for any fixed ``tau`` and is most powerful for effects of size about
``tau``. The experiment analysis sets ``tau = mde * |control mean|`` (the
declared minimum detectable effect in absolute units) unless told otherwise.
The running minimum of ``p_n`` over looks (kept by :class:`SequentialMonitor`) is
also valid; a single look's ``p_n`` is already valid on its own because the
bound holds for the supremum over all looks.

Variances are plug-in sample variances (the usual large-sample practice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "SequentialMonitor",
    "SequentialResult",
    "always_valid_p_value",
    "confidence_sequence_halfwidth",
    "msprt",
    "msprt_log_likelihood_ratio",
    "simulate_aa_peeking",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SequentialResult:
    """Always-valid inference at one look."""

    estimate: float
    p_value: float
    ci: tuple[float, float]
    tau2: float


def msprt_log_likelihood_ratio(
    diff: npt.ArrayLike, var: npt.ArrayLike, tau2: float, theta0: float = 0.0
) -> FloatArray:
    """``log Lambda`` of the Gaussian-mixture SPRT (vectorised over looks/simulations)."""
    if tau2 <= 0:
        raise ValueError("tau2 (mixing variance) must be positive")
    d = np.asarray(diff, dtype=np.float64) - theta0
    v = np.asarray(var, dtype=np.float64)
    return np.asarray(0.5 * np.log(v / (v + tau2)) + tau2 * d * d / (2.0 * v * (v + tau2)))


def always_valid_p_value(diff: npt.ArrayLike, var: npt.ArrayLike, tau2: float) -> FloatArray:
    """``min(1, 1/Lambda)`` for ``H0: no difference`` (not yet minimised over looks)."""
    return np.asarray(np.minimum(1.0, np.exp(-msprt_log_likelihood_ratio(diff, var, tau2))))


def confidence_sequence_halfwidth(var: npt.ArrayLike, tau2: float, alpha: float) -> FloatArray:
    """Half-width of the ``1 - alpha`` Gaussian-mixture confidence sequence."""
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    v = np.asarray(var, dtype=np.float64)
    radius2 = 2.0 * v * (v + tau2) / tau2 * (math.log(1.0 / alpha) + 0.5 * np.log((v + tau2) / v))
    return np.asarray(np.sqrt(radius2))


def msprt(diff: float, var: float, tau2: float, alpha: float = 0.05) -> SequentialResult:
    """Always-valid p-value and confidence sequence for one look at a difference in means."""
    p = float(always_valid_p_value(diff, var, tau2))
    half = float(confidence_sequence_halfwidth(var, tau2, alpha))
    return SequentialResult(estimate=diff, p_value=p, ci=(diff - half, diff + half), tau2=tau2)


@dataclass
class SequentialMonitor:
    """Keeps the running minimum p-value and intersected confidence sequence over looks."""

    tau2: float
    alpha: float = 0.05
    p_value: float = 1.0
    ci: tuple[float, float] = (-math.inf, math.inf)
    looks: list[SequentialResult] = field(default_factory=list)

    def update(self, diff: float, var: float) -> SequentialResult:
        """Add a look (cumulative ``diff`` and its variance); return the running result."""
        look = msprt(diff, var, self.tau2, self.alpha)
        self.looks.append(look)
        self.p_value = min(self.p_value, look.p_value)
        self.ci = (max(self.ci[0], look.ci[0]), min(self.ci[1], look.ci[1]))
        return SequentialResult(estimate=diff, p_value=self.p_value, ci=self.ci, tau2=self.tau2)


def simulate_aa_peeking(
    *,
    n_sims: int,
    n_looks: int,
    batch_per_look: int,
    alpha: float = 0.05,
    tau: float = 0.1,
    seed: int = 0,
) -> tuple[float, float]:
    """A/A simulation with a look after every batch; returns (fixed-horizon FPR, mSPRT FPR).

    Both arms draw N(0, 1). The fixed-horizon analysis rejects if the two-sided
    Welch z-test is significant at *any* look (what peeking does); the
    sequential analysis rejects if the always-valid p-value is ever below alpha.
    """
    from scipy.special import ndtr

    rng = np.random.default_rng(seed)
    shape = (n_sims, n_looks, batch_per_look)
    a = rng.standard_normal(shape)
    b = rng.standard_normal(shape)
    n = batch_per_look * np.arange(1, n_looks + 1, dtype=np.float64)

    def cumulative(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        s = np.cumsum(x.sum(axis=2), axis=1)
        s2 = np.cumsum((x * x).sum(axis=2), axis=1)
        mean = s / n
        var = (s2 - s * mean) / (n - 1)
        return mean, var

    mean_a, var_a = cumulative(a)
    mean_b, var_b = cumulative(b)
    diff = mean_b - mean_a
    v = var_a / n + var_b / n
    p_fixed = 2.0 * ndtr(-np.abs(diff) / np.sqrt(v))
    p_seq = always_valid_p_value(diff, v, tau * tau)
    fpr_fixed = float(np.mean((p_fixed < alpha).any(axis=1)))
    fpr_seq = float(np.mean((p_seq < alpha).any(axis=1)))
    return fpr_fixed, fpr_seq
