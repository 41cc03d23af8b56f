"""List responses: one envelope for every paginated endpoint."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from marketing_agent.core.validation import NonNegativeInt64

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Offset = Annotated[NonNegativeInt64, Query(description="Rows to skip")]
