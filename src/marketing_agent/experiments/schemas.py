"""Pydantic schemas of the experiments module: arms, experiments and their Bayesian results."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from marketing_agent.analytics import service as analytics


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


class ArmResultRead(BaseModel):
    """An arm's posterior (Beta(1,1) prior); the control has no chance_to_beat_control or lift."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    trials: int
    successes: int
    rate: float | None = Field(description="Observed successes / trials; None without trials.")
    ci_low: float = Field(description="2.5% quantile of the posterior.")
    ci_high: float = Field(description="97.5% quantile of the posterior.")
    chance_to_beat_control: float | None
    chance_to_be_best: float
    expected_loss: float = Field(description="Expected rate given up by choosing this arm.")
    lift: float | None = Field(description="Relative difference of rates to the control.")


class ExperimentResults(BaseModel):
    experiment_id: int
    campaign_id: int
    control_key: str
    metric: analytics.EventType
    exposure: analytics.EventType
    arms: list[ArmResultRead]
    leader: str | None = Field(description="The arm most likely to be best; None without data.")


class ExperimentReport(BaseModel):
    experiment: ExperimentRead
    results: ExperimentResults
