"""``build_site``: the registry at one revision as a static site, written atomically.

The site is built in a temporary folder beside ``out`` and then put in its place, so a
reader (or a web server) never sees half a site. ``out`` is replaced only when it is
empty, missing, or a site built here before (it holds the marker file :data:`MARKER`):
a typo in ``--out`` cannot wipe an unrelated folder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
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
class SiteRequest:
    """``gfops site``'s options: where to build, which revision, which reports."""

    out: Path
    rev: str = "HEAD"
    reports: Path | None = None  # drift.json / lifecycle.json of the scheduled jobs


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

    def to_dict(self) -> dict[str, object]:
        return {
            "out": str(self.out),
            "rev": self.rev,
            "commit": self.commit,
            "pages": self.pages,
            "files": self.files,
            "models": self.models,
            "audit_findings": self.audit_findings,
        }


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


def write_files(root: Path, data: SiteData, paths: Sequence[str]) -> None:
    """Render and write ``paths`` under ``root``."""
    from galfriday_gitops.site.render import render_file

    for folder in sorted({p.rpartition("/")[0] for p in paths if "/" in p}):
        root.joinpath(*_check_relative(folder)).mkdir(parents=True, exist_ok=True)
    for rel in paths:
        root.joinpath(*_check_relative(rel)).write_bytes(render_file(data, rel))


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


def build_site(repo: Path | str, request: SiteRequest) -> SiteResult:
    """Build the site of ``repo`` at ``request.rev`` into ``request.out``.

    ``request.reports`` is a folder with the scheduled jobs' ``drift.json`` and
    ``lifecycle.json`` (see :mod:`galfriday_gitops.site.reports`); without it the site says
    they are absent.
    """
    from galfriday_gitops.site.collect import collect
    from galfriday_gitops.site.render import site_files
    from galfriday_gitops.site.reports import read_reports

    target = Path(request.out).absolute()
    check_target(target)  # fail before reading anything
    root = gitio.toplevel(repo)
    data = collect(root, request.rev, read_reports(request.reports))
    paths = site_files(data)
    try:
        write_site(target, data, paths)
    except OSError as exc:
        raise UserError(f"--out {target}: {exc.strerror or exc}") from None
    return SiteResult(
        out=target,
        rev=request.rev,
        commit=data.head.sha,
        pages=sum(1 for p in paths if p.endswith(".html")),
        files=len(paths) + 1,
        models=len(data.models),
        audit_findings=data.audit_errors,
    )
