"""Tables of the agent module: what each call to a strategist cost, the reply inbox, campaigns'
AI budgets, edited prompts and the results summaries written when campaigns finish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketing_agent.core.db import Base, IdMixin, IdType, JsonType, TimestampMixin, UtcDateTime


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
    prompt_version: Mapped[str] = mapped_column(String(120), default="", server_default="")


class InboxReply(IdMixin, Base):
    """A recipient's reply, classified: an opt-out (consent already withdrawn when it came in),
    or a question, complaint, purchase intent or other, waiting for a person with a suggested
    answer. Erased with the contact (`erase_contact`)."""

    __tablename__ = "agent_inbox_replies"

    contact_id: Mapped[int] = mapped_column(IdType, index=True)
    sender_id: Mapped[int] = mapped_column(IdType)
    campaign_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(32))
    matched: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str] = mapped_column(String(16))
    suggested_answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Telegram delivered it through a business connection: never sent to an LLM (Telegram's
    # Bot Developer Terms) unless the workspace allowed it.
    business_connection: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    answer_text: Mapped[str | None] = mapped_column(Text, nullable=True)


class CampaignAiBudget(Base):
    """A campaign's own cap on LLM spend, set by a person; without a row the campaign has
    MA_AGENT_BUDGET_CAMPAIGN_USD. No foreign key: the agent does not own campaigns."""

    __tablename__ = "agent_campaign_budgets"

    campaign_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    limit_usd_micros: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PromptEdit(IdMixin, Base):
    """One saved version of a shipped prompt, edited by a person in the UI (`text`), or a reset
    back to the shipped file (`text` None). The newest row of a prompt is what the strategist
    runs; the older rows are its history."""

    __tablename__ = "agent_prompt_edits"
    __table_args__ = (UniqueConstraint("name", "edit"),)

    name: Mapped[str] = mapped_column(String(64))
    edit: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per prompt
    shipped_version: Mapped[int] = mapped_column(Integer)  # the file's version it was edited from
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ResultsSummaryRecord(Base):
    """A campaign's results summary, written when the campaign finished: by the LLM when one is
    set up and the budget allows (every figure checked against the tool's result), else fixed
    sentences. No foreign key: the agent does not own campaigns."""

    __tablename__ = "agent_results_summaries"

    campaign_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(32))  # the campaign's, when written
    summary: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    notes: Mapped[list[str]] = mapped_column(JsonType)
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    ai_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    written_at: Mapped[datetime] = mapped_column(UtcDateTime)
