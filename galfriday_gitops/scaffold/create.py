"""``gfops init [DIR]``: a new registry, complete and committed, or nothing at all.

A new registry is built in a temporary folder beside ``DIR`` -- ``git init -b main``, ``dvc
init`` (analytics off), the DVC remote, every file of :mod:`.files`, one commit -- and moved
into place with one rename (into an existing empty ``DIR``, entry by entry, all or nothing),
so an interrupted run leaves no half-written registry. ``DIR``
may be missing or empty. A folder that already is a registry (``.git``, ``.gto`` and
``policies/``) gets only the files it lacks, each written atomically; a file that is there
is never overwritten, whatever it holds, so a re-run is a no-op. Any other non-empty folder
is refused unless ``existing`` says to add a registry to it (at the top of its git
repository), in which case the same rule holds: missing files are added, nothing is
overwritten, and only the added files are committed.

The DVC remote is the URL given (``.dvc/config``, shared with everyone who clones), else a
local folder beside ``DIR`` (``<DIR>-dvc-storage``, in ``.dvc/config.local``: a path on this
machine means nothing to anyone else).
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from galfriday_gitops import dvcio
from galfriday_gitops.errors import UserError
from galfriday_gitops.fsutil import atomic_write, not_a_regular_file
from galfriday_gitops.paths import is_name
from galfriday_gitops.resources import PLACEHOLDER_LOGIN
from galfriday_gitops.scaffold.files import (
    PLACEHOLDER_TEAM,
    UNPINNED_ACTION,
    WORKFLOWS,
    Layout,
    registry_files,
)

__all__ = ["InitRequest", "Initialised", "init_registry"]

REMOTE_NAME = "storage"
_ACTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}@[0-9a-f]{40}$")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_MESSAGE = "Registry skeleton from gfops init: policies, teams, schemas, workflows"


@dataclass(frozen=True)
class InitRequest:
    """``gfops init [DIR]``, by the CLI's own words.

    ``team`` holds ``(name, logins)`` pairs; the first team approves canary and production
    and owns the policies (without one, a placeholder team the loader refuses until it is
    edited). ``action`` is ``owner/name@<40-hex commit>`` of the galfriday-gitops action the
    workflows run. ``allowed_signers`` is an SSH allowed-signers file: audit tags must then
    be signed. ``existing`` adds a registry to a non-empty folder that is not one.
    """

    directory: Path = Path()
    remote: str | None = None
    team: Sequence[tuple[str, Sequence[str]]] = ()
    action: str | None = None
    allowed_signers: Path | None = None
    existing: bool = False


@dataclass(frozen=True)
class Initialised:
    """What ``init`` did, and what the registry is now."""

    directory: Path
    created: bool  # a new registry (False: files added to a folder that was there)
    written: list[str]
    kept: list[str]  # there already and left alone (they differ from what init writes)
    commit: str | None  # the commit init made (None when nothing needed writing)
    remote: str
    remote_is_local: bool
    approvers: str
    members: list[str]
    placeholder_team: bool
    action: str
    signing: bool
    workflows: list[str] = field(default_factory=lambda: list(WORKFLOWS))

    @property
    def pinned(self) -> bool:
        return self.action != UNPINNED_ACTION

    def next_commands(self, shown_dir: str) -> list[str]:
        """The first steps: into the registry, register a model, commit, promote it."""
        into = [] if shown_dir in ("", ".") else [f"cd {shown_dir}"]
        return [
            *into,
            "gfops register build/model.json --name MODEL --version 1.0.0 "
            "--metrics build/metrics.json",
            'git add -A && git commit -m "Register MODEL 1.0.0"',
            "gfops promote MODEL 1.0.0 staging",
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "created": self.created,
            "written": self.written,
            "kept": self.kept,
            "commit": self.commit,
            "dvcRemote": {"name": REMOTE_NAME, "url": self.remote, "local": self.remote_is_local},
            "approvers": {"team": self.approvers, "members": self.members},
            "placeholderTeam": self.placeholder_team,
            "action": {"uses": self.action, "pinned": self.pinned},
            "signing": self.signing,
            "workflows": [f".github/workflows/{w}.yml" for w in self.workflows],
        }


# ---------------------------------------------------------------- the request


def _teams(pairs: Sequence[tuple[str, Sequence[str]]]) -> dict[str, list[str]]:
    if not pairs:
        return {PLACEHOLDER_TEAM[0]: list(PLACEHOLDER_TEAM[1])}
    teams: dict[str, list[str]] = {}
    for name, logins in pairs:
        if not is_name(name):
            raise UserError(f"--team {name!r}: a team name is 1-64 characters of [a-z0-9._-]")
        if name in teams:
            raise UserError(f"--team {name} is given twice")
        bad = [login for login in logins if not _LOGIN.match(login)]
        if bad or not logins:
            raise UserError(f"--team {name}: {bad[0] if bad else 'no'} GitHub login(s)")
        if any(PLACEHOLDER_LOGIN.match(login) for login in logins):
            raise UserError(f"--team {name}: give real GitHub logins, not the placeholder")
        teams[name] = list(dict.fromkeys(logins))
    approvers = next(iter(teams))
    if len(teams[approvers]) < 2:
        raise UserError(
            f"--team {approvers}: the team that approves needs at least two people (an author "
            "never approves their own change), e.g. --team ml-leads=alice,bob"
        )
    return teams


def _layout(request: InitRequest) -> Layout:
    action = request.action or UNPINNED_ACTION
    if not _ACTION.match(action):
        raise UserError(
            f"--action {action!r}: expected OWNER/NAME@<40-hex commit> of the galfriday-gitops "
            "action (a tag can be moved, a commit cannot)"
        )
    signers = None
    if request.allowed_signers is not None:
        problem = not_a_regular_file(request.allowed_signers)
        if problem is not None:
            raise UserError(f"--allowed-signers {request.allowed_signers}: {problem}")
        signers = request.allowed_signers.read_bytes()
        if not signers.strip():
            raise UserError(f"--allowed-signers {request.allowed_signers}: the file is empty")
    return Layout(_teams(request.team), action, signers)


# ---------------------------------------------------------------- git and DVC


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        said = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        raise UserError(f"git {args[0]} failed in {cwd}: {said}")
    return proc.stdout.strip()


def _identity(cwd: Path) -> None:
    """A commit needs an author: say so before anything is written."""
    proc = subprocess.run(
        ["git", "var", "GIT_COMMITTER_IDENT"], cwd=cwd, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise UserError(
            'git has no identity to commit as: git config --global user.name "Your Name" '
            "and git config --global user.email you@example.com"
        )


def _add_remote(root: Path, remote: str | None, local_folder: Path) -> tuple[str, bool]:
    """The default DVC remote: the URL given (shared), else a local folder (this machine)."""
    if remote is not None:
        dvcio.dvc(root, "remote", "add", "--default", REMOTE_NAME, remote)
        return remote, False
    dvcio.dvc(root, "remote", "add", "--local", "--default", REMOTE_NAME, str(local_folder))
    return str(local_folder), True


def _current_remote(root: Path) -> tuple[str, bool] | None:
    listed = dvcio.dvc(root, "remote", "list").split()
    if not listed:
        return None
    local = (root / ".dvc" / "config.local").is_file()
    return (listed[1] if len(listed) > 1 else listed[0]), local


# ---------------------------------------------------------------- writing


def _is_registry(folder: Path) -> bool:
    return (
        (folder / ".git").exists()
        and (folder / ".gto").is_file()
        and (folder / "policies").is_dir()
    )


def _create(target: Path, layout: Layout, request: InitRequest) -> tuple[str, str, bool]:
    """Build the registry beside ``target`` and rename it into place: (commit, remote, local)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Not mkdtemp: its 0700 would become the registry's mode; mkdir honours the umask.
    tmp = target.parent / f".{target.name}.gfops-init-{secrets.token_hex(6)}"
    tmp.mkdir()
    try:
        _git(tmp, "init", "-q", "-b", "main")
        _identity(tmp)
        dvcio.dvc(tmp, "init", "-q")
        dvcio.dvc(tmp, "config", "core.analytics", "false")
        remote, local = _add_remote(tmp, request.remote, _local_storage(target))
        for rel, content in registry_files(layout).items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        _git(tmp, "add", "-A")
        _git(tmp, "commit", "-q", "-m", _MESSAGE)
        commit = _git(tmp, "rev-parse", "HEAD")
        if target.exists():
            _move_into(tmp, target)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return commit, remote, local


def _move_into(built: Path, target: Path) -> None:
    """Move the entries of ``built`` into the empty folder ``target``, then remove ``built``.

    Not one rename over ``target``: it may be the user's current folder (``gfops init`` in
    an empty folder), and replacing it would leave their shell in a deleted directory.
    """
    moved: list[Path] = []
    try:
        for entry in sorted(built.iterdir()):
            entry.rename(target / entry.name)
            moved.append(target / entry.name)
    except BaseException:
        for path in moved:  # all or nothing
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise
    built.rmdir()


def _local_storage(target: Path) -> Path:
    return target.parent / f"{target.name}-dvc-storage"


def _fill(
    target: Path, layout: Layout, request: InitRequest
) -> tuple[list[str], list[str], str | None, str, bool]:
    """Add what a registry lacks to an existing folder: (written, kept, commit, remote, local)."""
    _identity(target)
    if not (target / ".git").exists():
        _git(target, "init", "-q", "-b", "main")
    top = Path(_git(target, "rev-parse", "--show-toplevel")).resolve()
    if top != target.resolve():
        raise UserError(f"{target} is inside the git repository {top}: run gfops init there")
    if not (target / ".dvc").is_dir():
        dvcio.dvc(target, "init", "-q")
        dvcio.dvc(target, "config", "core.analytics", "false")
    found = _current_remote(target)
    remote, local = found or _add_remote(target, request.remote, _local_storage(target))
    written, kept = [], []
    for rel, content in registry_files(layout).items():
        path = target / rel
        if path.exists() or path.is_symlink():
            if not path.is_file() or path.read_bytes() != content:
                kept.append(rel)
            continue
        atomic_write(path, content)
        written.append(rel)
    commit = None
    if written or found is None:
        dvc_files = (".dvc/config", ".dvc/.gitignore", ".dvcignore")
        paths = [*written, *(p for p in dvc_files if (target / p).exists())]
        _git(target, "add", "--", *paths)
        if _git(target, "diff", "--cached", "--name-only", "--", *paths):
            _git(target, "commit", "-q", "-m", _MESSAGE, "--", *paths)
            commit = _git(target, "rev-parse", "HEAD")
    return written, kept, commit, remote, local


def init_registry(repo: Path, request: InitRequest) -> Initialised:
    """Create the registry ``request.directory`` (relative to ``repo``) as described above.

    UserError, before anything is written, for a non-empty folder that is not a registry
    (unless ``existing``), bad options, or a git without an identity.
    """
    target = (repo / request.directory).absolute()
    layout = _layout(request)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UserError(f"{target}: not a folder")
    empty = not target.exists() or not any(target.iterdir())
    commit: str | None
    if empty:
        commit, remote, local = _create(target, layout, request)
        written = sorted(registry_files(layout))
        kept: list[str] = []
        created = True
    elif _is_registry(target) or request.existing:
        written, kept, commit, remote, local = _fill(target, layout, request)
        created = False
    else:
        raise UserError(
            f"{target} is not empty and not a registry: give a new or empty folder, or "
            "--existing to add a registry to it (nothing there is overwritten)"
        )
    approvers = layout.approvers
    return Initialised(
        directory=target,
        created=created,
        written=written,
        kept=kept,
        commit=commit,
        remote=remote,
        remote_is_local=local,
        approvers=approvers,
        members=list(layout.teams[approvers]),
        placeholder_team=not request.team,
        action=layout.action,
        signing=layout.signers is not None,
    )


def parse_team(text: str) -> tuple[str, list[str]]:
    """``"ml-leads=alice,bob"`` -> ("ml-leads", ["alice", "bob"])."""
    name, sep, logins = text.partition("=")
    if not sep or not name:
        raise UserError(f"--team {text!r}: expected NAME=login,login")
    return name, [login.strip() for login in logins.split(",") if login.strip()]
