"""The records of processing (GDPR art. 30), generated from the live configuration: what data,
why, on which lawful basis, how long, who can see it, and who else receives it."""

from __future__ import annotations

from pydantic import BaseModel

from marketing_agent.core.auth import ROLE_PERMISSIONS, Permission
from marketing_agent.core.settings import Settings


class ProcessingRecord(BaseModel):
    category: str
    data: list[str]
    purpose: str
    lawful_basis: str
    retention: str
    visible_to_roles: list[str]
    masked_for_roles: list[str] = []  # they see identifying fields masked (compliance/masking)
    stored_in: str


class Recipient(BaseModel):
    name: str
    receives: str


class ProcessingRecords(BaseModel):
    controller_note: str
    records: list[ProcessingRecord]
    recipients: list[Recipient]


def _roles(permission: Permission) -> list[str]:
    return sorted(role.value for role, granted in ROLE_PERMISSIONS.items() if permission in granted)


def processing_records(settings: Settings) -> ProcessingRecords:
    """Returns the records of processing for this deployment's settings."""
    store = "PostgreSQL" if settings.resolved_database_url.startswith("postgresql") else "SQLite"
    until_erased = "until the person is erased or withdraws (no automatic purge configured)"
    records = [
        ProcessingRecord(
            category="contact profile",
            data=[
                "Telegram id",
                "username",
                "first name",
                "language",
                "time zone",
                "tags",
                "custom attributes",
            ],
            purpose="send the marketing messages the person agreed to, in their language and "
            "local hours",
            lawful_basis="consent (GDPR art. 6(1)(a))",
            retention=until_erased,
            visible_to_roles=_roles(Permission.READ),
            masked_for_roles=sorted(
                set(_roles(Permission.READ)) - set(_roles(Permission.PERSONAL_DATA))
            ),
            stored_in=store,
        ),
        ProcessingRecord(
            category="consent records",
            data=[
                "sender",
                "purpose",
                "granted/withdrawn",
                "source",
                "time",
                "proof (opt-in text shown, the person's action)",
            ],
            purpose="prove consent and honour withdrawal at send time",
            lawful_basis="legal obligation to demonstrate consent (GDPR art. 7(1), 6(1)(c))",
            retention="for as long as the processing it covers can be questioned; on erasure "
            "the facts stay without identifiers",
            visible_to_roles=_roles(Permission.COMPLIANCE_READ),
            stored_in=store,
        ),
        ProcessingRecord(
            category="deliveries and events",
            data=[
                "which message was sent when",
                "delivered/read/clicked/replied/converted",
                "conversion value",
            ],
            purpose="deliver exactly once, respect the frequency cap "
            f"({settings.frequency_cap_count} per {settings.frequency_cap_days:g} days), "
            "measure which message works",
            lawful_basis="consent (GDPR art. 6(1)(a)); aggregates after erasure are anonymous",
            retention=(
                f"linked to the person for {settings.retention_events_days} days, then "
                "anonymised (the figures stay); anonymised on erasure"
                if settings.retention_events_days
                else until_erased + "; anonymised on erasure"
            ),
            visible_to_roles=_roles(Permission.ANALYTICS_READ),
            stored_in=store,
        ),
        ProcessingRecord(
            category="replies",
            data=["the person's message to the bot", "its intent", "the drafted and sent answer"],
            purpose="answer questions and complaints, honour opt-outs written in words",
            lawful_basis="consent and the person's own request (GDPR art. 6(1)(a), 6(1)(b))",
            retention=(
                f"{settings.retention_replies_days} days, then deleted; deleted on erasure"
                if settings.retention_replies_days
                else until_erased + "; deleted on erasure"
            ),
            visible_to_roles=_roles(Permission.AGENT_USE),
            stored_in=store,
        ),
        ProcessingRecord(
            category="Telegram updates log",
            data=["what a person sent a bot: command, button press, message text", "chat id"],
            purpose="apply each update exactly once, after a crash too (stored before Telegram "
            "is told it arrived)",
            lawful_basis="consent and the person's own request (GDPR art. 6(1)(a), 6(1)(b))",
            retention=(
                f"{settings.retention_inbound_log_days} days after it was applied, then "
                "deleted; deleted on erasure"
                if settings.retention_inbound_log_days
                else until_erased + "; deleted on erasure"
            ),
            visible_to_roles=[],
            stored_in=store,
        ),
        ProcessingRecord(
            category="strategist chats",
            data=["none stored: the conversation stays in the marketer's browser"],
            purpose="answer marketers' questions about campaigns from tool results",
            lawful_basis="legitimate interest (GDPR art. 6(1)(f)); aggregates only",
            retention="not stored; each call keeps its tokens, cost and purpose (LLM usage)",
            visible_to_roles=_roles(Permission.AGENT_USE),
            stored_in=store,
        ),
        ProcessingRecord(
            category="data-subject requests",
            data=["kind", "deadline", "identity check", "outcome", "access export"],
            purpose="answer GDPR/CCPA requests on time and prove it",
            lawful_basis="legal obligation (GDPR art. 12, 6(1)(c); CCPA)",
            retention="the trail is kept; details and exports are cleared on erasure",
            visible_to_roles=_roles(Permission.COMPLIANCE_READ),
            stored_in=store,
        ),
        ProcessingRecord(
            category="suppression list",
            data=["keyed hash (HMAC-SHA256) of an erased person's Telegram id"],
            purpose="keep an erased person from being re-imported",
            lawful_basis="legal obligation / legitimate interest in honouring the erasure",
            retention="indefinite; removed in effect when the person opts in again",
            visible_to_roles=[],
            stored_in=store,
        ),
        ProcessingRecord(
            category="audit log",
            data=["who did what and when", "internal ids, never names or Telegram ids"],
            purpose="accountability and tamper evidence",
            lawful_basis="legal obligation and legitimate interest (GDPR art. 5(2), 6(1)(f))",
            retention="indefinite (hash-chained; holds no identifiers of contacts)",
            visible_to_roles=_roles(Permission.COMPLIANCE_READ),
            stored_in=store,
        ),
    ]
    recipients = [
        Recipient(name="Telegram", receives="the messages, addressed to the person's chat id"),
    ]
    if settings.llm_provider != "offline":
        recipients.append(
            Recipient(
                name=f"LLM provider ({settings.llm_provider})",
                receives="campaign briefs and audience aggregates; no contact's personal data",
            )
        )
    if settings.redis_url:
        recipients.append(
            Recipient(name="Redis (own infrastructure)", receives="rate-limit counters per chat id")
        )
    return ProcessingRecords(
        controller_note="Generated from this deployment's configuration; the controller adds "
        "its name, contact and DPO, and any backups or processors outside the platform.",
        records=records,
        recipients=recipients,
    )
