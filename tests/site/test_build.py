"""site/build.py: a large site is written by two processes, byte for byte what one writes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from galfriday_gitops.site import build as build_mod
from galfriday_gitops.site.collect import SiteData, collect
from galfriday_gitops.site.render import render, site_files
from galfriday_gitops.site.reports import Reports
from tests.site.conftest import SiteRegistry


def test_two_writers_write_exactly_the_rendered_site(
    site_registry: SiteRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = collect(site_registry.repo.path, site_registry.crafted, Reports())
    paths = site_files(data)
    assert len(paths) == 10  # 5 pages, 3 models, 2 assets
    monkeypatch.setattr(build_mod, "_PARALLEL_FROM", 2)  # this small site, in two processes
    here: list[int] = []
    real = build_mod._write_some

    def spy(root: Path, data: SiteData, some: Sequence[str]) -> None:
        here.append(len(some))  # in the child too, but only this process's list is read
        real(root, data, some)

    monkeypatch.setattr(build_mod, "_write_some", spy)
    build_mod.write_files(tmp_path, data, paths)
    written = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*")
               if p.is_file()}  # fmt: skip
    assert written == render(data)
    assert here == [5]  # this process wrote half; another process wrote the rest
