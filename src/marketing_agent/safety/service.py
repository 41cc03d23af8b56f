"""The safety module's public API: the content check (and its policy loaded once for a chunk of
sends), the PII scanner and redaction, the blacklist and phrase lists, and the senders' limiters
with the rates they learned."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.errors import Conflict, NotFound
from marketing_agent.core.logging import get_logger
from marketing_agent.core.settings import Settings
from marketing_agent.safety.content import (
    REVIEW_THRESHOLD,
    Blacklist,
    check_text,
    default_blacklist_with,
    normalize_term,
    verdict_of,
)
from marketing_agent.safety.models import BlacklistTerm, LearnedSenderRate
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
    SenderRateLimiter,
)
from marketing_agent.safety.schemas import BlacklistTermCreate, ContentVerdict, Reason, Severity
from marketing_agent.safety.telegram_rules import (
    CAPTION_MAX,
    OptOutMode,
    check_buttons,
    ensure_opt_out,
)
from marketing_agent.telegram.transport import Button

log = get_logger(__name__)

__all__ = [
    "LocalRateLimits",
    "RateLimits",
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
    max_len: int = 4096,
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
        self, blacklist: Blacklist, *, max_len: int = 4096, rules: ContentRules | None = None
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

    def prepare(
        self,
        text: str,
        *,
        buttons: Sequence[Sequence[Button]] = (),
        parse_mode: str | None = None,
        caption: bool = False,
        marketing_from_bot: bool = True,
    ) -> tuple[str, ContentVerdict]:
        """Returns the text to send (with the opt-out line when the rules add it) and its one
        verdict: the content check, Telegram's button rules and the way-out rule together."""
        notes: list[Reason] = []
        if marketing_from_bot:
            text, notes = ensure_opt_out(text, buttons, mode=self.rules.opt_out)
        verdict = self.check(text, parse_mode=parse_mode, max_len=CAPTION_MAX if caption else None)
        extra = notes + check_buttons(buttons)
        if not extra:
            return text, verdict
        reasons = [*verdict.reasons, *extra]
        return text, verdict_of(reasons, review_threshold=self.rules.review_threshold)


async def load_content_policy(
    *, session: AsyncSession | None, max_len: int = 4096, rules: ContentRules | None = None
) -> ContentPolicy:
    """Returns the content policy with the user's blacklist as it is in the database now."""
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
