"""Streaming concept-drift detectors for a model's error stream (0/1 losses or reals).

Both detectors share one API: ``update(x) -> bool`` (True when drift is detected at
this element), ``reset()``, and ``detect(stream) -> list[int]`` returning the indices
of the alarms; after an alarm a detector continues on the elements that follow.

* :class:`ADWIN` (Bifet & Gavaldà, 2007) keeps an adaptive window stored as an
  exponential histogram (at most ``max_buckets + 1`` buckets per power of two, so
  O(log n) memory) and drops its oldest part whenever two sub-windows have
  significantly different means.  Both directions of change are detected.
* :class:`PageHinkley` is a CUSUM-type test for an *increase* of the mean (a rising
  error rate); ``detect`` is vectorised with a cumulative sum between alarms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt


class ADWIN:
    """ADaptive WINdowing change detector.

    Parameters
    ----------
    delta:
        Confidence (default 0.002): a cut is made when the means of two adjacent
        sub-windows of sizes n0, n1 differ by more than
        ``sqrt(2 var ln(2/d') / m) + 2 ln(2/d') / (3 m)`` with ``m = 1/(1/n0 + 1/n1)``,
        ``var`` the window variance and ``d' = delta / ln(n)`` (a union bound over the
        O(log n) split points that are checked).
    max_buckets:
        Buckets kept per size before the two oldest merge (default 5).
    clock:
        Cuts are checked every ``clock`` updates (default 32); detection is at most
        that many elements late, and the cost per element stays O(1) amortised.
    min_window:
        Minimum size of each sub-window compared (default 5).
    """

    def __init__(
        self, delta: float = 0.002, *, max_buckets: int = 5, clock: int = 32, min_window: int = 5
    ) -> None:
        if not 0.0 < delta < 1.0:
            raise ValueError("delta must lie in (0, 1)")
        self.delta = delta
        self.max_buckets = max_buckets
        self.clock = clock
        self.min_window = min_window
        self.reset()

    def reset(self) -> None:
        """Forget the window."""
        # rows[i] holds buckets of 2**i elements, oldest first, as [total, m2] pairs
        self._rows: list[list[list[float]]] = []
        self.width = 0
        self.total = 0.0
        self.m2 = 0.0
        self._ticks = 0

    @property
    def estimation(self) -> float:
        """Mean of the current window."""
        return self.total / self.width if self.width else 0.0

    @property
    def n_buckets(self) -> int:
        return sum(len(r) for r in self._rows)

    def update(self, x: float) -> bool:
        """Add one element; True if the window was cut (drift) now."""
        x = float(x)
        if self.width:
            mean = self.total / self.width
            self.m2 += (x - mean) ** 2 * self.width / (self.width + 1)
        self.width += 1
        self.total += x
        if not self._rows:
            self._rows.append([])
        self._rows[0].append([x, 0.0])
        self._compress()
        self._ticks += 1
        if self._ticks % self.clock == 0 and self.width > 2 * self.min_window:
            return self._check_cut()
        return False

    def _compress(self) -> None:
        level = 0
        while level < len(self._rows) and len(self._rows[level]) > self.max_buckets:
            row = self._rows[level]
            (t1, v1), (t2, v2) = row[0], row[1]
            del row[:2]
            size = float(2**level)
            merged_m2 = v1 + v2 + (t1 / size - t2 / size) ** 2 * size / 2.0
            if level + 1 == len(self._rows):
                self._rows.append([])
            self._rows[level + 1].append([t1 + t2, merged_m2])
            level += 1

    def _drop_oldest(self) -> None:
        level = len(self._rows) - 1
        total, m2 = self._rows[level].pop(0)
        size = 2**level
        rest = self.width - size
        mean_b = total / size
        mean_rest = (self.total - total) / rest
        self.m2 -= m2 + (mean_b - mean_rest) ** 2 * size * rest / self.width
        self.m2 = max(self.m2, 0.0)
        self.width = rest
        self.total -= total
        while self._rows and not self._rows[-1]:
            self._rows.pop()

    def _check_cut(self) -> bool:
        cut = False
        changed = True
        while changed and self.width > 2 * self.min_window:
            changed = False
            n = self.width
            var = self.m2 / n
            log_term = math.log(2.0 * math.log(n) / self.delta)
            n0, s0 = 0, 0.0
            # walk split points from the oldest bucket towards the newest
            for level in range(len(self._rows) - 1, -1, -1):
                size = 2**level
                for total, _ in self._rows[level]:
                    n0 += size
                    s0 += total
                    n1 = n - n0
                    if n1 < self.min_window:
                        break
                    if n0 < self.min_window:
                        continue
                    m = 1.0 / (1.0 / n0 + 1.0 / n1)
                    eps = math.sqrt(2.0 * var * log_term / m) + 2.0 * log_term / (3.0 * m)
                    if abs(s0 / n0 - (self.total - s0) / n1) > eps:
                        changed = True
                        break
                if changed:
                    break
            if changed:
                cut = True
                self._drop_oldest()
        return cut

    def detect(self, stream: Iterable[float] | npt.ArrayLike) -> list[int]:
        """Feed a whole stream; indices at which drift was detected.

        The exponential histogram is inherently sequential, so this is a tight loop
        over Python floats (a few microseconds per element; ~0.2 s per 100,000).
        """
        values = np.asarray(stream, dtype=np.float64).ravel().tolist()
        update = self.update
        return [i for i, v in enumerate(values) if update(v)]


class PageHinkley:
    """Page-Hinkley test for an increase of the mean.

    With ``xbar_t`` the running mean since the last reset,
    ``m_t = alpha * m_{t-1} + (x_t - xbar_t - delta)`` and ``M_t = min(m_1..m_t)``;
    an alarm is raised when ``m_t - M_t > threshold`` after at least ``min_instances``
    elements, and the detector then resets.

    Defaults: ``delta = 0.01`` (magnitude of change tolerated), ``threshold = 50``
    (lambda), ``alpha = 1.0`` (no forgetting; values < 1 fade old evidence),
    ``min_instances = 30``.  Without drift, ``m_t - M_t`` behaves like a random walk
    with drift ``-delta`` reflected at 0, whose tail is about
    ``exp(-2 delta threshold / var)``: for a Bernoulli(0.2) error stream that is
    exp(-6.25), i.e. an alarm every few hundred thousand elements.
    """

    def __init__(
        self,
        delta: float = 0.01,
        threshold: float = 50.0,
        alpha: float = 1.0,
        *,
        min_instances: int = 30,
    ) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ValueError("alpha must lie in (0, 1]")
        self.delta = delta
        self.threshold = threshold
        self.alpha = alpha
        self.min_instances = min_instances
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far."""
        self.n = 0
        self.sum_x = 0.0
        self.m = 0.0
        self.m_min = math.inf

    def update(self, x: float) -> bool:
        """Add one element; True if an increase was detected now (the test then resets)."""
        self.n += 1
        self.sum_x += float(x)
        inc = float(x) - self.sum_x / self.n - self.delta
        self.m = self.alpha * self.m + inc
        self.m_min = min(self.m_min, self.m)
        if self.n >= self.min_instances and self.m - self.m_min > self.threshold:
            self.reset()
            return True
        return False

    def detect(self, stream: Iterable[float] | npt.ArrayLike) -> list[int]:
        """Vectorised equivalent of calling :meth:`update` on each element.

        Starts from a reset state; afterwards the detector holds the state that calling
        ``update`` element by element would have left.
        """
        x = np.asarray(stream, dtype=np.float64).ravel()
        self.reset()
        alarms: list[int] = []
        start = 0
        while start < x.size:
            seg = x[start:]
            idx = np.arange(1, seg.size + 1, dtype=np.float64)
            # sequential sums, so the floating-point results match update() exactly
            sums = np.cumsum(seg)
            means = sums / idx
            inc = (seg - means) - self.delta
            if self.alpha == 1.0:
                m = np.cumsum(inc)
            else:
                from scipy import signal

                # y_t = alpha * y_{t-1} + inc_t: the same operations as update()
                m = signal.lfilter([1.0], [1.0, -self.alpha], inc)
            ph = m - np.minimum.accumulate(m)
            hits = np.flatnonzero(ph[self.min_instances - 1 :] > self.threshold)
            if hits.size == 0:
                self.n = seg.size
                self.sum_x = float(sums[-1])
                self.m = float(m[-1])
                self.m_min = float(np.min(m))
                break
            k = int(hits[0]) + self.min_instances - 1
            alarms.append(start + k)
            start += k + 1
        return alarms
