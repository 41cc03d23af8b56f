"""The app's full route table, including routes of included routers."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Returns every APIRoute the app serves (FastAPI ≥0.160 wraps included routers)."""
    return list(_walk(app.routes))


def _walk(routes: Iterable[BaseRoute]) -> Iterable[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes)
