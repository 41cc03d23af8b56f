"""Shared set-up of the benchmarks: a migrated database with a sender, consenting contacts (some
of them groups) and running campaigns, made through the real services."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

from sqlalchemy import insert

from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.schemas import ConsentCreate
from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.migrate import upgrade
from marketing_agent.orchestrator import flows
from marketing_agent.orchestrator.models import Contact
from marketing_agent.orchestrator.schemas import CampaignCreate, VariantIn
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.profiles import PROFILES, SenderProfile
from marketing_agent.telegram.schemas import SenderCreate, SenderKind, TransportKind

# Benchmarks measure the engine, not the campaign policy: no frequency cap, no quiet hours.
os.environ.setdefault("MA_FREQUENCY_CAP_COUNT", "0")
os.environ.setdefault("MA_QUIET_HOURS", "off")
os.environ.setdefault("MA_LOG_LEVEL", "WARNING")
TEXT = "Hi {first_name}, our winter boots are 20% off this week."
# No limits anywhere (limiter and simulator): what the pipeline alone can do.
UNBOUNDED = SenderProfile(
    name="unbounded", global_per_s=1e9, private_per_chat_s=0.0, group_per_min=10**9
)
PROFILES.setdefault(UNBOUNDED.name, UNBOUNDED)


def settings() -> Settings:
    return Settings(data_dir=Path(tempfile.mkdtemp()), llm_provider="offline", quiet_hours="off")  # type: ignore[call-arg]


async def sqlite_database() -> Database:
    path = Path(tempfile.mkdtemp()) / "bench.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    return Database(url)


def chat_ids(contacts: int, *, group_share: float = 0.0, seed: int = 1) -> list[int]:
    """Returns the Telegram ids `seed()` gives its contacts (negative: groups)."""
    rng = random.Random(seed)
    return [
        -(1_000_000 + n) if rng.random() < group_share else 1_000_000 + n for n in range(contacts)
    ]


async def seed(
    db: Database,
    *,
    transports: telegram.TransportPool,
    contacts: int,
    profile: str,
    group_share: float = 0.0,
    seed: int = 1,
) -> int:
    """Creates a simulator sender with `profile` and consenting contacts, all of whom started
    it (in `transports`, the process's); returns the sender."""
    async with db.session() as session:
        kind = SenderKind.USER if profile == "user" else SenderKind.BOT
        sender = await telegram.create_sender(
            session=session,
            sender_in=SenderCreate(
                name=f"bench-{profile}",
                kind=kind,
                transport=TransportKind.SIMULATOR,
                profile=profile,
            ),
        )
        rows = [
            {"telegram_id": chat, "first_name": f"P{n}", "tags": [], "attributes": {}}
            for n, chat in enumerate(chat_ids(contacts, group_share=group_share, seed=seed))
        ]
        ids: list[int] = []
        for start in range(0, contacts, 5000):
            result = await session.execute(
                insert(Contact).returning(Contact.id), rows[start : start + 5000]
            )
            ids += list(result.scalars())
        for start in range(0, len(ids), 5000):
            await compliance.record_consents(
                session=session,
                consents=[
                    ConsentCreate(
                        contact_id=i,
                        sender_id=sender.id,
                        purpose="marketing",
                        source="bench",
                        proof={"text": "yes"},
                    )
                    for i in ids[start : start + 5000]
                ],
                actor="bench",
            )
    # Each of them started the bot (the simulator, like Telegram, refuses anyone else).
    transports.started_chats(sender.id).update(row["telegram_id"] for row in rows)
    return sender.id


async def start_campaigns(db: Database, *, sender_id: int, count: int = 1) -> list[int]:
    """Starts `count` campaigns to every contact; returns their ids."""
    conf = settings()
    ids = []
    for n in range(count):
        async with db.session() as session:
            campaign = await flows.create_campaign(
                session=session,
                settings=conf,
                campaign_in=CampaignCreate(
                    name=f"Bench {n}",
                    goal="Winter boots sale",
                    sender_id=sender_id,
                    variants=[VariantIn(text=TEXT)],
                ),
                actor="bench",
            )
            await flows.submit_campaign(
                session=session, settings=conf, campaign_id=campaign.id, actor="bench"
            )
            ids.append(campaign.id)
    async with db.session() as session:
        await flows.start_due_campaigns(session=session)
    return ids
