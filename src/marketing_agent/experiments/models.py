"""Tables of the experiments module: one experiment (a split of recipients into arms) a campaign."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core.db import Base, IdMixin, IdType, JsonType, TimestampMixin, UtcDateTime


class Experiment(IdMixin, TimestampMixin, Base):
    """How a campaign's recipients are split between its variants, and which one is the control.

    `mode` says who decides the split while the campaign sends (fixed, test-then-send, bandit);
    `rollout` holds that mode's settings and `rollout_state` what it has done so far.
    """

    __tablename__ = "experiments_experiments"

    campaign_id: Mapped[int] = mapped_column(IdType, unique=True)
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)  # [{"key": "A", "weight": 1.0}]
    control_key: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running")
    mode: Mapped[str] = mapped_column(String(16), default="fixed", server_default="fixed")
    rollout: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    rollout_state: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    # When the scheduler should next look at this experiment (a decision, a guardrail check).
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
