"""Render a ModelVersion as the YAML file a person would write (modeline, comments, order)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import yaml

from galfriday_gitops.resources import SCHEMA_FILES, ModelVersion


def _prune(value: Any) -> Any:
    """Drop empty mappings/lists and nulls (the file shows what was said); enums as text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def render(version: ModelVersion) -> str:
    data = _prune(version.model_dump(mode="python", by_alias=True, exclude_none=True))
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    header = (
        f"# yaml-language-server: $schema=../../schemas/{SCHEMA_FILES['ModelVersion']}\n"
        f"# {version.ref}, written by gfops register.\n"
        "# Only spec.stage, spec.deprecation, spec.rollout and metadata labels/annotations\n"
        "# may change once this file is merged.\n"
    )
    return header + body
