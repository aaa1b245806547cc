"""The registry as a static site: ``build_site(repo, SiteRequest(out, rev)) -> SiteResult``.

Collection (:mod:`~galfriday_gitops.site.collect`, the library's read side) is kept apart
from rendering (:mod:`~galfriday_gitops.site.render` and the page modules, which only turn
collected data into escaped HTML). Importing this package is cheap: the work is imported
when a site is built.
"""

from __future__ import annotations

from galfriday_gitops.site.build import MARKER, SiteRequest, SiteResult, build_site

__all__ = ["MARKER", "SiteRequest", "SiteResult", "build_site"]
