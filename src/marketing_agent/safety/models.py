"""Tables of the safety module: the user's own blacklist terms."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core.db import Base, IdMixin, TimestampMixin


class BlacklistTerm(IdMixin, TimestampMixin, Base):
    """A word or phrase the content check flags, with how seriously (info, warn or block)."""

    __tablename__ = "safety_blacklist_terms"

    # Stored normalised (lower case, single spaces), so "Act  NOW" duplicates "act now".
    term: Mapped[str] = mapped_column(String(200), unique=True)
    severity: Mapped[str] = mapped_column(String(8), default="warn")
