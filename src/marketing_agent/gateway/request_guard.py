"""Checks every request once before any route sees it: a body over its route's size limit is a
413 before it is read in full, and NUL characters (PostgreSQL cannot store them) or JSON nested
deeper than any of our schemas are a 422, whatever field they hide in.

Pure ASGI, so the body is read once, checked, and replayed to the app unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketing_agent.gateway.problems import problem

MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_INNERMOST_PAIR = re.compile(rb"\{\}|\[\]")
_NOT_A_BRACKET = bytes(c for c in range(256) if c not in b"[]{}")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodyTooLarge(Exception):
    pass


class RequestGuard:
    """Size limit per route (`limits` by exact path, else `max_body_bytes`), NUL and depth."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        limits: Mapping[str, int] | None = None,
        max_json_depth: int = MAX_JSON_DEPTH,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.limits = dict(limits or {})
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if _has_nul(scope["path"].encode(), scope.get("query_string", b"")):
            await _reject_nul(request, ("query",))(scope, receive, send)
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.max_body_bytes)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(request, limit)(scope, receive, send)
            return
        try:
            body = await _read_body(receive, limit)
        except BodyTooLarge:
            await _too_large(request, limit)(scope, receive, send)
            return
        refusal = self._check_body(request, body)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_body(self, request: Request, body: bytes) -> Response | None:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/x-www-form-urlencoded" and _has_nul(body, body):
            return _reject_nul(request, ("body",))
        if not (kind == "application/json" or kind.endswith("+json")):
            return None  # multipart uploads are checked by what reads them (the CSV import)
        suspicious_nul = b"\\u0000" in body
        maybe_deep = body.count(b"[") + body.count(b"{") > self.max_json_depth and not (
            _shallow(body, self.max_json_depth)
        )
        if not (suspicious_nul or maybe_deep):
            return None
        try:
            data = json.loads(body)
        except RecursionError:
            return _too_deep(request, self.max_json_depth)
        except ValueError:
            return None  # not JSON: the route's own validation says so
        depth, nul = _inspect(data, self.max_json_depth)
        if depth > self.max_json_depth:
            return _too_deep(request, self.max_json_depth)
        if nul:
            return _reject_nul(request, ("body",))
        return None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the client's disconnect

    return replayed


def _shallow(body: bytes, max_depth: int) -> bool:
    """Whether well-formed JSON nests at most `max_depth` deep, told without parsing it (a
    batch of 1,000 events was parsed and walked twice for this): its strings removed, only its
    brackets kept, then the innermost pairs peeled one level a pass, all in C. False when
    unsure (brackets that never pair off): the caller then parses."""
    shape = _JSON_STRING.sub(b"", body).translate(None, _NOT_A_BRACKET)
    for _ in range(max_depth):
        if not shape:
            return True
        shape = _INNERMOST_PAIR.sub(b"", shape)
    return not shape


def _has_nul(raw: bytes, encoded: bytes) -> bool:
    """Whether `raw` holds a NUL or the percent-encoded `encoded` decodes to one."""
    return b"\x00" in raw or b"\x00" in encoded or b"%00" in encoded


def _inspect(data: Any, max_depth: int) -> tuple[int, bool]:
    """Returns the nesting depth (counted up to past `max_depth`) and whether a text holds NUL."""
    deepest, nul = 0, False
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            nul = nul or "\x00" in value
            continue
        if not isinstance(value, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > max_depth:
            return deepest, nul
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        stack.extend((item, depth + 1) for item in items)
    return deepest, nul


def _reject_nul(request: Request, loc: tuple[str, ...]) -> Response:
    return problem(
        request,
        status=422,
        title="Validation failed",
        detail="The request contains a NUL character (\\u0000), which no text field accepts.",
        type_slug="validation",
        errors=[{"loc": list(loc), "msg": "contains a NUL character", "type": "nul_character"}],
    )


def _too_deep(request: Request, max_depth: int) -> Response:
    return problem(
        request,
        status=422,
        title="Validation failed",
        detail=f"The JSON body is nested deeper than {max_depth} levels.",
        type_slug="validation",
        errors=[{"loc": ["body"], "msg": f"nested deeper than {max_depth}", "type": "too_deep"}],
    )


def _too_large(request: Request, limit: int) -> Response:
    return problem(
        request,
        status=413,
        title="Request body too large",
        detail=f"This route accepts bodies up to {limit} bytes.",
        type_slug="too-large",
        max_bytes=limit,
    )
