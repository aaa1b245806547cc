"""The library surface: what a script can do with the same words as the CLI.

This module only re-exports; each verb lives in its own module. The consumer side,
``Registry(...).resolve(...)`` and ``load_artifact``, is :mod:`galfriday_gitops.registry`.
"""

from __future__ import annotations

from galfriday_gitops.registry import (
    ArtifactIntegrityError,
    ArtifactUnavailableError,
    Registry,
    RegistryError,
    RepositoryError,
    ResolveError,
    UnknownRevisionError,
)

__all__ = [
    "ArtifactIntegrityError",
    "ArtifactUnavailableError",
    "Registry",
    "RegistryError",
    "RepositoryError",
    "ResolveError",
    "UnknownRevisionError",
]
