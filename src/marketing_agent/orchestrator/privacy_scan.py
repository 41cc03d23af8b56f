"""The privacy scanner: finds personal data (e-mails, phone numbers, cards, IBANs, ...) with the
safety module's PII scanner in the free-text fields we keep — contacts' custom attributes and
tags, campaigns' goals, variants' texts and translations — reports where it is (masked, never
the value) and redacts the fields asked for, audited. It lives beside the erasure flow because
the orchestrator owns those tables."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core.errors import Conflict, NotFound
from marketing_agent.core.validation import DbId
from marketing_agent.orchestrator import contact_tags
from marketing_agent.orchestrator.models import Campaign, Contact, Variant
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.safety import service as safety

Location = Literal["contact", "campaign", "variant"]
MAX_FINDINGS = 1000  # in one answer; `total` says how many there are
_BATCH = 1000


class PrivacyFinding(BaseModel):
    """Personal data in one field: where, what kinds, masked."""

    location: Location
    id: int
    field: str = Field(description='e.g. "attributes.phone", "tags[2]", "goal", "text".')
    entities: list[str] = Field(description="What was found: email, phone, card, iban, ...")
    masked: list[str] = Field(description="Each finding masked, safe to show.")
    campaign_id: int | None = Field(None, description="The variant's campaign.")


class PrivacyScan(BaseModel):
    total: int
    findings: list[PrivacyFinding]
    truncated: bool = False


class RedactionTarget(BaseModel):
    location: Location
    id: DbId
    field: str = Field(min_length=1, max_length=200)


class RedactionCreate(BaseModel):
    targets: list[RedactionTarget] = Field(min_length=1, max_length=MAX_FINDINGS)


class RedactionResult(BaseModel):
    redacted: int = Field(description="Fields changed.")
    unchanged: int = Field(description="Fields that held no personal data (any more).")


async def scan(*, session: AsyncSession) -> PrivacyScan:
    """Returns where personal data sits in the free-text fields, the first MAX_FINDINGS."""
    findings: list[PrivacyFinding] = []
    total = 0
    async for finding in _findings(session):
        total += 1
        if len(findings) < MAX_FINDINGS:
            findings.append(finding)
    return PrivacyScan(total=total, findings=findings, truncated=total > len(findings))


async def redact(
    *, session: AsyncSession, redaction_in: RedactionCreate, actor: str
) -> RedactionResult:
    """Replaces the personal data in the named fields by its type ("[EMAIL]"), all or nothing;
    a variant only while its campaign is a draft (what is sent passed review as it is)."""
    result = RedactionResult(redacted=0, unchanged=0)
    changed: list[dict[str, Any]] = []
    for target in redaction_in.targets:
        if await _redact_one(session, target):
            result.redacted += 1
            changed.append(target.model_dump())
        else:
            result.unchanged += 1
    await session.flush()
    if changed:
        await compliance.audit(
            session=session,
            actor=actor,
            action="privacy.redacted",
            entity_type="privacy_scan",
            entity_id="-",
            data={"fields": changed[:MAX_FINDINGS]},
        )
    return result


async def _findings(session: AsyncSession) -> AsyncIterator[PrivacyFinding]:
    async for contact in _all(session, Contact):
        for field, text in _texts_of_contact(contact):
            finding = _finding("contact", contact.id, field, text)
            if finding:
                yield finding
    async for campaign in _all(session, Campaign):
        finding = _finding("campaign", campaign.id, "goal", campaign.goal)
        if finding:
            yield finding
    async for variant in _all(session, Variant):
        for field, text in _texts_of_variant(variant):
            finding = _finding("variant", variant.id, field, text, campaign_id=variant.campaign_id)
            if finding:
                yield finding


async def _all(session: AsyncSession, model: type[Any]) -> AsyncIterator[Any]:
    """Yields every row of `model` in id order, a batch at a time (a large table never sits in
    memory whole)."""
    last_id = 0
    while True:
        rows: Sequence[Any] = (
            await session.scalars(
                select(model).where(model.id > last_id).order_by(model.id).limit(_BATCH)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        last_id = rows[-1].id


def _texts_of_contact(contact: Contact) -> Iterable[tuple[str, str]]:
    yield from _texts("attributes", contact.attributes or {})
    for index, tag in enumerate(contact.tags or []):
        yield f"tags[{index}]", str(tag)


def _texts_of_variant(variant: Variant) -> Iterable[tuple[str, str]]:
    yield "text", variant.text
    for language, text in (variant.translations or {}).items():
        yield f"translations.{language}", text


def _texts(prefix: str, value: Any) -> Iterable[tuple[str, str]]:
    """Yields (path, text) of every string inside a JSON value."""
    if isinstance(value, str):
        yield prefix, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _texts(f"{prefix}.{key}", inner)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _texts(f"{prefix}[{index}]", inner)


def _finding(
    location: Location, row_id: int, field: str, text: str, campaign_id: int | None = None
) -> PrivacyFinding | None:
    found = safety.find_pii(text)
    if not found:
        return None
    return PrivacyFinding(
        location=location,
        id=row_id,
        field=field,
        entities=sorted({f.entity for f in found}),
        masked=[f.masked for f in found],
        campaign_id=campaign_id,
    )


async def _redact_one(session: AsyncSession, target: RedactionTarget) -> bool:
    """Redacts one field; returns whether it changed."""
    if target.location == "contact":
        contact = await session.get(Contact, target.id)
        if contact is None:
            raise NotFound(f"Contact {target.id} does not exist.")
        if target.field.startswith("tags["):
            tags = list(contact.tags or [])
            index = _index_of(target.field, "tags", len(tags))
            tags[index] = safety.redact(tags[index])
            changed = tags != contact.tags
            contact.tags = tags
            await contact_tags.replace_tags(session, {contact.id: tags})
            return changed
        attributes = _redacted_json("attributes", contact.attributes or {}, target.field)
        changed = bool(attributes != contact.attributes)
        contact.attributes = attributes
        return changed
    if target.location == "campaign":
        campaign = await session.get(Campaign, target.id)
        if campaign is None or target.field != "goal":
            raise NotFound(f"Campaign {target.id} has no field {target.field}.")
        redacted = safety.redact(campaign.goal)
        changed = redacted != campaign.goal
        campaign.goal = redacted
        return changed
    variant = await session.get(Variant, target.id)
    if variant is None:
        raise NotFound(f"Variant {target.id} does not exist.")
    campaign = await session.get(Campaign, variant.campaign_id)
    if campaign is not None and campaign.status != CampaignStatus.DRAFT.value:
        raise Conflict(
            f"Variant {target.id} belongs to a campaign that is {campaign.status}: its text "
            "passed review as it is; redact a draft, or copy the campaign."
        )
    if target.field == "text":
        redacted = safety.redact(variant.text)
        changed = redacted != variant.text
        variant.text = redacted
        return changed
    language = target.field.removeprefix("translations.")
    if language == target.field or language not in (variant.translations or {}):
        raise NotFound(f"Variant {target.id} has no field {target.field}.")
    translations = dict(variant.translations)
    translations[language] = safety.redact(translations[language])
    changed = translations != variant.translations
    variant.translations = translations
    return changed


def _index_of(field: str, name: str, length: int) -> int:
    raw = field.removeprefix(f"{name}[").removesuffix("]")
    if not raw.isdigit() or int(raw) >= length:
        raise NotFound(f"No field {field}.")
    return int(raw)


def _redacted_json(prefix: str, value: Any, field: str) -> Any:
    """Returns `value` with the string at path `field` redacted (NotFound when absent)."""
    paths = dict(_texts(prefix, value))
    if field not in paths:
        raise NotFound(f"No text field {field}.")

    def walk(path: str, inner: Any) -> Any:
        if isinstance(inner, str):
            return safety.redact(inner) if path == field else inner
        if isinstance(inner, dict):
            return {k: walk(f"{path}.{k}", v) for k, v in inner.items()}
        if isinstance(inner, list):
            return [walk(f"{path}[{i}]", v) for i, v in enumerate(inner)]
        return inner

    return walk(prefix, value)
