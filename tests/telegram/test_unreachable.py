"""A contact imported by CSV who never started the bot is out of its reach, as in Telegram: the
product counts them before a send (from the chats the bot has heard from) and records the
refusal on their delivery."""

from __future__ import annotations

from datetime import UTC, datetime

from marketing_agent.compliance import service as compliance
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.orchestrator import contacts_import, flows
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.transport import InboundEvent, InboundKind
from tests.factories import counts, drain, simulator_of, start_campaign, transports_of
from tests.telegram.factories import sender_in

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CSV = (
    b"telegram_id,first_name,consent_at,consent_proof\n"
    b"901,Ann,2026-11-01T10:00:00Z,signed up in the shop\n"
    b"902,Ben,2026-11-01T10:00:00Z,signed up in the shop\n"
    b"903,Cat,2026-11-01T10:00:00Z,signed up in the shop\n"
)


def event(kind: InboundKind, chat_id: int) -> InboundEvent:
    return InboundEvent(kind=kind, chat_id=chat_id, occurred_at=AT)


async def test_only_chats_the_bot_heard_from_count_as_reachable(any_db: Database) -> None:
    db = any_db  # the upsert is written per dialect
    async with db.session() as session:
        bot = await telegram.create_sender(session=session, sender_in=sender_in())
        account = await telegram.create_sender(
            session=session, sender_in=sender_in(kind="user", profile="user")
        )
        await flows.handle_inbound(
            session=session,
            sender_id=bot.id,
            events=[event("start", 801), event("reply", 802), event("read", 803)],
        )
        await flows.handle_inbound(session=session, sender_id=bot.id, events=[event("stop", 801)])
    async with db.session() as session:
        unreachable = await telegram.count_unreachable(
            session=session, sender_id=bot.id, telegram_ids=[801, 802, 803, 804, 804]
        )
        of_account = await telegram.count_unreachable(
            session=session, sender_id=account.id, telegram_ids=[801, 804]
        )

    assert unreachable == 2  # 803 only read (bots get no receipts anyway), 804 never wrote
    assert of_account == 0  # a user account may write to anyone


async def test_a_csv_contact_who_never_started_the_bot_fails_with_chat_not_found(
    db: Database, settings: Settings
) -> None:
    async with db.session() as session:
        bot = await telegram.create_sender(session=session, sender_in=sender_in())
        await contacts_import.import_contacts(
            session=session,
            data=CSV,
            sender_id=bot.id,
            purpose="marketing",
            actor="test",
            suppression_key=None,
            lawful_basis=compliance.LawfulBasis.CONSENT,
        )
    simulator = await simulator_of(db, bot.id)
    simulator.simulate_user_action("start", 901, text="/start")  # only Ann opens the bot
    events = await telegram.fetch_updates(transports=transports_of(db), sender_id=bot.id)
    async with db.session() as session:
        await flows.handle_inbound(session=session, sender_id=bot.id, events=events)
    async with db.session() as session:
        before_submit = await telegram.count_unreachable(
            session=session, sender_id=bot.id, telegram_ids=[901, 902, 903]
        )

    campaign_id = await start_campaign(db, settings, sender_id=bot.id)
    await drain(db, DeliveryWorker(db, transports=transports_of(db)))

    assert before_submit == 2
    final = await counts(db, campaign_id)
    assert (final.sent, final.failed) == (1, 2)
    async with db.session() as session:
        failed, _ = await orchestrator.list_deliveries(
            session=session, campaign_id=campaign_id, status="failed"
        )
    assert {d.reason for d in failed} == {"chat_not_found"}
    assert simulator.stats.received == {901: 1}
