"""Every file of the site, rendered from collected data: path -> bytes (no I/O but the
package's own stylesheet and script)."""

from __future__ import annotations

from importlib import resources

from galfriday_gitops.site.collect import SiteData
from galfriday_gitops.site.governance import audit_page, policies_page
from galfriday_gitops.site.models import index_page, model_pages
from galfriday_gitops.site.results import experiments_page, reports_page

ASSETS = ("site.css", "sort.js")


def render(data: SiteData) -> dict[str, bytes]:
    """The site's files by relative path; the same data always gives the same bytes."""
    pages = {
        "index.html": index_page(data),
        "policies.html": policies_page(data),
        "experiments.html": experiments_page(data),
        "reports.html": reports_page(data),
        "audit.html": audit_page(data),
        **model_pages(data),
    }
    files = {path: text.encode("utf-8") for path, text in pages.items()}
    static = resources.files("galfriday_gitops.site") / "static"
    for name in ASSETS:
        files[f"assets/{name}"] = (static / name).read_bytes()
    return files
