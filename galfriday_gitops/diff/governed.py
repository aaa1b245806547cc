"""Files outside the registry folders that change how the registry's files are read.

A pull request need not touch a manifest to move a model: ``.gitattributes`` can put a
filter, an ``eol`` conversion or a ``diff`` driver on ``models/**`` (what is checked out is
then not what was reviewed), ``.dvc/config`` can point the artifacts at another remote,
``dvc.yaml``'s ``artifacts:`` section decides which file DVC and GTO call a model, a
CODEOWNERS file decides who may approve, and ``.github/`` holds the gate itself. In the
toolkit's own repository, ``galfriday_gitops/`` and what ``pip install .`` builds it from
(:data:`BUILD_FILES`) are the gate's code: the gate runs main's copy, so a change merged
there judges every later pull request. Each such change is an event of its own
(``repo-config-changed``, ``workflow-changed``) and needs the policy owners' approval
(GF213), like a change under ``policies/``; so does a path that is one of them, or a file in
a registry folder, only on a case-insensitive file system (:func:`case_twin`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from galfriday_gitops.load.safe_yaml import YamlError, load
from galfriday_gitops.paths import ARTIFACTS, REGISTRY_DIRS

# GitHub reads the first of these that exists, in this order (docs.github.com, "About code
# owners": the .github/, root, or docs/ directory).
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
GTO_CONFIG = ".gto"
TOOLKIT = "galfriday_gitops"
# What `pip install .` reads to build the toolkit (and its composite action): governed only in
# a repository that holds the toolkit, since any Python project has a pyproject.toml.
BUILD_FILES = frozenset({"pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in", "action.yml"})
TOOLKIT_NOTE = (
    "is the gate's own code: main's copy judges every pull request (the reconciler "
    "workflow installs it from main)"
)

_REGISTRY_TOPS = frozenset({*REGISTRY_DIRS, ARTIFACTS})
_ATTRIBUTES = "decides how registry files are checked out, converted and diffed"


def _touches_registry(folder: str) -> bool:
    """A per-folder file in ``folder`` applies to registry files (the root applies to all)."""
    return folder == "" or folder.split("/", 1)[0] in _REGISTRY_TOPS


def why_governed(path: str) -> str | None:
    """Why a change to ``path`` changes how registry files are read (None: it does not).

    ``dvc.yaml`` is judged by its content (:func:`artifact_changes`), ``.github/`` elsewhere.
    """
    folder, _, name = path.rpartition("/")
    if path in CODEOWNERS_PATHS:
        return "decides who owns, and so who may approve, the registry's files (CODEOWNERS)"
    if name == ".gitattributes" and _touches_registry(folder):
        return _ATTRIBUTES
    if path.startswith(".dvc/"):
        return "is DVC's configuration: where artifacts and data are fetched from, and how"
    if name == ".dvcignore" and _touches_registry(folder):
        return "decides which files under the registry DVC sees"
    if path == GTO_CONFIG:
        return "is GTO's configuration: how it names stages and reads the registry"
    if path.startswith(TOOLKIT + "/"):
        return TOOLKIT_NOTE
    return None


def case_twin(path: str) -> str | None:
    """The governed path ``path`` is on a case-insensitive file system (macOS and Windows
    checkouts, where ``Models/x/1.0.0.yaml`` is ``models/x/1.0.0.yaml`` and ``.DVC/config``
    is DVC's configuration), when it is not already spelled that way; None otherwise."""
    folded = path.lower()
    if folded == path or path.split("/", 1)[0] in _REGISTRY_TOPS:
        return None  # spelled as it is read, or loaded (and judged) as a registry file
    top, name = folded.split("/", 1)[0], folded.rpartition("/")[2]
    if top in (*_REGISTRY_TOPS, ".github") or name == "dvc.yaml" or why_governed(folded):
        return folded
    return None


def _artifacts(raw: bytes | None) -> Any:
    """The ``artifacts:`` section of a dvc.yaml (None without one); ValueError if unreadable."""
    if raw is None:
        return None
    try:
        data = load(raw, with_positions=False).data
    except YamlError as exc:
        raise ValueError(exc.message) from None
    return data.get("artifacts") if isinstance(data, dict) else None


def artifact_changes(before: bytes | None, after: bytes | None) -> tuple[str, ...] | None:
    """The artifact entries a ``dvc.yaml`` change adds, drops or edits (None: none).

    A file that cannot be read on either side counts as changing them all: whether it
    moves an artifact cannot be told, so it is governed (fail closed).
    """
    try:
        old, new = _artifacts(before), _artifacts(after)
    except ValueError:
        return ("artifacts",)
    if old == new:
        return None
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ("artifacts",)
    keys = sorted({str(k) for k in (*old, *new)})
    return tuple(f"artifacts.{k}" for k in keys if old.get(k) != new.get(k))


def dvc_yaml_changes(
    path: str,
    read_base: Callable[[str], bytes | None],
    read_head: Callable[[str], bytes | None],
    registered: Callable[[str], set[str]] = lambda _name: set(),
) -> tuple[str, ...] | None:
    """What a changed ``dvc.yaml`` does to its artifact entries (see :func:`artifact_changes`),
    less the entries a registration in the same change explains: ``artifacts.NAME`` pointed
    at the file of a version of NAME the change registers (``registered(NAME)``: those files),
    its other keys unchanged. That is what ``gfops register`` writes and GF231 demands, and
    the registration itself is judged; any other edit of an entry needs the owners."""
    before, after = read_base(path), read_head(path)
    changed = artifact_changes(before, after)
    if changed is None or path != "dvc.yaml":  # only the root dvc.yaml names registry files
        return changed
    old, new = _artifacts(before), _artifacts(after)  # readable: artifact_changes said so
    old = {} if old is None else old  # a first artifacts section names each entry anew
    if not isinstance(old, dict) or not isinstance(new, dict):
        return changed
    keys = sorted({str(k) for k in (*old, *new)})
    each = [f"artifacts.{k}" for k in keys if old.get(k) != new.get(k)]
    rest = tuple(key for key in each if not _explained(key, old, new, registered))
    return rest or None


def _explained(
    key: str, old: dict[Any, Any], new: dict[Any, Any], registered: Callable[[str], set[str]]
) -> bool:
    name = key.removeprefix("artifacts.")
    entry, prior = new.get(name), old.get(name)
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return False
    unchanged = {k: v for k, v in entry.items() if k != "path"} == (
        {k: v for k, v in prior.items() if k != "path"} if isinstance(prior, dict) else {}
    ) or prior is None
    return unchanged and entry["path"] in registered(name)
