"""Payloads: a manifest's cached JSON decodes to the same object, and is what show prints."""

from __future__ import annotations

import json
import typing
from typing import Any

from pydantic import BaseModel

from galfriday_gitops.load.cache import decode, encode
from galfriday_gitops.load.safe_yaml import load
from galfriday_gitops.resources import ModelVersion
from tests.support.factories import manifest

FULL = manifest("m", "1.0.0", "deprecated", experiment="ab-1").replace(
    "  framework: numpy\n",
    "  framework: numpy\n  target: up\n  hyperparameters: {a: null, b: 1}\n"
    "  rollout: {trafficPercent: 10}\n  tags: [x]\n"
    "  deprecation: {reason: old, endOfLife: 2027-01-01, replacement: 1.1.0}\n",
)


def _optional_fields(model: type[BaseModel], seen: set[type] | None = None) -> list[str]:
    """Every field of ``model`` (and the models inside it) that accepts None, with its default."""
    seen = seen or set()
    out = []
    for name, info in model.model_fields.items():
        args = typing.get_args(info.annotation)
        if info.annotation is None or type(None) in args:
            out.append(f"{model.__name__}.{name}={info.default!r}")
        for tp in (info.annotation, *args):
            if isinstance(tp, type) and issubclass(tp, BaseModel) and tp not in seen:
                seen.add(tp)
                out += _optional_fields(tp, seen)
    return out


def test_every_optional_field_of_a_manifest_defaults_to_none() -> None:
    # What lets the payload leave unset fields out: a decoder fills them back with None.
    found = _optional_fields(ModelVersion)
    assert found and all(f.endswith("=None") for f in found), found


def test_a_manifest_round_trips_and_is_what_show_prints() -> None:
    version = ModelVersion.model_validate(load(FULL.encode()).data)
    payload = encode((version, ()))
    assert decode(payload)[0] == version
    data: dict[str, Any] = json.loads(payload.partition("\n")[2])
    assert data == version.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert data["spec"]["hyperparameters"] == {"a": None, "b": 1}  # data, not an unset field
    assert "replacement" in data["spec"]["deprecation"] and "parent" not in data["spec"]["lineage"]
