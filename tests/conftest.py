"""Fixtures for every test: real git repositories in temp dirs and the loopback GitHub."""

pytest_plugins = ["tests.support.repo", "tests.support.github", "tests.support.artifacts"]
