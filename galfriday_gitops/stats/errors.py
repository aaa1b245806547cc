"""The data errors of the statistics: bad input, with a message that names the column."""

from __future__ import annotations

__all__ = ["DriftDataError", "ExperimentDataError"]


class DriftDataError(ValueError):
    """Input data that drift statistics cannot be computed on (the message names the column)."""


class ExperimentDataError(ValueError):
    """The experiment data cannot be analysed (missing column, bad values, absent variant)."""
