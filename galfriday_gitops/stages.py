"""The stages of a model version: the one place their names are spelled.

Standard library only, so the fast read paths (``gfops status``, ``show``) name stages
without importing the schema (pydantic); :mod:`galfriday_gitops.resources` re-exports it.
"""

from __future__ import annotations

from enum import StrEnum


class ModelStage(StrEnum):
    """Where a model version is in its life. The only place stage names are spelled."""

    DEVELOPMENT = "development"
    TESTING = "testing"
    STAGING = "staging"
    CANARY = "canary"
    PRODUCTION = "production"
    DEPRECATED = "deprecated"
    RETIRED = "retired"
    ARCHIVED = "archived"

    @property
    def is_live(self) -> bool:
        """Serving traffic: deleting or renaming such a version breaks consumers."""
        return self in (ModelStage.CANARY, ModelStage.PRODUCTION)


STAGE_NAMES = frozenset(s.value for s in ModelStage)
