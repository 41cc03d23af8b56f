"""Decisions taken while a campaign sends: test-then-send, the bandit's batches, guardrail pauses.

The orchestrator owns the deliveries; this file decides. At the start it says which recipients go
now (and to which arm) and which are held; each time the scheduler finds an experiment due it
says which held recipients to send now, which arms to pause, and whether to pause the campaign.
Every decision is audited on the campaign with the figures behind it (`data["summary"]` says it
in one sentence for the timeline).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core import clock
from marketing_agent.core.errors import Conflict, ValidationFailed, field_error
from marketing_agent.core.logging import get_logger
from marketing_agent.experiments import splitter
from marketing_agent.experiments.analysis import DecisionRule, stop_decision
from marketing_agent.experiments.bandit import (
    BanditPolicy,
    Evidence,
    chance_of_best,
    evidence_by_age,
    thompson_weights,
    warm_start,
)
from marketing_agent.experiments.models import Experiment
from marketing_agent.experiments.schemas import (
    Arm,
    ArmPrior,
    BanditFeedback,
    DecisionRead,
    ExperimentResults,
    NoWinner,
    RolloutConfig,
    RolloutMode,
    RolloutRead,
)
from marketing_agent.experiments.stats import ArmCounts

log = get_logger(__name__)

ACTOR = "system:experiments"
ENTITY = "campaign"
# While a test has sent nothing yet, how often to look for its first send (its window's start).
WINDOW_START_CHECK = timedelta(minutes=1)


@dataclass(frozen=True)
class RolloutPlan:
    """The start: the arm of each recipient sent now; the others are held for a decision."""

    keys: dict[int, str]
    held: frozenset[int]


@dataclass(frozen=True)
class RolloutStep:
    """One decision: held recipients to send now (with their arm), arms whose unsent messages
    must wait, and whether the whole campaign pauses."""

    release: dict[int, str] = field(default_factory=dict)
    pause_arms: frozenset[str] = frozenset()
    # True: a paused arm's unsent recipients go back to the experiment's hold (to be sent
    # another arm later); False (fixed split): they wait with the paused arm.
    rehold_paused: bool = False
    pause_campaign: bool = False
    # Arms a person resumed: their waiting deliveries (fixed split) may be sent again.
    resume_arms: frozenset[str] = frozenset()


# A results function: (session, campaign_id, reward, rule) -> ExperimentResults. Injected by the
# service, so this file does not import it back.
ResultsOf = Any


def config_of(experiment: Experiment) -> RolloutConfig:
    """Returns the experiment's rollout settings (a fixed split when none were set)."""
    return RolloutConfig.model_validate(experiment.rollout or {})


def _state(experiment: Experiment) -> dict[str, Any]:
    return dict(experiment.rollout_state or {})


async def set_rollout(
    *, session: AsyncSession, experiment: Experiment, config: RolloutConfig, actor: str
) -> None:
    """Sets how the experiment decides while sending; Conflict once the campaign has started."""
    if _state(experiment).get("started_at"):
        raise Conflict(
            f"Campaign {experiment.campaign_id} has started sending; "
            "its rollout can no longer change"
        )
    keys = [arm.key for arm in _arms(experiment)]
    if config.mode is not RolloutMode.FIXED and len(keys) < 2:
        raise ValidationFailed(
            [field_error(("body", "mode"), f"{config.mode.value} needs at least two variants")]
        )
    experiment.mode = config.mode.value
    experiment.rollout = config.model_dump(mode="json")
    await session.flush()
    await _audit(
        session,
        experiment,
        "experiment.rollout_set",
        _describe(config),
        experiment.rollout,
        actor=actor,
    )


async def start_rollout(
    *, session: AsyncSession, experiment: Experiment, unit_ids: Sequence[int]
) -> RolloutPlan:
    """Returns who is sent now and who is held, and records the start (audited unless fixed)."""
    config, now, arms = config_of(experiment), clock.now(), _arms(experiment)
    keys: dict[int, str] = {}
    held: set[int] = set()
    state: dict[str, Any] = {"started_at": now.isoformat(), "paused_arms": [], "released": 0}
    if config.mode is RolloutMode.FIXED:
        keys = {
            u: splitter.assign_arm(experiment_id=experiment.id, unit_id=u, arms=arms)
            for u in unit_ids
        }
        state["phase"] = "fixed"
    elif config.mode is RolloutMode.TEST_THEN_SEND and (inherited := _inherited(experiment)):
        winner = inherited["winner"]
        keys = dict.fromkeys(unit_ids, winner)
        state |= {"phase": "rolled_out", "winner": winner, "inherited": inherited}
    elif config.mode is RolloutMode.TEST_THEN_SEND:
        for unit in unit_ids:
            if _point(experiment, unit, "test") < config.test_share:
                keys[unit] = splitter.assign_arm(
                    experiment_id=experiment.id, unit_id=unit, arms=arms
                )
            else:
                held.add(unit)
        decide_at = now + timedelta(minutes=config.wait_minutes)
        state |= {"phase": "testing", "decide_at": decide_at.isoformat(), "tested": len(keys)}
    else:
        order = sorted(unit_ids, key=lambda u: _point(experiment, u, "order"))
        first = order[: config.batch_size]
        weights = {arm.key: 1 / len(arms) for arm in arms}
        warm_from = _state(experiment).get("warm_from")
        if isinstance(warm_from, int) and config.warm_start_discount > 0:
            state["prior"] = await _earlier_evidence(session, config, arms, warm_from)
        if state.get("prior"):
            state["warm_from"] = warm_from
            nothing = [Evidence(arm.key, 0.0, 0.0) for arm in arms]
            weights = thompson_weights(_with_prior(nothing, state), _policy(config))
        shares = [Arm(key=key, weight=max(w, 1e-12)) for key, w in weights.items()]
        keys = {u: _assign(experiment, u, shares, "batch0") for u in first}
        held = set(order[config.batch_size :])
        state |= {
            "phase": "bandit" if held else "done",
            "batches": 1,
            "last_release_at": now.isoformat(),
            "weights": weights,
        }
    state |= {"released": len(keys), "held": len(held)}
    experiment.rollout_state = state
    experiment.next_check_at = _next_check(config, state, now)
    await session.flush()
    if state.get("inherited"):
        inherited = state["inherited"]
        await _audit(
            session,
            experiment,
            "experiment.winner_inherited",
            f"Variant {inherited['winner']} goes to all {len(keys):,} recipients without a new "
            f"test: campaign {inherited['from_campaign_id']}, an earlier run of this recurring "
            f"campaign, {inherited['how']}.",
            {"winner": inherited["winner"], "sent_now": len(keys), **inherited},
        )
    if state.get("prior"):
        await _audit_warm_start(session, experiment, config, state, len(keys))
    if config.mode is not RolloutMode.FIXED and not state.get("inherited"):
        await _audit(
            session,
            experiment,
            "experiment.rollout_started",
            f"{_describe(config)}: {len(keys):,} recipients sent now, {len(held):,} held "
            "for the experiment's decision.",
            {"sent_now": len(keys), "held": len(held), "mode": config.mode.value},
        )
    return RolloutPlan(keys=keys, held=frozenset(held))


async def due_experiments(
    *, session: AsyncSession, campaign_ids: Sequence[int]
) -> list[Experiment]:
    """Returns the experiments of these (running) campaigns whose next check has come."""
    if not campaign_ids:
        return []
    rows = await session.scalars(
        select(Experiment)
        .where(
            Experiment.campaign_id.in_(list(campaign_ids)),
            Experiment.next_check_at.is_not(None),
            Experiment.next_check_at <= clock.now(),
        )
        .order_by(Experiment.id)
    )
    return list(rows.all())


async def advance_rollout(
    *,
    session: AsyncSession,
    experiment: Experiment,
    held_unit_ids: Sequence[int],
    results_of: ResultsOf,
    rule: DecisionRule,
) -> RolloutStep:
    """Takes every decision due now (guardrails, the test's winner, the bandit's next batch)."""
    config, now, state = config_of(experiment), clock.now(), _state(experiment)
    rule = _rule(config, rule)
    results: ExperimentResults = await results_of(
        session=session, campaign_id=experiment.campaign_id, metric=config.reward, rule=rule
    )
    newly_paused = await _check_guardrails(session, experiment, config, state, results)
    paused = set(state["paused_arms"])
    pause_campaign = False
    if newly_paused and paused >= {arm.key for arm in _arms(experiment)}:
        if not state.get("campaign_paused"):
            state["campaign_paused"] = True
            pause_campaign = True
            await _audit(
                session,
                experiment,
                "experiment.campaign_paused",
                "Every variant breached a guardrail, so the campaign is paused.",
                {"paused_arms": sorted(paused)},
            )
    release: dict[int, str] = {}
    if not pause_campaign and held_unit_ids:
        if config.mode is RolloutMode.TEST_THEN_SEND:
            release = await _test_then_send(
                session, experiment, config, state, results, held_unit_ids, now
            )
        elif config.mode is RolloutMode.BANDIT:
            release = await _bandit_batch(
                session, experiment, config, state, results, held_unit_ids, now
            )
    elif config.mode is RolloutMode.BANDIT and not held_unit_ids and not state.get("winner"):
        state["phase"] = "done"
    resume = list(state.pop("resume", []))
    state["released"] = int(state.get("released", 0)) + len(release)
    state["held"] = len(held_unit_ids) - len(release)
    experiment.rollout_state = state
    experiment.next_check_at = _next_check(config, state, now)
    await session.flush()
    return RolloutStep(
        release=release,
        pause_arms=frozenset(newly_paused),
        rehold_paused=config.mode is not RolloutMode.FIXED,
        pause_campaign=pause_campaign,
        resume_arms=frozenset(resume),
    )


async def approve_winner(
    *, session: AsyncSession, experiment: Experiment, variant_key: str | None, actor: str
) -> None:
    """Records a person's choice of the arm the held recipients get; sent at the next tick."""
    config, state = config_of(experiment), _state(experiment)
    if config.mode is not RolloutMode.TEST_THEN_SEND:
        raise Conflict(f"Campaign {experiment.campaign_id} is not a test-then-send campaign")
    if state.get("phase") not in ("testing", "awaiting_approval"):
        raise Conflict(
            f"Campaign {experiment.campaign_id}'s test is {state.get('phase', 'not started')}; "
            "there is nothing to approve"
        )
    key = variant_key or state.get("proposed")
    keys = [arm.key for arm in _arms(experiment)]
    if key is None:
        raise ValidationFailed(
            [field_error(("body", "variant_key"), "no winner is proposed: name the variant")]
        )
    if key not in keys:
        raise ValidationFailed(
            [field_error(("body", "variant_key"), f"variant '{key}' is not among {keys}")]
        )
    if key in state.get("paused_arms", []):
        raise Conflict(f"Variant {key} is paused by a guardrail")
    state |= {"phase": "approved", "approved": key, "approved_by": actor}
    experiment.rollout_state = state
    experiment.next_check_at = clock.now()
    await session.flush()
    proposed = state.get("proposed")
    await _audit(
        session,
        experiment,
        "experiment.winner_approved",
        f"{actor} chose variant {key} for the rest of the audience"
        + (f" (proposed: {proposed})." if proposed else "."),
        {"variant_key": key, "proposed": proposed},
        actor=actor,
    )


async def resume_arm(
    *, session: AsyncSession, experiment: Experiment, variant_key: str, actor: str
) -> None:
    """Records a person's resumption of an arm a guardrail paused; it is not paused again."""
    state = _state(experiment)
    paused = list(state.get("paused_arms", []))
    if variant_key not in paused:
        raise Conflict(f"Variant {variant_key} of campaign {experiment.campaign_id} is not paused")
    paused.remove(variant_key)
    state |= {
        "paused_arms": paused,
        "overridden": [*state.get("overridden", []), variant_key],
        "resume": [*state.get("resume", []), variant_key],
    }
    experiment.rollout_state = state
    experiment.next_check_at = clock.now()
    await session.flush()
    await _audit(
        session,
        experiment,
        "experiment.arm_resumed",
        f"{actor} resumed variant {variant_key} despite its guardrail; it will not be paused "
        "again.",
        {"variant_key": variant_key},
        actor=actor,
    )


async def inherit_rollout(
    *,
    session: AsyncSession,
    experiment: Experiment,
    template: Experiment,
    earlier_runs: Sequence[Experiment],
) -> None:
    """Gives a recurring campaign's new run the template's rollout and, for test-then-send, the
    winner of the latest earlier run whose test (or a person) chose one: the run sends it to
    everyone instead of testing the same variants again (unless `reuse_winner` is off)."""
    if not template.rollout:
        return
    experiment.mode, experiment.rollout = template.mode, dict(template.rollout)
    config = config_of(experiment)
    keys = {arm.key for arm in _arms(experiment)}
    if config.mode is RolloutMode.BANDIT and config.warm_start_discount > 0:
        for run in earlier_runs:
            if run.mode == RolloutMode.BANDIT.value and _state(run).get("started_at"):
                experiment.rollout_state = {"warm_from": run.campaign_id}
                break
        await session.flush()
        return
    for run in earlier_runs if config.reuse_winner else ():
        state = _state(run)
        winner = state.get("winner")
        if state.get("phase") != "rolled_out" or state.get("fallback") or winner not in keys:
            continue
        inherited = state.get("inherited") or {
            "from_campaign_id": run.campaign_id,
            "how": f"approved by {state['approved_by']}"
            if state.get("approved_by")
            else "chose it by its test",
        }
        experiment.rollout_state = {
            "inherited": {
                "winner": winner,
                "from_campaign_id": inherited["from_campaign_id"],
                "how": inherited["how"],
            }
        }
        break
    await session.flush()


def _inherited(experiment: Experiment) -> dict[str, Any] | None:
    inherited = _state(experiment).get("inherited")
    keys = {arm.key for arm in _arms(experiment)}
    if not config_of(experiment).reuse_winner or not inherited:
        return None
    return dict(inherited) if inherited.get("winner") in keys else None


def read_rollout(experiment: Experiment) -> RolloutRead:
    """Returns the rollout's settings and progress."""
    config, state = config_of(experiment), _state(experiment)
    arms = _arms(experiment)
    total = sum(arm.weight for arm in arms)
    weights = state.get("weights") or {arm.key: arm.weight / total for arm in arms}
    if state.get("winner"):
        weights = {arm.key: float(arm.key == state["winner"]) for arm in arms}
    return RolloutRead(
        campaign_id=experiment.campaign_id,
        config=config,
        phase=state.get("phase", "not_started"),
        started_at=_time(state.get("started_at")),
        window_started_at=_time(state.get("window_started_at")),
        decide_at=_time(state.get("decide_at")),
        winner=state.get("winner"),
        proposed=state.get("proposed"),
        paused_arms=list(state.get("paused_arms", [])),
        weights=weights,
        held=int(state.get("held", 0)),
        released=int(state.get("released", 0)),
        inherited_from_campaign_id=(_inherited(experiment) or {}).get("from_campaign_id")
        if config.mode is RolloutMode.TEST_THEN_SEND
        else None,
        started_from_campaign_id=state.get("warm_from")
        if config.mode is RolloutMode.BANDIT and (state.get("prior") or not state.get("started_at"))
        else None,
        prior={key: ArmPrior(**value) for key, value in (state.get("prior") or {}).items()},
        warnings=_warnings(config, state),
    )


def _warnings(config: RolloutConfig, state: dict[str, Any]) -> list[str]:
    """What keeps this rollout from deciding well, in a marketer's words."""
    if config.mode is not RolloutMode.BANDIT or not state.get("started_at"):
        return []
    audience = int(state.get("held", 0)) + int(state.get("released", 0))
    batches = -(-audience // config.batch_size)
    sending = max(batches - 1, 0) * config.interval_minutes
    delay = config.feedback is BanditFeedback.DELAY_WEIGHTED
    feedback_minutes = config.delay_mean_minutes if delay else config.maturity_minutes
    if batches < 2 or sending >= feedback_minutes:
        return []
    when = "the mean delay to its reward" if delay else "when its conversion counts"
    return [
        f"At {config.batch_size:,} recipients every {config.interval_minutes:g} min, all "
        f"{audience:,} are sent within {sending:g} min, before any send is "
        f"{feedback_minutes:g} min old ({when}): the bandit has "
        "almost nothing to learn from while it sends and splits about equally. Spread the send "
        "(smaller batches or a longer interval) or use test-then-send."
    ]


async def decisions(*, session: AsyncSession, campaign_id: int) -> list[DecisionRead]:
    """Returns the experiment's audited decisions, oldest first."""
    entries, _ = await compliance.list_audit(
        session=session, entity_type=ENTITY, entity_id=str(campaign_id), limit=1000
    )
    return [
        DecisionRead(
            at=entry.occurred_at,
            actor=entry.actor,
            action=entry.action,
            summary=str((entry.data or {}).get("summary", entry.action)),
            data=dict(entry.data or {}),
        )
        for entry in reversed(entries)
        if entry.action.startswith("experiment.")
    ]


# --- the decisions ------------------------------------------------------------------------


async def _check_guardrails(
    session: AsyncSession,
    experiment: Experiment,
    config: RolloutConfig,
    state: dict[str, Any],
    results: ExperimentResults,
) -> list[str]:
    """Pauses each arm whose guardrail is breached (once); returns the newly paused arms."""
    if not config.pause_on_guardrail:
        return []
    paused: list[str] = list(state.get("paused_arms", []))
    newly: list[str] = []
    for guard in results.guardrails:
        if not guard.breached or guard.key in paused or guard.key in newly:
            continue
        if guard.key in state.get("overridden", []):
            continue  # a person resumed it knowing the breach
        newly.append(guard.key)
        sent = next((arm.trials for arm in results.arms if arm.key == guard.key), None)
        await _audit(
            session,
            experiment,
            "experiment.arm_paused",
            f"Variant {guard.key} paused: its {guard.metric.value} rate is {guard.rate:.1%} and "
            f"at least {guard.ci_low:.1%} (95% Wilson interval), above the {guard.threshold:.1%} "
            "guardrail.",
            {
                "variant_key": guard.key,
                "metric": guard.metric.value,
                "rate": guard.rate,
                "ci_low": guard.ci_low,
                "ci_high": guard.ci_high,
                "threshold": guard.threshold,
                "confidence": 0.95,
                "exposure": results.exposure.value,
                "sent": sent,
            },
        )
    state["paused_arms"] = paused + newly
    return newly


async def _test_then_send(
    session: AsyncSession,
    experiment: Experiment,
    config: RolloutConfig,
    state: dict[str, Any],
    results: ExperimentResults,
    held: Sequence[int],
    now: datetime,
) -> dict[int, str]:
    """At the window's end: the rule's winner (or the fallback) to every held recipient."""
    phase = state.get("phase")
    if phase == "approved":
        return _give_all(state, held, state["approved"])
    if phase == "rolled_out" and state.get("winner"):
        return _give_all(state, held, state["winner"])  # late arrivals (a re-held arm's)
    if phase != "testing":
        return {}
    if not state.get("window_started_at"):
        # The window counts from the test's first send, not from the start: a campaign that
        # starts at night and sends from 09:00 (its send window) is judged on a full window.
        first = await analytics.first_send_at(session=session, campaign_id=experiment.campaign_id)
        if first is None:
            state["decide_at"] = None
            return {}
        decide_at = first + timedelta(minutes=config.wait_minutes)
        state |= {"window_started_at": first.isoformat(), "decide_at": decide_at.isoformat()}
    if now < (_time(state.get("decide_at")) or now):
        return {}
    paused = set(state.get("paused_arms", []))
    figures = _figures(results)
    if results.verdict.value == "not_enough_data":
        if not state.get("postponed"):
            state["postponed"] = True
            await _audit(
                session,
                experiment,
                "experiment.decision_postponed",
                f"The test's window is over but {results.reason[0].lower()}{results.reason[1:]} "
                "The decision waits for more data (a person can choose a variant meanwhile).",
                figures,
            )
        return {}
    winner = results.leader if results.leader not in paused else None
    if winner is not None and config.auto_send:
        await _audit(
            session,
            experiment,
            "experiment.winner_chosen",
            f"Variant {winner} won the test: {results.reason} It is sent to the other "
            f"{len(held):,} recipients.",
            figures | {"winner": winner, "released": len(held)},
        )
        return _give_all(state, held, winner)
    if winner is not None or config.no_winner is NoWinner.ASK or not config.auto_send:
        state |= {"phase": "awaiting_approval", "proposed": winner}
        await _audit(
            session,
            experiment,
            "experiment.winner_proposed",
            (
                f"Variant {winner} won the test: {results.reason} "
                if winner
                else results.reason + " "
            )
            + f"The other {len(held):,} recipients wait for a person's approval.",
            figures | {"proposed": winner, "held": len(held)},
        )
        return {}
    fallback = _fallback(experiment, paused)
    state["fallback"] = True
    await _audit(
        session,
        experiment,
        "experiment.no_winner",
        f"No variant won the test: {results.reason} The other {len(held):,} recipients get "
        f"variant {fallback}" + (" (the control)." if fallback == experiment.control_key else "."),
        figures | {"winner": fallback, "released": len(held), "fallback": True},
    )
    return _give_all(state, held, fallback)


async def _bandit_batch(
    session: AsyncSession,
    experiment: Experiment,
    config: RolloutConfig,
    state: dict[str, Any],
    results: ExperimentResults,
    held: Sequence[int],
    now: datetime,
) -> dict[int, str]:
    """The experiment's winner, once its rule names one, to every held recipient; else, every
    interval, Thompson weights from the sends' evidence (delay-weighted or mature) and the next
    batch sent by them."""
    if state.get("winner"):
        return _give_all(state, held, state["winner"])  # late arrivals (a re-held arm's)
    paused = set(state.get("paused_arms", []))
    if config.stop_at_winner and results.leader is not None and results.leader not in paused:
        # The campaign's winner is the one the experiment's statistics name, at the certainty
        # they state, not the arm the bandit's weights favour (they can disagree while late
        # conversions arrive: the statistics count a send whose conversion has not come yet).
        # Read at every check, the Bayesian rule alone names a winner between equal variants
        # in about half of the campaigns (docs/benchmarks.md, bench_stop.py): the sequential
        # engine, valid however often it is read, must agree before the campaign stops.
        whole = [ArmCounts(arm.key, arm.trials, arm.successes) for arm in results.arms]
        rule = DecisionRule(
            min_trials_per_arm=results.rule.min_trials_per_arm,
            chance_to_win=results.rule.chance_to_win,
        )
        if stop_decision(whole, rule, sequential_check=True) == results.leader:
            weights = state.get("weights") or {}
            await _audit(
                session,
                experiment,
                "experiment.winner_chosen",
                f"Variant {results.leader} won by the experiment's rule: {results.reason} The "
                "sequential engine agrees (always-valid, however often the results were read); "
                f"the bandit stops exploring; the other {len(held):,} recipients get it.",
                _figures(results)
                | {
                    "winner": results.leader,
                    "released": len(held),
                    "bandit_weights": weights,
                    "sequential_agrees": True,
                },
            )
            return _give_all(state, held, results.leader)
    last = _time(state.get("last_release_at")) or now
    rewards = sum(arm.successes for arm in results.arms)
    new_rewards = rewards - int(state.get("rewards_at_release", 0))
    by_outcomes = bool(config.reweight_every_outcomes) and new_rewards >= (
        config.reweight_every_outcomes or 0
    )
    if now - last < timedelta(minutes=config.interval_minutes) and not by_outcomes:
        return {}
    live = [arm.key for arm in _arms(experiment) if arm.key not in paused]
    if not live:
        return {}
    started = _time(state.get("started_at")) or now
    counts, basis = await _bandit_evidence(session, experiment, config, live, started, now)
    policy = _policy(config)
    evidence = _with_prior(counts, state)
    weights = thompson_weights(evidence, policy)
    best = chance_of_best(evidence) if all(e.trials for e in evidence) and len(evidence) > 1 else {}
    batch_no = int(state.get("batches", 0))
    order = sorted(held, key=lambda u: _point(experiment, u, "order"))[: config.batch_size]
    arms = [Arm(key=key, weight=max(w, 1e-12)) for key, w in weights.items()]
    release = {u: _assign(experiment, u, arms, f"batch{batch_no}") for u in order}
    burn_in = any(e.trials < config.burn_in_per_arm for e in evidence)
    shares = ", ".join(f"{k} {w:.1%}" for k, w in weights.items())
    why = (
        f"still in burn-in (every variant needs {config.burn_in_per_arm} sends' worth of "
        f"evidence, {basis['how']})"
        if burn_in
        else "chance to be best "
        + ", ".join(f"{k} {_floor_pct(p)}" for k, p in best.items())
        + f", {basis['how']}"
        + (
            f" and campaign {state['warm_from']}'s results (discounted)"
            if state.get("prior")
            else ""
        )
    )
    await _audit(
        session,
        experiment,
        "experiment.reweighted",
        f"Batch {batch_no + 1}"
        + (f" ({new_rewards:,} new {config.reward.value} since the last)" if by_outcomes else "")
        + f": {len(release):,} recipients split {shares}; {why}.",
        {
            "batch": batch_no + 1,
            "trigger": "interval" if not by_outcomes else f"{new_rewards} new rewards",
            "released": len(release),
            "held_after": len(held) - len(release),
            "weights": weights,
            "chance_to_be_best": best,
            # The evidence the weights came from (delay-weighted sends, or mature sends).
            "feedback": config.feedback.value,
            "evidence_trials": {c.key: c.trials for c in counts},
            "evidence_successes": {c.key: c.successes for c in counts},
            **{k: v for k, v in basis.items() if k != "how"},
            "burn_in": burn_in,
            "paused_arms": sorted(paused),
            "started_from_campaign_id": state.get("warm_from") if state.get("prior") else None,
            # The experiment's own verdict on every send so far, beside the bandit's evidence.
            "verdict": results.verdict.value,
            "verdict_reason": results.reason,
        },
    )
    if len(release) == len(held):
        await _audit(
            session,
            experiment,
            "experiment.bandit_finished",
            f"The bandit released its last batch without a winner by the experiment's rule: "
            f"{results.reason}",
            _figures(results) | {"batches": batch_no + 1},
        )
    state |= {
        "batches": batch_no + 1,
        "rewards_at_release": rewards,
        "last_release_at": now.isoformat(),
        "weights": weights,
        "phase": "bandit" if len(held) > len(release) else "done",
    }
    return release


# --- helpers ------------------------------------------------------------------------------


def _policy(config: RolloutConfig) -> BanditPolicy:
    delay = config.feedback is BanditFeedback.DELAY_WEIGHTED
    return BanditPolicy(
        top_two=config.top_two,
        burn_in_per_arm=config.burn_in_per_arm,
        floor_weight=config.floor_weight,
        sharpen=config.sharpen,
        maturity_s=config.maturity_minutes * 60,
        delay_mean_s=config.delay_mean_minutes * 60 if delay else None,
    )


async def _bandit_evidence(
    session: AsyncSession,
    experiment: Experiment,
    config: RolloutConfig,
    keys: Sequence[str],
    started: datetime,
    now: datetime,
) -> tuple[list[ArmCounts | Evidence], dict[str, Any]]:
    """Each live arm's evidence now, attributed by delivery time, and how it was counted (for
    the audit). Delay-weighted: every send counts as the share of its reward that can have
    come by now, so the arm sent to most recently is not punished for rewards still to come.
    Mature: only sends at least `maturity_minutes` old (half the elapsed time until one can be)."""
    if config.feedback is BanditFeedback.DELAY_WEIGHTED:
        mean_s = config.delay_mean_minutes * 60
        times = await analytics.variant_times(
            session=session, campaign_id=experiment.campaign_id, metric=config.reward
        )
        by_key = {row.variant_key: row for row in times}
        evidence: list[ArmCounts | Evidence] = []
        for key in keys:
            row = by_key.get(key)
            ages = [(now - at).total_seconds() for at in row.sent_at] if row else []
            seen = sum(at <= now for at in row.succeeded_at) if row else 0
            evidence.append(evidence_by_age(key, ages, seen, delay_mean_s=mean_s))
        how = (
            f"every send counted as the share of its {config.reward.value} that can have come "
            f"by now (1 - exp(-age / {config.delay_mean_minutes:g} min))"
        )
        return evidence, {"how": how, "delay_mean_minutes": config.delay_mean_minutes}
    # Until a send can be `maturity` old, judge by half the elapsed time (as benchmarked), so
    # the start is not blind for hours; a younger send is never evidence.
    maturity = min(timedelta(minutes=config.maturity_minutes), (now - started) / 2)
    mature = await analytics.mature_variant_counts(
        session=session,
        campaign_id=experiment.campaign_id,
        sent_before=now - maturity,
        reward=config.reward,
    )
    found = {row.variant_key: row for row in mature}
    counts: list[ArmCounts | Evidence] = [
        ArmCounts(key, found[key].sent, found[key].rewarded)
        if key in found
        else ArmCounts(key, 0, 0)
        for key in keys
    ]
    how = f"from sends at least {_minutes(maturity)} old"
    return counts, {"how": how, "maturity_minutes": maturity.total_seconds() / 60}


async def _earlier_evidence(
    session: AsyncSession, config: RolloutConfig, arms: Sequence[Arm], campaign_id: int
) -> dict[str, dict[str, float]]:
    """An earlier run's sends and `reward`s per variant of this run, with what they count for
    here (the discount and the cap); empty when it sent none of these variants."""
    counts = await analytics.mature_variant_counts(
        session=session, campaign_id=campaign_id, sent_before=clock.now(), reward=config.reward
    )
    earlier = {row.variant_key: (row.sent, row.rewarded) for row in counts}
    keys = [arm.key for arm in arms]
    if not any(earlier.get(key, (0, 0))[0] for key in keys):
        return {}
    nothing = [Evidence(key, 0.0, 0.0) for key in keys]
    weighed = warm_start(
        nothing,
        earlier,
        discount=config.warm_start_discount,
        cap_per_arm=config.warm_start_cap_per_arm,
    )
    return {
        e.key: {
            "sent": earlier.get(e.key, (0, 0))[0],
            "conversions": earlier.get(e.key, (0, 0))[1],
            "counts_as_sent": e.trials,
            "counts_as_conversions": e.successes,
        }
        for e in weighed
    }


def _with_prior(
    current: Sequence[ArmCounts | Evidence], state: dict[str, Any]
) -> list[ArmCounts | Evidence]:
    """The current evidence plus the earlier run's discounted results, when it has one."""
    prior = state.get("prior") or {}
    if not prior:
        return list(current)
    out: list[ArmCounts | Evidence] = []
    for arm in current:
        earlier = prior.get(arm.key)
        if earlier is None:
            out.append(arm)
            continue
        out.append(
            Evidence(
                arm.key,
                arm.trials + float(earlier["counts_as_sent"]),
                arm.successes + float(earlier["counts_as_conversions"]),
            )
        )
    return out


async def _audit_warm_start(
    session: AsyncSession,
    experiment: Experiment,
    config: RolloutConfig,
    state: dict[str, Any],
    sent_now: int,
) -> None:
    prior, source = state["prior"], state["warm_from"]
    parts = ", ".join(
        f"{key} {p['conversions']:,} of {p['sent']:,}" for key, p in sorted(prior.items())
    )
    shares = ", ".join(f"{k} {w:.1%}" for k, w in state["weights"].items())
    await _audit(
        session,
        experiment,
        "experiment.bandit_warm_started",
        f"The bandit started from campaign {source}'s results, an earlier run of this recurring "
        f"campaign ({config.reward.value}: {parts}), each earlier send worth "
        f"{config.warm_start_discount:g} of a new one and at most "
        f"{config.warm_start_cap_per_arm:,} per variant; the first {sent_now:,} recipients "
        f"split {shares}.",
        {
            "started_from_campaign_id": source,
            "discount": config.warm_start_discount,
            "cap_per_arm": config.warm_start_cap_per_arm,
            "prior": prior,
            "weights": state["weights"],
            "sent_now": sent_now,
        },
    )


def _give_all(state: dict[str, Any], held: Sequence[int], key: str) -> dict[int, str]:
    state |= {"phase": "rolled_out", "winner": key}
    return dict.fromkeys(held, key)


def _fallback(experiment: Experiment, paused: set[str]) -> str:
    if experiment.control_key not in paused:
        return experiment.control_key
    return next(arm.key for arm in _arms(experiment) if arm.key not in paused)


def _figures(results: ExperimentResults) -> dict[str, Any]:
    """The numbers behind a test's decision, per arm."""
    return {
        "verdict": results.verdict.value,
        "reason": results.reason,
        "leader": results.leader,
        "metric": results.metric.value,
        "exposure": results.exposure.value,
        "chance_to_win_required": results.rule.chance_to_win,
        "min_trials_per_arm": results.rule.min_trials_per_arm,
        "arms": [
            {
                "key": arm.key,
                "trials": arm.trials,
                "successes": arm.successes,
                "rate": arm.rate,
                "ci_low": arm.ci_low,
                "ci_high": arm.ci_high,
                "chance_to_be_best": arm.chance_to_be_best,
                "chance_to_beat_control": arm.chance_to_beat_control,
            }
            for arm in results.arms
        ],
        "srm_mismatch": bool(results.srm and results.srm.mismatch),
    }


def _rule(config: RolloutConfig, rule: DecisionRule) -> DecisionRule:
    return DecisionRule(
        min_trials_per_arm=config.min_trials_per_arm or rule.min_trials_per_arm,
        chance_to_win=config.chance_to_win or rule.chance_to_win,
        opt_out_guardrail=rule.opt_out_guardrail
        if config.opt_out_guardrail is None
        else config.opt_out_guardrail,
        failed_guardrail=rule.failed_guardrail
        if config.failed_guardrail is None
        else config.failed_guardrail,
    )


def _next_check(config: RolloutConfig, state: dict[str, Any], now: datetime) -> datetime | None:
    """The next moment the scheduler should look: a guardrail check, the window's end, the next
    batch, whichever is first."""
    checks = [now + timedelta(minutes=config.guardrail_check_minutes)]
    if state.get("phase") == "testing" and (decide := _time(state.get("decide_at"))):
        checks.append(max(decide, now))
    elif state.get("phase") == "testing" and not state.get("window_started_at"):
        checks.append(now + WINDOW_START_CHECK)  # looking for the test's first send
    if state.get("phase") == "bandit":
        last = _time(state.get("last_release_at")) or now
        checks.append(max(last + timedelta(minutes=config.interval_minutes), now))
    return min(checks)


def _arms(experiment: Experiment) -> list[Arm]:
    return [Arm.model_validate(arm) for arm in experiment.arms]


def _point(experiment: Experiment, unit: int, salt: str) -> float:
    return splitter.unit_point(experiment_id=f"{experiment.id}:{salt}", unit_id=unit)


def _assign(experiment: Experiment, unit: int, arms: Sequence[Arm], salt: str) -> str:
    return splitter.assign_arm(experiment_id=f"{experiment.id}:{salt}", unit_id=unit, arms=arms)


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:.0f} min"


def _floor_pct(p: float) -> str:
    """A percentage rounded down, so 94.96% never reads 95.0%."""
    return f"{int(p * 1000) / 10:.1f}%"


def _describe_stop(config: RolloutConfig) -> str:
    if not config.stop_at_winner:
        return "; re-weighted to the end, whatever the experiment's rule says"
    certainty = f" ({config.chance_to_win:.0%} chance to be best)" if config.chance_to_win else ""
    return f"; once the experiment's rule names a winner{certainty}, the rest gets it"


def _describe(config: RolloutConfig) -> str:
    if config.mode is RolloutMode.TEST_THEN_SEND:
        rule = (
            f"{config.chance_to_win:.0%} chance to be best" if config.chance_to_win else "the rule"
        )
        then = "sent automatically" if config.auto_send else "after approval"
        return (
            f"Test-then-send: {config.test_share:.0%} tested for {config.wait_minutes:g} min, the "
            f"winner by {rule} ({config.reward.value}) {then}"
        )
    if config.mode is RolloutMode.BANDIT:
        kind = "top-two" if config.top_two else "plain"
        return (
            f"Bandit ({kind} Thompson sampling on {config.reward.value}): batches of "
            f"{config.batch_size} every {config.interval_minutes:g} min"
            + (
                f" or every {config.reweight_every_outcomes:,} new {config.reward.value}"
                if config.reweight_every_outcomes
                else ""
            )
            + ", burn-in "
            f"{config.burn_in_per_arm} per variant, floor {config.floor_weight:.1%}"
            + _describe_stop(config)
            + (
                f"; a recurring campaign's later run starts from the previous run's results, "
                f"each earlier send worth {config.warm_start_discount:g} of a new one"
                if config.warm_start_discount > 0
                else "; every recurring run learns from scratch"
            )
        )
    return "Fixed split by the variants' weights"


async def _audit(
    session: AsyncSession,
    experiment: Experiment,
    action: str,
    summary: str,
    data: dict[str, Any],
    *,
    actor: str = ACTOR,
) -> None:
    log.info(action, campaign_id=experiment.campaign_id, experiment_id=experiment.id)
    await compliance.audit(
        session=session,
        actor=actor,
        action=action,
        entity_type=ENTITY,
        entity_id=experiment.campaign_id,
        data={"summary": summary, **data},
    )
