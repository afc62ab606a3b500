"""The API page: Swagger UI showing the OpenAPI document, for trying the API from a browser.

Swagger UI's browser files are shipped in the app (`swagger_ui/`, vendored from the npm package
swagger-ui-dist at SWAGGER_UI_VERSION by `devtools/vendor-swagger-ui`), so the page needs nothing
from the internet; its Content-Security-Policy allows nothing but this app, so it could not use
anything else. The page's own script is served as an asset too: no inline script is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from shared.api.http import api_path
from shared.platform.errors import NotFoundError

SWAGGER_UI_VERSION: Final = "5.35.0"
ASSETS_DIR: Final = Path(__file__).parent / "swagger_ui"
PAGE_ROUTE: Final = "docs"

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Asset:
    media_type: str
    content: bytes


def _asset_url(name: str) -> str:
    return api_path(f"{PAGE_ROUTE}/{name}")


# The page's own script: Swagger UI on the document, its calls made from the page itself
# (validatorUrl: null, or it would fetch a badge from the validator's site).
_INITIALIZER = f"""window.addEventListener("load", () => {{
  window.ui = SwaggerUIBundle({{
    url: "{api_path("openapi.json")}",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  }});
}});
"""

PAGE_HTML: Final = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Product catalog API</title>
  <link rel="stylesheet" href="{_asset_url("swagger-ui.css")}">
  <link rel="icon" type="image/png" href="{_asset_url("favicon-32x32.png")}" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{_asset_url("swagger-ui-bundle.js")}"></script>
  <script src="{_asset_url("initializer.js")}"></script>
</body>
</html>
"""

# Served files by name: nothing else in the folder (or above it) can be asked for.
ASSET_MEDIA_TYPES: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
    "initializer.js": "text/javascript; charset=utf-8",
}


PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
ASSET_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=3600",
}


def page() -> Asset:
    return Asset(media_type="text/html; charset=utf-8", content=PAGE_HTML.encode())


def asset(name: str) -> Asset:
    """One of the page's files; 404 for any other name."""
    media_type = ASSET_MEDIA_TYPES.get(name)
    if media_type is None:
        raise NotFoundError("The API page has no such file.")
    if name == "initializer.js":
        return Asset(media_type=media_type, content=_INITIALIZER.encode())
    return Asset(media_type=media_type, content=(ASSETS_DIR / name).read_bytes())
