"""Every value of an enum the product stores fits the column that stores it. SQLite ignores a
VARCHAR's width; PostgreSQL refuses a longer value, so a too-narrow column is a 500 in scale mode
only ("changes_requested" once broke reviews that way)."""

from __future__ import annotations

from enum import StrEnum

import pytest
from sqlalchemy import String

from marketing_agent.agent.replies import ReplyIntent
from marketing_agent.agent.schemas import InboxStatus
from marketing_agent.analytics.schemas import EventType
from marketing_agent.compliance.schemas import ConsentStatus, Regime, RequestKind, RequestStatus
from marketing_agent.core.auth import Role
from marketing_agent.core.db import Base
from marketing_agent.experiments.schemas import ExperimentStatus, RolloutMode
from marketing_agent.orchestrator.schemas import DeliveryStatus, ReviewStatus
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.registry import load_all_models
from marketing_agent.telegram.schemas import SenderKind, SenderStatus, TransportKind

STORED: list[tuple[str, str, type[StrEnum]]] = [
    ("agent_inbox_replies", "intent", ReplyIntent),
    ("agent_inbox_replies", "status", InboxStatus),
    ("analytics_events", "type", EventType),
    ("analytics_campaign_counts", "type", EventType),
    ("compliance_consent_records", "status", ConsentStatus),
    ("compliance_requests", "kind", RequestKind),
    ("compliance_requests", "regime", Regime),
    ("compliance_requests", "status", RequestStatus),
    ("experiments_experiments", "status", ExperimentStatus),
    ("experiments_experiments", "mode", RolloutMode),
    ("gateway_users", "role", Role),
    ("orchestrator_campaigns", "status", CampaignStatus),
    ("orchestrator_deliveries", "status", DeliveryStatus),
    ("orchestrator_review_items", "status", ReviewStatus),
    ("telegram_senders", "kind", SenderKind),
    ("telegram_senders", "status", SenderStatus),
    ("telegram_senders", "transport", TransportKind),
]


@pytest.mark.parametrize(
    ("table", "column", "values"), STORED, ids=lambda v: getattr(v, "__name__", v)
)
def test_every_stored_value_fits_its_column(table: str, column: str, values: type[StrEnum]) -> None:
    load_all_models()  # every module's tables, whatever other tests imported before
    column_type = Base.metadata.tables[table].columns[column].type
    assert isinstance(column_type, String) and column_type.length is not None
    too_long = [v.value for v in values if len(v.value) > column_type.length]
    assert too_long == [], f"{table}.{column} is VARCHAR({column_type.length})"
