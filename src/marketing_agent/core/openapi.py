"""The problems a route may answer, for its OpenAPI `responses=`: RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

PROBLEM_DESCRIPTIONS = {
    401: "Not authenticated: no, an expired or a wrong credential",
    403: "Your role lacks the permission this route needs",
    404: "Something the request names does not exist",
    409: "The request conflicts with the current state (e.g. a campaign's status)",
    413: "The request body is larger than this route accepts",
    422: "Invalid input: every bad field is listed in `errors`, each with its location",
    429: "Too many requests: retry after the `Retry-After` seconds",
}


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem; some carry more members (`retry_after_s`, `max_bytes`, ...)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldProblem] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Returns the `responses=` of a route that may answer these problems (problem+json)."""
    return {
        status: {"description": PROBLEM_DESCRIPTIONS[status], "model": Problem}
        for status in statuses
    }
