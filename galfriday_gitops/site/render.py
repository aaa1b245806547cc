"""Every file of the site, rendered from collected data (no I/O but the package's own
stylesheet and script). Each file depends on the data alone, so files can be rendered in
any order, in any process, and the same data always gives the same bytes."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from galfriday_gitops.site.collect import SiteData
from galfriday_gitops.site.governance import audit_page, policies_page
from galfriday_gitops.site.models import index_page, model_page
from galfriday_gitops.site.results import experiments_page, reports_page

ASSETS = ("site.css", "sort.js")
PAGES: dict[str, Callable[[SiteData], str]] = {
    "index.html": index_page,
    "policies.html": policies_page,
    "experiments.html": experiments_page,
    "reports.html": reports_page,
    "audit.html": audit_page,
}


def model_file(name: str) -> str:
    return f"models/{name}.html"


def site_files(data: SiteData) -> list[str]:
    """The relative path of every file of the site."""
    models = [model_file(m.name) for m in data.models]
    return [*PAGES, *models, *(f"assets/{a}" for a in ASSETS)]


def render_file(data: SiteData, path: str) -> bytes:
    """One file of :func:`site_files`."""
    if path in PAGES:
        return PAGES[path](data).encode("utf-8")
    if path.startswith("assets/"):
        return (resources.files("galfriday_gitops.site") / "static" / path[7:]).read_bytes()
    name = path.removeprefix("models/").removesuffix(".html")
    return model_page(data, data.model(name)).encode("utf-8")


def render(data: SiteData) -> dict[str, bytes]:
    """The whole site by relative path."""
    return {path: render_file(data, path) for path in site_files(data)}
