"""Statistics for the registry (drift detection, experiments, sketches).

Submodules are imported explicitly, e.g. ``galfriday_gitops.stats.drift``; this package
module re-exports nothing so that importing it stays free of numpy/scipy/pandas.
"""
