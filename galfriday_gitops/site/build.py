"""``build_site``: the registry at one revision as a static site, written atomically.

The site is built in a temporary folder beside ``out`` and then put in its place, so a
reader (or a web server) never sees half a site. ``out`` is replaced only when it is
empty, missing, or a site built here before (it holds the marker file :data:`MARKER`):
a typo in ``--out`` cannot wipe an unrelated folder.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops import gitio
from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    from galfriday_gitops.site.collect import SiteData

MARKER = ".gfops-site"
MARKER_TEXT = b"Built by gfops site: this folder is replaced as a whole on every build.\n"


@dataclass(frozen=True, slots=True)
class SiteResult:
    """What was built: where, from which commit, how much."""

    out: Path
    rev: str
    commit: str
    pages: int  # HTML pages
    files: int  # every file written, stylesheet and script included
    models: int
    audit_findings: int


def check_target(out: Path) -> None:
    """Refuse to replace anything but a missing or empty folder or an earlier site."""
    if out.is_symlink():
        raise UserError(f"--out {out}: is a symlink; give the real folder")
    if not out.exists():
        return
    if not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a folder")
    marker = out / MARKER
    if marker.is_file() and not marker.is_symlink():
        return
    if any(out.iterdir()):
        raise UserError(
            f"--out {out}: the folder is not empty and was not built by gfops site "
            f"(no {MARKER} file in it); refusing to replace it. Give a new or empty folder."
        )


def _check_relative(rel: str) -> list[str]:
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):  # names are validated; this is a backstop
        raise UserError(f"refusing to write {rel!r}: not a plain relative path")
    return parts


def _write_some(root: Path, data: SiteData, paths: Sequence[str]) -> None:
    from galfriday_gitops.site.render import render_file

    for rel in paths:
        root.joinpath(*_check_relative(rel)).write_bytes(render_file(data, rel))


_PARALLEL_FROM = 400  # files: below this a second process costs more than it saves
_SHARED: SiteData | None = None  # what a forked writer renders from (inherited, not sent)


def _write_shared(root: Path, paths: Sequence[str]) -> int:
    assert _SHARED is not None
    _write_some(root, _SHARED, paths)
    return len(paths)


def write_files(root: Path, data: SiteData, paths: Sequence[str]) -> None:
    """Render and write ``paths`` under ``root``; a large site in two processes (every
    file depends on the data alone, so who writes which changes no byte)."""
    global _SHARED
    for folder in sorted({p.rpartition("/")[0] for p in paths if "/" in p}):
        root.joinpath(*_check_relative(folder)).mkdir(parents=True, exist_ok=True)
    parallel = (
        len(paths) >= _PARALLEL_FROM
        and (os.cpu_count() or 1) >= 2
        and "fork" in mp.get_all_start_methods()
    )
    if not parallel:
        _write_some(root, data, paths)
        return
    _SHARED = data
    try:
        with ProcessPoolExecutor(1, mp_context=mp.get_context("fork")) as pool:
            theirs = pool.submit(_write_shared, root, paths[1::2])
            _write_some(root, data, paths[0::2])
            theirs.result()
    finally:
        _SHARED = None


def write_site(out: Path, data: SiteData, paths: Sequence[str]) -> None:
    """Write the site into a fresh folder next to ``out``, then swap it in."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".new", dir=out.parent))
    try:
        write_files(fresh, data, paths)
        (fresh / MARKER).write_bytes(MARKER_TEXT)
        fresh.chmod(0o755)
        check_target(out)  # again: the folder may have changed while the site was built
        if not out.exists():
            fresh.rename(out)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        out.rename(old / "site")
        try:
            fresh.rename(out)
        except OSError:
            (old / "site").rename(out)  # put the previous site back
            raise
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise


def build_site(
    repo: Path | str, rev: str, out: Path | str, *, reports: Path | str | None = None
) -> SiteResult:
    """Build the site of ``repo`` at ``rev`` into ``out``.

    ``reports`` is a folder with the scheduled jobs' ``drift.json`` and ``lifecycle.json``
    (see :mod:`galfriday_gitops.site.reports`); without it the site says they are absent.
    """
    from galfriday_gitops.site.collect import collect
    from galfriday_gitops.site.render import site_files
    from galfriday_gitops.site.reports import read_reports

    target = Path(out).absolute()
    check_target(target)  # fail before reading anything
    root = gitio.toplevel(repo)
    data = collect(root, rev, read_reports(Path(reports) if reports is not None else None))
    paths = site_files(data)
    try:
        write_site(target, data, paths)
    except OSError as exc:
        raise UserError(f"--out {target}: {exc.strerror or exc}") from None
    return SiteResult(
        out=target,
        rev=rev,
        commit=data.head.sha,
        pages=sum(1 for p in paths if p.endswith(".html")),
        files=len(paths) + 1,
        models=len(data.models),
        audit_findings=len(data.audit),
    )
