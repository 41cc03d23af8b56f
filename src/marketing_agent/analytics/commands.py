"""The analytics module's commands under `marketing-agent analytics`: a campaign's stats, its
funnel (overall, of a segment's people, by variant, sender or segment) and who dropped off, as
CSV (`add_analytics_commands` registers them on the CLI's group; the CLI hands over its settings
and one-shot runner)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # the CLI starts fast: the database layer loads only when a command runs
    from marketing_agent.analytics.schemas import Funnel

Campaign = Annotated[int, typer.Option("--campaign", min=1, help="The campaign's id.")]
Steps = Annotated[
    str,
    typer.Option(help="Steps in order, comma-separated (sent, delivered, read, clicked, "
                 "replied, converted, unsubscribed, failed)."),
]  # fmt: skip
WindowDays = Annotated[
    float | None,
    typer.Option(min=0.0001, help="Every step within this many days of the person's first step."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DataDir = Annotated[Path | None, typer.Option(help="Where the SQLite file and keys live.")]


class By(StrEnum):
    NONE = "none"
    VARIANT = "variant"
    SENDER = "sender"
    SEGMENT = "segment"


def add_analytics_commands(
    group: typer.Typer,
    *,
    settings_of: Callable[[Path | None], Any],
    one_shot: Callable[[Any, Callable[[Any], Awaitable[Any]]], Coroutine[Any, Any, Any]],
) -> None:
    """Registers stats, funnel and dropoff on `group`."""
    import asyncio

    console = Console()
    err_console = Console(stderr=True)

    from marketing_agent.core.console import fail
    from marketing_agent.core.errors import MarketingAgentError

    def run(data_dir: Path | None, command: Callable[[Any], Awaitable[Any]]) -> Any:
        try:
            return asyncio.run(one_shot(settings_of(data_dir), command))
        except MarketingAgentError as exc:
            fail(exc)

    @group.command("stats")
    def stats(campaign: Campaign, as_json: AsJson = False, data_dir: DataDir = None) -> None:
        """Distinct people per event type for each variant of a campaign, and its revenue."""

        async def load(runtime: Any) -> Any:
            from marketing_agent.analytics import service

            async with runtime.database.session() as session:
                source = await _source(runtime, session, campaign)
                return await service.campaign_stats(
                    session=session, campaign_id=campaign, source=source
                )

        result = run(data_dir, load)
        if as_json:
            sys.stdout.write(result.model_dump_json(indent=2) + "\n")
            return
        types = ["sent", "delivered", "read", "clicked", "replied", "converted",
                 "unsubscribed", "failed"]  # fmt: skip
        table = Table(title=f"Campaign {campaign}: distinct people")
        table.add_column("variant")
        for name in [*types, "revenue (USD)"]:
            table.add_column(name, justify="right")
        for row in [*result.variants, result.totals]:
            cells = ["—" if getattr(row, t) is None else f"{getattr(row, t):,}" for t in types]
            revenue = f"{(row.revenue_usd_micros or 0) / 1e6:,.2f}"
            table.add_row(str(row.variant_key or "(none)"), *cells, revenue)
        console.print(table)
        for event_type, reason in (result.unobservable_reasons or {}).items():
            console.print(f"[dim]{event_type}: {reason}[/]")

    @group.command("funnel")
    def funnel(
        campaign: Campaign,
        steps: Steps = "sent,delivered,clicked,converted",
        window_days: WindowDays = 7.0,
        by: Annotated[
            By, typer.Option(help="Also break it down by variant, sender or segment.")
        ] = By.NONE,
        segment: Annotated[
            list[int] | None,
            typer.Option(
                "--segment",
                min=1,
                help="Only the people in this segment now; with --by segment, one row per "
                "--segment given.",
            ),
        ] = None,
        as_json: AsJson = False,
        data_dir: DataDir = None,
    ) -> None:
        """An ordered funnel of distinct people, with its conversion window and time to convert."""
        chosen = _steps(steps)
        window = timedelta(days=window_days) if window_days else None
        segment_ids = list(dict.fromkeys(segment or []))
        if by is By.SEGMENT and not segment_ids:
            err_console.print("[bold red]--by segment needs one or more --segment ID.[/]")
            raise typer.Exit(2)
        if by is not By.SEGMENT and len(segment_ids) > 1:
            err_console.print("[bold red]One --segment filters; several need --by segment.[/]")
            raise typer.Exit(2)

        async def load(runtime: Any) -> list[Funnel]:
            from marketing_agent.analytics import service

            async def people(session: Any, segment_id: int) -> Any:
                contact_ids = await runtime.segment_members(session=session, segment_id=segment_id)
                return service.SegmentPeople(segment_id=segment_id, contact_ids=contact_ids)

            async with runtime.database.session() as session:
                await _source(runtime, session, campaign)
                only = (
                    {"segment": await people(session, segment_ids[0])}
                    if segment_ids and by is not By.SEGMENT
                    else {}
                )
                funnels = [
                    await service.funnel(
                        session=session, campaign_id=campaign, steps=chosen, window=window, **only
                    )
                ]
                if by is By.SEGMENT:
                    for segment_id in segment_ids:
                        funnels.append(
                            await service.funnel(
                                session=session,
                                campaign_id=campaign,
                                steps=chosen,
                                window=window,
                                segment=await people(session, segment_id),
                            )
                        )
                elif by is By.VARIANT:
                    for key in await service.variant_keys(session=session, campaign_id=campaign):
                        funnels.append(
                            await service.funnel(
                                session=session,
                                campaign_id=campaign,
                                steps=chosen,
                                window=window,
                                variant_key=key,
                                **only,
                            )
                        )
                elif by is By.SENDER:
                    senders = await service.funnel_senders(session=session, campaign_id=campaign)
                    for sender_id in senders:
                        funnels.append(
                            await service.funnel(
                                session=session,
                                campaign_id=campaign,
                                steps=chosen,
                                window=window,
                                sender_id=sender_id,
                                **only,
                            )
                        )
                return funnels

        with console.status("Walking the funnel…"):
            funnels = run(data_dir, load)
        if as_json:
            sys.stdout.write(json.dumps([f.model_dump(mode="json") for f in funnels], indent=2))
            sys.stdout.write("\n")
            return
        window_text = f"{window_days:g}-day window" if window else "no window"
        of_segment = f", segment {segment_ids[0]}'s people" if funnels[0].segment_id else ""
        table = Table(
            title=f"Campaign {campaign}: funnel{of_segment}, {window_text} (distinct people)"
        )
        table.add_column("who")
        for step in chosen:
            table.add_column(step, justify="right")
        for f in funnels:
            who = (
                f"variant {f.variant_key}"
                if f.variant_key is not None
                else f"sender {f.sender_id}"
                if f.sender_id is not None
                else f"segment {f.segment_id}"
                if f.segment_id is not None and by is By.SEGMENT
                else "everyone"
            )
            cells = [
                f"{s.count:,}" if i == 0 else f"{s.count:,} ({s.conversion_from_previous:.1%})"
                for i, s in enumerate(f.steps)
            ]
            table.add_row(who, *cells)
        console.print(table)
        ttc = funnels[0].time_to_convert
        if ttc is not None and ttc.people and ttc.median_s is not None:
            console.print(
                f"Time to convert: median {ttc.median_s / 3600:.1f} h over {ttc.people:,} people."
            )

    @group.command("dropoff")
    def dropoff(
        campaign: Campaign,
        steps: Steps = "sent,delivered,clicked,converted",
        window_days: WindowDays = 7.0,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="The CSV file; default: stdout.")
        ] = None,
        data_dir: DataDir = None,
    ) -> None:
        """Who stopped where, as CSV: contact_id,last_step,reached_at (erased people: empty id)."""
        from rich.progress import track

        chosen = _steps(steps)
        window = timedelta(days=window_days) if window_days else None

        async def load(runtime: Any) -> Any:
            from marketing_agent.analytics import service

            async with runtime.database.session() as session:
                await _source(runtime, session, campaign)
                return await service.funnel_dropoff(
                    session=session, campaign_id=campaign, steps=chosen, window=window
                )

        with err_console.status("Walking the funnel…"):
            rows = run(data_dir, load)
        with output.open("w", newline="", encoding="utf-8") if output else sys.stdout as out:
            writer = csv.writer(out)
            writer.writerow(["contact_id", "last_step", "reached_at"])
            shown = track(rows, description="Writing", console=err_console) if output else rows
            for contact_id, step, at in shown:
                writer.writerow(["" if contact_id is None else contact_id, step, at.isoformat()])
        if output:
            err_console.print(f"{len(rows):,} people who stopped before the last step: {output}")


async def _source(runtime: Any, session: Any, campaign_id: int) -> Any:
    """The campaign's sender kind; a campaign that does not exist is a clear error."""
    from marketing_agent.core.errors import NotFound

    source = await runtime.campaign_source(session=session, campaign_id=campaign_id)
    if source is None:
        raise NotFound(f"Campaign {campaign_id} does not exist.")
    return source


def _steps(text: str) -> list[Any]:
    from marketing_agent.analytics.schemas import EventType

    names = [part.strip() for part in text.split(",") if part.strip()]
    try:
        return [EventType(name) for name in names]
    except ValueError:
        known = ", ".join(t.value for t in EventType)
        message = f"[bold red]Unknown step in[/] {text!r}; the steps are: {known}."
        Console(stderr=True).print(message)
        raise typer.Exit(2) from None
