"""Value per recipient (e.g. revenue) beside the conversion rate: every recipient counts, those who
did not convert with 0, so the mean is the arm's revenue / its recipients and its variance is the
per-recipient one (mostly zeros, a few large values). Each arm is compared with the control by
Welch's t test (no equal-variance assumption), the lift by the delta method, Holm over the arms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from marketing_agent.experiments import frequentist
from marketing_agent.experiments.frequentist import MeanSummary
from marketing_agent.experiments.schemas import RevenueRead, RevenueSummaryRead


@dataclass(frozen=True)
class ArmValue:
    """One arm's per-recipient sums: recipients, who brought a value, the sum and its squares."""

    n: int
    total: float
    sum_squares: float
    converters: int | None = None


def summary_of(value: ArmValue) -> MeanSummary:
    """Returns the arm's mean and sample variance per recipient (zeros included)."""
    if value.n == 0:
        return MeanSummary(n=0, mean=0.0, variance=0.0)
    mean = value.total / value.n
    variance = (
        max(0.0, (value.sum_squares - value.total * value.total / value.n) / (value.n - 1))
        if value.n > 1
        else 0.0
    )
    return MeanSummary(n=value.n, mean=mean, variance=variance)


def compare(
    values: Mapping[str, ArmValue],
    control_key: str,
    *,
    confidence: float = 0.95,
    currency: str = "USD",
) -> tuple[dict[str, RevenueRead], RevenueSummaryRead]:
    """Returns each arm's value per recipient against the control, and the sentence that says
    which arm (if any) surely brings more, and how sure."""
    summaries = {key: summary_of(value) for key, value in values.items()}
    control = summaries[control_key]
    tests = {
        key: frequentist.welch_t_test(control, summary, confidence=confidence)
        for key, summary in summaries.items()
        if key != control_key
    }
    compared = [key for key, test in tests.items() if test is not None]
    holm = dict(
        zip(
            compared,
            frequentist.holm_adjust([tests[key].p_value for key in compared]),  # type: ignore[union-attr]
            strict=True,
        )
    )
    reads: dict[str, RevenueRead] = {}
    for key, summary in summaries.items():
        test = tests.get(key)
        interval = frequentist.mean_interval(summary, confidence=confidence)
        reads[key] = RevenueRead(
            engine=frequentist.ENGINE_WELCH,
            recipients=summary.n,
            converters=values[key].converters,
            total=values[key].total,
            mean_per_recipient=summary.mean,
            standard_deviation=summary.variance**0.5,
            mean_ci_low=interval[0] if interval else None,
            mean_ci_high=interval[1] if interval else None,
            difference=test.difference if test else None,
            ci_low=test.ci_low if test else None,
            ci_high=test.ci_high if test else None,
            lift=test.lift if test else None,
            lift_ci_low=test.lift_ci_low if test else None,
            lift_ci_high=test.lift_ci_high if test else None,
            p_value=test.p_value if test else None,
            p_value_holm=holm.get(key) if len(compared) > 1 else None,
        )
    leader, reason = _verdict(reads, control_key, compared, confidence, currency)
    return reads, RevenueSummaryRead(
        engine=frequentist.ENGINE_WELCH
        + " on value per recipient (zeros included)"
        + (", Holm-adjusted" if len(compared) > 1 else ""),
        currency=currency,
        confidence=confidence,
        leader=leader,
        reason=reason,
    )


def _verdict(
    reads: Mapping[str, RevenueRead],
    control_key: str,
    compared: list[str],
    confidence: float,
    currency: str,
) -> tuple[str | None, str]:
    """Returns the arm surely ahead on value per recipient (or None) and why, in plain words."""
    level = f"{confidence:.0%}"
    if not compared:
        return None, (
            "Too few recipients to compare value per recipient yet (every variant needs at "
            "least 2)."
        )
    alpha = 1 - confidence

    def p_of(key: str) -> float:
        read = reads[key]
        return read.p_value_holm if read.p_value_holm is not None else read.p_value or 1.0

    better = [k for k in compared if (reads[k].difference or 0) > 0 and p_of(k) < alpha]
    worse = [k for k in compared if (reads[k].difference or 0) < 0 and p_of(k) < alpha]
    control = reads[control_key]
    if better:
        best = max(better, key=lambda k: reads[k].mean_per_recipient)
        return best, (
            f"Variant {best} brings {_money(reads[best].difference or 0, currency)} more per "
            f"recipient than {control_key} ({_money(reads[best].mean_per_recipient, currency)} "
            f"vs {_money(control.mean_per_recipient, currency)}; {level} interval of the "
            f"difference {_span(reads[best], currency)}, p = {_p(p_of(best))}): surely more."
        )
    pieces = [
        f"{k} {_signed(reads[k].difference or 0, currency)} ({level} interval "
        f"{_span(reads[k], currency)}, p = {_p(p_of(k))})"
        for k in compared
    ]
    if worse:
        return None, (
            f"No variant brings surely more per recipient than {control_key}; "
            + ", ".join(f"{k} surely less" for k in worse)
            + ": "
            + "; ".join(pieces)
            + "."
        )
    return None, (
        f"No variant's value per recipient is surely different from {control_key}'s "
        f"({_money(control.mean_per_recipient, currency)}): " + "; ".join(pieces) + "."
    )


def _money(value: float, currency: str) -> str:
    sign = "−" if value < 0 else ""
    return f"{sign}{abs(value):,.2f}" + (f" {currency}" if currency else "")


def _signed(value: float, currency: str) -> str:
    return ("+" if value >= 0 else "") + _money(value, currency)


def _span(read: RevenueRead, currency: str) -> str:
    return f"{_money(read.ci_low or 0, currency)} to {_money(read.ci_high or 0, currency)}"


def _p(p: float) -> str:
    return "<0.0001" if p < 0.0001 else f"{p:.2g}"
