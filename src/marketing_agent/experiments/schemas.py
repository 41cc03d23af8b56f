"""Pydantic schemas of the experiments module: arms, experiments, analyses and the calculator."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from marketing_agent.core.events import EventType
from marketing_agent.experiments.analysis import ArmVerdict, Verdict

# The most certainty a request may ask for (99.99%): nearer 1, a normal quantile is infinite in
# floating point and an interval has no finite bounds.
MAX_CERTAINTY = 0.9999


class ExperimentStatus(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"


class Arm(BaseModel):
    """One arm of a split: a variant key and its share of traffic relative to the other arms."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(min_length=1, max_length=16)
    weight: float = Field(1.0, gt=0, allow_inf_nan=False)


class ExperimentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    arms: list[Arm]
    control_key: str
    status: ExperimentStatus
    created_at: datetime


class FrequentistRead(BaseModel):
    """Fixed-horizon numbers of an arm against the control: valid when read once, at a planned n."""

    engine: str
    difference: float = Field(description="Rate minus the control's rate.")
    difference_ci_low: float
    difference_ci_high: float
    lift: float | None
    lift_ci_low: float | None = Field(description="Delta-method confidence interval of the lift.")
    lift_ci_high: float | None
    z: float
    p_value: float = Field(description="Two-sided p-value of the pooled two-proportion z test.")
    p_value_holm: float | None = Field(description="Holm-adjusted over the arms' comparisons.")


class SequentialRead(BaseModel):
    """Always-valid numbers: they may be read after every send without inflating errors."""

    engine: str
    difference: float
    difference_ci_low: float = Field(description="Confidence sequence of the difference.")
    difference_ci_high: float
    lift: float | None
    lift_ci_low: float | None
    lift_ci_high: float | None
    p_value: float = Field(description="Always-valid p-value (1 / mixture e-value).")


class RevenueRead(BaseModel):
    """Value per recipient (e.g. revenue) against the control: Welch's t test. Every recipient
    counts, those who did not convert with 0, so the mean is revenue / recipients."""

    engine: str
    recipients: int | None = Field(None, description="Recipients counted (with their zeros).")
    converters: int | None = Field(None, description="Recipients who brought a value.")
    total: float | None = Field(None, description="The arm's value in all.")
    mean_per_recipient: float
    standard_deviation: float | None = Field(None, description="Per recipient, zeros included.")
    mean_ci_low: float | None = Field(None, description="t interval of the mean per recipient.")
    mean_ci_high: float | None = None
    difference: float | None = Field(description="Mean minus the control's; None for it.")
    ci_low: float | None = Field(description="Welch interval of the difference.")
    ci_high: float | None
    lift: float | None
    lift_ci_low: float | None = Field(None, description="Delta-method interval of the lift.")
    lift_ci_high: float | None = None
    p_value: float | None
    p_value_holm: float | None = Field(
        None, description="Holm-adjusted over the arms' comparisons (more than two arms)."
    )


class RevenueSummaryRead(BaseModel):
    """The campaign's value per recipient in one sentence that says how sure it is."""

    engine: str
    currency: str = Field(
        description="Only conversions reported in this currency count; empty in the calculator."
    )
    confidence: float
    leader: str | None = Field(
        description="The arm whose value per recipient is surely above the control's "
        "(Holm-adjusted p below 1 - confidence); None when no arm is."
    )
    reason: str


class ArmResultRead(BaseModel):
    """One arm: flat fields are Bayesian (but `p_value`); each engine's own numbers are nested."""

    key: str
    trials: int
    successes: int
    rate: float | None = Field(description="Observed successes / trials; None without trials.")
    ci_low: float = Field(
        description="Bayesian credible interval of the rate (equal-tailed, widened to hold rate)."
    )
    ci_high: float
    posterior_mean: float
    chance_to_beat_control: float | None = Field(
        description="P(rate > control's rate), exact; None for the control or without trials."
    )
    chance_to_be_best: float | None = Field(
        description="P(highest rate of the arms with trials); None with fewer than two such arms."
    )
    expected_loss: float | None = Field(
        description="Expected rate given up by choosing this arm (absolute)."
    )
    expected_loss_relative: float | None = Field(
        description="expected_loss as a share of the control's posterior mean rate."
    )
    lift: float | None = Field(description="Observed rate / control rate - 1.")
    lift_ci_low: float | None = Field(description="Credible interval of the lift; holds lift.")
    lift_ci_high: float | None
    p_value: float | None = Field(
        description="Two-sided p-value against the control (frequentist z test, unadjusted)."
    )
    rate_ci_low_frequentist: float | None = Field(description="Wilson interval of the rate.")
    rate_ci_high_frequentist: float | None
    frequentist: FrequentistRead | None
    sequential: SequentialRead | None
    revenue: RevenueRead | None = None
    verdict: ArmVerdict
    reason: str


class SampleRatioRead(BaseModel):
    chi_square: float
    p_value: float
    expected: list[float]
    mismatch: bool = Field(description="True when p_value < 0.001: the split is not as weighted.")


class DecisionRuleRead(BaseModel):
    min_trials_per_arm: int
    chance_to_win: float


class StoppingRead(BaseModel):
    """Whether the test may stop now, by the always-valid engine (safe to ask after every send)."""

    engine: str
    can_stop: bool
    confidence: float
    reason: str


class AnalysisFields(BaseModel):
    """What every analysis answers: per arm numbers, the verdict and its reason, warnings."""

    control_key: str
    engine: str = Field(description="The engine of the flat per-arm numbers and the verdict.")
    confidence: float
    prior_alpha: float
    prior_beta: float
    arms: list[ArmResultRead]
    verdict: Verdict
    leader: str | None = Field(
        description="The winner by the decision rule; None until the rule names one."
    )
    reason: str
    rule: DecisionRuleRead
    srm: SampleRatioRead | None
    warnings: list[str]
    stopping: StoppingRead


class GuardrailRead(BaseModel):
    """A rate that must stay low in every arm (opt-outs, failed sends such as a blocked bot)."""

    key: str
    metric: EventType
    rate: float | None = Field(description="Contacts with the event / contacts sent to.")
    ci_low: float | None = Field(description="Wilson interval of the rate.")
    ci_high: float | None
    threshold: float
    breached: bool = Field(
        description="True when even the interval's low end is above the threshold."
    )


class CupedArmRead(BaseModel):
    """One arm's rate adjusted for its recipients' pre-period metric, against the control."""

    key: str
    n: int = Field(description="Recipients with a known history (erased people have none).")
    rate: float = Field(description="The unadjusted rate among them.")
    adjusted_rate: float
    pre_period_mean: float = Field(description="Mean pre-period metric per recipient.")
    difference: float | None = Field(description="Adjusted rate minus the control's.")
    ci_low: float | None = Field(description="Welch confidence interval of the difference.")
    ci_high: float | None
    p_value: float | None


class CupedRead(BaseModel):
    """CUPED: the same comparison with the variance the recipients' past explains removed."""

    engine: str
    covariate: str = Field(description="What the pre-period metric counts.")
    pre_period_days: float
    confidence: float
    theta: float = Field(description="Pooled within-arm slope of the metric on the covariate.")
    variance_reduction: float = Field(
        description="Share of the metric's variance removed (the intervals narrow by its root)."
    )
    arms: list[CupedArmRead]


class ExperimentResults(AnalysisFields):
    experiment_id: int
    campaign_id: int
    metric: EventType
    exposure: EventType
    guardrails: list[GuardrailRead] = Field(default_factory=list)
    cuped: CupedRead | None = Field(
        None, description="None when no recipient has the metric in the pre-period."
    )
    revenue: RevenueSummaryRead | None = Field(
        None,
        description="Value per recipient (each arm's `revenue`); None when no conversion of "
        "the campaign carries a value.",
    )


class ChanceArmRead(BaseModel):
    """One variant at one moment: its counts then, and the chances they gave."""

    key: str
    trials: int = Field(description="Recipients first sent to by then.")
    successes: int = Field(description="Of them, those who had done the metric by then.")
    chance_to_be_best: float | None = Field(
        description="None while fewer than two variants have sends."
    )
    chance_to_beat_control: float | None = Field(description="None for the control.")


class ChancePointRead(BaseModel):
    """The experiment's analysis as it stood at `at`, from the events stored up to then."""

    at: datetime
    verdict: Verdict
    leader: str | None = Field(description="The rule's winner at that moment, if it named one.")
    arms: list[ChanceArmRead]


class ChanceHistoryRead(BaseModel):
    """Chance to win over time: the analysis recomputed at evenly spaced moments from the
    campaign's first send to its latest event, each from the events up to that moment."""

    campaign_id: int
    metric: EventType
    exposure: EventType = Field(description="Always sent: each recipient's first send.")
    control_key: str
    engine: str
    rule: DecisionRuleRead
    points: list[ChancePointRead] = Field(description="Oldest first; empty before any send.")


class AnalysisRead(AnalysisFields):
    """The calculator's answer."""

    revenue: RevenueSummaryRead | None = Field(
        None, description="With value_sum and value_sum_squares: value per recipient."
    )


class PriorIn(BaseModel):
    alpha: float = Field(1.0, gt=0, allow_inf_nan=False)
    beta: float = Field(1.0, gt=0, allow_inf_nan=False)


class AnalyseArm(BaseModel):
    key: str = Field(min_length=1, max_length=64)
    trials: int = Field(ge=0, le=10**12)
    successes: int = Field(ge=0, le=10**12)
    weight: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="Planned traffic share, for the SRM check."
    )
    # Bounded so that squares and products stay finite floats (1e15 of any currency is more than
    # any campaign brings; beyond it the variance would overflow into a server error).
    value_sum: float | None = Field(
        None,
        ge=-1e15,
        le=1e15,
        allow_inf_nan=False,
        description="Sum of a value per recipient, e.g. revenue.",
    )
    value_sum_squares: float | None = Field(
        None,
        ge=0,
        le=1e30,
        allow_inf_nan=False,
        description="Sum of its squares (for its variance).",
    )


class AnalyseRequest(BaseModel):
    """Counts from any test: the control's key and each arm's trials and successes."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "control": "A",
                "arms": [
                    {"key": "A", "trials": 1000, "successes": 50},
                    {"key": "B", "trials": 1000, "successes": 70},
                ],
            }
        }
    )

    control: str = Field(min_length=1, max_length=64)
    arms: list[AnalyseArm] = Field(min_length=2, max_length=20)
    prior: PriorIn | None = Field(None, description="Beta prior of every arm; flat by default.")
    min_trials_per_arm: int | None = Field(
        None,
        ge=0,
        le=10**12,
        description="The rule's minimum; the deployment's setting by default.",
    )
    chance_to_win: float | None = Field(None, gt=0.5, le=MAX_CERTAINTY)
    confidence: float = Field(0.95, gt=0.5, le=MAX_CERTAINTY)


class SampleSizeRequest(BaseModel):
    base_rate: float = Field(
        ge=1e-6, le=1 - 1e-6, description="The control's expected rate, e.g. 0.03."
    )
    minimum_detectable_lift: float = Field(
        gt=-1, allow_inf_nan=False, description="Relative lift to detect, e.g. 0.1 for +10%."
    )

    @model_validator(mode="after")
    def detectable(self) -> SampleSizeRequest:
        variant = self.base_rate * (1 + self.minimum_detectable_lift)
        if abs(self.minimum_detectable_lift) < 1e-4:
            raise ValueError("minimum_detectable_lift must be at least 0.0001 (0.01%) either way")
        if not 0 < variant < 1:
            raise ValueError("base_rate x (1 + minimum_detectable_lift) must lie between 0 and 1")
        return self

    power: float = Field(0.8, gt=0, le=MAX_CERTAINTY)
    alpha: float = Field(0.05, ge=1 - MAX_CERTAINTY, lt=1)
    arms: int = Field(2, ge=2, le=20)
    audience: int | None = Field(
        None,
        ge=0,
        le=10**12,
        description="Recipients available; the answer says whether they suffice.",
    )


class BaseRateSource(StrEnum):
    AUDIENCE = "audience"  # the earlier campaigns to the same audience (segment)
    WORKSPACE = "workspace"  # every earlier campaign of the workspace
    ASSUMED = "assumed"  # no earlier campaign with enough successes: a stated assumption


class BaseRateRead(BaseModel):
    """The control's expected rate a test is planned on, and where it comes from."""

    rate: float = Field(description="Successes per send (the reward: converted or clicked).")
    metric: EventType
    source: BaseRateSource
    campaigns: int = Field(description="Earlier campaigns the rate is counted from; 0 assumed.")
    sent: int = Field(description="Their recipients sent to.")
    successes: int = Field(description="Of them, those who did the metric.")
    reason: str = Field(description="The rate and its source in one sentence.")


class SampleSizeRead(BaseModel):
    per_arm: int
    total: int
    alpha_per_comparison: float
    rate_control: float
    rate_variant: float
    audience: int | None
    audience_sufficient: bool | None
    power_with_audience: float | None = Field(
        description="The power the audience gives, split evenly between the arms."
    )
    reason: str


class ExperimentReport(BaseModel):
    experiment: ExperimentRead
    results: ExperimentResults


class RolloutMode(StrEnum):
    FIXED = "fixed"  # the arms' weights, to everyone at once
    TEST_THEN_SEND = "test_then_send"  # a share first, then the winner to the rest
    BANDIT = "bandit"  # batches re-weighted by Thompson sampling while the campaign sends


class BanditFeedback(StrEnum):
    """How a bandit counts sends whose reward may still come (late conversions)."""

    # Every send counts at once, as the share of its reward that can have come by now under an
    # exponential delay of `delay_mean_minutes` (1 - exp(-age / mean)); every reward seen whole.
    DELAY_WEIGHTED = "delay_weighted"
    # A send counts, whole, only once it is `maturity_minutes` old; younger sends are ignored.
    MATURE = "mature"


class NoWinner(StrEnum):
    CONTROL = "control"  # the rest gets the control
    ASK = "ask"  # the rest waits for a person to choose


class RolloutConfig(BaseModel):
    """How a campaign's experiment decides the split while it sends; set before it starts."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"mode": "test_then_send", "test_share": 0.2}}
    )

    mode: RolloutMode = RolloutMode.FIXED
    reward: EventType = Field(
        EventType.CONVERTED,
        description="The event that counts as success: converted or clicked.",
    )
    test_share: float = Field(0.2, ge=0.01, le=0.9, description="test-then-send: share tested.")
    wait_minutes: float = Field(
        240,
        ge=0.1,
        le=43200,
        allow_inf_nan=False,
        description="test-then-send: the window, counted from the test's first send.",
    )
    auto_send: bool = Field(
        True, description="test-then-send: send the winner at once, or wait for approval."
    )
    no_winner: NoWinner = Field(
        NoWinner.CONTROL, description="test-then-send: what the rest gets when no arm wins."
    )
    chance_to_win: float | None = Field(
        None, gt=0.5, lt=1, description="The certainty a winner needs; the deployment's default."
    )
    min_trials_per_arm: int | None = Field(None, ge=1, le=10**9)
    opt_out_guardrail: float | None = Field(
        None, ge=0, le=1, description="Opt-out rate that pauses an arm; the deployment's default."
    )
    failed_guardrail: float | None = Field(
        None, ge=0, le=1, description="Failed-send rate (e.g. blocked bot) that pauses an arm."
    )
    top_two: bool = Field(False, description="bandit: top-two Thompson sampling, else plain.")
    burn_in_per_arm: int = Field(20, ge=0, le=10**6, description="bandit: equal split until.")
    floor_weight: float = Field(0.001, ge=0, le=0.5, description="bandit: least share per arm.")
    sharpen: float = Field(
        1.5, ge=1, le=4, description="bandit: weights = chance to be best ^ sharpen (1: plain)."
    )
    batch_size: int = Field(500, ge=1, le=10**6, description="bandit: sends per re-weighting.")
    interval_minutes: float = Field(
        15, ge=0.01, le=10080, allow_inf_nan=False, description="bandit: time between batches."
    )
    reweight_every_outcomes: int | None = Field(
        None,
        ge=1,
        le=10**6,
        description="bandit: also send the next batch as soon as this many new rewards came "
        "since the last one (checked every guardrail_check_minutes), before the interval ends.",
    )
    feedback: BanditFeedback = Field(
        BanditFeedback.DELAY_WEIGHTED,
        description="bandit: how sends whose reward may still come count. delay_weighted: "
        "every send at once, as the share of its reward that can have come by now "
        "(delay_mean_minutes); mature: a send only once maturity_minutes old.",
    )
    delay_mean_minutes: float = Field(
        60,
        gt=0,
        le=43200,
        allow_inf_nan=False,
        description="bandit, delay_weighted: the mean time from delivery to the reward; a send "
        "t minutes old counts as 1 - exp(-t / mean) of a trial.",
    )
    maturity_minutes: float = Field(
        60,
        ge=0,
        le=43200,
        allow_inf_nan=False,
        description="bandit, mature: a send is evidence once this old (late conversions).",
    )
    stop_at_winner: bool = Field(
        True,
        description="bandit: once the experiment's decision rule names a winner (every variant "
        "at the minimum sample, chance to be best at the certainty), every recipient still held "
        "gets it and the bandit stops exploring; off: the bandit keeps re-weighting to the end.",
    )
    warm_start_discount: float = Field(
        0.5,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="bandit, recurring campaign: a run starts from the latest earlier bandit "
        "run's results, each earlier send worth this much of a new one (0: learn from scratch).",
    )
    warm_start_cap_per_arm: int = Field(
        1000,
        ge=1,
        le=10**6,
        description="bandit: at most this many earlier sends' worth per variant (the earlier "
        "rate kept), so old evidence never outweighs the new run's.",
    )
    reuse_winner: bool = Field(
        True,
        description="test-then-send, recurring campaign: a run sends the latest earlier run's "
        "winner to everyone instead of testing again.",
    )
    pause_on_guardrail: bool = Field(
        True, description="Pause an arm whose guardrail is breached (the campaign if all are)."
    )
    guardrail_check_minutes: float = Field(5, ge=0.01, le=1440, allow_inf_nan=False)

    @model_validator(mode="after")
    def reward_is_a_success(self) -> RolloutConfig:
        if self.reward not in (EventType.CONVERTED, EventType.CLICKED):
            raise ValueError("reward must be converted or clicked")
        return self


class ArmPrior(BaseModel):
    """An earlier run's evidence for one variant, and its weight in this run."""

    sent: int
    conversions: int
    counts_as_sent: float
    counts_as_conversions: float


class RolloutRead(BaseModel):
    """A campaign's rollout: its settings and what it has done so far."""

    campaign_id: int
    config: RolloutConfig
    phase: str = Field(
        description="not_started, fixed, testing, awaiting_approval, rolled_out, bandit, done."
    )
    started_at: datetime | None = Field(description="When the campaign started (its audience).")
    window_started_at: datetime | None = Field(
        None,
        description="test-then-send: the test's first send, from which its window counts; None "
        "until the scheduler has seen it.",
    )
    decide_at: datetime | None = Field(
        description="test-then-send: when the window ends, the first send + wait_minutes (at "
        "the start: the earliest it can; None while the test has sent nothing yet)."
    )
    winner: str | None
    proposed: str | None = Field(description="The winner waiting for a person's approval.")
    paused_arms: list[str]
    weights: dict[str, float] = Field(description="The current traffic share of each arm.")
    held: int = Field(description="Recipients waiting for the experiment's decision.")
    released: int
    inherited_from_campaign_id: int | None = Field(
        None,
        description="A recurring campaign's run: the earlier run whose winner this run sends "
        "to everyone (set when the run is made, applied when it starts).",
    )
    started_from_campaign_id: int | None = Field(
        None,
        description="bandit, recurring campaign: the earlier run whose results (discounted) "
        "this run's bandit started from.",
    )
    prior: dict[str, ArmPrior] = Field(
        default_factory=dict,
        description="bandit: per variant, the earlier run's sends and conversions and what "
        "they count for here after the discount and cap.",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="Plain-language problems with how this rollout can decide (e.g. a bandit "
        "whose send ends before its conversions can come).",
    )


class ApproveWinner(BaseModel):
    variant_key: str | None = Field(
        None, min_length=1, max_length=16, description="The arm to send; the proposed one if none."
    )


class DecisionRead(BaseModel):
    """One automatic or human decision of the experiment, as recorded in the audit log."""

    at: datetime
    actor: str
    action: str
    summary: str
    data: dict[str, object]
