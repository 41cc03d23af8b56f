"""The safety module's public API: the content check (and its policy loaded once for a chunk of
sends), the PII scanner and redaction, the blacklist and phrase lists, and the senders' limiters
with the rates they learned."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.errors import Conflict, Forbidden, NotFound
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.safety import health, metrics
from marketing_agent.safety.complaints import spam_complaint_in
from marketing_agent.safety.content import (
    REVIEW_THRESHOLD,
    Blacklist,
    check_text,
    default_blacklist_with,
    normalize_term,
    verdict_of,
)
from marketing_agent.safety.health import SendTally
from marketing_agent.safety.models import (
    BlacklistTerm,
    LearnedSenderRate,
    SafetySettings,
    SenderCooldown,
)
from marketing_agent.safety.phrase_lists import (
    add_phrase,
    create_phrase_list,
    delete_phrase_list,
    enabled_phrases,
    get_phrase_list,
    list_phrase_lists,
    list_phrases,
    remove_phrase,
    update_phrase_list,
)
from marketing_agent.safety.pii import ENTITIES, Entity, PiiFinding
from marketing_agent.safety.pii import find_pii as _find_pii
from marketing_agent.safety.pii import redact as _redact
from marketing_agent.safety.ratelimit import (
    LearnedRate,
    LocalRateLimits,
    RateLimits,
    SenderLimiter,
    SenderRateLimiter,
)
from marketing_agent.safety.schemas import (
    BlacklistTermCreate,
    ContentVerdict,
    Reason,
    SafetySettingsRead,
    SafetySettingsUpdate,
    SenderHealthRead,
    Severity,
)
from marketing_agent.safety.telegram_rules import (
    CAPTION_MAX,
    TEXT_MAX,
    OptOutMode,
    check_buttons,
    ensure_opt_out,
)
from marketing_agent.telegram import service as telegram  # telegram never imports safety

log = get_logger(__name__)

__all__ = [
    "LearnedRate",
    "LocalRateLimits",
    "RateLimits",
    "SendTally",
    "SenderLimiter",
    "SenderRateLimiter",
    "add_phrase",
    "create_phrase_list",
    "delete_phrase_list",
    "get_phrase_list",
    "list_phrase_lists",
    "list_phrases",
    "remove_phrase",
    "update_phrase_list",
]


async def check_content(
    *,
    session: AsyncSession | None,
    text: str,
    max_len: int = TEXT_MAX,
    parse_mode: str | None = None,
    rules: ContentRules | None = None,
) -> ContentVerdict:
    """Checks the exact text to be sent against the phrase lists, the blacklist and the rules."""
    policy = await load_content_policy(session=session, max_len=max_len, rules=rules)
    return policy.check(text, parse_mode=parse_mode)


def find_pii(text: str, *, entities: Iterable[Entity] = ENTITIES) -> list[PiiFinding]:
    """Returns the personal data and secrets in `text` (validated, masked, located)."""
    return _find_pii(text, entities=entities)


def redact(text: str, *, entities: Iterable[Entity] = ENTITIES) -> str:
    """Returns `text` with each e-mail, phone, card, IBAN, crypto address, IP address and
    secret replaced by its type in brackets ("[EMAIL]"): for stored data and LLM prompts."""
    return _redact(text, entities=entities)


@dataclass(frozen=True)
class ContentRules:
    """The workspace's settings for the content check (see core/settings.py)."""

    review_threshold: float = REVIEW_THRESHOLD
    allowed_domains: tuple[str, ...] = ()
    opt_out: OptOutMode = "off"

    @classmethod
    def from_settings(cls, settings: Settings) -> ContentRules:
        """Returns the rules the settings ask for."""
        domains = tuple(d.strip() for d in settings.safety_link_allowlist.split(",") if d.strip())
        return cls(
            review_threshold=settings.review_risk_threshold,
            allowed_domains=domains,
            opt_out=settings.safety_opt_out,
        )


class ContentPolicy:
    """The content rules as they stand now, loaded once: `check` runs without a query, so the
    delivery worker can check every rendered text of a chunk in its exact form cheaply;
    identical renders are checked once."""

    _CACHE_MAX = 4096

    def __init__(
        self, blacklist: Blacklist, *, max_len: int = TEXT_MAX, rules: ContentRules | None = None
    ) -> None:
        self._blacklist = blacklist
        self._max_len = max_len
        self.rules = rules or ContentRules()
        self._verdicts: dict[tuple[str, str | None, int], ContentVerdict] = {}

    def check(
        self, text: str, *, parse_mode: str | None = None, max_len: int | None = None
    ) -> ContentVerdict:
        """Checks the exact text to be sent against the phrase lists and the rules."""
        limit = max_len or self._max_len
        key = (text, parse_mode, limit)
        cached = self._verdicts.get(key)
        if cached is not None:
            return cached
        verdict = check_text(
            text,
            max_len=limit,
            blacklist=self._blacklist,
            parse_mode=parse_mode,
            allowed_domains=self.rules.allowed_domains,
            review_threshold=self.rules.review_threshold,
        )
        self._remember(key, verdict)
        return verdict

    def _remember(self, key: tuple[str, str | None, int], verdict: ContentVerdict) -> None:
        if not verdict.allowed:
            # Codes only: the text and the matches may hold personal data.
            blocking = [r.code for r in verdict.reasons if r.severity == "block"]
            log.info("content.blocked", codes=blocking)
        if len(self._verdicts) < self._CACHE_MAX:
            self._verdicts[key] = verdict

    def check_many(
        self, texts: Sequence[str], *, parse_mode: str | None = None
    ) -> list[ContentVerdict]:
        """Returns `check` of each text, the phrase lists scanned for all of them in one pass
        (a worker's chunk of renders: the per-text fixed costs are paid once)."""
        unique = [
            t for t in dict.fromkeys(texts) if (t, parse_mode, self._max_len) not in self._verdicts
        ]
        for text, phrases in zip(unique, self._blacklist.find_many(unique), strict=True):
            verdict = check_text(
                text,
                max_len=self._max_len,
                parse_mode=parse_mode,
                allowed_domains=self.rules.allowed_domains,
                review_threshold=self.rules.review_threshold,
                phrase_reasons=phrases,
            )
            self._remember((text, parse_mode, self._max_len), verdict)
        return [self.check(text, parse_mode=parse_mode) for text in texts]

    def prepare_many(self, texts: Sequence[str], *, marketing_from_bot: bool = True) -> None:
        """Checks what `prepare` would check for each text, all in one scan (a worker's chunk of
        renders); the verdicts are kept, so each later `prepare` of these texts is a lookup."""
        if marketing_from_bot:
            texts = [ensure_opt_out(t, (), mode=self.rules.opt_out)[0] for t in texts]
        self.check_many(texts)

    def prepare(
        self,
        text: str,
        *,
        buttons: Sequence[Sequence[telegram.Button]] = (),
        parse_mode: str | None = None,
        caption: bool = False,
        max_len: int | None = None,
        marketing_from_bot: bool = True,
    ) -> tuple[str, ContentVerdict]:
        """Returns the text to send (with the opt-out line when the rules add it) and its one
        verdict: the content check, Telegram's button rules and the way-out rule together.
        `max_len`: the sender's limit (its profile's); else Telegram's caption or text limit."""
        notes: list[Reason] = []
        if marketing_from_bot:
            text, notes = ensure_opt_out(text, buttons, mode=self.rules.opt_out)
        if max_len is None and caption:
            max_len = CAPTION_MAX
        verdict = self.check(text, parse_mode=parse_mode, max_len=max_len)
        extra = notes + check_buttons(buttons)
        if not extra:
            return text, verdict
        reasons = [*verdict.reasons, *extra]
        return text, verdict_of(reasons, review_threshold=self.rules.review_threshold)


async def load_content_policy(
    *, session: AsyncSession | None, max_len: int = TEXT_MAX, rules: ContentRules | None = None
) -> ContentPolicy:
    """Returns the content policy with the user's blacklist and the admin's content rules as
    they are in the database now; `rules` are the defaults where the admin set none."""
    extra: list[tuple[str, Severity]] = []
    categories: list[str] = []
    if session is not None:
        for phrase in await enabled_phrases(session=session):
            extra.append((phrase.text, phrase.severity))
            categories.append(phrase.category)
        rows = await session.execute(select(BlacklistTerm.term, BlacklistTerm.severity))
        for term, severity in rows:  # the blacklist last: it wins over a list on a clash
            extra.append((term, _severity(severity)))
            categories.append("blacklist")
        # The admin's rules (Safety settings) over the caller's defaults, as they are now.
        rules = await content_rules_in_force(session=session, defaults=rules or ContentRules())
    blacklist = default_blacklist_with(extra, categories)
    return ContentPolicy(blacklist, max_len=max_len, rules=rules)


async def list_blacklist(*, session: AsyncSession) -> Sequence[BlacklistTerm]:
    """Returns the user's blacklist terms, alphabetically."""
    return (await session.scalars(select(BlacklistTerm).order_by(BlacklistTerm.term))).all()


async def add_blacklist_term(
    *, session: AsyncSession, term_in: BlacklistTermCreate, actor: str = "system"
) -> BlacklistTerm:
    """Adds a term (stored normalised); raises Conflict when it is already there."""
    term = normalize_term(term_in.term)
    if await session.scalar(select(BlacklistTerm.id).where(BlacklistTerm.term == term)):
        raise Conflict(f"'{term}' is already on the blacklist")
    row = BlacklistTerm(term=term, severity=term_in.severity)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:  # added concurrently between the check and the insert
        raise Conflict(f"'{term}' is already on the blacklist") from exc
    await compliance.audit(
        session=session,
        actor=actor,
        action="blacklist.term_added",
        entity_type="blacklist_term",
        entity_id=row.id,
        data={"term": term, "severity": row.severity},
    )
    log.info("blacklist.term_added", term_id=row.id, severity=row.severity)
    return row


async def remove_blacklist_term(
    *, session: AsyncSession, term_id: int, actor: str = "system"
) -> None:
    """Removes a term; raises NotFound when there is no such term."""
    row = await session.get(BlacklistTerm, term_id)
    if row is None:
        raise NotFound(f"Blacklist term {term_id} not found")
    await session.delete(row)
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="blacklist.term_removed",
        entity_type="blacklist_term",
        entity_id=term_id,
        data={"term": row.term},
    )
    log.info("blacklist.term_removed", term_id=term_id)


def open_rate_limits(*, redis_url: str | None, prefix: str = "ma") -> RateLimits:
    """Returns the senders' limits: shared by every process through Redis when a URL is given,
    else kept in this process (the embedded default)."""
    if redis_url:
        from marketing_agent.safety.ratelimit_redis import RedisRateLimits

        return RedisRateLimits(redis_url, prefix=prefix)
    return LocalRateLimits()


async def load_learned_rate(*, session: AsyncSession, sender_id: int) -> LearnedRate | None:
    """Returns the rate a sender learned from FloodWaits (as stored), or None."""
    row = await session.get(LearnedSenderRate, sender_id)
    if row is None:
        return None
    return LearnedRate(share=row.rate_share, learned_at=row.learned_at, flood_waits=row.flood_waits)


async def save_learned_rate(*, session: AsyncSession, sender_id: int, learned: LearnedRate) -> None:
    """Stores what a sender's FloodWaits taught, so a restarted worker keeps it."""
    row = await session.get(LearnedSenderRate, sender_id)
    if row is None:
        row = LearnedSenderRate(sender_id=sender_id)
        session.add(row)
    row.rate_share = learned.share
    row.flood_waits = learned.flood_waits
    row.learned_at = learned.learned_at or clock.now()
    await session.flush()


def _severity(value: str) -> Severity:
    if value == "info":
        return "info"
    if value == "block":
        return "block"
    return "warn"


# Account health ------------------------------------------------------------------------------


async def record_send_outcomes(
    *, session: AsyncSession, sender_id: int, profile_name: str, tally: SendTally
) -> None:
    """Adds a chunk's send outcomes to the sender's health and starts a cool-down when the
    pause rule asks for one (audited); the sender's campaigns then wait (sender_paused)."""
    if not tally:
        return
    now = clock.now()
    await health.add_tally(session, sender_id=sender_id, tally=tally, now=now)
    latest = await health.cooldown_of(session, sender_id=sender_id)
    if latest is not None and latest.until > now:
        return  # already resting
    verdict = await _judge_sender(session, sender_id, profile_name, now, latest)
    if verdict.cooldown_reason is None or verdict.cooldown_until is None:
        return
    await health.start_cooldown(
        session,
        sender_id=sender_id,
        reason=verdict.cooldown_reason,
        now=now,
        until=verdict.cooldown_until,
    )
    await compliance.audit(
        session=session,
        actor="safety",
        action="sender.cooldown_started",
        entity_type="sender",
        entity_id=sender_id,
        data={
            "reason": verdict.cooldown_reason,
            "until": verdict.cooldown_until.isoformat(),
            "score": verdict.score,
        },
    )
    log.warning(
        "sender.cooldown_started",
        sender_id=sender_id,
        reason=verdict.cooldown_reason,
        until=verdict.cooldown_until.isoformat(),
    )


async def record_reply(*, session: AsyncSession, sender_id: int, text: str | None) -> bool:
    """Counts a person's reply against the sender's health when it calls the messages spam
    ("stop spamming", "I reported you"); returns whether it did. The next send's outcomes
    apply the pause rule to the new figures."""
    found = spam_complaint_in(text)
    if found is None:
        return False
    tally = SendTally(spam_replies=1)
    await health.add_tally(session, sender_id=sender_id, tally=tally, now=clock.now())
    log.info("sender.spam_reply", sender_id=sender_id)
    return True


async def sender_paused(*, session: AsyncSession, sender_id: int) -> str | None:
    """Returns why the sender is cooling down now (its campaigns wait), or None."""
    latest = await health.cooldown_of(session, sender_id=sender_id)
    if latest is None or latest.until <= clock.now():
        return None
    return latest.reason


async def sender_health(
    *, session: AsyncSession, sender_id: int, profile_name: str, sender_name: str = ""
) -> SenderHealthRead:
    """Returns the sender's health: counts, rates per thousand, score, badge and cool-down."""
    now = clock.now()
    latest = await health.cooldown_of(session, sender_id=sender_id)
    resting = latest is not None and latest.until > now
    since = latest.until if latest is not None and not resting else None
    numbers = await _health_figures(session, sender_id, now, since)
    user_account = profile_name == "user"
    verdict = health.judge(numbers, user_account=user_account, now=now)
    return SenderHealthRead(
        sender_id=sender_id,
        sender_name=sender_name,
        profile=profile_name,
        score=verdict.score,
        badge="cooling_down" if resting else _calm_badge(verdict.badge),
        sent=numbers.sent,
        flood_waits=numbers.flood_waits,
        peer_floods=numbers.peer_floods,
        blocked=numbers.blocked,
        failed=numbers.failed,
        opt_outs=numbers.opt_outs,
        spam_replies=numbers.spam_replies,
        blocked_per_1000=numbers.per_1000(numbers.blocked),
        opt_outs_per_1000=numbers.per_1000(numbers.opt_outs),
        spam_replies_per_1000=numbers.per_1000(numbers.spam_replies),
        sent_today=numbers.sent_today,
        daily_cap=health.USER_ACCOUNT_DAILY_CAP if user_account else None,
        cooling_down=resting,
        cooldown_reason=latest.reason if resting and latest is not None else None,
        cooldown_until=latest.until if resting and latest is not None else None,
    )


async def list_sender_health(*, session: AsyncSession) -> list[SenderHealthRead]:
    """Returns every sender's health, oldest sender first."""
    return [
        await sender_health(
            session=session,
            sender_id=sender.id,
            profile_name=sender.profile.name,
            sender_name=sender.name,
        )
        for sender in await telegram.list_senders(session=session)
    ]


async def get_sender_health(*, session: AsyncSession, sender_id: int) -> SenderHealthRead:
    """Returns one sender's health; raises NotFound when there is no such sender."""
    sender = await telegram.get_sender_or_raise(session=session, sender_id=sender_id)
    return await sender_health(
        session=session,
        sender_id=sender.id,
        profile_name=sender.profile.name,
        sender_name=sender.name,
    )


async def export_sender_health(*, session: AsyncSession) -> None:
    """Sets the senders' health gauges (score, cool-down, FloodWaits in the window) to what the
    database says now, for a Prometheus scrape of any process."""
    metrics.export(await list_sender_health(session=session))


def _calm_badge(badge: health.Badge) -> health.Badge:
    # Not resting, though the figures would trip the rule: the next send outcome starts it.
    return "poor" if badge == "cooling_down" else badge


async def resume_sender(*, session: AsyncSession, sender_id: int, actor: str) -> None:
    """Ends a sender's cool-down now (a person's decision, audited); what caused it is not
    counted again. Raises Conflict when the sender is not cooling down."""
    latest = await health.cooldown_of(session, sender_id=sender_id)
    now = clock.now()
    if latest is None or latest.until <= now:
        raise Conflict(f"Sender {sender_id} is not cooling down.")
    reason, latest.until, latest.ended_at = latest.reason, now, now
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="sender.cooldown_ended",
        entity_type="sender",
        entity_id=sender_id,
        data={"reason": reason, "by": "person", "ended_at": now.isoformat()},
    )
    log.info("sender.cooldown_ended", sender_id=sender_id, by="person")


async def end_elapsed_cooldowns(*, session: AsyncSession) -> int:
    """Audits the end of every cool-down whose time ran out (its sender sends again on its own,
    its campaigns go on), once each; returns how many ended. The health job: the scheduler
    runs it every tick and the worker every round, before it claims anything."""
    ended = await health.claim_elapsed_cooldowns(session, now=clock.now())
    for row in ended:
        await compliance.audit(
            session=session,
            actor="safety",
            action="sender.cooldown_ended",
            entity_type="sender",
            entity_id=row.sender_id,
            data={
                "reason": row.reason,
                "by": "time",
                "started_at": row.started_at.isoformat(),
                "ended_at": row.until.isoformat(),
            },
        )
        log.info("sender.cooldown_ended", sender_id=row.sender_id, by="time")
    return len(ended)


async def _health_figures(
    session: AsyncSession, sender_id: int, now: datetime, since: datetime | None
) -> health.HealthFigures:
    async def opt_outs(start: datetime) -> int:
        return await analytics.count_sender_events(
            session=session, sender_id=sender_id, event_type="unsubscribed", since=start
        )

    return await health.figures(
        session, sender_id=sender_id, now=now, since=since, count_opt_outs=opt_outs
    )


async def _judge_sender(
    session: AsyncSession,
    sender_id: int,
    profile_name: str,
    now: datetime,
    latest: SenderCooldown | None,
) -> health.Verdict:
    since = latest.until if latest is not None else None
    numbers = await _health_figures(session, sender_id, now, since)
    return health.judge(numbers, user_account=profile_name == "user", now=now)


# Workspace safety settings and the bots' /privacy ----------------------------------------------

SETTINGS_ROW = 1
DEFAULT_PRIVACY_POLICY = (
    "Privacy policy: we keep your Telegram id, name and language and what you told us you "
    "want to hear about, only to send you the messages you subscribed to. Send STOP at any "
    "time to unsubscribe."
)


async def get_safety_settings(
    *, session: AsyncSession, defaults: ContentRules | None = None
) -> SafetySettingsRead:
    """Returns the workspace's safety settings (defaults until someone changes them); the
    opt-out and link rules not set here are `defaults`' (the process's, from its settings)."""
    defaults = defaults or ContentRules()
    row = await session.get(SafetySettings, SETTINGS_ROW)
    if row is None:
        return SafetySettingsRead(
            four_eyes=True,
            review_deadline_h=48,
            review_threshold=defaults.review_threshold,
            review_threshold_source="deployment",
            privacy_policy=DEFAULT_PRIVACY_POLICY,
            opt_out=defaults.opt_out,
            link_allowlist=list(defaults.allowed_domains),
            content_rules_source="deployment",
            updated_by="system",
            updated_at=None,
        )
    rules = _workspace_rules(row, defaults)
    return SafetySettingsRead(
        four_eyes=row.four_eyes,
        review_deadline_h=row.review_deadline_h,
        review_threshold=rules.review_threshold,
        review_threshold_source="deployment" if row.review_threshold is None else "workspace",
        privacy_policy=row.privacy_policy or DEFAULT_PRIVACY_POLICY,
        opt_out=rules.opt_out,
        link_allowlist=list(rules.allowed_domains),
        content_rules_source=(
            "workspace"
            if row.opt_out is not None or row.link_allowlist is not None
            else "deployment"
        ),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


async def content_rules_in_force(*, session: AsyncSession, defaults: ContentRules) -> ContentRules:
    """Returns the content rules as they stand now: the admin's (Safety settings) where set,
    else `defaults` (the process's, from its settings). Read afresh by every check."""
    row = await session.get(SafetySettings, SETTINGS_ROW)
    return defaults if row is None else _workspace_rules(row, defaults)


async def review_threshold_in_force(*, session: AsyncSession, default: float) -> float:
    """Returns the risk score from which a campaign goes to review: the workspace's (Safety
    settings) when an admin set one, else `default` (the process's policies)."""
    row = await session.get(SafetySettings, SETTINGS_ROW)
    if row is None or row.review_threshold is None:
        return default
    return row.review_threshold


def _workspace_rules(row: SafetySettings, defaults: ContentRules) -> ContentRules:
    opt_out: OptOutMode = defaults.opt_out
    if row.opt_out in ("add", "block", "off"):
        opt_out = row.opt_out  # type: ignore[assignment]  # checked just above
    domains = defaults.allowed_domains
    if row.link_allowlist is not None:
        domains = tuple(d for d in row.link_allowlist.split(",") if d)
    threshold = defaults.review_threshold
    if row.review_threshold is not None:
        threshold = row.review_threshold
    return replace(defaults, opt_out=opt_out, allowed_domains=domains, review_threshold=threshold)


async def update_safety_settings(
    *,
    session: AsyncSession,
    settings_in: SafetySettingsUpdate,
    actor: str,
    defaults: ContentRules | None = None,
    alone: bool = False,
) -> SafetySettingsRead:
    """Changes the workspace's safety settings; each change is audited with old and new.
    Four eyes can be turned off only by an admin `alone` in the workspace (nobody else may
    approve reviews): with a second approver it can always be satisfied."""
    if settings_in.four_eyes is False and not alone:
        current = await get_safety_settings(session=session)
        if current.four_eyes:
            raise Forbidden(
                "Four eyes can be turned off only by an admin who is the workspace's only "
                "approver; someone else can approve reviews here.",
                reason="four-eyes-not-alone",
            )
    row = await session.get(SafetySettings, SETTINGS_ROW)
    if row is None:
        current = await get_safety_settings(session=session)
        row = SafetySettings(
            id=SETTINGS_ROW,
            four_eyes=current.four_eyes,
            review_deadline_h=current.review_deadline_h,
            privacy_policy="",
        )
        session.add(row)
    values = settings_in.model_dump(exclude_none=True)
    if "link_allowlist" in values:  # stored as the deployment's setting is: comma-separated
        values["link_allowlist"] = ",".join(
            dict.fromkeys(d.lower() for d in values["link_allowlist"])
        )
    changes: dict[str, dict[str, object]] = {}
    for name, value in values.items():
        if getattr(row, name) != value:
            changes[name] = {"from": getattr(row, name), "to": value}
            setattr(row, name, value)
    if changes.get("four_eyes", {}).get("to") is False:
        changes["four_eyes"]["why"] = "an admin alone in the workspace"
    if changes:
        row.updated_by, row.updated_at = actor, clock.now()
        await session.flush()
        await compliance.audit(
            session=session,
            actor=actor,
            action="safety.settings_changed",
            entity_type="safety_settings",
            entity_id=SETTINGS_ROW,
            data=changes,
        )
    return await get_safety_settings(session=session, defaults=defaults)


async def restore_four_eyes(*, session: AsyncSession, actor: str, reason: str) -> bool:
    """Turns four eyes back on when it is off (a second person who may approve reviews joined
    the workspace, so the admin is no longer alone); audited. Returns whether it changed."""
    row = await session.get(SafetySettings, SETTINGS_ROW)
    if row is None or row.four_eyes:
        return False
    row.four_eyes, row.updated_by, row.updated_at = True, actor, clock.now()
    await session.flush()
    await compliance.audit(
        session=session,
        actor=actor,
        action="safety.settings_changed",
        entity_type="safety_settings",
        entity_id=SETTINGS_ROW,
        data={"four_eyes": {"from": False, "to": True, "why": reason}},
    )
    log.info("safety.four_eyes_restored")
    return True


def is_privacy_request(text: str | None) -> bool:
    """Returns True when a person's message is the /privacy command (Bot Developer Terms)."""
    if not text:
        return False
    command = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    return command.split("@")[0].lower() == "/privacy"


async def privacy_answer(*, session: AsyncSession, chat_id: int) -> telegram.OutgoingMessage:
    """Returns the bot's answer to /privacy: the workspace's privacy policy (transactional)."""
    policy = (await get_safety_settings(session=session)).privacy_policy
    return telegram.OutgoingMessage(
        chat_id=chat_id,
        text=policy,
        tags={"purpose": "transactional", "conversation": "privacy"},
    )
