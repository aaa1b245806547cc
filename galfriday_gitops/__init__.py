"""galfriday-gitops: a git repository as an ML model registry.

``from galfriday_gitops import Registry, ModelStage`` is the consumer API (see
``galfriday_gitops.registry``; ``galfriday_gitops.api`` is the whole library surface).
The names are loaded on first use, so ``import galfriday_gitops`` (and the CLI, which
imports it) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from galfriday_gitops.registry import (
        ArtifactIntegrityError,
        ArtifactUnavailableError,
        Registry,
        RegistryError,
        RepositoryError,
        ResolveError,
        UnknownRevisionError,
    )
    from galfriday_gitops.resources import ModelStage, ModelVersion

__all__ = [
    "ArtifactIntegrityError",
    "ArtifactUnavailableError",
    "ModelStage",
    "ModelVersion",
    "Registry",
    "RegistryError",
    "RepositoryError",
    "ResolveError",
    "UnknownRevisionError",
]

_LAZY = {
    "ArtifactIntegrityError": "galfriday_gitops.registry",
    "ArtifactUnavailableError": "galfriday_gitops.registry",
    "Registry": "galfriday_gitops.registry",
    "RegistryError": "galfriday_gitops.registry",
    "RepositoryError": "galfriday_gitops.registry",
    "ResolveError": "galfriday_gitops.registry",
    "UnknownRevisionError": "galfriday_gitops.registry",
    "ModelStage": "galfriday_gitops.resources",
    "ModelVersion": "galfriday_gitops.resources",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'galfriday_gitops' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
