"""Tables of the safety module: the user's own blacklist terms, the senders' learned rates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core.db import Base, IdMixin, IdType, TimestampMixin, UtcDateTime


class BlacklistTerm(IdMixin, TimestampMixin, Base):
    """A word or phrase the content check flags, with how seriously (info, warn or block)."""

    __tablename__ = "safety_blacklist_terms"

    # Stored normalised (lower case, single spaces), so "Act  NOW" duplicates "act now".
    term: Mapped[str] = mapped_column(String(200), unique=True)
    severity: Mapped[str] = mapped_column(String(8), default="warn")


class LearnedSenderRate(Base):
    """The share of its profile's rate a sender keeps after FloodWaits told us we were too fast
    (embedded mode; in scale mode the same figure lives in Redis beside the shared limits)."""

    __tablename__ = "safety_learned_rates"

    sender_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    rate_share: Mapped[float] = mapped_column(Float, default=1.0)
    flood_waits: Mapped[int] = mapped_column(Integer, default=0)
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime)
