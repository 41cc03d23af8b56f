"""Request ids, access logs, Prometheus metrics, a per-client rate limit and security headers."""

from __future__ import annotations

import time
import uuid

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketing_agent.core.logging import get_logger
from marketing_agent.gateway.problems import problem
from marketing_agent.gateway.request_guard import RequestGuard
from marketing_agent.gateway.security import client_address

log = get_logger("marketing_agent.access")

CONTACTS_IMPORT_PATH = "/api/v1/orchestrator/contacts/import"  # a CSV file: a larger limit
AUDIT_VERIFY_PATH = "/api/v1/compliance/audit/verify-export"  # an audit export: the same
HTTP_REQUESTS = Counter("ma_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "ma_http_request_duration_seconds", "HTTP request latency", ["method", "route"]
)


class ClientRateLimiter:
    """A token bucket per client and bucket name: `rate_per_min` sustained, `burst` at once."""

    def __init__(self, rate_per_min: float, burst: int) -> None:
        self.rate_per_s = rate_per_min / 60.0
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Takes a token; returns 0 when allowed, else the seconds until one is free."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate_per_s)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate_per_s


# The built admin UI loads only its own scripts; Ant Design injects <style> elements at run
# time, hence 'unsafe-inline' for styles only. Swagger UI and ReDoc (/docs, /redoc) are FastAPI's
# pages with an inline script; their assets are the server's own (gateway/docs.py), so nothing
# from outside is allowed there either. API answers are data and may load nothing.
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _add_security_headers(request: Request, headers: MutableHeaders) -> None:
    path = request.url.path
    if path.startswith(("/docs", "/redoc")):
        csp = DOCS_CSP
    elif path.startswith(("/api/", "/openapi.json", "/metrics", "/healthz", "/readyz")):
        csp = API_CSP
    else:
        csp = UI_CSP
    headers.setdefault("Content-Security-Policy", csp)
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)


def _route_name(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "unmatched")


def install(
    app: FastAPI,
    *,
    api_rate_per_min: float,
    login_rate_per_min: float,
    max_body_bytes: int = 1_000_000,
    max_import_bytes: int = 20_000_000,
) -> None:
    # Added before RequestContext, so it runs inside it: its 413s and 422s are logged too.
    app.add_middleware(
        RequestGuard,
        max_body_bytes=max_body_bytes,
        limits={CONTACTS_IMPORT_PATH: max_import_bytes, AUDIT_VERIFY_PATH: max_import_bytes},
    )
    api_limiter = ClientRateLimiter(api_rate_per_min, burst=max(10, int(api_rate_per_min / 6)))
    login_limiter = ClientRateLimiter(login_rate_per_min, burst=max(3, int(login_rate_per_min)))
    app.add_middleware(RequestContext, api_limiter=api_limiter, login_limiter=login_limiter)


class RequestContext:
    """The request id (bound to the logs), the per-client rate limit, the metrics, the security
    headers and the access log of every request.

    Pure ASGI: Starlette's `BaseHTTPMiddleware` (`@app.middleware("http")`) runs the app in a
    task of its own and streams the response through a memory channel, about a tenth of a small
    route's CPU time."""

    def __init__(
        self, app: ASGIApp, *, api_limiter: ClientRateLimiter, login_limiter: ClientRateLimiter
    ) -> None:
        self.app = app
        self.api_limiter = api_limiter
        self.login_limiter = login_limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = request_id
        status = 500  # what the access log says of a request that no response started for
        started = time.perf_counter()
        elapsed: float | None = None

        async def send_with_headers(message: Message) -> None:
            nonlocal status, elapsed
            if message["type"] == "http.response.start":
                status = message["status"]
                elapsed = time.perf_counter() - started
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                _add_security_headers(request, headers)
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            limited = _rate_limit(request, self.api_limiter, self.login_limiter)
            if limited is not None:
                await limited(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        if elapsed is None:
            elapsed = time.perf_counter() - started
        route = _route_name(request)
        HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
        HTTP_LATENCY.labels(request.method, route).observe(elapsed)
        if request.url.path.startswith("/api/"):
            # The UI polls its reads every few seconds: those are debug, writes and errors info.
            quiet = request.method == "GET" and status < 400
            (log.debug if quiet else log.info)(
                "http.request",
                method=request.method,
                path=request.url.path,
                status=status,
                ms=round(elapsed * 1000, 1),
                request_id=request_id,
            )


def _rate_limit(
    request: Request, api_limiter: ClientRateLimiter, login_limiter: ClientRateLimiter
) -> Response | None:
    path = request.url.path
    if not path.startswith(("/api/", "/r/")):  # /r/: tracked links, open to anyone
        return None
    client = client_address(request, getattr(request.app.state, "trusted_proxies", ()))
    limiter = login_limiter if path == "/api/v1/auth/login" else api_limiter
    wait_s = limiter.take(f"{client}:{'login' if limiter is login_limiter else 'api'}")
    if not wait_s:
        return None
    return problem(
        request,
        status=429,
        title="Too many requests",
        detail="Slow down and retry after the time given.",
        type_slug="rate-limited",
        retry_after_s=max(1, round(wait_s)),
    )
