"""Senders: secrets stored encrypted and never shown; sends go through their transport."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import service as compliance
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.crypto import SecretBox
from marketing_agent.core.db import Database
from marketing_agent.core.errors import Conflict, NotFound, Unavailable, ValidationFailed
from marketing_agent.core.settings import Settings
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.models import Sender
from marketing_agent.telegram.schemas import SenderRead, SenderStatus
from marketing_agent.telegram.simulator import BehaviourModel, RecipientBehaviour
from marketing_agent.telegram.transport import SendStatus
from tests.telegram.factories import message, sender_in

TOKEN = "123456:AAE-secret-bot-token"


async def test_secret_is_stored_encrypted_and_never_shown(session: AsyncSession) -> None:
    box = SecretBox("test-secret-key")

    sender = await telegram.create_sender(
        session=session, sender_in=sender_in(secret=TOKEN), secret_box=box
    )
    shown = SenderRead.model_validate(sender).model_dump_json()
    stored = await session.get(Sender, sender.id)

    assert stored is not None and stored.secret_encrypted is not None
    assert TOKEN not in stored.secret_encrypted
    assert box.decrypt(stored.secret_encrypted) == TOKEN
    assert not hasattr(sender, "secret_encrypted")  # what other modules get holds no secret
    assert TOKEN not in shown and "secret_encrypted" not in shown
    assert SenderRead.model_validate(sender).has_secret is True


async def test_secret_without_an_encryption_key_is_refused(session: AsyncSession) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await telegram.create_sender(session=session, sender_in=sender_in(secret=TOKEN))

    assert refused.value.errors[0]["loc"] == ["body", "secret"]


async def test_sender_names_are_unique(session: AsyncSession) -> None:
    await telegram.create_sender(session=session, sender_in=sender_in(name="Shop bot"))

    with pytest.raises(Conflict):
        await telegram.create_sender(session=session, sender_in=sender_in(name="Shop bot"))


@pytest.mark.parametrize(
    "fields",
    [
        {"profile": "turbo"},
        {"transport": "carrier-pigeon"},
        {"kind": "user", "transport": "botapi"},
    ],
)
def test_unknown_profile_transport_or_misfit_is_rejected(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        sender_in(**fields)


async def test_creating_a_sender_is_audited(session: AsyncSession) -> None:
    sender = await telegram.create_sender(
        session=session, sender_in=sender_in(), actor="user:alice"
    )

    entries, _ = await compliance.list_audit(
        session=session, entity_type="sender", entity_id=str(sender.id)
    )

    assert [(e.action, e.actor) for e in entries] == [("sender.created", "user:alice")]


async def test_demo_sender_is_created_once(session: AsyncSession) -> None:
    first = await telegram.ensure_demo_sender(session=session)
    second = await telegram.ensure_demo_sender(session=session)

    assert first.id == second.id
    assert (first.kind, first.transport, first.profile.name) == ("bot", "simulator", "bot")
    assert [s.name for s in await telegram.list_senders(session=session)] == [
        telegram.DEMO_SENDER_NAME
    ]
    assert first.profile.global_per_s == 30


async def test_get_sender_or_raise_says_not_found(session: AsyncSession) -> None:
    assert await telegram.get_sender(session=session, sender_id=999) is None
    with pytest.raises(NotFound):
        await telegram.get_sender_or_raise(session=session, sender_id=999)


async def test_message_to_the_demo_sender_reaches_its_simulator_and_comes_back_as_events(
    session: AsyncSession, virtual_clock: VirtualClock, transports: telegram.TransportPool
) -> None:
    created = await telegram.ensure_demo_sender(session=session)
    sender = await telegram.load_sender(
        session=session, transports=transports, sender_id=created.id
    )
    instant_clicker = RecipientBehaviour(
        read_p=1.0, read_delay_s=0.0, click_p=1.0, click_delay_s=0.0, convert_p=0.0, stop_p=0.0
    )
    transports.configure_simulator(sender.id, behaviour=BehaviourModel(default=instant_clicker))
    transports.started_chats(sender.id).add(77)

    outcome = await telegram.send_message(
        transports=transports,
        sender_id=sender.id,
        profile_name=sender.profile.name,
        message=message(77),
    )
    events = await telegram.fetch_updates(transports=transports, sender_id=sender.id)

    assert outcome.status is SendStatus.SENT
    # A bot is told of the press, never that the message was read (no read receipts).
    assert [(e.kind, e.chat_id, e.message_id) for e in events] == [
        ("click", 77, outcome.message_id)
    ]
    assert transports.simulator(sender.id).stats.received == {77: 1}


async def test_the_demo_sender_cannot_write_to_someone_who_never_started_it(
    session: AsyncSession, virtual_clock: VirtualClock, transports: telegram.TransportPool
) -> None:
    created = await telegram.ensure_demo_sender(session=session)
    sender = await telegram.load_sender(
        session=session, transports=transports, sender_id=created.id
    )
    transports.started_chats(sender.id).add(77)

    outcome = await telegram.send_message(
        transports=transports,
        sender_id=sender.id,
        profile_name=sender.profile.name,
        message=message(78),
    )

    assert (outcome.status, outcome.reason) == (SendStatus.PERMANENT, "chat_not_found")
    assert transports.simulator(sender.id).stats.received == {}


def test_a_bot_api_sender_needs_a_bot_token() -> None:
    with pytest.raises(ValidationError, match="bot token"):
        sender_in(transport="botapi")
    with pytest.raises(ValidationError, match="bot token"):
        sender_in(transport="botapi", secret="not a token")
    assert sender_in(transport="botapi", secret=TOKEN).secret is not None


async def test_sender_never_loaded_in_this_process_is_refused_not_guessed(
    session: AsyncSession, transports: telegram.TransportPool
) -> None:
    stored = await telegram.create_sender(session=session, sender_in=sender_in())

    for sender_id in (4242, stored.id):  # unknown; stored, but never loaded by this process
        with pytest.raises(Unavailable, match="not loaded"):
            await telegram.send_message(
                transports=transports, sender_id=sender_id, profile_name="bot", message=message(1)
            )


async def test_two_runtimes_side_by_side_never_see_each_others_transports(
    db: Database, session: AsyncSession, virtual_clock: VirtualClock, tmp_path: Path
) -> None:
    """Two processes on one database: each has its own transports (its own simulator)."""
    from marketing_agent.runtime import open_runtime

    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)  # type: ignore[arg-type]
    first = open_runtime(settings, role="test", database=db)
    second = open_runtime(settings, role="test", database=db)
    try:
        sender = await telegram.ensure_demo_sender(session=session)
        await telegram.load_sender(
            session=session, transports=first.transports, sender_id=sender.id
        )
        first.transports.started_chats(sender.id).add(77)
        sent = await telegram.send_message(
            transports=first.transports,
            sender_id=sender.id,
            profile_name="bot",
            message=message(77),
        )

        assert sent.status is SendStatus.SENT
        assert first.transports is not second.transports
        with pytest.raises(Unavailable, match="not loaded"):
            await telegram.send_message(
                transports=second.transports,
                sender_id=sender.id,
                profile_name="bot",
                message=message(77),
            )
        await telegram.load_sender(
            session=session, transports=second.transports, sender_id=sender.id
        )
        refused = await telegram.send_message(  # its own simulator: nobody started that bot
            transports=second.transports,
            sender_id=sender.id,
            profile_name="bot",
            message=message(77),
        )
        assert (refused.status, refused.reason) == (SendStatus.PERMANENT, "chat_not_found")
        assert first.transports.simulator(sender.id).stats.received == {77: 1}
    finally:
        await first.close()
        await second.close()


async def test_pausing_a_sender_records_until_when(
    session: AsyncSession, virtual_clock: VirtualClock, transports: telegram.TransportPool
) -> None:
    sender = await telegram.create_sender(session=session, sender_in=sender_in())
    until = virtual_clock.now().replace(hour=1)

    paused = await telegram.set_sender_status(
        session=session,
        transports=transports,
        sender_id=sender.id,
        status=SenderStatus.PAUSED,
        paused_until=until,
    )

    assert (paused.status, paused.paused_until) == ("paused", until)
    assert not paused.is_active
    assert [s.id for s in await telegram.list_active_senders(session=session)] == []


async def test_other_modules_read_a_sender_as_a_frozen_info_that_knows_its_rules(
    session: AsyncSession,
) -> None:
    sender = await telegram.ensure_demo_sender(session=session)

    assert sender.is_active
    assert sender.profile.global_per_s == 30  # the limits it keeps, resolved once, here
    assert sender.deduplicates_resends  # the simulator drops a resend, as MTProto does
    assert not sender.answers_people  # its simulated recipients read nothing
    with pytest.raises(dataclasses.FrozenInstanceError):
        sender.status = SenderStatus.PAUSED  # type: ignore[misc]
