"""Great Expectations Data Docs served by the console, with every asset shipped.

GX builds its Data Docs site (``cdp quality check``, see :mod:`expectations._gx`) under
``reports_dir/gx/gx/uncommitted/data_docs/local_site``; its pages link Bootstrap, jQuery,
bootstrap-table, Font Awesome and more from CDNs, and its logo from an S3 bucket with the
context's id in the query string. Without network they render blank. Each page is rewritten
as it is served: the CDN links point at the copies in ``static/datadocs`` (the npm packages'
minified files, unmodified, with their licences), the logo at the site's own copy, and the
vega scripts, which only GX's profiling pages use, are dropped. The site on disk is left as
GX wrote it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)

SITE = Path("gx") / "gx" / "uncommitted" / "data_docs" / "local_site"
MOUNT = "/console/quality/docs"
STATIC = "/console/static/datadocs"
# GX 1.24's templates (render/view/templates/*.j2): CDN address -> shipped file
ASSETS = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap-4.3.1/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap-4.3.1/bootstrap.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table.min.js"
    ),
    # GX links the 1.19.0 stylesheet of the extension beside 1.19.1 code: 1.19.1's serves both
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": ("bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": ("bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js"),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": ("bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free-6.6.0/css/all.min.css"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js-1.12.9/popper.min.js"
    ),
}
_VEGA = re.compile(r'\s*<script src="https://cdn\.jsdelivr\.net/npm/vega[a-z-]*@\d+"></script>')
_LOGO = re.compile(r'https://great-expectations-web-assets\.[^"]*?/logo-long\.png[^"]*')
_ASSET = re.compile("|".join(re.escape(url) for url in ASSETS))
_EXTERNAL = re.compile(r'<(?:script|link|img)\b[^>]*?(?:src|href)="(https?://[^"]+)"')


def site_root(reports_dir: Path) -> Path:
    """Where GX writes the Data Docs site."""
    return reports_dir / SITE


def offline(html: str) -> str:
    """A Data Docs page whose assets all come from the console."""
    html = _ASSET.sub(lambda m: f"{STATIC}/{ASSETS[m.group(0)]}", html)
    html = _VEGA.sub("", html)
    html = _LOGO.sub(f"{MOUNT}/static/images/logo-long.png", html)
    left = sorted(set(_EXTERNAL.findall(html)))
    if left:  # a GX upgrade that links something new: the page still loads, less styled
        log.warning("Data Docs page still loads %s from outside: ship it in %s", left, STATIC)
    return html


def page_path(reports_dir: Path, path: str) -> Path | None:
    """The site file ``path`` names (a folder: its index.html); None outside the site."""
    root = site_root(reports_dir).resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None
