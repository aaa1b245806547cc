"""Serving-time experiment routing and outcome logging (no scipy/pandas at import time)."""

from galfriday_gitops.experiments.outcomes import OutcomeLog, read_outcomes
from galfriday_gitops.experiments.router import Router, ShadowRecord, hash_unit, rollout_router

__all__ = ["OutcomeLog", "Router", "ShadowRecord", "hash_unit", "read_outcomes", "rollout_router"]
