"""Demo data for `marketing-agent run --demo`, and the terminal demo: a whole campaign on the
Telegram simulator's virtual clock, from the strategist's variants to the per-variant verdict."""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from marketing_agent.analytics import service as analytics
from marketing_agent.core import clock
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.logging import configure_logging
from marketing_agent.core.settings import Settings
from marketing_agent.experiments import service as experiments
from marketing_agent.migrate import upgrade
from marketing_agent.orchestrator import contacts_import, flows, scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import CampaignCreate, SegmentCreate, SegmentFilter
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.simulator import BehaviourModel, RecipientBehaviour

DEMO_ACTOR = "system:demo"
FIRST_NAMES = (
    "Ana",
    "Ben",
    "Chloé",
    "Dmitri",
    "Eva",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kira",
    "Luca",
    "Maya",
    "Noah",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
)
LANGUAGES = (
    ("en", "Europe/London"),
    ("de", "Europe/Berlin"),
    ("fr", "Europe/Paris"),
    ("es", "Europe/Madrid"),
    ("en", "America/New_York"),
)
TAGS = ("boots", "vip", "newsletter", "sale", "new")


def demo_behaviour(*, fast: bool) -> BehaviourModel:
    """Simulated recipients whose clicks rise from variant A to E (fast: reactions in seconds)."""
    scale = 0.02 if fast else 1.0

    def arm(click_p: float) -> RecipientBehaviour:
        return RecipientBehaviour(
            read_p=0.72,
            click_p=click_p,
            reply_p=0.03,
            convert_p=0.25,
            stop_p=0.01,
            read_delay_s=600 * scale,
            click_delay_s=40 * scale,
            reply_delay_s=120 * scale,
            convert_delay_s=600 * scale,
            stop_delay_s=60 * scale,
        )

    return BehaviourModel(
        default=arm(0.10),
        variants={"A": arm(0.10), "B": arm(0.13), "C": arm(0.16), "D": arm(0.12), "E": arm(0.09)},
    )


def demo_contacts_csv(count: int, *, seed: int, consent_share: float = 0.95) -> bytes:
    """Returns a contacts CSV; most rows carry the time and proof of a /start opt-in."""
    rng = random.Random(seed)
    lines = ["telegram_id,first_name,language,timezone,tags,consent_at,consent_proof"]
    for n in range(count):
        language, timezone = rng.choice(LANGUAGES)
        tags = ";".join(sorted(rng.sample(TAGS, rng.randint(0, 2))))
        consented = rng.random() < consent_share
        consent_at = "2026-01-01T00:00:00+00:00" if consented else ""
        proof = "pressed 'Yes, subscribe' after /start shop_footer" if consented else ""
        lines.append(
            f"{700_000_000 + n},{rng.choice(FIRST_NAMES)},{language},{timezone},"
            f"{tags},{consent_at},{proof}"
        )
    return ("\n".join(lines) + "\n").encode()


@dataclass
class DemoSeed:
    sender_id: int
    contacts: int


async def seed_demo(
    db: Database, *, contacts: int = 300, seed: int = 7, fast: bool = True
) -> DemoSeed:
    """Creates the demo bot, contacts with recorded consent and a segment, once."""
    async with db.session() as session:
        sender = await telegram.ensure_demo_sender(session=session)
        existing = (await orchestrator.list_contacts(session=session, limit=1))[1]
    telegram.pool().configure_simulator(sender.id, behaviour=demo_behaviour(fast=fast), seed=seed)
    if existing:
        return DemoSeed(sender_id=sender.id, contacts=existing)
    async with db.session() as session:
        result = await contacts_import.import_contacts(
            session=session,
            data=demo_contacts_csv(contacts, seed=seed),
            sender_id=sender.id,
            purpose="marketing",
            actor=DEMO_ACTOR,
            suppression_key=None,  # the demo's database is new: nobody was erased from it
        )
        await orchestrator.create_segment(
            session=session,
            segment_in=SegmentCreate(name="VIP customers", filter=SegmentFilter(tags_any=["vip"])),
        )
    return DemoSeed(sender_id=sender.id, contacts=result.created)


async def run_terminal_demo(
    console: Console, *, contacts: int, variant_count: int, seed: int
) -> None:
    """Runs one campaign to `contacts` simulated people and prints the per-variant verdict."""
    configure_logging("WARNING", json=False)
    # A Tuesday at 15:00 UTC: afternoon in Europe, morning in New York, so that every contact
    # is inside the default send hours (MA_QUIET_HOURS) in their own time zone.
    previous_clock = clock.set_clock(VirtualClock(datetime(2026, 1, 6, 15, 0, tzinfo=UTC)))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ma-demo-") as folder:
        settings = Settings(data_dir=Path(folder), llm_provider="offline", review_all=False)
        await upgrade(settings.resolved_database_url)
        db = Database(settings.resolved_database_url)
        try:
            with console.status("Preparing contacts and consent records…"):
                demo = await seed_demo(db, contacts=contacts, seed=seed, fast=False)
            campaign_id = await _create_and_launch(console, db, settings, variant_count)
            sim_started = clock.get_clock().monotonic()
            await _send_with_progress(console, db, campaign_id)
            sent_s = clock.get_clock().monotonic() - sim_started
            await _collect_reactions(db)
            await _print_results(console, db, campaign_id, demo, sent_s)
        finally:
            await telegram.shutdown()
            await db.dispose()
            clock.set_clock(previous_clock)
    console.print(f"[dim]Real time: {time.perf_counter() - started:.1f} s.[/]")


async def _create_and_launch(
    console: Console, db: Database, settings: Settings, variant_count: int
) -> int:
    async with db.session() as session:
        campaign = await flows.create_campaign(
            session=session,
            settings=settings,
            actor=DEMO_ACTOR,
            campaign_in=CampaignCreate(
                name="Winter boots sale",
                variant_count=variant_count,
                goal="Announce our winter boots sale: 20% off all boots until Sunday",
                cta_url="https://shop.example/boots",  # type: ignore[arg-type]
            ),
        )
        campaign_id, status, provider = campaign.id, campaign.status, campaign.agent_provider
        variants = [(v.key, v.text) for v in campaign.variants]
    console.print(f"[bold]Campaign {campaign_id}[/] drafted by the [cyan]{provider}[/] strategist:")
    for key, text in variants:
        console.print(f"  [bold]{key}[/] {text}")
    async with db.session() as session:
        if status == CampaignStatus.PENDING_REVIEW:
            reviews, _ = await orchestrator.list_reviews(session=session)
            await flows.decide_review(
                session=session,
                review_id=reviews[0].id,
                approve=True,
                note="approved by the demo",
                actor=DEMO_ACTOR,
            )
            console.print("[yellow]The safety guard sent it to review; the demo approved it.[/]")
        else:
            await flows.submit_campaign(
                session=session, settings=settings, campaign_id=campaign_id, actor=DEMO_ACTOR
            )
    return campaign_id


async def _send_with_progress(console: Console, db: Database, campaign_id: int) -> None:
    await scheduled.tick(db)
    async with db.session() as session:
        total = (await orchestrator.delivery_counts(session=session, campaign_ids=[campaign_id]))[
            campaign_id
        ].queued
    worker = DeliveryWorker(db, batch_size=500)
    columns = (
        TextColumn("Sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("virtual {task.fields[vt]:.0f} s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("send", total=total, vt=0.0)
        while True:
            done = await worker.run_once()
            progress.update(task, advance=done, vt=clock.get_clock().monotonic())
            if not done:
                break
    await scheduled.tick(db)


async def _collect_reactions(db: Database) -> None:
    """Lets simulated hours pass so that reads, clicks and conversions come in."""
    virtual = clock.get_clock()
    assert isinstance(virtual, VirtualClock)
    for _ in range(48):
        virtual.advance(300)
        await scheduled.pull_inbound(db)


async def _print_results(
    console: Console, db: Database, campaign_id: int, demo: DemoSeed, sent_s: float
) -> None:
    async with db.session() as session:
        stats = await analytics.campaign_stats(session=session, campaign_id=campaign_id)
        results = await experiments.campaign_results(session=session, campaign_id=campaign_id)
        counts = (await orchestrator.delivery_counts(session=session, campaign_ids=[campaign_id]))[
            campaign_id
        ]
    arms = {a.key: a for a in results.arms}
    table = Table(
        title=f"Campaign {campaign_id}: conversions per variant (Bayesian, Beta(1,1) prior)"
    )
    for column in (
        "Var",
        "Sent",
        "Deliv.",
        "Read",
        "Click",
        "Conv.",
        "Rate",
        "95% CrI",
        "P(beat A)",
    ):
        table.add_column(column, justify="right", no_wrap=True)
    for v in stats.variants:
        arm = arms.get(v.variant_key or "")
        rate = f"{arm.rate:.2%}" if arm and arm.rate is not None else "–"
        interval = f"{arm.ci_low:.1%}–{arm.ci_high:.1%}" if arm else "–"
        beat = (
            "control"
            if arm and arm.chance_to_beat_control is None
            else f"{arm.chance_to_beat_control:.1%}"
            if arm
            else "–"
        )
        table.add_row(
            v.variant_key,
            str(v.sent),
            str(v.delivered),
            str(v.read),
            str(v.clicked),
            str(v.converted),
            rate,
            interval,
            beat,
        )
    console.print(table)
    sim = telegram.pool().simulator(demo.sender_id).stats
    console.print(
        f"{counts.sent} sent, {counts.skipped} skipped (no consent), {counts.failed} failed · "
        f"simulated sending time {sent_s:.0f} s at {sim.achieved_per_s:.1f} msg/s "
        f"(bot limit 30/s) · FloodWaits: {sim.flood_waits} · most received by one chat: "
        f"{sim.max_received}"
    )
    if results.leader:
        console.print(f"Most likely best: [bold green]{results.leader}[/]")
