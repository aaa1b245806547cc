"""The files ``gfops schema --write`` keeps in a registry: ``schemas/*.schema.json`` generated
from the resource models, and ``.gto`` (GTO's stage list, set to ModelStage). One home for
their exact text, used by ``gfops schema`` and by ``gfops init``."""

from __future__ import annotations

import json

SCHEMA_DIR = "schemas"


def schema_texts() -> dict[str, str]:
    """File name (under ``schemas/``) -> exact file content, for every kind."""
    from galfriday_gitops.resources import KINDS, SCHEMA_FILES, json_schema

    return {
        SCHEMA_FILES[kind]: json.dumps(json_schema(kind), indent=2, sort_keys=True) + "\n"
        for kind in KINDS
    }


def gto_text(existing: str | None = None) -> str:
    """``.gto`` with ModelStage as GTO's allowed stages (other settings of ``existing`` kept)."""
    from galfriday_gitops.apply.readers import gto_config
    from galfriday_gitops.resources import ModelStage

    return gto_config((s.value for s in ModelStage), existing)
