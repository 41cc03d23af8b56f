"""Changing campaigns after creation: edit a draft (changed texts are scored again and may go
back to review), clone, archive; and the numbers shown before Submit (reach, cap, duration, and
the base rate a test of the variants is planned on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent import service as agent
from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock, validation
from marketing_agent.core.db import in_chunks
from marketing_agent.core.errors import Conflict, ValidationFailed, field_error
from marketing_agent.core.settings import Settings
from marketing_agent.experiments import service as experiments
from marketing_agent.orchestrator import flows, frequency_cap, media, send_windows, service
from marketing_agent.orchestrator.models import Campaign, Contact, ReviewItem, Variant
from marketing_agent.orchestrator.schemas import (
    CampaignCreate,
    CampaignUpdate,
    LaunchPreview,
    ReviewStatus,
    StoredBrief,
    VariantIn,
)
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.telegram import service as telegram

EDITABLE = (CampaignStatus.DRAFT.value, CampaignStatus.PENDING_REVIEW.value)


async def update_campaign(
    *,
    session: AsyncSession,
    settings: Settings,
    campaign_id: int,
    campaign_in: CampaignUpdate,
    actor: str,
) -> Campaign:
    """Applies changes to a draft or a campaign waiting for review. New texts are scored again:
    a risky draft goes to review; an edit under review closes the open item and raises a new
    one when still risky, else the campaign goes back to draft."""
    campaign = await service.get_campaign_or_raise(session=session, campaign_id=campaign_id)
    if campaign.status not in EDITABLE:
        raise Conflict(
            f"Only a draft or a campaign waiting for review can be edited; this one is "
            f"'{campaign.status}'. Clone it to change it."
        )
    changes = campaign_in.model_dump(exclude_unset=True)
    await _check_references(session, campaign_in, changes)
    for field in ("name", "goal", "segment_id", "sender_id", "start_at", "timezone"):
        if field in changes:
            setattr(campaign, field, changes[field])
    if "cta_url" in changes:
        campaign.cta_url = str(campaign_in.cta_url) if campaign_in.cta_url else None
    for field in ("send_window", "quiet_hours"):
        if field in changes:
            window = getattr(campaign_in, field)
            setattr(campaign, field, str(window) if window else None)
    _check_windows(campaign)
    texts_changed = campaign_in.variants is not None and _texts_differ(campaign, campaign_in)
    if campaign_in.variants is not None:
        await _replace_variants(session, campaign, campaign_in.variants)
    campaign.updated_at = clock.now()
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="campaign.updated",
        entity_type="campaign",
        entity_id=campaign.id,
        data={"fields": sorted(changes), "texts_changed": texts_changed},
    )
    if texts_changed:
        await _review_again(session=session, settings=settings, campaign=campaign, actor=actor)
    return campaign


async def _check_references(
    session: AsyncSession, campaign_in: CampaignUpdate, changes: dict[str, Any]
) -> None:
    if campaign_in.segment_id is not None:
        await service.get_segment_or_raise(session=session, segment_id=campaign_in.segment_id)
    if campaign_in.sender_id is not None:
        await telegram.get_sender_or_raise(session=session, sender_id=campaign_in.sender_id)
    if "sender_id" in changes and campaign_in.sender_id is None:
        raise ValidationFailed([field_error(("body", "sender_id"), "a campaign needs a sender")])


def _check_windows(campaign: Campaign) -> None:
    rule = send_windows.SendRule.parse(campaign.send_window, campaign.quiet_hours)
    if not rule.is_satisfiable():
        raise ValidationFailed(
            [
                field_error(
                    ("body", "send_window"),
                    f"the send window {campaign.send_window} lies entirely within the quiet "
                    f"hours {campaign.quiet_hours}: no message could ever be sent",
                )
            ]
        )


def _texts_differ(campaign: Campaign, campaign_in: CampaignUpdate) -> bool:
    """Whether anything a recipient could get changes: a variant's text, its translations, its
    image or its buttons."""
    old = [(v.text, v.translations or {}, v.image_url, v.buttons or []) for v in campaign.variants]
    new = [
        (
            v.text,
            _translations_of(v, campaign),
            str(v.image_url) if v.image_url else None,
            [{"text": b.text, "url": str(b.url)} for b in v.buttons],
        )
        for v in campaign_in.variants or []
    ]
    return old != new


def _translations_of(variant_in: VariantIn, campaign: Campaign) -> dict[str, str]:
    """The translations a variant keeps after an edit: those given; else the old ones while its
    text is unchanged; else none (a translation of the old text must not be sent)."""
    if variant_in.translations is not None:
        return dict(variant_in.translations)
    for old in campaign.variants:
        if old.text == variant_in.text:
            return dict(old.translations or {})
    return {}


async def _replace_variants(
    session: AsyncSession, campaign: Campaign, variants: list[VariantIn]
) -> None:
    """Replaces the variants and the experiment's arms (nothing was sent yet)."""
    rationales = {v.key: v.rationale for v in campaign.variants}
    old_texts = {v.key: v.text for v in campaign.variants}
    translations = [_translations_of(v, campaign) for v in variants]
    campaign.variants.clear()
    await session.flush()
    keyed = zip(flows.VARIANT_KEYS, variants, translations, strict=False)
    for key, variant_in, translated in keyed:
        keep = old_texts.get(key) == variant_in.text
        campaign.variants.append(
            Variant(
                key=key,
                text=variant_in.text,
                weight=variant_in.weight,
                rationale=rationales.get(key) if keep else None,
                translations=translated,
            )
        )
    media.apply_media(campaign.variants, variants)
    await session.flush()
    await experiments.replace_arms(
        session=session,
        campaign_id=campaign.id,
        arms=[experiments.Arm(key=v.key, weight=v.weight) for v in campaign.variants],
    )


async def _review_again(
    *, session: AsyncSession, settings: Settings, campaign: Campaign, actor: str
) -> None:
    await flows._score_risk(session=session, campaign=campaign)
    if campaign.status == CampaignStatus.PENDING_REVIEW:
        open_items = (
            await session.scalars(
                select(ReviewItem).where(
                    ReviewItem.campaign_id == campaign.id,
                    ReviewItem.status == ReviewStatus.OPEN.value,
                )
            )
        ).all()
        for item in open_items:
            # Superseded: the texts it was raised for no longer exist.
            item.status = ReviewStatus.REJECTED.value
            item.decided_by, item.decided_at = actor, clock.now()
            item.note = "Superseded by an edit of the campaign's texts."
        campaign.status = CampaignStatus.DRAFT.value
        await session.flush()
    if await flows._needs_review(session=session, settings=settings, campaign=campaign):
        await flows._raise_review(
            session=session, settings=settings, campaign=campaign, actor=actor
        )


async def clone_campaign(
    *,
    session: AsyncSession,
    settings: Settings,
    campaign_id: int,
    actor: str,
    replan: bool = False,
    strategist: agent.Strategist | None = None,
) -> Campaign:
    """Creates a new draft with the same texts, audience and timing; scored like a new one.
    With `replan` the strategist writes new variants from the campaign's stored brief."""
    if replan:
        # The source is read on a short session of its own: no transaction stays open on the
        # caller's while the model thinks.
        strategist = strategist or agent.strategist_for(settings, session)
        async with strategist.sessions() as reader:
            source = await service.get_campaign_or_raise(session=reader, campaign_id=campaign_id)
            copied = _copied(source) | _replanned(source)
            await reader.commit()
    else:
        source = await service.get_campaign_or_raise(session=session, campaign_id=campaign_id)
        copied = _copied(source) | {
            "goal": source.goal,
            "variants": [
                {
                    "text": v.text,
                    "weight": v.weight,
                    "translations": v.translations or None,
                    "image_url": v.image_url,
                    "buttons": v.buttons or [],
                }
                for v in source.variants
            ],
        }
    clone_in = CampaignCreate.model_validate(copied)
    clone = await flows.create_campaign(
        session=session,
        settings=settings,
        campaign_in=clone_in,
        actor=actor,
        strategist=strategist,
    )
    await compliance.audit(
        session=session,
        actor=actor,
        action="campaign.cloned",
        entity_type="campaign",
        entity_id=clone.id,
        data={"from": campaign_id, "replanned": replan},
    )
    return clone


def _copied(source: Campaign) -> dict[str, Any]:
    """Returns what every clone takes over: audience, sender, link and timing."""
    return {
        "name": f"{source.name} (copy)"[:200],
        "sender_id": source.sender_id,
        "segment_id": source.segment_id,
        "purpose": source.purpose,
        "cta_url": source.cta_url,
        "send_window": source.send_window,
        "quiet_hours": source.quiet_hours,
        "timezone": source.timezone,
    }


def _replanned(source: Campaign) -> dict[str, Any]:
    """Returns the clone's brief and no variants, so the strategist plans again; a campaign
    that has no stored brief cannot be re-planned (409)."""
    if source.brief is None:
        raise Conflict(
            f"Campaign {source.id} was not planned from a brief (its variants were written by "
            "hand, or it is older than stored briefs): clone it without re-planning, or create "
            "a new campaign from a brief."
        )
    stored = StoredBrief.model_validate(source.brief)
    fields = stored.model_dump(exclude={"goal", "variant_count"})
    return {"goal": stored.goal, "brief": fields, "variant_count": stored.variant_count}


async def archive_campaign(
    *, session: AsyncSession, campaign_id: int, archived: bool, actor: str
) -> Campaign:
    """Archives (or restores) a campaign that is not sending."""
    campaign = await service.get_campaign_or_raise(session=session, campaign_id=campaign_id)
    live = (
        CampaignStatus.RUNNING.value,
        CampaignStatus.PAUSED.value,
        CampaignStatus.SCHEDULED.value,
    )
    if archived and campaign.status in live:
        raise Conflict(f"A {campaign.status} campaign cannot be archived; cancel it first.")
    campaign.archived_at = clock.now() if archived else None
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="campaign.archived" if archived else "campaign.restored",
        entity_type="campaign",
        entity_id=campaign.id,
        data={},
    )
    return campaign


@dataclass(frozen=True)
class _Launch:
    """What a launch preview is computed from: a campaign's audience, sender and timing."""

    campaign_id: int | None  # None: a campaign not yet created
    segment_id: int | None
    sender_id: int
    purpose: str
    start_at: datetime | None
    send_window: str | None
    quiet_hours: str | None
    timezone: str | None


async def launch_preview(
    *, session: AsyncSession, settings: Settings, campaign_id: int
) -> LaunchPreview:
    """Returns who would receive the campaign if it started now: the audience less those
    without consent and those over the frequency cap, how many wait for quiet hours to end,
    how long sending takes at the sender's limit, and the rate earlier campaigns observed."""
    campaign = await service.get_campaign_or_raise(session=session, campaign_id=campaign_id)
    launch = _Launch(
        campaign_id=campaign.id,
        segment_id=campaign.segment_id,
        sender_id=campaign.sender_id,
        purpose=campaign.purpose,
        start_at=campaign.start_at,
        send_window=campaign.send_window,
        quiet_hours=campaign.quiet_hours,
        timezone=campaign.timezone,
    )
    return await _preview(session=session, settings=settings, campaign=launch)


async def audience_launch_preview(
    *, session: AsyncSession, settings: Settings, segment_id: int | None, sender_id: int | None
) -> LaunchPreview:
    """Returns what a new marketing campaign to the segment (all contacts when None) from the
    sender (the first active one when None) would reach if it started now, under the
    workspace's default quiet hours and time zone; nothing is created."""
    if segment_id is not None:
        await service.get_segment_or_raise(session=session, segment_id=segment_id)
    quiet = validation.parse_optional_window(settings.quiet_hours)
    launch = _Launch(
        campaign_id=None,
        segment_id=segment_id,
        sender_id=await flows.resolve_sender(session=session, sender_id=sender_id),
        purpose="marketing",
        start_at=None,
        send_window=None,
        quiet_hours=str(quiet) if quiet else None,
        timezone=settings.default_timezone,
    )
    return await _preview(session=session, settings=settings, campaign=launch)


async def _preview(
    *, session: AsyncSession, settings: Settings, campaign: _Launch
) -> LaunchPreview:
    audience = [
        cid
        for cid, _ in await service.audience_contact_ids(
            session=session, segment_id=campaign.segment_id
        )
    ]
    consent = await compliance.consent_in_force(
        session=session,
        contact_ids=audience,
        sender_id=campaign.sender_id,
        purpose=campaign.purpose,
    )
    consented = [cid for cid in audience if consent[cid]]
    cap = frequency_cap.FrequencyCap.from_settings(settings)
    now = clock.now()
    capped = (
        await frequency_cap.contacts_at_cap(session, consented, cap, now)
        if campaign.purpose == cap.purpose and cap.enabled
        else set()
    )
    receiving = [cid for cid in consented if cid not in capped]
    start = max(campaign.start_at or now, now)
    zones = await send_windows.contact_zones(session, receiving)
    rule, fallback = send_windows.SendRule.of(campaign), campaign.timezone or "UTC"
    waits = {
        z: send_windows.first_send_time(rule, start, z, fallback) for z in {None, *zones.values()}
    }
    held = [cid for cid in receiving if waits[zones.get(cid)][0] is not None]
    firsts = [waits[zones.get(cid)][0] or start for cid in receiving]
    sender = await telegram.get_sender_or_raise(session=session, sender_id=campaign.sender_id)
    rate = sender.profile.global_per_s
    never_started = await telegram.count_unreachable(
        session=session,
        sender_id=campaign.sender_id,
        telegram_ids=await _telegram_ids(session, receiving),
    )
    return LaunchPreview(
        audience=len(audience),
        without_consent=len(audience) - len(consented),
        capped=len(capped),
        will_receive=len(receiving),
        never_started_bot=never_started,
        held_by_quiet_hours=len(held),
        rate_per_s=rate,
        expected_duration_s=round(len(receiving) / rate, 1) if rate else 0.0,
        starts_at=min(firsts) if firsts else start,
        timezone=fallback,
        base_rate=await _base_rate(session, campaign),
    )


async def _base_rate(session: AsyncSession, campaign: _Launch) -> experiments.BaseRateRead:
    """Returns the rate of the campaign's reward that earlier campaigns observed: those to the
    same segment (all contacts when none), else any other, else the assumption."""
    others = select(Campaign.id, Campaign.segment_id)
    if campaign.campaign_id is not None:
        others = others.where(Campaign.id != campaign.campaign_id)
    rows = (await session.execute(others)).all()
    metric = (
        analytics.EventType.CONVERTED
        if campaign.campaign_id is None
        else await experiments.campaign_reward(session=session, campaign_id=campaign.campaign_id)
    )
    return await experiments.observed_base_rate(
        session=session,
        audience_campaign_ids=[cid for cid, segment in rows if segment == campaign.segment_id],
        workspace_campaign_ids=[cid for cid, _ in rows],
        metric=metric,
    )


async def _telegram_ids(session: AsyncSession, contact_ids: list[int]) -> list[int]:
    ids: list[int] = []
    for chunk in in_chunks(contact_ids):
        query = select(Contact.telegram_id).where(Contact.id.in_(chunk))
        ids += (await session.scalars(query)).all()
    return ids
