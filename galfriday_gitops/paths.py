"""Names and paths of a registry: the one place they are spelled.

``models/<name>/<version>.yaml``       a ModelVersion manifest
``artifacts/<name>/<version>/...``     its files, tracked by DVC
``experiments/<name>.yaml``            an Experiment
``policies/*.yaml``                    StagePolicy, Teams, DriftPolicy, LifecyclePolicy

Names are 1-64 characters of ``[a-z0-9._-]`` starting with a letter or digit: safe in a
path, a branch name, a git tag and a shell word. Standard library only.
"""

from __future__ import annotations

import re

MODELS = "models"
POLICIES = "policies"
EXPERIMENTS = "experiments"
ARTIFACTS = "artifacts"
REGISTRY_DIRS = (MODELS, POLICIES, EXPERIMENTS)  # the folders the loader reads

NAME = r"[a-z0-9][a-z0-9._-]{0,63}"  # unanchored, to compose (e.g. into a tag pattern)
NAME_PATTERN = rf"^{NAME}$"
_NAME = re.compile(NAME_PATTERN)
_YAML = ".yaml"


def is_name(text: str) -> bool:
    """A valid model, policy or experiment name."""
    return _NAME.fullmatch(text) is not None  # match() would let "$" accept a final "\n"


def model_dir(name: str) -> str:
    """``models/<name>``: the folder of every manifest of one model."""
    return f"{MODELS}/{name}"


def manifest_path(name: str, version: str) -> str:
    """``models/<name>/<version>.yaml``."""
    return f"{MODELS}/{name}/{version}{_YAML}"


def artifact_dir(name: str, version: str) -> str:
    """``artifacts/<name>/<version>``: where the files of one version live."""
    return f"{ARTIFACTS}/{name}/{version}"


def experiment_path(name: str) -> str:
    """``experiments/<name>.yaml``."""
    return f"{EXPERIMENTS}/{name}{_YAML}"


def split_manifest_path(path: str) -> tuple[str, str] | None:
    """``models/<name>/<version>.yaml`` -> (name, version); None for any other shape.

    Only the shape is checked: the caller decides what an invalid name or version means.
    """
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != MODELS or not parts[2].endswith(_YAML):
        return None
    return parts[1], parts[2].removesuffix(_YAML)


def split_artifact_path(path: str) -> tuple[str, str] | None:
    """``artifacts/<name>/<version>/<file...>`` -> (name, version); None for any other shape."""
    parts = path.split("/")
    if len(parts) < 4 or parts[0] != ARTIFACTS or "" in parts:
        return None
    return parts[1], parts[2]


def split_experiment_path(path: str) -> str | None:
    """``experiments/<name>.yaml`` -> name; None for any other shape."""
    parts = path.split("/")
    if len(parts) != 2 or parts[0] != EXPERIMENTS or not parts[1].endswith(_YAML):
        return None
    return parts[1].removesuffix(_YAML)


# Paths whose every change needs an approved pull request (``apply`` and ``audit verify``):
# what decides how the gate judges (policies, teams, experiments as evidence), how it runs
# (workflows, CODEOWNERS), and what an artifact is (git attributes; a registered version's
# .dvc files, whose hashes are part of its immutable facts).
GOVERNED_DIRS = (POLICIES + "/", EXPERIMENTS + "/", ".github/")


def governed(path: str) -> bool:
    """A path of the governed kind that needs no registry state to recognise."""
    return path.startswith(GOVERNED_DIRS) or path.rsplit("/", 1)[-1] == ".gitattributes"
