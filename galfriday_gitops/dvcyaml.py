"""``dvc.yaml``'s ``artifacts:`` section: which file DVC (and GTO, DVC Studio) calls a model.

DVC serves ``dvc artifacts get REPO NAME --rev vX | --stage S`` like this (``dvc/repo/
artifacts.py``): the version or stage names a git tag (GTO's syntax), the tag names a
commit, and at that commit DVC reads ``artifacts.<NAME>.path`` of the root ``dvc.yaml``
and downloads that path. An entry in another ``dvc.yaml`` is a different artifact
(``sub/dir:NAME``), so one model has one entry, in the root ``dvc.yaml``, and it must name
the registered file of the version registered at that commit:
``artifacts/<name>/<version>/<file>``. ``gfops register`` points it there, keeping the
entry's description, labels and type, and records the pipeline output the file was copied
from in ``meta.pipelineOutput`` (what ``gfops retrain`` trains); ``gfops check`` refuses a
registration whose entry names another file (GF231).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from galfriday_gitops.errors import UserError
from galfriday_gitops.load.safe_yaml import YamlError, load

DVC_YAML = "dvc.yaml"
PIPELINE_OUTPUT = "pipelineOutput"  # meta key: the pipeline output the registered file copies


@dataclass(frozen=True, slots=True)
class ArtifactEntry:
    """One entry of ``artifacts:``: the path DVC serves, and the pipeline output it copies."""

    name: str
    path: str | None
    pipeline_output: str | None = None


def _document(raw: bytes, where: str) -> dict[str, Any]:
    """The top-level mapping of a ``dvc.yaml`` (read with the loader's limits: it may come
    from a pull request); UserError naming ``where`` when it cannot be read."""
    if not raw.strip():  # an empty dvc.yaml declares nothing (DVC reads it so too)
        return {}
    try:
        data = load(raw, with_positions=False).data
    except YamlError as exc:
        raise UserError(f"{where}:{exc.line}: {exc.message}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{where}: not a mapping")
    return data


def metrics_files(raw: bytes, where: str = DVC_YAML) -> list[str]:
    """The metrics files a ``dvc.yaml`` declares, once each, in order: the top-level
    ``metrics:`` (where DVCLive declares its ``metrics.json``), then each stage's."""
    doc = _document(raw, where)
    stages = doc.get("stages")
    out: list[str] = []
    for owner in (doc, *(stages.values() if isinstance(stages, dict) else ())):
        declared = owner.get("metrics") if isinstance(owner, dict) else None
        for entry in declared if isinstance(declared, list) else ():
            # `- path` or `- path: {cache: false}`
            path = entry if isinstance(entry, str) else next(iter(entry), None)
            if isinstance(path, str) and path not in out:
                out.append(path)
    return out


def parse_artifacts(raw: bytes, where: str = DVC_YAML) -> dict[str, ArtifactEntry]:
    """The ``artifacts:`` entries of a ``dvc.yaml`` (read with the loader's limits: it may
    come from a pull request); UserError naming ``where`` when it cannot be read."""
    section = _document(raw, where).get("artifacts")
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise UserError(f"{where}: artifacts is not a mapping of name -> entry")
    out = {}
    for name, entry in section.items():
        body = entry if isinstance(entry, dict) else {}
        path = body.get("path")
        meta = body.get("meta")
        source = meta.get(PIPELINE_OUTPUT) if isinstance(meta, dict) else None
        out[str(name)] = ArtifactEntry(
            str(name),
            path if isinstance(path, str) else None,
            source if isinstance(source, str) else None,
        )
    return out


def point_artifact(root: Path, name: str, path: str, *, pipeline_output: str | None) -> str:
    """Point ``artifacts.<name>`` of ``root/dvc.yaml`` at ``path`` (created when missing;
    comments, order and the entry's other fields kept); returns the new file's text.

    ``pipeline_output``: the pipeline output the registered file was copied from, recorded
    in ``meta.pipelineOutput`` (an existing value is kept when None)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096
    target = root / DVC_YAML
    text = target.read_text(encoding="utf-8") if target.is_file() else ""
    doc: Any = rt.load(text) if text.strip() else None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise UserError(f"{DVC_YAML}: not a mapping, cannot add artifacts.{name}")
    section = doc.setdefault("artifacts", CommentedMap())
    if not isinstance(section, dict):
        raise UserError(f"{DVC_YAML}: artifacts is not a mapping, cannot add {name}")
    entry = section.get(name)
    if not isinstance(entry, dict):
        entry = CommentedMap()
        section[name] = entry
    entry["path"] = path
    entry.setdefault("type", "model")
    if pipeline_output is not None:
        meta = entry.get("meta")
        if not isinstance(meta, dict):
            meta = CommentedMap()
            entry["meta"] = meta
        meta[PIPELINE_OUTPUT] = pipeline_output
    buf = io.StringIO()
    rt.dump(doc, buf)
    return buf.getvalue()
