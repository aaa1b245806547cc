"""Diff: two registry states in, events out."""
