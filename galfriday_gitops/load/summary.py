"""The models x stages table of a revision, incrementally, from git's own tree ids.

Git content-addresses every folder: a model's folder has the same tree id until one
of its files changes. So each model's row of the status table (and each of the
policies/ and experiments/ folders' error count) is cached by tree id, and a
revision where one manifest changed re-reads one folder. A warm ``gfops status`` on
10,000 manifests then costs one ``ls-tree`` of ``models/`` and one cache query, and
imports no pydantic unless a folder actually changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.load.cache import BlobCache, default_path
from galfriday_gitops.paths import EXPERIMENTS, MODELS, POLICIES, REGISTRY_DIRS

Table = dict[str, dict[str, list[str]]]


def _units(repo: Path, commit: str) -> tuple[dict[str, str], int]:
    """Folder -> tree id for every model folder, policies/ and experiments/; plus the
    number of entries that are not folders where folders belong (each one an error)."""
    units: dict[str, str] = {}
    stray = 0
    for item in gitio.ls_tree_shallow(repo, commit, [MODELS + "/", POLICIES, EXPERIMENTS]):
        if item.type == "tree":
            units[item.path] = item.oid
        elif item.path in REGISTRY_DIRS or not item.path.endswith(".md"):
            stray += 1  # a registry folder that is a symlink, or a stray entry in models/
    return units, stray


def stage_summary(repo: Path, rev: str) -> tuple[str, Table, int]:
    """(commit, model -> stage -> versions, number of invalid files) at ``rev``."""
    commit = gitio.rev_parse(repo, rev)
    try:
        cache = BlobCache(default_path(gitio.git_dir(repo)))
    except gitio.GitError:
        cache = BlobCache(None)
    units, errors = _units(repo, commit)
    keys = {folder: f"tree:{folder}:{oid}" for folder, oid in units.items()}
    cached = cache.get_many(keys.values())
    missing = [folder for folder in units if keys[folder] not in cached]
    fresh: dict[str, str] = {}
    if missing:
        from galfriday_gitops.load.state import load_state

        state = load_state(repo, commit, blob_cache=cache, paths=missing)
        table = state.stage_table()
        for folder in missing:
            name = folder.removeprefix(MODELS + "/") if folder.startswith(MODELS + "/") else None
            bad = sum(
                1 for f in state.findings if f.file.startswith(folder + "/") or f.file == folder
            )
            row = table.get(name, {}) if name else {}
            fresh[keys[folder]] = json.dumps({"model": name, "row": row, "errors": bad})
        cache.put_many(fresh)
    result: Table = {}
    for folder in sorted(units):
        unit = json.loads(fresh.get(keys[folder]) or cached[keys[folder]])
        errors += int(unit["errors"])
        if unit["model"] and unit["row"]:
            result[unit["model"]] = unit["row"]
    cache.close()
    return commit, result, errors
