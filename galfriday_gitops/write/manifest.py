"""Render a new resource (a ModelVersion, an Experiment) as the YAML file a person would write
(modeline, comments, order)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import yaml

from galfriday_gitops.resources import SCHEMA_FILES, Experiment, ModelVersion, rfc3339


class _Quoted(str):
    """A string written in double quotes (a timestamp: YAML 1.1 would read it unquoted as a
    YAML timestamp, YAML 1.2 and JSON Schema as a string: quoted, every reader agrees)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"')
)


def _prune(value: Any) -> Any:
    """Drop empty mappings/lists and nulls (the file shows what was said); enums as text;
    timestamps as quoted RFC 3339."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return _Quoted(rfc3339(value))
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def render(version: ModelVersion) -> str:
    data = _prune(version.model_dump(mode="python", by_alias=True, exclude_none=True))
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    header = (
        f"# yaml-language-server: $schema=../../schemas/{SCHEMA_FILES['ModelVersion']}\n"
        f"# {version.ref}, written by gfops register.\n"
        "# Only spec.stage, spec.deprecation, spec.rollout and metadata labels/annotations\n"
        "# may change once this file is merged.\n"
    )
    return header + body


def render_experiment(experiment: Experiment, note: str) -> str:
    """A new Experiment file (``note``: the comment under the modeline, who wrote it why)."""
    data = _prune(experiment.model_dump(mode="python", by_alias=True, exclude_none=True))
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    header = f"# yaml-language-server: $schema=../schemas/{SCHEMA_FILES['Experiment']}\n# {note}\n"
    return header + body
