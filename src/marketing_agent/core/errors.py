"""The error hierarchy. The gateway maps each to an RFC 9457 problem+json response once;
the CLI prints the same title and detail without a traceback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class MarketingAgentError(Exception):
    status = 500
    title = "Internal error"
    type_slug = "internal"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(MarketingAgentError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(MarketingAgentError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class InvalidTransition(Conflict):
    title = "Invalid state transition"
    type_slug = "invalid-transition"


class Unauthorized(MarketingAgentError):
    status = 401
    title = "Not authenticated"
    type_slug = "unauthorized"


class Forbidden(MarketingAgentError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class RateLimited(MarketingAgentError):
    status = 429
    title = "Too many requests"
    type_slug = "rate-limited"


class Unavailable(MarketingAgentError):
    status = 503
    title = "Service unavailable"
    type_slug = "unavailable"


class ValidationFailed(MarketingAgentError):
    """Every bad field at once, each with its location, so a user fixes all in one pass."""

    status = 422
    title = "Validation failed"
    type_slug = "validation"

    def __init__(self, errors: Sequence[dict[str, Any]], detail: str = "") -> None:
        super().__init__(detail or f"{len(errors)} invalid field(s)")
        self.errors = list(errors)


def field_error(loc: Sequence[str | int], msg: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}
