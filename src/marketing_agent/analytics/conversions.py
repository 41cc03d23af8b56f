"""Conversions from the customer's shop: batches and signed webhooks, attributed to a delivery.

A conversion is attributed (last touch) to the delivery named by its tracked-link token
(`ref`, the `ma_ref` the redirect handed the shop) or else to the contact's latest `sent` event
(in `campaign_id` when given), provided that send is at most the attribution window before the
conversion. Each event is recorded once per (source, id) however often it arrives.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, NamedTuple, cast

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import journeys
from marketing_agent.analytics.links import LinkExpired, LinkInvalid, LinkTracker, read_token
from marketing_agent.analytics.models import Event
from marketing_agent.analytics.schemas import EventType
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.db import driver_rows, in_chunks
from marketing_agent.core.errors import Unauthorized
from marketing_agent.core.validation import DbId

MAX_BATCH = 1000
SIGNATURE_HEADER = "X-MA-Signature"
TIMESTAMP_HEADER = "X-MA-Timestamp"


class ConversionIn(BaseModel):
    """One conversion as the shop reports it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=128, description="The shop's id of the event.")
    occurred_at: AwareDatetime
    value: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=6)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR.")
    ref: str | None = Field(
        None, max_length=2048, description="The `ma_ref` our redirect added to the link."
    )
    contact_id: DbId | None = None
    campaign_id: DbId | None = None

    @model_validator(mode="after")
    def _attributable_and_priced(self) -> ConversionIn:
        if self.ref is None and self.contact_id is None:
            raise ValueError("name the tracked link (ref) or the contact (contact_id)")
        if self.value is not None and self.currency is None:
            raise ValueError("a value needs its currency")
        return self


class ConversionBatch(BaseModel):
    source: str = Field(
        min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$", description="e.g. shop"
    )
    events: list[Any] = Field(
        max_length=MAX_BATCH, description="Conversions; each is checked on its own."
    )


class ConversionResult(BaseModel):
    index: int
    id: str | None
    status: Literal["recorded", "duplicate", "unattributed", "rejected"]
    event_id: int | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list)


class ConversionBatchResult(BaseModel):
    recorded: int
    duplicates: int
    unattributed: int
    rejected: int
    results: list[ConversionResult]


class Attribution(NamedTuple):
    """The delivery a conversion is credited to (a tuple: made once per conversion, and a
    frozen dataclass's field-by-field init cost more than the attribution's own work)."""

    campaign_id: int
    contact_id: int
    variant_key: str | None


_ONE = TypeAdapter(ConversionIn)


async def ingest(
    *,
    session: AsyncSession,
    source: str,
    events: Sequence[Any],
    tracker: LinkTracker,
    window: timedelta,
    contact_exists: Callable[..., Awaitable[bool]] | None = None,
) -> ConversionBatchResult:
    """Records the good conversions of a batch; returns per event what became of it.

    With `contact_exists`, a conversion whose person no longer exists (erased) is unattributed:
    an old link must not put their id back into the events."""
    results: list[ConversionResult] = []
    good: list[tuple[int, ConversionIn]] = []
    for index, raw in enumerate(events):
        try:
            good.append((index, _ONE.validate_python(raw)))
        except ValidationError as exc:
            raw_id = raw.get("id") if isinstance(raw, Mapping) else None
            results.append(
                ConversionResult(
                    index=index,
                    id=str(raw_id) if raw_id is not None else None,
                    status="rejected",
                    errors=[_error(index, e) for e in exc.errors()],
                )
            )
    seen = await _known_ids(session, source, [c.id for _, c in good])
    sends = await _sends_of(session, [c for _, c in good if c.ref is None], window)
    exists: dict[int, bool] = {}
    rows: list[tuple[int, dict[str, Any]]] = []
    for index, conversion in good:
        if conversion.id in seen:
            results.append(_result(index, conversion.id, "duplicate"))
            continue
        seen.add(conversion.id)
        attribution = _attribute(conversion, sends, tracker=tracker, window=window)
        # Attributed by a send of theirs, the person exists: an erasure anonymises every event
        # of theirs. A tracked link's token outlives them, so only that path asks.
        if attribution is not None and contact_exists is not None and conversion.ref is not None:
            contact_id = attribution.contact_id
            if contact_id not in exists:
                exists[contact_id] = await contact_exists(session=session, contact_id=contact_id)
            if not exists[contact_id]:
                attribution = None
        if attribution is None:
            results.append(
                ConversionResult(
                    index=index,
                    id=conversion.id,
                    status="unattributed",
                    errors=[
                        {
                            "loc": ["body", "events", index],
                            "msg": "no delivery of ours to this person within the "
                            f"attribution window ({window / timedelta(days=1):g} days) before it",
                            "type": "unattributed",
                        }
                    ],
                )
            )
            continue
        rows.append((index, _row(source, conversion, attribution)))
    ids = await _insert(session, [row for _, row in rows])
    for (index, row), event_id in zip(rows, ids, strict=True):
        status: Literal["recorded", "duplicate"] = (
            "recorded" if event_id is not None else "duplicate"
        )
        results.append(_result(index, row["external_id"], status, event_id))
    results.sort(key=lambda r: r.index)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("recorded", "duplicate")}
    return ConversionBatchResult(
        recorded=counts["recorded"],
        duplicates=counts["duplicate"],
        unattributed=sum(1 for r in results if r.status == "unattributed"),
        rejected=sum(1 for r in results if r.status == "rejected"),
        results=results,
    )


async def audit_batch(
    *, session: AsyncSession, actor: str, source: str, result: ConversionBatchResult
) -> None:
    """Audits one ingested batch (not each conversion): who sent it, from which source, what
    became of it and the ids of the events it recorded, which name the rows to look up."""
    await compliance.audit(
        session=session,
        actor=actor,
        action="conversions.ingested",
        entity_type="conversion_source",
        entity_id=source,
        data={
            "recorded": result.recorded,
            "duplicates": result.duplicates,
            "unattributed": result.unattributed,
            "rejected": result.rejected,
            "event_ids": [r.event_id for r in result.results if r.event_id is not None],
        },
    )


def check_signature(
    *,
    secrets: Mapping[str, str],
    source: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    tolerance_s: float,
    now: datetime,
) -> None:
    """Raises Unauthorized unless `signature` is `sha256=` HMAC-SHA256 of "<timestamp>.<body>"
    with the source's secret and the timestamp (Unix seconds) is within the tolerance of now."""
    secret = secrets.get(source)
    if secret is None:
        raise Unauthorized(f"No webhook secret is configured for source '{source}'.")
    try:
        sent_at = float(timestamp or "")
    except ValueError:
        raise Unauthorized(f"{TIMESTAMP_HEADER} must be Unix seconds.") from None
    if abs(now.timestamp() - sent_at) > tolerance_s:
        raise Unauthorized(f"{TIMESTAMP_HEADER} is more than {tolerance_s:g} s from now.")
    expected = "sha256=" + sign(secret=secret, timestamp=timestamp or "", body=body)
    if not hmac.compare_digest(expected.encode(), (signature or "").encode()):
        raise Unauthorized(f"{SIGNATURE_HEADER} does not match the body.")


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """Returns the hex HMAC-SHA256 a source puts in its signature header."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def parse_secrets(value: str | None) -> dict[str, str]:
    """Returns {source: secret} of MA_CONVERSION_WEBHOOK_SECRETS ("shop:s3cret,pos:other")."""
    pairs = (part.split(":", 1) for part in (value or "").split(",") if ":" in part)
    return {name.strip(): secret.strip() for name, secret in pairs if name.strip() and secret}


# A contact's sends that may explain a batch's conversions: (at, event id, campaign, variant).
_Send = tuple[datetime, int, int | None, str | None]


async def _sends_of(
    session: AsyncSession, batch: Sequence[ConversionIn], window: timedelta
) -> dict[int, list[_Send]]:
    """The `sent` events of the batch's contacts within the window before any of its
    conversions, read in one query per 900 contacts (not one per conversion)."""
    contact_ids = sorted({c.contact_id for c in batch if c.contact_id is not None})
    if not contact_ids:
        return {}
    earliest = min(c.occurred_at for c in batch) - window
    latest = max(c.occurred_at for c in batch)
    found: dict[int, list[_Send]] = {}
    query = select(
        Event.contact_id, Event.occurred_at, Event.id, Event.campaign_id, Event.variant_key
    ).where(
        Event.contact_id.in_(bindparam("ids", expanding=True)),
        Event.type == EventType.SENT.value,
        Event.occurred_at >= earliest,
        Event.occurred_at <= latest,
    )
    for chunk in in_chunks(contact_ids):
        rows = await session.execute(query, {"ids": chunk})
        for contact_id, at, event_id, campaign_id, variant_key in rows:
            if contact_id is None:
                continue
            found.setdefault(contact_id, []).append((at, event_id, campaign_id, variant_key))
    return found


def _attribute(
    conversion: ConversionIn,
    sends: Mapping[int, Sequence[_Send]],
    *,
    tracker: LinkTracker,
    window: timedelta,
) -> Attribution | None:
    # In the sends' own time zone object: aware datetimes of different tzinfo objects compare
    # through utcoffset() calls, which cost more than the rest of the attribution.
    at = conversion.occurred_at.astimezone(clock.UTC)
    if conversion.ref is not None:
        try:
            link = read_token(conversion.ref, tracker=tracker, now=at)
        except (LinkInvalid, LinkExpired):
            return None
        if not timedelta(0) <= at - link.issued_at <= window:
            return None
        return Attribution(link.campaign_id, link.contact_id, link.variant_key)
    if conversion.contact_id is None:
        return None
    candidates = [
        send
        for send in sends.get(conversion.contact_id, ())
        if at - window <= send[0] <= at
        and send[2] is not None
        and (conversion.campaign_id is None or send[2] == conversion.campaign_id)
    ]
    if not candidates:
        return None
    latest = max(candidates, key=lambda send: (send[0], send[1]))
    return Attribution(cast(int, latest[2]), conversion.contact_id, latest[3])


async def _known_ids(session: AsyncSession, source: str, ids: list[str]) -> set[str]:
    known: set[str] = set()
    # The ids as one expanding parameter: a list of 900 literals in the statement was cloned
    # for its cache key on every execution (a sixth of a batch's CPU).
    query = select(Event.external_id).where(
        Event.source == source, Event.external_id.in_(bindparam("ids", expanding=True))
    )
    for chunk in in_chunks(ids):
        rows = await session.scalars(query, {"ids": chunk})
        known.update(r for r in rows if r is not None)
    return known


def _row(source: str, conversion: ConversionIn, attribution: Attribution) -> dict[str, Any]:
    micros = int(conversion.value * 1_000_000) if conversion.value is not None else None
    properties: dict[str, Any] = {"source": source}
    if micros is not None:
        properties |= {"currency": conversion.currency, "value_micros": micros}
    return {
        "type": EventType.CONVERTED.value,
        "campaign_id": attribution.campaign_id,
        "variant_key": attribution.variant_key,
        "contact_id": attribution.contact_id,
        "sender_id": None,
        "occurred_at": conversion.occurred_at.astimezone(clock.UTC),
        "properties": properties,
        # Revenue is summed in USD only; other currencies keep their own value (no FX here).
        "value_usd_micros": micros if conversion.currency == "USD" else None,
        "anonymous_id": None,
        "source": source,
        "external_id": conversion.id,
    }


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int | None]:
    """Inserts rows in one statement, skipping any a concurrent batch recorded meanwhile;
    returns their ids (None: skipped) and folds the recorded ones into the journeys."""
    if not rows:
        return []
    table = cast(Table, Event.__table__)
    recorded: dict[str, int] = {}
    if session.get_bind().dialect.name == "postgresql":
        statement = (
            pg_insert(table)
            .on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(table.c.id, table.c.external_id)
        )
        for start in range(0, len(rows), 500):
            result = await session.execute(statement, rows[start : start + 500])
            recorded.update({external_id: event_id for event_id, external_id in result})
    else:  # SQLite: pages of 500 rows in one VALUES list each, bound through the driver
        connection = await session.connection()
        names = list(rows[0])
        values = driver_rows(table, names, rows, connection.dialect)
        one = f"({', '.join('?' for _ in names)})"
        for start in range(0, len(values), 500):
            page = values[start : start + 500]
            inserted = await connection.exec_driver_sql(
                f"INSERT INTO analytics_events ({', '.join(names)}) "  # noqa: S608 (column names)
                f"VALUES {', '.join(one for _ in page)} "
                "ON CONFLICT (source, external_id) DO NOTHING RETURNING id, external_id",
                tuple(value for row in page for value in row),
            )
            pairs = cast("list[tuple[int, str]]", inserted.all())  # (id, external_id)
            recorded.update({external_id: event_id for event_id, external_id in pairs})
    await journeys.maintain(session, [r for r in rows if r["external_id"] in recorded])
    return [recorded.get(r["external_id"]) for r in rows]


def _result(
    index: int,
    id_: str,
    status: Literal["recorded", "duplicate"],
    event_id: int | None = None,
) -> ConversionResult:
    """A good conversion's result. Validated: pydantic's `model_construct` (tried to skip the
    validation) took twice as long as validating these five fields in pydantic-core."""
    return ConversionResult(index=index, id=id_, status=status, event_id=event_id)


def _error(index: int, error: Any) -> dict[str, Any]:
    return {
        "loc": ["body", "events", index, *error["loc"]],
        "msg": error["msg"],
        "type": error["type"],
    }
