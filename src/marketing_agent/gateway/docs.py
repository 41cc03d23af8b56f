"""`/docs` (Swagger UI) and `/redoc` served from assets inside the installed `fastapi-offline`
package, so the API's documentation works on a machine without internet and loads nothing from
outside (ReDoc's bundle is served with its one outside address, the sidebar's logo, taken out)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/docs-assets"
REDOC_JS = "redoc-offline.js"
# ReDoc's sidebar footer ("API docs by Redocly") shows an <img> from Redocly's CDN and hides it
# when it fails to load: an empty data URL fails at once, with no request.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
NO_IMAGE = "data:,"


def offline_redoc_js() -> bytes:
    """Returns ReDoc's standalone bundle with its logo's outside address taken out."""
    bundle = (ASSETS / "redoc.standalone.js").read_text(encoding="utf-8")
    return bundle.replace(REDOC_LOGO, NO_IMAGE).encode()


def install(app: FastAPI) -> None:
    """Adds `/docs`, `/redoc` and their assets; create the app with docs_url=redoc_url=None."""
    redoc_js = offline_redoc_js()  # 1 MB, read once for the app's life
    title = app.title

    # Plain routes, as FastAPI adds its own docs pages: public, like the pages they replace.
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} — API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon.png",
        )

    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} — API reference",
            redoc_js_url=f"{PREFIX}/{REDOC_JS}",
            redoc_favicon_url=f"{PREFIX}/favicon.png",
            with_google_fonts=False,
        )

    async def redoc_bundle(request: Request) -> Response:
        return Response(
            redoc_js,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    # Before the mount, which would otherwise answer every path under the prefix.
    app.add_route(f"{PREFIX}/{REDOC_JS}", redoc_bundle, include_in_schema=False)
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")
