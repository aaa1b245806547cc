"""Writing a commit from trees alone: what the write verbs propose, built without a checkout.

A user's work tree, index, staged changes and current branch are never touched; only the
trees on the changed paths are rebuilt, so one manifest's change costs a handful of small
git calls however large the repository is.
"""

from __future__ import annotations

from pathlib import Path

from galfriday_gitops import gitio


def commit_files(
    repo: Path | str,
    base: str,
    files: dict[str, bytes | None],
    message: str,
    *,
    branch: str | None = None,
) -> str:
    """Commit ``files`` (None deletes) on top of ``base`` without touching the work tree.

    Only the trees on the changed paths are rebuilt (``ls-tree`` + ``mktree`` per folder),
    so a change of one manifest costs a handful of small git calls however large the
    repository is (reading a 20,000-entry index took 0.15 s). The user's checkout, index,
    staged changes and current branch are left exactly as they were.
    """
    parent = gitio.rev_parse(repo, base)
    change = (
        str(repo),
        parent,
        tuple(sorted((p, gitio.blob_id(c) if c is not None else None) for p, c in files.items())),
    )
    tree = _TREES.get(change)
    if tree is None:  # a write verb commits its change twice (preview, then the branch)
        tree = _TREES[change] = _edit_tree(repo, f"{parent}^{{tree}}", files) or _mktree(repo, {})
    sha = gitio.git(repo, "commit-tree", tree, "-p", parent, "-m", message).decode().strip()
    if branch is not None:
        gitio.git(repo, "update-ref", f"refs/heads/{branch}", sha)
    return sha


_TreeItems = dict[str, tuple[str, str, str]]  # name -> (mode, type, oid)
# (repository, parent commit, (path, blob id) of each change) -> the tree: content-addressed.
_TREES: dict[tuple[str, str, tuple[tuple[str, str | None], ...]], str] = {}


def _mktree(repo: Path | str, items: _TreeItems) -> str:
    lines = b"".join(
        f"{mode} {kind} {oid}\t".encode() + name.encode("utf-8", "surrogateescape") + b"\0"
        for name, (mode, kind, oid) in items.items()
    )
    return gitio.git(repo, "mktree", "-z", input=lines).decode().strip()


def _edit_tree(repo: Path | str, tree: str | None, changes: dict[str, bytes | None]) -> str | None:
    """``tree`` with ``changes`` (paths relative to it) applied; None when it ends up empty."""
    items: _TreeItems = {}
    if tree is not None:
        for e in gitio.ls_tree_shallow(repo, tree, []):
            items[e.path] = (e.mode, e.type, e.oid)
    nested: dict[str, dict[str, bytes | None]] = {}
    for path, content in changes.items():
        head, sep, rest = path.partition("/")
        if sep:
            nested.setdefault(head, {})[rest] = content
        elif content is None:
            items.pop(head, None)
        else:
            oid = gitio.git(repo, "hash-object", "-w", "--stdin", input=content).decode().strip()
            mode = "100755" if items.get(head, ("",))[0] == "100755" else "100644"
            items[head] = (mode, "blob", oid)
    for name, sub in nested.items():
        old = items.get(name)
        new = _edit_tree(repo, old[2] if old and old[1] == "tree" else None, sub)
        if new is None:
            items.pop(name, None)
        else:
            items[name] = ("040000", "tree", new)
    return _mktree(repo, items) if items else None
