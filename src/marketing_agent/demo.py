"""Demo data for `marketing-agent run --demo`, and the terminal demo: a whole campaign on the
Telegram simulator's virtual clock, from the strategist's variants to the per-variant verdict."""

from __future__ import annotations

import csv
import io
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.clock import VirtualClock
from marketing_agent.core.db import Database
from marketing_agent.core.logging import configure_logging
from marketing_agent.core.settings import Settings
from marketing_agent.experiments import service as experiments
from marketing_agent.migrate import upgrade
from marketing_agent.orchestrator import contacts_import, flows, scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import (
    CampaignCreate,
    DailyWindowIn,
    SegmentCreate,
    SegmentFilter,
    VariantIn,
)
from marketing_agent.orchestrator.state_machine import CampaignStatus
from marketing_agent.runtime import Runtime, open_runtime
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.simulator import BehaviourModel, RecipientBehaviour

DEMO_ACTOR = "system:demo"
DEMO_OPT_IN_AT = datetime(2026, 1, 1, tzinfo=UTC)  # when the demo's people started the bot
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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["telegram_id", "first_name", "language", "timezone", "tags", "consent_at", "consent_proof"]
    )
    for n in range(count):
        language, timezone = rng.choice(LANGUAGES)
        tags = ";".join(sorted(rng.sample(TAGS, rng.randint(0, 2))))
        consented = rng.random() < consent_share
        consent_at = DEMO_OPT_IN_AT.isoformat() if consented else ""
        # A comma inside the proof: the csv writer quotes it, so it arrives whole.
        proof = "pressed 'Yes, subscribe' after /start shop_footer, in the bot" if consented else ""
        writer.writerow(
            [700_000_000 + n, rng.choice(FIRST_NAMES), language, timezone, tags, consent_at, proof]
        )
    return out.getvalue().encode()


def _chats_that_started(csv_data: bytes) -> list[int]:
    """Returns the Telegram ids of the CSV's rows that opted in (through the bot's /start)."""
    rows = csv.DictReader(io.StringIO(csv_data.decode()))
    return [int(row["telegram_id"]) for row in rows if row["consent_at"]]


@dataclass
class DemoSeed:
    sender_id: int
    contacts: int


DEMO_SEGMENTS = (
    SegmentCreate(name="VIP customers", filter=SegmentFilter(tags_any=["vip"])),
    SegmentCreate(
        name="Boots fans in Germany", filter=SegmentFilter(tags_any=["boots"], languages=["de"])
    ),
    SegmentCreate(
        name="Newsletter, consented",
        filter=SegmentFilter(tags_all=["newsletter"], consent="granted"),
    ),
)


async def seed_demo(
    db: Database,
    *,
    transports: telegram.TransportPool,
    contacts: int = 300,
    seed: int = 7,
    fast: bool = True,
    settings: Settings | None = None,
    history: bool = False,
) -> DemoSeed:
    """Creates the demo bot, contacts with recorded consent and segments, once; with `history`,
    also campaigns that finished weeks ago (on a virtual clock) and one sending now."""
    async with db.session() as session:
        sender = await telegram.ensure_demo_sender(session=session)
        existing = (await orchestrator.list_contacts(session=session, limit=1))[1]
    transports.configure_simulator(sender.id, behaviour=demo_behaviour(fast=fast), seed=seed)
    csv_data = demo_contacts_csv(contacts, seed=seed)
    # The people who opted in started the bot (Telegram lets it write only to them); the
    # others are the shop's customers who never opened it.
    started = _chats_that_started(csv_data)
    transports.started_chats(sender.id).update(started)
    if existing:
        return DemoSeed(sender_id=sender.id, contacts=existing)
    # The people were added when they opted in, before the history's campaigns reached them: a
    # contact page must not read "Added" after the date of its messages.
    real = clock.get_clock()
    clock.set_clock(VirtualClock(min(DEMO_OPT_IN_AT, real.now() - timedelta(days=HISTORY_DAYS))))
    try:
        async with db.session() as session:
            result = await contacts_import.import_contacts(
                session=session,
                data=csv_data,
                sender_id=sender.id,
                purpose="marketing",
                actor=DEMO_ACTOR,
                suppression_key=None,  # the demo's database is new: nobody was erased from it
                lawful_basis=compliance.LawfulBasis.CONSENT,
                evidence="the demo's sign-up form",
            )
    finally:
        clock.set_clock(real)
    async with db.session() as session:
        await telegram.record_chats_started(
            session=session, sender_id=sender.id, chat_ids=started, at=DEMO_OPT_IN_AT
        )
        segment_ids = [
            (await orchestrator.create_segment(session=session, segment_in=segment_in)).id
            for segment_in in DEMO_SEGMENTS
        ]
    if history:
        demo_settings = (settings or Settings()).model_copy(
            update={"llm_provider": "offline", "review_all": False}
        )
        transports.configure_simulator(sender.id, behaviour=demo_behaviour(fast=False))
        runtime = open_runtime(demo_settings, role="demo", database=db, transports=transports)
        try:
            await _seed_history(runtime, demo_settings, vip_segment_id=segment_ids[0])
        finally:
            await runtime.limits.close()
        # The simulator remembers the virtual clock's times (per-chat limits, pending reactions):
        # forget it, so the server builds a fresh one on the real clock.
        await transports.close(sender.id)
        transports.configure_simulator(sender.id, behaviour=demo_behaviour(fast=fast))
        await _seed_running(db, demo_settings)
    return DemoSeed(sender_id=sender.id, contacts=result.created)


HISTORY = (
    # (days ago, campaign): an A/B/C test to everyone, then a flagged one that went through review.
    (
        20,
        CampaignCreate(
            name="Winter boots sale",
            goal="Announce the winter boots sale: 20% off all boots until Sunday",
            cta_url="https://shop.example/boots",  # type: ignore[arg-type]
            quiet_hours=None,
            variants=[
                VariantIn(text="Hi {first_name}, winter boots are 20% off until Sunday."),
                VariantIn(text="{first_name}, cold feet? Every boot is 20% off this week."),
                VariantIn(
                    text="Last pairs in your size, {first_name}: 20% off boots until Sunday."
                ),
            ],
        ),
    ),
    (
        9,
        CampaignCreate(
            name="VIP early access",
            goal="Give VIP customers early access to the spring collection",
            cta_url="https://shop.example/spring",  # type: ignore[arg-type]
            quiet_hours=None,
            variants=[
                VariantIn(
                    text="Guaranteed the best spring styles, risk-free: VIP early access today."
                ),
                VariantIn(text="{first_name}, as a VIP you shop the spring collection first."),
            ],
        ),
    ),
)
# How far back the demo's history reaches (its first campaign's day, plus a day).
HISTORY_DAYS = max(days for days, _ in HISTORY) + 1


async def _seed_history(runtime: Runtime, settings: Settings, *, vip_segment_id: int) -> None:
    db = runtime.database
    """Runs the HISTORY campaigns on a virtual clock set weeks back, reactions over two days."""
    real = clock.get_clock()
    today = real.now().replace(hour=15, minute=0, second=0, microsecond=0)
    # One virtual clock for the whole history: its monotonic time (the rate limiter's) never
    # goes back between campaigns.
    virtual = VirtualClock(today - timedelta(days=HISTORY[0][0]))
    clock.set_clock(virtual)
    try:
        for days_ago, campaign_in in HISTORY:
            gap_s = (today - timedelta(days=days_ago) - virtual.now()).total_seconds()
            virtual.advance(max(0.0, gap_s))
            if days_ago < 10:
                campaign_in = campaign_in.model_copy(update={"segment_id": vip_segment_id})
            await _launch(db, settings, campaign_in)
            await _send_all(runtime)
            for _ in range(48):  # two simulated days of reads, clicks, conversions and /stop
                virtual.advance(3600)
                await scheduled.pull_inbound(runtime)
            await scheduled.tick(runtime)
    finally:
        clock.set_clock(real)


async def _launch(db: Database, settings: Settings, campaign_in: CampaignCreate) -> int:
    """Creates the campaign: the demo reviewer approves a flagged one; a safe one is submitted."""
    async with db.session() as session:
        campaign = await flows.create_campaign(
            session=session, settings=settings, campaign_in=campaign_in, actor=DEMO_ACTOR
        )
        campaign_id, status = campaign.id, campaign.status
    async with db.session() as session:
        if status == CampaignStatus.PENDING_REVIEW:
            reviews, _ = await orchestrator.list_reviews(session=session)
            review = next(r for r in reviews if r.campaign_id == campaign_id)
            await flows.decide_review(
                session=session,
                review_id=review.id,
                approve=True,
                note="Claims checked with the shop's returns policy.",
                actor="user:demo-reviewer",
            )
        else:
            await flows.submit_campaign(
                session=session, settings=settings, campaign_id=campaign_id, actor=DEMO_ACTOR
            )
    return campaign_id


async def _send_all(runtime: Runtime) -> None:
    await scheduled.tick(runtime)
    worker = runtime.delivery_worker(batch_size=500)
    try:
        while await worker.run_once():
            pass
    finally:
        await worker.close()


def running_send_window(now: datetime) -> DailyWindowIn:
    """The demo's running campaign's window: the two hours from the current hour in Berlin.

    Whatever the time of day, the contacts in Central Europe are in it at start-up (sent at
    once), London's an hour behind reach it within the hour and New York's hours later: the
    campaign is seen mid-send, never held at 0% by the hour the demo was started at.
    """
    start = now.astimezone(ZoneInfo("Europe/Berlin")).replace(minute=0, second=0, microsecond=0)
    return DailyWindowIn(start=f"{start:%H:%M}", end=f"{start + timedelta(hours=2):%H:%M}")


async def _seed_running(db: Database, settings: Settings) -> None:
    """A campaign sending now to the contacts in the window of their own day; the others wait."""
    await _launch(
        db,
        settings,
        CampaignCreate(
            name="Spring newsletter",
            goal="Monthly newsletter: what is new in spring",
            cta_url="https://shop.example/new",  # type: ignore[arg-type]
            quiet_hours=None,
            send_window=running_send_window(clock.now()),
            variants=[VariantIn(text="Hi {first_name}, here is what is new this spring.")],
        ),
    )


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
        runtime = open_runtime(settings, role="demo")
        db = runtime.database
        try:
            with console.status("Preparing contacts and consent records…"):
                demo = await seed_demo(
                    db, transports=runtime.transports, contacts=contacts, seed=seed, fast=False
                )
            campaign_id = await _create_and_launch(console, db, settings, variant_count)
            sim_started = clock.get_clock().monotonic()
            await _send_with_progress(console, runtime, campaign_id)
            sent_s = clock.get_clock().monotonic() - sim_started
            await _collect_reactions(runtime)
            await _print_results(console, db, runtime.transports, campaign_id, demo, sent_s)
        finally:
            await runtime.close()
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


async def _send_with_progress(console: Console, runtime: Runtime, campaign_id: int) -> None:
    db = runtime.database
    await scheduled.tick(runtime)
    async with db.session() as session:
        total = (await orchestrator.delivery_counts(session=session, campaign_ids=[campaign_id]))[
            campaign_id
        ].queued
    worker = runtime.delivery_worker(batch_size=500)
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
    await scheduled.tick(runtime)


async def _collect_reactions(runtime: Runtime) -> None:
    """Lets simulated hours pass so that reads, clicks and conversions come in."""
    virtual = clock.get_clock()
    assert isinstance(virtual, VirtualClock)
    for _ in range(48):
        virtual.advance(300)
        await scheduled.pull_inbound(runtime)


async def _print_results(
    console: Console,
    db: Database,
    transports: telegram.TransportPool,
    campaign_id: int,
    demo: DemoSeed,
    sent_s: float,
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
    sim = transports.simulator(demo.sender_id).stats
    console.print(
        f"{counts.sent} sent, {counts.skipped} skipped (no consent), {counts.failed} failed · "
        f"simulated sending time {sent_s:.0f} s at {sim.achieved_per_s:.1f} msg/s "
        f"(bot limit 30/s) · FloodWaits: {sim.flood_waits} · most received by one chat: "
        f"{sim.max_received}"
    )
    if results.leader:
        console.print(f"Most likely best: [bold green]{results.leader}[/]")
