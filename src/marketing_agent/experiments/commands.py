"""The experiments module's commands under `marketing-agent experiments`: a campaign's results
and rollout, the calculator for any counts, and the sample-size planner (`add_experiments_commands`
registers them; `sample-size --campaign` plans on the rate the launch preview observed). The same
numbers, verdicts and errors as the API, the Experiments page and Submit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # the CLI starts fast: the database layer loads only when a command runs
    from marketing_agent.core.db import Database
    from marketing_agent.core.errors import MarketingAgentError
    from marketing_agent.core.settings import Settings
    from marketing_agent.experiments.schemas import (
        AnalysisFields,
        BaseRateRead,
        ChanceHistoryRead,
        RolloutRead,
    )

DataDir = Annotated[Path | None, typer.Option(help="Where the SQLite file and keys live.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer instead.")]
Fail = Callable[["MarketingAgentError"], None]  # prints the error and exits
SettingsOf = Callable[[Path | None], "Settings"]
DatabaseOf = Callable[["Settings"], AbstractAsyncContextManager["Database"]]


def add_experiments_commands(
    experiments_app: typer.Typer, *, fail: Fail, settings_of: SettingsOf, database_of: DatabaseOf
) -> None:
    """Registers `show`, `analyse` and `sample-size` under `marketing-agent experiments`, with
    the CLI's own error printing, settings and one-shot database."""

    @experiments_app.command("show")
    def show(
        campaign: Annotated[int, typer.Argument(help="The campaign's id.", min=1)],
        metric: Annotated[str, typer.Option(help="Success event: converted or clicked.")] = (
            "converted"
        ),
        as_json: AsJson = False,
        data_dir: DataDir = None,
    ) -> None:
        """Show a campaign's experiment: verdict and how sure, every variant, revenue, rollout."""
        from marketing_agent.analytics import service as analytics
        from marketing_agent.core.errors import MarketingAgentError

        try:
            event = analytics.EventType(metric)
        except ValueError:
            _refuse("--metric", f"'{metric}' is not an event type (e.g. converted, clicked)")
        settings = settings_of(data_dir)
        try:
            results, rollout = asyncio.run(_show(settings, database_of, campaign, event))
        except MarketingAgentError as exc:
            fail(exc)
        if as_json:
            _console().print_json(
                json.dumps(
                    {
                        "results": results.model_dump(mode="json"),
                        "rollout": rollout.model_dump(mode="json"),
                    }
                )
            )
            return
        _console().print(f"[bold]Experiment of campaign {campaign}[/] ({metric} per send)")
        _print_analysis(results)
        _print_rollout(rollout)

    @experiments_app.command("history")
    def history(
        campaign: Annotated[int, typer.Argument(help="The campaign's id.", min=1)],
        metric: Annotated[str, typer.Option(help="Success event: converted or clicked.")] = (
            "converted"
        ),
        points: Annotated[int, typer.Option(help="Moments to show.", min=1, max=200)] = 12,
        as_json: AsJson = False,
        data_dir: DataDir = None,
    ) -> None:
        """Chance to win over time: each variant's chance to be best at moments of the send."""
        from marketing_agent.analytics import service as analytics
        from marketing_agent.core.errors import MarketingAgentError

        try:
            event = analytics.EventType(metric)
        except ValueError:
            _refuse("--metric", f"'{metric}' is not an event type (e.g. converted, clicked)")
        settings = settings_of(data_dir)
        try:
            read = asyncio.run(_history(settings, database_of, campaign, event, points))
        except MarketingAgentError as exc:
            fail(exc)
        if as_json:
            _console().print_json(read.model_dump_json())
            return
        _print_history(read)

    @experiments_app.command("analyse")
    def analyse(
        arm: Annotated[
            list[str],
            typer.Option(
                help="KEY:TRIALS:SUCCESSES, or KEY:TRIALS:SUCCESSES:VALUE_SUM:VALUE_SUM_SQUARES "
                "for value per recipient (revenue); once per arm, at least two.",
            ),
        ],
        control: Annotated[str | None, typer.Option(help="The control arm; the first.")] = None,
        confidence: Annotated[float, typer.Option(help="Interval level.")] = 0.95,
        as_json: AsJson = False,
        data_dir: DataDir = None,
    ) -> None:
        """Analyse any counts (e.g. another tool's test): every engine and the verdict."""
        from pydantic import ValidationError

        from marketing_agent.core.errors import MarketingAgentError
        from marketing_agent.experiments import service
        from marketing_agent.experiments.schemas import AnalyseRequest

        arms = [_parse_arm(text) for text in arm]
        body = {
            "control": control or (arms[0]["key"] if arms else ""),
            "arms": arms,
            "confidence": confidence,
        }
        try:
            request = AnalyseRequest.model_validate(body)
            read = service.analyse_counts(
                request=request, rule=service.decision_rule(settings_of(data_dir))
            )
        except ValidationError as exc:
            _invalid(exc)
        except MarketingAgentError as exc:
            fail(exc)
        if as_json:
            _console().print_json(read.model_dump_json())
            return
        _print_analysis(read)

    @experiments_app.command("sample-size")
    def sample_size(
        lift: Annotated[float, typer.Option(help="Relative lift to detect, e.g. 0.1 for +10%.")],
        base_rate: Annotated[
            float | None, typer.Option(help="The control's expected rate, e.g. 0.03.")
        ] = None,
        campaign: Annotated[
            int | None,
            typer.Option(
                help="Plan the campaign's test instead: the rate its earlier campaigns observed "
                "(as Submit shows), its variants and the recipients it would reach now.",
                min=1,
            ),
        ] = None,
        power: Annotated[float, typer.Option(help="Chance to detect it.")] = 0.8,
        alpha: Annotated[float, typer.Option(help="False-positive rate.")] = 0.05,
        arms: Annotated[
            int | None, typer.Option(help="Variants, the control included; 2 (or the campaign's).")
        ] = None,
        audience: Annotated[
            int | None,
            typer.Option(help="Recipients you have: does it suffice? (the campaign's reach)"),
        ] = None,
        as_json: AsJson = False,
        data_dir: DataDir = None,
    ) -> None:
        """Recipients a test needs to detect a lift, and whether an audience gives them."""
        from pydantic import ValidationError

        from marketing_agent.core.errors import MarketingAgentError
        from marketing_agent.experiments import service
        from marketing_agent.experiments.schemas import SampleSizeRequest

        if (base_rate is None) == (campaign is None):
            _refuse("--base-rate / --campaign", "give one of them: a rate, or a campaign's id")
        planned: _CampaignPlan | None = None
        if campaign is not None:
            try:
                planned = asyncio.run(_campaign_plan(settings_of(data_dir), database_of, campaign))
            except MarketingAgentError as exc:
                fail(exc)
        try:
            request = SampleSizeRequest(
                base_rate=planned.base_rate.rate if planned else base_rate,
                minimum_detectable_lift=lift,
                power=power,
                alpha=alpha,
                arms=arms or (planned.arms if planned else 2),
                audience=audience if audience is not None or not planned else planned.reach,
            )
            read = service.plan_sample_size(request=request)
        except ValidationError as exc:
            _invalid(exc)
        except MarketingAgentError as exc:
            fail(exc)
        if as_json:
            body = read.model_dump(mode="json")
            if planned:
                body = {"base_rate": planned.base_rate.model_dump(mode="json"), **body}
            _console().print_json(json.dumps(body))
            return
        if planned:
            _console().print(planned.base_rate.reason)
        _console().print(read.reason)


@dataclass(frozen=True)
class _CampaignPlan:
    """What a campaign's test is planned on: the observed rate, its variants, its reach now."""

    base_rate: BaseRateRead
    arms: int
    reach: int


async def _campaign_plan(
    settings: Settings, database_of: DatabaseOf, campaign_id: int
) -> _CampaignPlan:
    from marketing_agent.experiments import service
    from marketing_agent.orchestrator import service as orchestrator

    async with database_of(settings) as db, db.session() as session:
        preview = await orchestrator.launch_preview(
            session=session, settings=settings, campaign_id=campaign_id
        )
        experiment = await service.get_experiment_for_campaign(
            session=session, campaign_id=campaign_id
        )
        return _CampaignPlan(
            base_rate=preview.base_rate,
            arms=max(2, len(experiment.arms)) if experiment else 2,
            reach=preview.will_receive,
        )


async def _show(
    settings: Settings, database_of: DatabaseOf, campaign_id: int, metric: Any
) -> tuple[Any, RolloutRead]:
    from marketing_agent.experiments import service

    async with database_of(settings) as db, db.session() as session:
        results = await service.campaign_results(
            session=session,
            campaign_id=campaign_id,
            metric=metric,
            rule=service.decision_rule(settings),
        )
        rollout = await service.get_rollout(session=session, campaign_id=campaign_id)
        return results, rollout


async def _history(
    settings: Settings, database_of: DatabaseOf, campaign_id: int, metric: Any, points: int
) -> ChanceHistoryRead:
    from marketing_agent.experiments import service

    async with database_of(settings) as db, db.session() as session:
        return await service.campaign_chance_history(
            session=session,
            campaign_id=campaign_id,
            metric=metric,
            rule=service.decision_rule(settings),
            points=points,
        )


def _parse_arm(text: str) -> dict[str, Any]:
    """Returns one --arm as the calculator's arm; a malformed one stops with what is wrong."""
    parts = text.split(":")
    if len(parts) not in (3, 5) or not parts[0]:
        _refuse(f"--arm {text}", "not KEY:TRIALS:SUCCESSES (or with :VALUE_SUM:VALUE_SUM_SQUARES)")
    try:
        numbers = [int(parts[1]), int(parts[2]), *(float(p) for p in parts[3:])]
    except ValueError:
        _refuse(f"--arm {text}", "trials and successes must be whole numbers, values numbers")
    arm: dict[str, Any] = {"key": parts[0], "trials": numbers[0], "successes": numbers[1]}
    if len(numbers) == 4:
        arm |= {"value_sum": numbers[2], "value_sum_squares": numbers[3]}
    return arm


def _console(*, stderr: bool = False) -> Console:
    """A console on the current stdout (or stderr): made per use, so none lives in the module."""
    return Console(stderr=stderr)


def _refuse(where: str, message: str) -> NoReturn:
    _console(stderr=True).print(f"[bold red]Invalid input:[/] {where}: {message}")
    raise typer.Exit(2)


def _invalid(exc: Any) -> NoReturn:
    _console(stderr=True).print("[bold red]Invalid input:[/]")
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"]) or "input"
        _console(stderr=True).print(f"  [red]•[/] {loc}: {error['msg']}")
    raise typer.Exit(2)


def _pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _chance(value: float | None) -> str:
    """A chance rounded down, like the page: 94.96% never reads 95.0%."""
    if value is None:
        return "—"
    if value >= 0.999:
        return ">99.9%"
    if value < 0.001:
        return "<0.1%"
    return f"{int(value * 1000) / 10:.1f}%"


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return "<0.0001" if value < 0.0001 else f"{value:.2g}"


def _print_analysis(analysis: AnalysisFields) -> None:
    level = f"{analysis.confidence:.0%}"
    title = {
        "winner": f"Winner: variant {analysis.leader}",
        "not_enough_data": "Not enough data yet",
    }.get(analysis.verdict.value, "No clear winner yet")
    _console().print(f"[bold]{title}[/]: {analysis.reason}")
    table = Table(title=f"Per variant ({analysis.engine})")
    for column in ("variant", "sends", "succ.", "rate", f"{level} CI", "P(beat)", "P(best)"):
        table.add_column(column, overflow="fold")
    for column in ("lift [CI]", "p", "verdict"):
        table.add_column(column, overflow="fold")
    for arm in analysis.arms:
        control = arm.key == analysis.control_key
        table.add_row(
            f"{arm.key} (control)" if control else arm.key,
            f"{arm.trials:,}",
            f"{arm.successes:,}",
            _pct(arm.rate),
            "—" if arm.rate is None else f"{_pct(arm.ci_low)}–{_pct(arm.ci_high)}",
            "—" if control else _chance(arm.chance_to_beat_control),
            _chance(arm.chance_to_be_best),
            "—"
            if arm.lift is None
            else f"{arm.lift:+.1%} [{_pct(arm.lift_ci_low, 1)}, {_pct(arm.lift_ci_high, 1)}]",
            _p(arm.p_value),
            arm.verdict.value.replace("_", " "),
        )
    _console().print(table)
    _console().print(analysis.stopping.reason)
    revenue = getattr(analysis, "revenue", None)
    if revenue is not None:
        _console().print(f"[bold]Revenue per recipient[/]: {revenue.reason}")
    for warning in analysis.warnings:
        _console().print(f"[yellow]Warning:[/] {warning}")


def _print_rollout(rollout: RolloutRead) -> None:
    shares = ", ".join(f"{key} {share:.1%}" for key, share in rollout.weights.items())
    line = f"Rollout: {rollout.config.mode.value}, {rollout.phase.replace('_', ' ')}; {shares}"
    if rollout.winner:
        line += f"; variant {rollout.winner} sent to the rest"
    if rollout.held:
        line += f"; {rollout.held:,} recipients wait for the decision"
    _console().print(line)


def _print_history(history: ChanceHistoryRead) -> None:
    rule = history.rule
    _console().print(
        f"[bold]Chance to be best over time[/], campaign {history.campaign_id} "
        f"({history.metric.value} per send; {history.engine}); a winner needs "
        f"{_chance(rule.chance_to_win)} and {rule.min_trials_per_arm:,} sends per variant"
    )
    if not history.points:
        _console().print("Nothing sent yet.")
        return
    keys = [arm.key for arm in history.points[0].arms]
    table = Table()
    table.add_column("at (UTC)")
    for key in keys:
        label = f"{key} (control)" if key == history.control_key else key
        table.add_column(f"{label} succ./sends", justify="right")
        table.add_column(f"{key} P(best)", justify="right")
    table.add_column("verdict")
    for point in history.points:
        cells = [point.at.strftime("%Y-%m-%d %H:%M")]
        for arm in point.arms:
            cells += [f"{arm.successes:,}/{arm.trials:,}", _chance(arm.chance_to_be_best)]
        verdict = point.verdict.value.replace("_", " ")
        cells.append(f"winner {point.leader}" if point.leader else verdict)
        table.add_row(*cells)
    _console().print(table)
