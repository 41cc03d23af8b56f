"""User accounts in the pool: each its own connection from its decrypted session; PEER_FLOOD
pauses the account (never another account instead), FloodWaits are counted, a connection given
up on makes the sender unhealthy, all recorded in the database with an audit entry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession
from structlog.testing import capture_logs
from telethon import errors

from marketing_agent.compliance import service as compliance
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.crypto import SecretBox
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.models import Sender
from marketing_agent.telegram.pool import PEER_FLOOD_PAUSE
from marketing_agent.telegram.schemas import SenderStatus
from marketing_agent.telegram.telethon_transport import TelethonCredentials
from marketing_agent.telegram.transport import SendStatus
from tests.telegram.factories import message
from tests.telegram.mtproto import ScriptedAccounts

SESSION = "1BVtsOK4Bu-user-account-session-string-secret"
API_HASH = "0123456789abcdef0123456789abcdef"
BOX = SecretBox("pool-test-key")


@pytest.fixture
def accounts(transports: telegram.TransportPool) -> Iterator[ScriptedAccounts]:
    scripted = ScriptedAccounts()
    transports.use_telethon_clients(scripted)
    transports.use_secret_box(BOX)
    yield scripted


async def loaded(session: AsyncSession, pool: telegram.TransportPool) -> None:
    """Loads the senders into the pool, as the worker does every round."""
    await telegram.load_senders(session=session, transports=pool)


async def user_account(
    session: AsyncSession,
    pool: telegram.TransportPool,
    name: str = "Sales account",
    session_string: str = SESSION,
) -> telegram.SenderInfo:
    created = await telegram.create_user_account(
        session=session,
        name=name,
        api_id=12345,
        api_hash=API_HASH,
        session_string=session_string,
        secret_box=BOX,
        actor="user:alice",
    )
    return await telegram.load_sender(session=session, transports=pool, sender_id=created.id)


async def send(
    pool: telegram.TransportPool,
    sender: telegram.SenderInfo,
    chat_id: int = 77,
    random_id: int = 1,
) -> SendStatus:
    outcome = await telegram.send_message(
        transports=pool,
        sender_id=sender.id,
        profile_name=sender.profile.name,
        message=message(chat_id, random_id=random_id),
    )
    return outcome.status


async def audit_actions(
    session: AsyncSession, sender: telegram.SenderInfo
) -> list[tuple[str, str]]:
    entries, _ = await compliance.list_audit(
        session=session, entity_type="sender", entity_id=str(sender.id)
    )
    return [(e.action, e.actor) for e in entries]


async def test_a_user_account_sends_through_its_own_decrypted_session_and_no_log_shows_it(
    session: AsyncSession, accounts: ScriptedAccounts, transports: telegram.TransportPool
) -> None:
    with capture_logs() as logs:
        sender = await user_account(session, transports)
        status = await send(transports, sender)

    assert status is SendStatus.SENT
    assert (sender.kind, sender.transport, sender.profile.name) == ("user", "telethon", "user")
    assert accounts.opened == [TelethonCredentials(12345, API_HASH, SESSION)]
    row = await session.get(Sender, sender.id)
    assert row is not None
    stored = f"{row.secret_encrypted} {row.api_hash_encrypted}"
    assert SESSION not in stored and API_HASH not in stored
    shown = repr(accounts.opened) + repr(transports.get(sender.id)) + repr(logs)
    assert SESSION not in shown and API_HASH not in shown


async def test_every_sender_keeps_its_own_connection(
    session: AsyncSession, accounts: ScriptedAccounts, transports: telegram.TransportPool
) -> None:
    first = await user_account(session, transports, "First", "session-one")
    second = await user_account(session, transports, "Second", "session-two")
    bot = await telegram.ensure_demo_sender(session=session)
    await loaded(session, transports)
    transports.started_chats(bot.id).add(77)

    statuses = [
        await send(transports, first),
        await send(transports, second),
        await send(transports, second, 78, 2),
        await send(transports, bot),
    ]

    assert statuses == [SendStatus.SENT] * 4
    assert [len(accounts.of(s).sent) for s in ("session-one", "session-two")] == [1, 2]
    assert [accounts.of(s).connects for s in ("session-one", "session-two")] == [1, 1]


async def test_peer_flood_pauses_that_account_for_a_day_while_other_senders_go_on(
    session: AsyncSession,
    accounts: ScriptedAccounts,
    virtual_clock: VirtualClock,
    transports: telegram.TransportPool,
) -> None:
    limited = await user_account(session, transports, "Limited", "session-limited")
    other = await user_account(session, transports, "Other", "session-other")
    accounts.of("session-limited").errors.append(errors.PeerFloodError(request=None))

    first = await send(transports, limited, random_id=1)
    held = await telegram.send_message(
        transports=transports,
        sender_id=limited.id,
        profile_name="user",
        message=message(78, random_id=2),
    )
    others = await send(transports, other)
    await telegram.record_sender_health(
        session=session, transports=transports
    )  # the health job (scheduler, worker)
    [stored, _] = await telegram.list_senders(session=session)

    assert first is SendStatus.SENDER_UNHEALTHY
    assert (held.status, held.reason) == (SendStatus.SENDER_UNHEALTHY, "sender_paused")
    assert len(accounts.of("session-limited").requests) == 1  # the held send never left
    assert others is SendStatus.SENT
    assert (stored.status, stored.status_reason) == ("paused", "peer_flood")
    assert stored.paused_until == virtual_clock.now() + PEER_FLOOD_PAUSE
    assert ("sender.paused", "system:telegram") in await audit_actions(session, limited)

    virtual_clock.advance(PEER_FLOOD_PAUSE.total_seconds() + 1)
    await telegram.record_sender_health(session=session, transports=transports)
    [resumed, _] = await telegram.list_senders(session=session)
    after = await send(transports, limited, random_id=3)

    assert (resumed.status, resumed.status_reason) == ("active", None)
    assert after is SendStatus.SENT
    assert ("sender.active", "system") in await audit_actions(session, limited)


async def test_every_flood_wait_is_counted_and_logged_as_its_own_event(
    session: AsyncSession,
    accounts: ScriptedAccounts,
    virtual_clock: VirtualClock,
    transports: telegram.TransportPool,
) -> None:
    sender = await user_account(session, transports)
    labels = {"sender_id": str(sender.id), "transport": "telethon"}
    before = REGISTRY.get_sample_value("ma_telegram_flood_waits_total", labels) or 0.0
    observed = (
        REGISTRY.get_sample_value("ma_telegram_flood_wait_seconds_count", {"transport": "telethon"})
        or 0.0
    )
    accounts.of(SESSION).errors.append(errors.FloodWaitError(request=None, capture=7))

    with capture_logs() as logs:
        status = await send(transports, sender)
        pending = await send(
            transports, sender, random_id=2
        )  # inside the wait: kept by us, not asked again

    assert (status, pending) == (SendStatus.RETRY_AFTER, SendStatus.RETRY_AFTER)
    assert REGISTRY.get_sample_value("ma_telegram_flood_waits_total", labels) == before + 1
    assert (
        REGISTRY.get_sample_value("ma_telegram_flood_wait_seconds_count", {"transport": "telethon"})
        == observed + 1
    )
    [event] = [e for e in logs if e["event"] == "telegram.flood_wait"]
    assert event["sender_id"] == sender.id and 7 <= event["retry_after_s"] <= 8


async def test_a_connection_given_up_on_makes_the_sender_unhealthy_with_an_audit_entry(
    session: AsyncSession,
    accounts: ScriptedAccounts,
    virtual_clock: VirtualClock,
    transports: telegram.TransportPool,
) -> None:
    sender = await user_account(session, transports)
    accounts.of(SESSION).connect_errors.extend([ConnectionError("unreachable")] * 20)

    first = await send(transports, sender)
    await virtual_clock.sleep(timedelta(hours=1).total_seconds())
    await telegram.record_sender_health(session=session, transports=transports)  # the health job
    [stored] = await telegram.list_senders(session=session)

    assert first is SendStatus.RETRY_BACKOFF
    assert (stored.status, stored.status_reason) == ("unhealthy", "connection_lost")
    assert ("sender.unhealthy", "system:telegram") in await audit_actions(session, sender)


async def test_an_operator_making_the_sender_active_again_gets_a_fresh_connection(
    session: AsyncSession, accounts: ScriptedAccounts, transports: telegram.TransportPool
) -> None:
    sender = await user_account(session, transports)
    accounts.of(SESSION).errors.append(errors.AuthKeyUnregisteredError(request=None))
    assert await send(transports, sender) is SendStatus.SENDER_UNHEALTHY
    await telegram.record_sender_health(session=session, transports=transports)

    await telegram.set_sender_status(
        session=session,
        transports=transports,
        sender_id=sender.id,
        status=SenderStatus.ACTIVE,
        actor="user:alice",
    )

    assert await send(transports, sender, random_id=2) is SendStatus.SENT
    assert accounts.of(SESSION).disconnects == 1


async def test_a_secret_the_key_cannot_open_makes_the_sender_unhealthy_not_the_worker_crash(
    session: AsyncSession, accounts: ScriptedAccounts, transports: telegram.TransportPool
) -> None:
    sender = await user_account(session, transports)
    transports.use_secret_box(SecretBox("some-other-key"))

    outcome = await telegram.send_message(
        transports=transports,
        sender_id=sender.id,
        profile_name="user",
        message=message(77, random_id=1),
    )

    assert (outcome.status, outcome.reason) == (SendStatus.SENDER_UNHEALTHY, "secret_unreadable")
    assert accounts.opened == []
