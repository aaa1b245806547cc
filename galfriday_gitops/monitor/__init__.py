"""Scheduled monitoring: run DriftPolicies, render their reports, act on drift.

``drift_run`` turns a policy into a verdict (and performs its ``onDrift`` action);
``report`` renders the terminal table, the Markdown summary and the self-contained HTML
report. Both import numpy/pandas at module level, so the CLI imports them inside ``run``
only; importing this package stays cheap.
"""
