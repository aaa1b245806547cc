"""Lifecycle of model versions after they serve: deprecation, retirement, inference health.

* :mod:`~galfriday_gitops.lifecycle.deprecation`: days until end of life, warning levels,
  retirement pull requests past end of life.
* :mod:`~galfriday_gitops.lifecycle.inference`: inference logs (JSONL or Parquet) into
  per-version latency percentiles, success/error rates, confidence and cost over a window,
  judged against the LifecyclePolicy's thresholds.
* :mod:`~galfriday_gitops.lifecycle.run`: the scheduled job (``gfops lifecycle``) that ties
  both together and opens the retirement / rollback pull requests or issues.
* :mod:`~galfriday_gitops.lifecycle.backup`: ``gfops backup`` / ``gfops restore``.

Every module here imports numpy/pandas/pyarrow only inside the functions that need them.
"""
