"""Tables of the experiments module: one experiment (a split of recipients into arms) a campaign."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core.db import Base, IdMixin, IdType, JsonType, TimestampMixin


class Experiment(IdMixin, TimestampMixin, Base):
    """How a campaign's recipients are split between its variants, and which one is the control."""

    __tablename__ = "experiments_experiments"

    campaign_id: Mapped[int] = mapped_column(IdType, unique=True)
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)  # [{"key": "A", "weight": 1.0}]
    control_key: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running")
