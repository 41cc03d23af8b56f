"""The seed's flows, readable top to bottom.

- Campaign creation: strategist (agent) → safety guard → draft, or review when risky.
- Human in the loop: a review item → a reviewer's decision → the campaign goes on or stops.
- Launch: a due campaign starts running; its audience becomes one delivery row per contact,
  each not before its contact's send window opens (local time, outside quiet hours).
- Recurrence: a recurring campaign is a template; each cron run becomes a child campaign.
- Inbound: what recipients did (read, click, reply, convert, /stop) becomes events and consent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent import service as agent
from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock, validation
from marketing_agent.core.db import Database, in_chunks
from marketing_agent.core.errors import Conflict, Forbidden, ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.experiments import service as experiments
from marketing_agent.orchestrator import (
    media,
    privacy_bot,
    queue,
    recurrence,
    reviews,
    rollout,
    send_windows,
    service,
    spans,
)
from marketing_agent.orchestrator.models import Campaign, Contact, Delivery, ReviewItem, Variant
from marketing_agent.orchestrator.rendering import VariantTexts, render_text
from marketing_agent.orchestrator.schemas import (
    CampaignCreate,
    ContactCreate,
    ReviewStatus,
    StoredBrief,
    is_ai_generated,
)
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.safety import service as safety
from marketing_agent.telegram import service as telegram

if TYPE_CHECKING:
    from marketing_agent.runtime import Runtime

log = get_logger(__name__)
VARIANT_KEYS = validation.VARIANT_KEYS
SYSTEM_ACTOR = "system:orchestrator"
SCHEDULER_ACTOR = "system:scheduler"


async def create_campaign(
    *,
    session: AsyncSession,
    settings: Settings,
    campaign_in: CampaignCreate,
    actor: str,
    strategist: agent.Strategist | None = None,
) -> Campaign:
    """Creates a campaign: the strategist drafts variants, the safety guard scores them, and a
    risky campaign goes straight to the review queue. The strategist works before anything is
    written (reads on short sessions of their own, no lock held while a model thinks); then the
    campaign, its variants, risk and audit are written in one short transaction."""
    timing = _timing_fields(settings, campaign_in)
    draft = await _draft_variants(
        session=session, settings=settings, campaign_in=campaign_in, strategist=strategist
    )
    campaign = Campaign(
        name=campaign_in.name,
        goal=_goal_of(campaign_in),
        status=CampaignStatus.DRAFT.value,
        sender_id=draft.sender_id,
        segment_id=campaign_in.segment_id,
        purpose=campaign_in.purpose,
        cta_url=str(campaign_in.cta_url) if campaign_in.cta_url else None,
        created_by=actor,
        start_at=campaign_in.start_at,
        created_at=clock.now(),
        strategy=draft.strategy,
        agent_notes=list(draft.notes),
        brief=_stored_brief(campaign_in),
        agent_provider=draft.provider,
        agent_offline=draft.offline,
        **timing,
    )
    session.add(campaign)
    await session.flush()
    for key, (text, weight, rationale, translations) in zip(
        VARIANT_KEYS, draft.variants, strict=False
    ):
        session.add(
            Variant(
                campaign_id=campaign.id,
                key=key,
                text=text,
                weight=weight,
                rationale=rationale,
                translations=translations,
            )
        )
    if draft.usage_id is not None:
        await agent.attach_usage(session=session, usage_id=draft.usage_id, campaign_id=campaign.id)
    await session.flush()
    await session.refresh(campaign, ["variants"])
    media.apply_media(campaign.variants, campaign_in.variants)

    await _score_risk(session=session, campaign=campaign)
    await experiments.create_experiment(
        session=session,
        campaign_id=campaign.id,
        arms=[experiments.Arm(key=v.key, weight=v.weight) for v in campaign.variants],
        control_key="A",
    )
    await compliance.audit(
        session=session,
        actor=actor,
        action="campaign.created",
        entity_type="campaign",
        entity_id=campaign.id,
        data={
            "risk_score": campaign.risk_score,
            "provider": campaign.agent_provider,
            "ai_generated": is_ai_generated(campaign.agent_provider),
            "variants": len(campaign.variants),
            "prompt_version": draft.prompt_version,
            "tool_calls": list(draft.tool_calls),
        },
    )
    if await _needs_review(session=session, settings=settings, campaign=campaign):
        await _raise_review(session=session, settings=settings, campaign=campaign, actor=actor)
    return campaign


def _timing_fields(settings: Settings, campaign_in: CampaignCreate) -> dict[str, Any]:
    """Returns the campaign's timing columns, defaults resolved from the settings now (so a
    campaign shows, and keeps, the rules it runs by); raises with every contradiction at once."""
    quiet = (
        campaign_in.quiet_hours
        if "quiet_hours" in campaign_in.model_fields_set
        else validation.parse_optional_window(settings.quiet_hours)
    )
    fields: dict[str, Any] = {
        "send_window": str(campaign_in.send_window) if campaign_in.send_window else None,
        "quiet_hours": str(quiet) if quiet else None,
        "timezone": campaign_in.timezone or settings.default_timezone,
        "recurrence": campaign_in.recurrence,
        "recurrence_until": campaign_in.recurrence_until,
        "recurrence_max_runs": campaign_in.recurrence_max_runs,
    }
    errors = []
    rule = send_windows.SendRule.parse(fields["send_window"], fields["quiet_hours"])
    if not rule.is_satisfiable():
        errors.append(
            field_error(
                ("body", "send_window"),
                f"the send window {fields['send_window']} lies entirely within the quiet hours "
                f"{fields['quiet_hours']}: no message could ever be sent",
            )
        )
    for name in ("recurrence_until", "recurrence_max_runs"):
        if getattr(campaign_in, name) is not None and campaign_in.recurrence is None:
            errors.append(field_error(("body", name), "applies only with a recurrence (cron)"))
    until = campaign_in.recurrence_until
    if until is not None and until <= max(campaign_in.start_at or clock.now(), clock.now()):
        errors.append(
            field_error(("body", "recurrence_until"), "must be later than now and than start_at")
        )
    if errors:
        raise ValidationFailed(errors)
    return fields


async def resolve_sender(*, session: AsyncSession, sender_id: int | None) -> int:
    """Returns the sender's id after checking it exists, else the first active sender's."""
    if sender_id is not None:
        sender = await telegram.get_sender_or_raise(session=session, sender_id=sender_id)
        return sender.id
    senders = await telegram.list_active_senders(session=session)
    if not senders:
        raise ValidationFailed(
            [field_error(("body", "sender_id"), "no active sender exists: add a bot first")]
        )
    return senders[0].id


def _goal_of(campaign_in: CampaignCreate) -> str:
    """Returns the campaign's goal as shown in lists: the free text, else the brief's subject."""
    if campaign_in.goal.strip():
        return campaign_in.goal
    fields = campaign_in.brief
    subject = ": ".join(p for p in (fields.product, fields.offer) if p) if fields else ""
    return subject or "Own variants"


def _stored_brief(campaign_in: CampaignCreate) -> dict[str, Any] | None:
    """Returns the brief to keep on the campaign: what the strategist planned from (or was given
    next to the marketer's own variants); None for own variants without one."""
    if campaign_in.variants and campaign_in.brief is None:
        return None
    fields = campaign_in.brief.model_dump(mode="json") if campaign_in.brief else {}
    count = len(campaign_in.variants) if campaign_in.variants else campaign_in.variant_count
    stored = StoredBrief.model_validate(
        {**fields, "goal": campaign_in.goal, "variant_count": count}
    )
    return stored.model_dump(mode="json")


def _brief_of(campaign_in: CampaignCreate, cta_url: str | None) -> agent.CampaignBrief:
    """Returns the strategist's brief: the structured fields where given, the free text too.
    What the strategist's brief refuses (a blank product and no goal, a language that is no
    tag) is a 422 at the request's own field, never a 500."""
    fields = campaign_in.brief.model_dump() if campaign_in.brief else {}
    try:
        return agent.CampaignBrief(
            name=campaign_in.name,
            goal=campaign_in.goal,
            variant_count=campaign_in.variant_count,
            call_to_action_url=cta_url,
            **fields,
        )
    except PydanticValidationError as exc:
        raise ValidationFailed(
            [
                field_error(_request_loc(tuple(e["loc"]), bool(fields)), _message(e["msg"]))
                for e in exc.errors()
            ]
        ) from None


def _request_loc(loc: tuple[str | int, ...], structured: bool) -> tuple[str | int, ...]:
    """Where in the campaign request a field of the strategist's brief came from."""
    if not loc:  # the brief as a whole: it says nothing to write about
        return ("body", "brief") if structured else ("body", "goal")
    if loc[0] == "call_to_action_url":
        return ("body", "cta_url", *loc[1:])
    if loc[0] in ("name", "goal", "variant_count"):
        return ("body", *loc)
    return ("body", "brief", *loc)


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


@dataclass(frozen=True)
class _Draft:
    """What the campaign is written from: the sender, the texts, and who wrote them."""

    sender_id: int
    variants: list[tuple[str, float, str | None, dict[str, str]]]  # text, weight, why, by lang
    provider: str
    offline: bool
    strategy: str | None = None
    notes: tuple[str, ...] = ()
    usage_id: int | None = None
    prompt_version: str = ""
    tool_calls: tuple[str, ...] = ()  # the tools the strategist called, in order


async def _draft_variants(
    *,
    session: AsyncSession,
    settings: Settings,
    campaign_in: CampaignCreate,
    strategist: agent.Strategist | None,
) -> _Draft:
    """Returns the user's own variants, or the strategist's plan made with nothing written yet:
    its reads run on short sessions of their own, never the caller's transaction."""
    if campaign_in.variants:
        sender_id = await _check_references(session=session, campaign_in=campaign_in)
        return _Draft(
            sender_id=sender_id,
            variants=[
                (v.text, v.weight, None, dict(v.translations or {})) for v in campaign_in.variants
            ],
            provider=campaign_in.written_by_ai or "manual",
            offline=campaign_in.written_by_ai is None,
        )
    strategist = strategist or agent.strategist_for(settings, session)
    async with strategist.sessions() as reader:
        sender_id = await _check_references(session=reader, campaign_in=campaign_in)
        await reader.commit()

    async def describe_audience() -> dict[str, Any]:
        async with strategist.sessions() as reader:
            return await service.describe_audience(
                session=reader, segment_id=campaign_in.segment_id
            )

    async def check_content(text: str) -> dict[str, Any]:
        async with strategist.sessions() as reader:
            verdict = await safety.check_content(session=reader, text=render_text(text, None))
        return verdict.model_dump()

    cta_url = str(campaign_in.cta_url) if campaign_in.cta_url else None
    plan = await strategist.plan_campaign(
        brief=_brief_of(campaign_in, cta_url),
        tools=agent.AgentTools(describe_audience=describe_audience, check_content=check_content),
    )
    return _Draft(
        sender_id=sender_id,
        variants=[(v.text, 1.0, v.rationale, dict(v.translations)) for v in plan.variants],
        provider=plan.provider,
        offline=plan.offline,
        strategy=plan.strategy,
        notes=tuple(plan.notes),
        usage_id=plan.usage_id,
        prompt_version=plan.prompt_version,
        tool_calls=tuple(call.name for call in plan.tool_calls),
    )


async def _check_references(*, session: AsyncSession, campaign_in: CampaignCreate) -> int:
    """Returns the campaign's sender id after checking it and the segment exist."""
    sender_id = await resolve_sender(session=session, sender_id=campaign_in.sender_id)
    if campaign_in.segment_id is not None:
        await service.get_segment_or_raise(session=session, segment_id=campaign_in.segment_id)
    return sender_id


async def _score_risk(*, session: AsyncSession, campaign: Campaign) -> None:
    """Scores every variant as a recipient would see it; the campaign's risk is the worst."""
    score, reasons = 0.0, []
    for variant in campaign.variants:
        texts = VariantTexts(variant.text, variant.translations or {})
        for language, text in texts.all_texts():
            verdict = await safety.check_content(session=session, text=render_text(text, None))
            score = max(score, verdict.risk_score)
            label = f"Variant {variant.key}" + (f" ({language})" if language else "")
            reasons += [
                {"code": r.code, "message": f"{label}: {r.message}", "severity": r.severity}
                | spans.locate(variant.key, language, r.span)
                for r in verdict.reasons
            ]
        button_score, button_reasons = await media.check_buttons(session=session, variant=variant)
        score, reasons = max(score, button_score), reasons + button_reasons
    campaign.risk_score = round(score, 3)
    campaign.risk_reasons = reasons
    await session.flush()


async def _needs_review(*, session: AsyncSession, settings: Settings, campaign: Campaign) -> bool:
    """Returns whether a person reviews the campaign before it is sent: a blocking reason, a
    risk score at the workspace's review threshold (Safety settings, else the settings'), an
    LLM's texts (MA_REVIEW_AI_CONTENT) or every campaign (MA_REVIEW_ALL)."""
    blocked = any(r["severity"] == "block" for r in campaign.risk_reasons)
    ai_written = settings.review_ai_content and is_ai_generated(campaign.agent_provider)
    if settings.review_all or ai_written or blocked:
        return True
    threshold = await safety.review_threshold_in_force(
        session=session, default=settings.review_risk_threshold
    )
    return campaign.risk_score >= threshold


async def _raise_review(
    *, session: AsyncSession, settings: Settings, campaign: Campaign, actor: str
) -> ReviewItem:
    await service.transition(
        session=session, campaign=campaign, target=CampaignStatus.PENDING_REVIEW, actor=actor
    )
    reason = (
        f"Risk score {campaign.risk_score:.2f}: "
        + "; ".join(r["message"] for r in campaign.risk_reasons[:5])
        if campaign.risk_reasons
        else "An LLM wrote these texts; a person reviews them before they are sent "
        "(MA_REVIEW_AI_CONTENT)."
        if is_ai_generated(campaign.agent_provider) and settings.review_ai_content
        else "Every campaign is reviewed (MA_REVIEW_ALL)."
    )
    item = ReviewItem(
        campaign_id=campaign.id,
        reason=reason,
        risk_score=campaign.risk_score,
        risk_reasons=campaign.risk_reasons,
        status=ReviewStatus.OPEN.value,
        created_at=clock.now(),
    )
    session.add(item)
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="review.raised",
        entity_type="campaign",
        entity_id=campaign.id,
        data={"review_id": item.id, "risk_score": campaign.risk_score},
    )
    return item


async def submit_campaign(
    *, session: AsyncSession, settings: Settings, campaign_id: int, actor: str
) -> Campaign:
    """Sends a draft on: to review when risky, else approved by policy and scheduled."""
    campaign = await service.get_campaign_or_raise(session=session, campaign_id=campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(f"Only a draft can be submitted; this campaign is '{campaign.status}'.")
    await _score_risk(session=session, campaign=campaign)
    if await _needs_review(session=session, settings=settings, campaign=campaign):
        await _raise_review(session=session, settings=settings, campaign=campaign, actor=actor)
        return campaign
    await service.transition(
        session=session,
        campaign=campaign,
        target=CampaignStatus.APPROVED,
        actor=actor,
        data={"by": "policy", "risk_score": campaign.risk_score},
    )
    return await _schedule(session=session, campaign=campaign, actor=actor)


async def decide_review(
    *, session: AsyncSession, review_id: int, approve: bool, note: str | None, actor: str
) -> ReviewItem:
    """Records a reviewer's decision: approve schedules the campaign, reject cancels it."""
    item = await service.get_review_or_raise(session=session, review_id=review_id)
    if item.status != ReviewStatus.OPEN:
        raise Conflict(f"Review item {review_id} was already decided ({item.status}).")
    campaign = await service.get_campaign_or_raise(session=session, campaign_id=item.campaign_id)
    if (
        approve
        and await reviews.four_eyes_required(session=session)
        and actor in await _authors(session=session, campaign=campaign)
    ):
        raise Forbidden(
            "You created or last edited this campaign; another reviewer must approve it. "
            "An admin who is the workspace's only approver may turn four eyes off in Safety "
            "settings (audited).",
            reason="self-approval",
        )
    item.status = (ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED).value
    item.decided_by, item.decided_at, item.note = actor, clock.now(), note
    await compliance.audit(
        session=session,
        actor=actor,
        action=f"review.{item.status}",
        entity_type="campaign",
        entity_id=campaign.id,
        data={"review_id": item.id, "note": note or ""},
    )
    if approve:
        await service.transition(
            session=session,
            campaign=campaign,
            target=CampaignStatus.APPROVED,
            actor=actor,
            data={"review_id": item.id},
        )
        await _schedule(session=session, campaign=campaign, actor=actor)
    else:
        await service.cancel_campaign(session=session, campaign_id=campaign.id, actor=actor)
    await session.flush()
    return item


# Audit actions that make their actor an author of the campaign, who may not approve it.
AUTHOR_ACTIONS = frozenset(
    {"campaign.created", "campaign.updated", "campaign.variants_updated", "review.raised"}
)


async def _authors(*, session: AsyncSession, campaign: Campaign) -> set[str]:
    """Returns who wrote the campaign: its creator and whoever edited or submitted it since."""
    entries, _ = await compliance.list_audit(
        session=session, entity_type="campaign", entity_id=str(campaign.id), limit=1000
    )
    return {campaign.created_by} | {e.actor for e in entries if e.action in AUTHOR_ACTIONS}


async def _schedule(*, session: AsyncSession, campaign: Campaign, actor: str) -> Campaign:
    if campaign.start_at is None:
        campaign.start_at = clock.now()
    data = {"start_at": campaign.start_at.isoformat()}
    if campaign.recurrence:
        # The first run is the first cron time at or after start_at.
        first = campaign.start_at - timedelta(microseconds=1)
        campaign.next_run_at = _next_run(campaign, after=first)
        data["next_run_at"] = campaign.next_run_at.isoformat() if campaign.next_run_at else ""
    return await service.transition(
        session=session,
        campaign=campaign,
        target=CampaignStatus.SCHEDULED,
        actor=actor,
        data=data,
    )


async def start_due_campaigns(*, session: AsyncSession) -> list[int]:
    """Starts every scheduled campaign whose time has come; returns their ids.

    Recurring templates never start themselves: `create_due_runs` makes their runs.
    """
    due = (
        await session.scalars(
            select(Campaign)
            .where(
                Campaign.status == CampaignStatus.SCHEDULED.value,
                Campaign.start_at <= clock.now(),
                Campaign.recurrence.is_(None),
            )
            .order_by(Campaign.id)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for campaign in due:
        queued = await materialise_audience(session=session, campaign=campaign)
        await service.transition(
            session=session,
            campaign=campaign,
            target=CampaignStatus.RUNNING,
            actor=SYSTEM_ACTOR,
            data={"deliveries": queued},
        )
        log.info("campaign.started", campaign_id=campaign.id, deliveries=queued)
    return [c.id for c in due]


async def materialise_audience(*, session: AsyncSession, campaign: Campaign) -> int:
    """Writes one queued delivery per contact of the audience, each with its sticky variant and
    the first moment its contact's local time is inside the send window and outside quiet
    hours (`not_before`, with the reason it waits; none when it may go now).

    Consent is not filtered here: it is checked when each message is sent, so a withdrawal
    between now and then is honoured. The window is checked again at send time too.
    """
    audience = await service.audience_contact_ids(session=session, segment_id=campaign.segment_id)
    experiment = await experiments.get_experiment_for_campaign(
        session=session, campaign_id=campaign.id
    )
    zones = await send_windows.contact_zones(session, (cid for cid, _ in audience))
    rule, now = send_windows.SendRule.of(campaign), clock.now()
    waits = {
        zone: send_windows.first_send_time(rule, now, zone, campaign.timezone or "UTC")
        for zone in {None, *zones.values()}
    }
    rows = [
        {
            "campaign_id": campaign.id,
            "contact_id": contact_id,
            "sender_id": campaign.sender_id,
            "variant_key": experiments.assign(experiment, contact_id) if experiment else "A",
            "status": queue.QUEUED,
            "attempts": 0,
            "not_before": waits[zones.get(contact_id)][0],
            "reason": waits[zones.get(contact_id)][1],
        }
        for contact_id, _ in audience
    ]
    await rollout.hold_back(session=session, campaign_id=campaign.id, rows=rows)
    for chunk in in_chunks(rows, 5000):  # an executemany: rows per statement, for memory
        await session.execute(insert(Delivery), chunk)
    return len(rows)


async def complete_finished_campaigns(*, session: AsyncSession) -> list[int]:
    """Marks running campaigns with nothing left to send as completed (a recurring template
    completes after its last run instead)."""
    running = (
        await session.scalars(
            select(Campaign).where(
                Campaign.status == CampaignStatus.RUNNING, Campaign.recurrence.is_(None)
            )
        )
    ).all()
    finished = []
    for campaign in running:
        pending = await session.scalar(
            select(func.count(Delivery.id)).where(
                Delivery.campaign_id == campaign.id,
                Delivery.status.in_((queue.QUEUED, queue.SENDING)),
            )
        )
        if not pending:
            await service.transition(
                session=session,
                campaign=campaign,
                target=CampaignStatus.COMPLETED,
                actor=SYSTEM_ACTOR,
            )
            finished.append(campaign.id)
            log.info("campaign.completed", campaign_id=campaign.id)
    return finished


async def skip_leftovers_of_cancelled(*, session: AsyncSession) -> int:
    """Skips deliveries queued again after their campaign was cancelled (a send under way at
    the cancel, handed back by the worker); returns how many."""
    cancelled = select(Campaign.id).where(Campaign.status == CampaignStatus.CANCELLED.value)
    leftover = and_(Delivery.status == queue.QUEUED, Delivery.campaign_id.in_(cancelled))
    if await session.scalar(select(Delivery.id).where(leftover).limit(1)) is None:
        return 0  # the usual case: no write, so SQLite's write lock is not taken every tick
    result = await session.execute(
        update(Delivery)
        .where(leftover)
        .values(status=queue.SKIPPED, reason="campaign_cancelled", updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def create_due_runs(*, session: AsyncSession) -> list[int]:
    """Makes the run of every recurring campaign whose cron time has come; returns the new
    campaigns' ids. Runs missed while the scheduler was down collapse into one; those that
    fall while the template is paused are skipped (audited), so resuming sends nothing stale."""
    now = clock.now()
    templates = (
        await session.scalars(
            select(Campaign)
            .where(
                Campaign.recurrence.is_not(None),
                Campaign.status.in_(
                    (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED)
                ),
                or_(
                    Campaign.next_run_at <= now,
                    and_(Campaign.next_run_at.is_(None), Campaign.status != CampaignStatus.PAUSED),
                ),
            )
            .order_by(Campaign.id)
            .with_for_update(skip_locked=True)
        )
    ).all()
    created = []
    for template in templates:
        if template.status == CampaignStatus.PAUSED:
            await _skip_paused_run(session=session, template=template, now=now)
            continue
        if template.status == CampaignStatus.SCHEDULED:
            await service.transition(
                session=session,
                campaign=template,
                target=CampaignStatus.RUNNING,
                actor=SCHEDULER_ACTOR,
                data={"recurrence": template.recurrence or ""},
            )
        if template.next_run_at is not None:
            run = await _create_run(session=session, template=template, due=template.next_run_at)
            created.append(run.id)
            template.next_run_at = _next_run(template, after=max(now, template.next_run_at))
        if template.next_run_at is None:
            await service.transition(
                session=session,
                campaign=template,
                target=CampaignStatus.COMPLETED,
                actor=SCHEDULER_ACTOR,
                data={"runs": template.runs},
            )
    await session.flush()
    return created


def _next_run(template: Campaign, *, after: datetime) -> datetime | None:
    """Returns the template's next cron time after `after`, or None when its series is over."""
    if not template.recurrence:
        return None
    if template.recurrence_max_runs is not None and template.runs >= template.recurrence_max_runs:
        return None
    zone = validation.zone_named(template.timezone)
    following = recurrence.next_occurrence(template.recurrence, after, zone)
    if template.recurrence_until is not None and following > template.recurrence_until:
        return None
    return following


async def _skip_paused_run(*, session: AsyncSession, template: Campaign, now: datetime) -> None:
    due = template.next_run_at
    template.next_run_at = _next_run(template, after=now)
    await compliance.audit(
        session=session,
        actor=SCHEDULER_ACTOR,
        action="campaign.run_skipped",
        entity_type="campaign",
        entity_id=template.id,
        data={
            "due": due.isoformat() if due else "",
            "reason": "paused",
            "next_run_at": template.next_run_at.isoformat() if template.next_run_at else "",
        },
    )


async def _create_run(*, session: AsyncSession, template: Campaign, due: datetime) -> Campaign:
    """Clones the template into its next run: a scheduled campaign of its own (content approved
    with the template and checked again as each message is sent), with its own experiment."""
    template.runs += 1
    suffix = f" · run {template.runs}"
    run = Campaign(
        name=template.name[: 200 - len(suffix)] + suffix,
        goal=template.goal,
        status=CampaignStatus.SCHEDULED.value,
        sender_id=template.sender_id,
        segment_id=template.segment_id,
        purpose=template.purpose,
        cta_url=template.cta_url,
        risk_score=template.risk_score,
        risk_reasons=template.risk_reasons,
        strategy=template.strategy,
        agent_notes=template.agent_notes,
        brief=template.brief,
        agent_provider=template.agent_provider,
        agent_offline=template.agent_offline,
        created_by=template.created_by,
        start_at=due,
        send_window=template.send_window,
        quiet_hours=template.quiet_hours,
        timezone=template.timezone,
        parent_campaign_id=template.id,
        occurrence=template.runs,
        created_at=clock.now(),
    )
    session.add(run)
    await session.flush()
    for variant in template.variants:
        session.add(
            Variant(
                campaign_id=run.id,
                key=variant.key,
                text=variant.text,
                weight=variant.weight,
                rationale=variant.rationale,
                **media.media_of(variant),
            )
        )
    await session.flush()
    await session.refresh(run, ["variants"])
    await experiments.create_experiment(
        session=session,
        campaign_id=run.id,
        arms=[experiments.Arm(key=v.key, weight=v.weight) for v in run.variants],
        control_key=run.variants[0].key if run.variants else "A",
    )
    await rollout.inherit(session=session, template=template, run=run)
    await compliance.audit(
        session=session,
        actor=SCHEDULER_ACTOR,
        action="campaign.run_created",
        entity_type="campaign",
        entity_id=template.id,
        data={"run_campaign_id": run.id, "run": run.occurrence, "due": due.isoformat()},
    )
    await compliance.audit(
        session=session,
        actor=SCHEDULER_ACTOR,
        action="campaign.scheduled",
        entity_type="campaign",
        entity_id=run.id,
        data={
            "parent_campaign_id": template.id,
            "run": run.occurrence,
            "start_at": due.isoformat(),
        },
    )
    log.info("campaign.run_created", campaign_id=template.id, run_campaign_id=run.id)
    return run


INBOUND_EVENT_TYPES = {
    "read": "read",
    "click": "clicked",
    "reply": "replied",
    "converted": "converted",
}
# A reply or a button press is the person talking to us: recorded even when it answers no
# campaign's message (attributed to none); reads and conversions need their delivery.
UNATTRIBUTED_EVENT_TYPES = frozenset({"replied", "clicked"})
CONSENT_PURPOSE = "marketing"
ANSWER_MAX_WAIT_S = 5.0  # a bot's consent answer waits this long for its limiter, at most
APPROVAL_MAX_WAIT_S = 30.0  # a join request's approval waits out a FloodWait this long, at most


@dataclass(frozen=True)
class InboundApplied:
    """What applying a batch of inbound events did: the analytics events it recorded, the
    bot's answers, to be sent only once the transaction has committed, and the join requests
    to approve once the answers are sent (Telegram lets the bot write to a requester who never
    started it only until their request is processed)."""

    sender: telegram.SenderInfo
    recorded: int
    answers: list[telegram.OutgoingMessage]
    approvals: list[telegram.JoinRequest] = field(default_factory=list)

    @property
    def has_work(self) -> bool:
        return bool(self.answers or self.approvals)


async def apply_inbound(
    runtime: Runtime,
    *,
    sender_id: int | None = None,
    batch: int = 200,
    responder: Responder | None = None,
) -> int:
    """Applies the stored inbound updates not yet applied (one sender's, or every sender's),
    oldest first: a batch and its "applied" marks in one transaction, or, when that fails, each
    update in its own, so one bad update cannot hold the others back. The bot's answers go out
    after the commit: nobody is told "unsubscribed" unless the withdrawal is recorded. Returns
    how many analytics events were recorded. The answers take their slots from the runtime's
    limits, the same the campaigns' sends take theirs from. With a `responder` (the scheduler's)
    they go out in the background while the next batch is applied; without, before it returns."""
    db = runtime.database
    async with db.session() as session:  # the answers go out through the senders' transports
        await telegram.load_senders(session=session, transports=runtime.transports)
    recorded = 0
    after_id = 0
    while True:
        claimed: list[telegram.StoredUpdate] = []
        try:
            async with db.session() as session:
                claimed = await telegram.claim_inbound(
                    session=session, sender_id=sender_id, after_id=after_id, limit=batch
                )
                applied = await _apply_stored(session, claimed, runtime.settings)
        except Exception:
            log.exception("inbound.batch_failed", updates=len(claimed))
            applied = [await _apply_one(db, stored, runtime.settings) for stored in claimed]
        if not claimed:
            return recorded
        after_id = claimed[-1].id
        if responder is None:
            await _answer_all(runtime, applied)
        else:
            await responder.answer(applied)
        recorded += sum(a.recorded for a in applied if a is not None)


async def _apply_stored(
    session: AsyncSession, claimed: Sequence[telegram.StoredUpdate], settings: Settings
) -> list[InboundApplied | None]:
    """Applies claimed updates in the caller's transaction, in runs of one sender's."""
    applied: list[InboundApplied | None] = []
    start = 0
    while start < len(claimed):
        end = start
        while end < len(claimed) and claimed[end].sender_id == claimed[start].sender_id:
            end += 1
        events = [stored.event for stored in claimed[start:end]]
        applied.append(
            await handle_inbound(
                session=session,
                sender_id=claimed[start].sender_id,
                events=events,
                settings=settings,
            )
        )
        start = end
    return applied


async def _apply_one(
    db: Database, stored: telegram.StoredUpdate, settings: Settings
) -> InboundApplied | None:
    """Applies one stored update in its own transaction; a failure is counted on the update
    (it is tried again next round, and set aside after a few)."""
    try:
        async with db.session() as session:
            again = await telegram.claim_inbound(session=session, limit=1, update_ids=[stored.id])
            if not again:
                return None  # another process applied it meanwhile
            return await handle_inbound(
                session=session,
                sender_id=stored.sender_id,
                events=[stored.event],
                settings=settings,
            )
    except Exception as exc:
        log.exception("inbound.update_failed", sender_id=stored.sender_id, kind=stored.event.kind)
        async with db.session() as session:
            await telegram.record_inbound_failure(
                session=session, update_id=stored.id, error=type(exc).__name__
            )
        return None


async def _answer_all(runtime: Runtime, applied: Sequence[InboundApplied | None]) -> None:
    """Sends the answers of committed updates; a failure costs only the answer (the decision
    is recorded), and an answer is never retried (docs/architecture.md, "Crash semantics")."""
    for result in applied:
        if result is None or not result.has_work:
            continue
        try:
            await _answer(runtime, result.sender, result.answers)
            await _approve_joins(runtime, result.sender, result.approvals)
        except Exception:
            log.exception("consent.answers_failed", sender_id=result.sender.id)


class Responder:
    """Sends the answers of applied batches in the background, batch after batch in the order
    they were applied (a person's "welcome" before their "subscribed"), so the scheduler fetches
    and applies the next batch while the bot answers this one at its full rate. At most
    `ahead` batches wait for their answers: `answer` waits for room, which bounds what a stop
    (or a crash, whose answers are lost: they are never retried) leaves unanswered."""

    def __init__(self, runtime: Runtime, *, ahead: int = 4) -> None:
        self._runtime = runtime
        self._room = asyncio.Semaphore(ahead)
        self._last: asyncio.Task[None] | None = None

    async def answer(self, applied: Sequence[InboundApplied | None]) -> None:
        if not any(result is not None and result.has_work for result in applied):
            return
        await self._room.acquire()
        self._last = asyncio.create_task(self._after(self._last, applied), name="answers")

    async def _after(
        self, previous: asyncio.Task[None] | None, applied: Sequence[InboundApplied | None]
    ) -> None:
        try:
            if previous is not None:
                await asyncio.wait([previous])
            await _answer_all(self._runtime, applied)
        finally:
            self._room.release()

    async def drain(self) -> None:
        """Waits until every answer handed over is sent (or failed)."""
        if self._last is not None:
            await asyncio.wait([self._last])


async def handle_inbound(
    *,
    session: AsyncSession,
    sender_id: int,
    events: Sequence[telegram.InboundEvent],
    settings: Settings | None = None,
) -> InboundApplied:
    """Turns what people did into consent decisions, the bot's answers and analytics events:
    /start or a join request (with double opt-in: the "Yes, subscribe" press) records consent
    with its proof, creating the contact if new; STOP withdraws it at once; replies and button
    presses become events. Returns what was recorded, the answers and the join requests to
    approve, which the caller sends and approves, in that order, after its commit
    (apply_inbound)."""
    sender = await telegram.get_sender_or_raise(session=session, sender_id=sender_id)
    await telegram.record_chats_seen(session=session, sender_id=sender_id, events=events)
    answers: list[telegram.OutgoingMessage] = []
    approvals: list[telegram.JoinRequest] = []
    recorded: list[analytics.EventCreate] = []
    for event in events:
        mine = await privacy_bot.answer_command(
            session=session, sender=sender, event=event, settings=settings
        )
        if mine is not None:  # /mydata, /forgetme: the person's own data-subject requests
            answers += [_privacy_message(answer) for answer in mine]
            continue
        if event.kind in ("start", "consent_yes", "join_request"):
            answers += await _subscribe(session=session, sender=sender, event=event)
            join_request = telegram.join_request_of(event)
            if join_request is not None:  # let in whatever they answer: the join is unbundled
                approvals.append(join_request)
            continue
        in_person = not telegram.is_group_chat(event.chat_id)
        if in_person and safety.is_privacy_request(event.text):  # Bot Developer Terms
            answers.append(await safety.privacy_answer(session=session, chat_id=event.chat_id))
            continue
        if event.kind == "stop":
            answers.append(
                telegram.consent_reply("unsubscribed", sender=sender, chat_id=event.chat_id)
            )
        contact = await service.get_contact_by_telegram_id(
            session=session, telegram_id=event.chat_id
        )
        if contact is None:
            continue
        delivery = await _delivery_answered(session, sender_id, contact.id, event)
        if event.kind == "reply":  # "stop spamming", "reported": counts in the sender's health
            await safety.record_reply(session=session, sender_id=sender_id, text=event.text)
        event = await agent.triage_reply(  # the reply inbox; an opt-out reply becomes a STOP
            session=session,
            event=event,
            contact_id=contact.id,
            sender_id=sender_id,
            campaign_id=delivery.campaign_id if delivery else None,
            language=contact.language,
        )
        if event.kind == "stop":
            if agent.REPLY_OPT_OUT in event.payload:
                answers.append(
                    telegram.consent_reply("unsubscribed", sender=sender, chat_id=event.chat_id)
                )
            await compliance.withdraw_consent(
                session=session,
                contact_id=contact.id,
                sender_id=sender_id,
                purposes=None,
                source="telegram_stop",
                proof={"text": event.text or "/stop", "button": event.payload.get("data")},
                actor=f"contact:{contact.id}",
            )
            kind = "unsubscribed"
        elif event.kind in INBOUND_EVENT_TYPES:
            kind = INBOUND_EVENT_TYPES[event.kind]
        else:
            continue
        if delivery is None and kind not in UNATTRIBUTED_EVENT_TYPES and kind != "unsubscribed":
            continue  # a reaction to a message that is not ours to attribute
        recorded.append(
            analytics.EventCreate(
                type=kind,
                campaign_id=delivery.campaign_id if delivery else None,
                variant_key=delivery.variant_key if delivery else None,
                contact_id=contact.id,
                sender_id=sender_id,
                occurred_at=event.occurred_at,
                properties={"data": event.payload["data"]} if "data" in event.payload else {},
            )
        )
    if recorded:
        await analytics.record_events(session=session, events=recorded)
    if not sender.answers_people:
        answers = []
    return InboundApplied(
        sender=sender, recorded=len(recorded), answers=answers, approvals=approvals
    )


def _privacy_message(answer: privacy_bot.PrivacyAnswer) -> telegram.OutgoingMessage:
    """Returns a privacy answer as the transport sends it."""
    button = answer.button
    return telegram.OutgoingMessage(
        chat_id=answer.chat_id,
        text=answer.text,
        buttons=((telegram.Button(button[0], callback_data=button[1]),),) if button else (),
        media=telegram.Media(kind="document", path=answer.document) if answer.document else None,
        tags=answer.tags,
    )


async def _subscribe(
    *, session: AsyncSession, sender: telegram.SenderInfo, event: telegram.InboundEvent
) -> list[telegram.OutgoingMessage]:
    """Records the consent a /start, a join request (through an invite link; the bot approves
    it once this answer is sent) or an opt-in press gives (or asks first, with double opt-in);
    returns the bot's answer, in the person's private chat."""
    if telegram.is_group_chat(event.chat_id):
        return []  # a group: nobody's personal consent
    source = event.payload.get("source", "direct")
    contact = await service.get_contact_by_telegram_id(session=session, telegram_id=event.chat_id)
    if contact is not None and await compliance.has_consent(
        session=session, contact_id=contact.id, sender_id=sender.id, purpose=CONSENT_PURPOSE
    ):
        return [telegram.consent_reply("already_subscribed", sender=sender, chat_id=event.chat_id)]
    if event.kind != "consent_yes" and sender.double_opt_in:  # nothing is kept before the press
        prompt = telegram.consent_reply(
            "opt_in_prompt", sender=sender, chat_id=event.chat_id, source=source
        )
        return [prompt]
    if contact is None:
        contact = await _create_contact_of(session, sender.id, event, source)
    await compliance.record_consent(
        session=session,
        consent_in=compliance.ConsentCreate(
            contact_id=contact.id,
            sender_id=sender.id,
            purpose=CONSENT_PURPOSE,
            source=f"bot:{source}"[:64],
            proof=(
                telegram.join_request_proof(sender=sender, event=event)
                if event.kind == "join_request"
                else telegram.consent_proof(sender=sender, event=event)
            ),
        ),
        actor=f"contact:{contact.id}",
    )
    return [telegram.consent_reply("subscribed", sender=sender, chat_id=event.chat_id)]


async def _create_contact_of(
    session: AsyncSession, sender_id: int, event: telegram.InboundEvent, source: str
) -> Contact:
    """Creates the contact of a person who subscribed through a bot; audited."""
    payload = event.payload
    contact = await service.create_contact(
        session=session,
        contact_in=ContactCreate(
            telegram_id=event.chat_id,
            username=(payload.get("username") or "")[:64] or None,
            first_name=(payload.get("first_name") or "")[:128] or None,
            language=(payload.get("language") or "")[:16] or None,
            attributes={"opt_in_source": source},
        ),
    )
    await compliance.audit(
        session=session,
        actor=f"contact:{contact.id}",
        action="contact.created",
        entity_type="contact",
        entity_id=contact.id,
        data={"via": "telegram_bot", "sender_id": sender_id, "source": source},
    )
    return contact


async def _delivery_answered(
    session: AsyncSession, sender_id: int, contact_id: int, event: telegram.InboundEvent
) -> Delivery | None:
    """Returns the delivery an event is about: the message it names (Bot API message ids are
    per chat, so the contact is part of the key), else, for a plain reply or STOP, the last
    message the sender sent that contact (what it answers, as far as we can tell)."""
    query = select(Delivery).where(
        Delivery.sender_id == sender_id, Delivery.contact_id == contact_id
    )
    if event.message_id is not None:
        return await session.scalar(query.where(Delivery.message_id == event.message_id))
    if event.kind not in ("reply", "stop"):
        return None
    return await session.scalar(
        query.where(Delivery.status == queue.SENT).order_by(Delivery.sent_at.desc()).limit(1)
    )


async def _answer(
    runtime: Runtime, sender: telegram.SenderInfo, answers: Sequence[telegram.OutgoingMessage]
) -> None:
    """Sends the bot's answers to people's own commands (transactional, not marketing) through
    its transport, concurrently and paced by the sender's one limiter (the campaigns' too: a
    FloodWait met here pauses them); a FloodWait is waited out once. They go out after the
    updates' transaction has committed (apply_inbound)."""
    limiter = runtime.limits.limiter(sender.id, sender.profile)

    async def answer(message: telegram.OutgoingMessage) -> None:
        outcome = None
        for _attempt in range(2):
            busy_s = await limiter.acquire(
                message.chat_id, message.chat_kind, max_wait_s=ANSWER_MAX_WAIT_S
            )
            if busy_s is not None:
                break  # the decision is recorded all the same; only the answer is dropped
            outcome = await telegram.send_message(
                transports=runtime.transports,
                sender_id=sender.id,
                profile_name=sender.profile.name,
                message=message,
            )
            limiter.sent(message.chat_id, answered_at=outcome.answered_at)
            if outcome.status is not telegram.SendStatus.RETRY_AFTER:
                break
            await limiter.flood_wait(outcome.retry_after_s or 1.0)
        log.info(
            "consent.answered",
            sender_id=sender.id,
            status=outcome.status.value if outcome else "chat_busy",
            reason=outcome.reason if outcome else None,
        )

    await asyncio.gather(*(answer(message) for message in answers))


async def _approve_joins(
    runtime: Runtime, sender: telegram.SenderInfo, requests: Sequence[telegram.JoinRequest]
) -> None:
    """Approves join requests once the bot's answers to them are sent (after, never before:
    Telegram refuses a message to a requester who never started the bot once their request
    is processed). A FloodWait is waited out once; a request still refused stays pending for
    the chat's administrators (logged)."""

    async def approve(request: telegram.JoinRequest) -> None:
        for _attempt in range(2):
            outcome = await telegram.approve_join_request(
                transports=runtime.transports, sender_id=sender.id, request=request
            )
            wait_s = outcome.retry_after_s or 1.0
            retry = outcome.status in (
                telegram.SendStatus.RETRY_AFTER,
                telegram.SendStatus.RETRY_BACKOFF,
            )
            if not retry or wait_s > APPROVAL_MAX_WAIT_S:
                return
            await clock.get_clock().sleep(wait_s)

    await asyncio.gather(*(approve(request) for request in requests))
