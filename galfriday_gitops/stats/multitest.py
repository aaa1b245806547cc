"""Multiple-testing correction: one function, statsmodels' vocabulary.

:func:`adjust_p_values` returns the adjusted p-values that
``statsmodels.stats.multitest.multipletests(p, method=...)[1]`` returns for
``method="holm"`` (Holm's step-down), ``"fdr_bh"`` (Benjamini-Hochberg step-up) and
``"bonferroni"``; ``"none"`` returns the p-values unchanged. A hypothesis is rejected
when its adjusted p-value is below the level.

A p-value that could not be computed (NaN or infinite) is never adjusted into
significance: it stays NaN in the output, and for the others it counts as a p-value of 1
(it still belongs to the family, so the others are adjusted as if it had been tested and
not rejected -- conservative, never more rejections than dropping it would give).
statsmodels has no rule for NaN (its ``fdr_bh`` returns NaN for every hypothesis).

Pure Python, no numpy: the experiment analysis and the drift analysis both call it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, get_args

__all__ = ["METHODS", "Method", "adjust_p_values"]

Method = Literal["holm", "fdr_bh", "bonferroni", "none"]
METHODS: tuple[Method, ...] = get_args(Method)


def adjust_p_values(p_values: Sequence[float], method: Method = "holm") -> list[float]:
    """Adjusted p-values, in the input order (see the module docstring)."""
    if method not in METHODS:
        raise ValueError(f"unknown multiple-testing method {method!r} (one of {METHODS})")
    p = [float(v) for v in p_values]
    for v in p:
        if 0.0 <= v <= 1.0 or math.isnan(v) or math.isinf(v):
            continue
        raise ValueError(f"p-value {v!r} is outside [0, 1]")
    computable = [math.isfinite(v) for v in p]
    m = len(p)
    if method == "none" or m == 0:
        return [v if ok else math.nan for v, ok in zip(p, computable, strict=True)]
    filled = [v if ok else 1.0 for v, ok in zip(p, computable, strict=True)]
    order = sorted(range(m), key=lambda i: filled[i])
    adjusted = [0.0] * m
    if method == "bonferroni":
        adjusted = [min(1.0, m * v) for v in filled]
    elif method == "holm":
        running = 0.0
        for rank, i in enumerate(order):
            running = max(running, (m - rank) * filled[i])
            adjusted[i] = min(1.0, running)
    else:  # fdr_bh
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i = order[rank]
            running = min(running, filled[i] * m / (rank + 1))
            adjusted[i] = running
    return [v if ok else math.nan for v, ok in zip(adjusted, computable, strict=True)]
