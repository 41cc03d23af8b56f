"""Request ids, access logs, Prometheus metrics and a per-client rate limit."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import Counter, Histogram

from marketing_agent.core.logging import get_logger
from marketing_agent.gateway.problems import problem

log = get_logger("marketing_agent.access")

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


def _route_name(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "unmatched")


def install(app: FastAPI, *, api_rate_per_min: float, login_rate_per_min: float) -> None:
    api_limiter = ClientRateLimiter(api_rate_per_min, burst=max(10, int(api_rate_per_min / 6)))
    login_limiter = ClientRateLimiter(login_rate_per_min, burst=max(3, int(login_rate_per_min)))

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            limited = _rate_limit(request, api_limiter, login_limiter)
            response = limited or await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        elapsed = time.perf_counter() - started
        route = _route_name(request)
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        HTTP_LATENCY.labels(request.method, route).observe(elapsed)
        response.headers["X-Request-ID"] = request_id
        if request.url.path.startswith("/api/"):
            # The UI polls its reads every few seconds: those are debug, writes and errors info.
            quiet = request.method == "GET" and response.status_code < 400
            (log.debug if quiet else log.info)(
                "http.request",
                method=request.method,
                path=request.url.path,
                status=response.status_code,
                ms=round(elapsed * 1000, 1),
                request_id=request_id,
            )
        return response


def _rate_limit(
    request: Request, api_limiter: ClientRateLimiter, login_limiter: ClientRateLimiter
) -> Response | None:
    path = request.url.path
    if not path.startswith("/api/"):
        return None
    client = request.client.host if request.client else "unknown"
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
