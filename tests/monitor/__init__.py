"""Drift analysis, reports and retraining pull requests."""
