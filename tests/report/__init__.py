"""Tests of galfriday_gitops.report."""
