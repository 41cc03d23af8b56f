"""Tables of the agent module: what each call to a strategist cost."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core.db import Base, IdMixin, IdType, TimestampMixin


class LlmUsage(IdMixin, TimestampMixin, Base):
    """One piece of strategist work (a plan), its tokens summed over every round, and its cost.

    `campaign_id` has no foreign key: the agent does not own campaigns, and a plan may be
    drafted before (or without) one.
    """

    __tablename__ = "agent_llm_usage"

    campaign_id: Mapped[int | None] = mapped_column(IdType, nullable=True, index=True)
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    purpose: Mapped[str] = mapped_column(String(64))
