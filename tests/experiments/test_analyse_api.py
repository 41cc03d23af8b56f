from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from tests.factories import database_of, headers_for

ISSUE_EXAMPLE = {
    "control": "A",
    "arms": [
        {"key": "A", "trials": 1000, "successes": 50},
        {"key": "B", "trials": 1000, "successes": 80},
        {"key": "C", "trials": 1000, "successes": 52},
    ],
}


async def test_a_viewer_analyses_any_counts_with_every_number_per_arm(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)

    response = await client.post("/api/v1/experiments/analyse", json=ISSUE_EXAMPLE, headers=viewer)

    assert response.status_code == 200, response.text
    body = response.json()
    a, b, c = body["arms"]
    for arm in body["arms"]:
        assert arm["ci_low"] <= arm["rate"] <= arm["ci_high"]
        assert {
            "chance_to_be_best",
            "expected_loss",
            "lift",
            "p_value",
            "verdict",
            "reason",
        } <= set(arm)
    assert a["verdict"] == "control" and a["chance_to_beat_control"] is None
    assert b["chance_to_beat_control"] > 0.99 and b["verdict"] == "better"
    assert b["lift"] == pytest.approx(0.6)
    assert b["lift_ci_low"] < 0.6 < b["lift_ci_high"]
    assert b["p_value"] < 0.05 and b["frequentist"]["p_value_holm"] >= b["p_value"]
    assert b["sequential"]["engine"].startswith("sequential")
    assert c["verdict"] == "inconclusive"
    assert body["verdict"] == "winner" and body["leader"] == "B"
    assert "B is best" in body["reason"]
    assert body["engine"].startswith("bayesian")


async def test_few_sends_give_not_enough_data_and_weights_give_an_srm_check(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    body = {
        "control": "A",
        "arms": [
            {"key": "A", "trials": 1000, "successes": 50, "weight": 1},
            {"key": "B", "trials": 20, "successes": 10, "weight": 1},
        ],
    }

    default = (await client.post("/api/v1/experiments/analyse", json=body, headers=viewer)).json()
    lenient = (
        await client.post(
            "/api/v1/experiments/analyse", json={**body, "min_trials_per_arm": 10}, headers=viewer
        )
    ).json()

    assert default["verdict"] == "not_enough_data" and default["leader"] is None
    assert "B has 20" in default["reason"]
    assert default["srm"]["mismatch"] is True and default["warnings"]
    assert lenient["leader"] == "B"


async def test_bad_counts_are_a_422_naming_every_problem(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    impossible = {
        "control": "Z",
        "arms": [
            {"key": "A", "trials": 10, "successes": 11},
            {"key": "A", "trials": 10, "successes": 1},
        ],
    }
    negative = {"control": "A", "arms": [{"key": "A", "trials": -1, "successes": 0}] * 2}

    refused = await client.post("/api/v1/experiments/analyse", json=impossible, headers=viewer)
    invalid = await client.post("/api/v1/experiments/analyse", json=negative, headers=viewer)

    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    locs = [e["loc"] for e in refused.json()["errors"]]
    assert locs == [
        ["body", "arms", 0, "successes"],
        ["body", "arms", 1, "key"],
        ["body", "control"],
    ]
    assert invalid.status_code == 422


async def test_the_calculator_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/experiments/analyse", json=ISSUE_EXAMPLE)

    assert response.status_code == 401


async def test_sample_size_says_whether_the_audience_is_enough(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    plan = {"base_rate": 0.03, "minimum_detectable_lift": 0.1, "power": 0.8, "arms": 2}

    small = await client.post(
        "/api/v1/experiments/sample-size", json={**plan, "audience": 20_000}, headers=viewer
    )
    large = await client.post(
        "/api/v1/experiments/sample-size", json={**plan, "audience": 200_000}, headers=viewer
    )
    impossible = await client.post(
        "/api/v1/experiments/sample-size",
        json={**plan, "base_rate": 0.6, "minimum_detectable_lift": 1.0},
        headers=viewer,
    )

    assert small.status_code == 200, small.text
    assert small.json()["per_arm"] == 53_211
    assert small.json()["audience_sufficient"] is False
    assert "does not give" in small.json()["reason"]
    assert small.json()["power_with_audience"] < 0.8
    assert large.json()["audience_sufficient"] is True
    assert impossible.status_code == 422


async def test_value_per_recipient_is_compared_with_welchs_t_test(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    # A: 50 buyers of 20.0 in 1000; B: 80 buyers of 20.0 in 1000.
    body = {
        "control": "A",
        "arms": [
            {
                "key": "A",
                "trials": 1000,
                "successes": 50,
                "value_sum": 1000,
                "value_sum_squares": 20000,
            },
            {
                "key": "B",
                "trials": 1000,
                "successes": 80,
                "value_sum": 1600,
                "value_sum_squares": 32000,
            },
        ],
    }
    inconsistent = {
        "control": "A",
        "arms": [
            {"key": "A", "trials": 10, "successes": 1, "value_sum": 100, "value_sum_squares": 5},
            {"key": "B", "trials": 10, "successes": 1},
        ],
    }

    response = await client.post("/api/v1/experiments/analyse", json=body, headers=viewer)
    refused = await client.post("/api/v1/experiments/analyse", json=inconsistent, headers=viewer)

    assert response.status_code == 200, response.text
    a, b = (arm["revenue"] for arm in response.json()["arms"])
    assert a["mean_per_recipient"] == pytest.approx(1.0) and a["p_value"] is None
    assert b["difference"] == pytest.approx(0.6) and b["engine"].startswith("frequentist")
    assert b["ci_low"] < 0.6 < b["ci_high"] and b["p_value"] < 0.05
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["errors"]] == [
        ["body", "arms"],
        ["body", "arms", 0, "value_sum_squares"],
    ]


async def test_arms_without_any_trials_are_not_enough_data_even_without_a_minimum(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    empty = {
        "control": "A",
        "arms": [
            {"key": "A", "trials": 0, "successes": 0},
            {"key": "B", "trials": 0, "successes": 0},
        ],
        "min_trials_per_arm": 0,
    }

    response = await client.post("/api/v1/experiments/analyse", json=empty, headers=viewer)

    assert response.status_code == 200
    assert response.json()["verdict"] == "not_enough_data"
    assert [a["rate"] for a in response.json()["arms"]] == [None, None]


async def test_the_calculator_says_whether_the_test_may_stop_by_the_always_valid_engine(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app))
    clear = {
        "control": "A",
        "arms": [
            {"key": "A", "trials": 5000, "successes": 150},
            {"key": "B", "trials": 5000, "successes": 260},
        ],
    }
    close = {
        "control": "A",
        "arms": [
            {"key": "A", "trials": 500, "successes": 15},
            {"key": "B", "trials": 500, "successes": 18},
        ],
    }
    stop = (await client.post("/api/v1/experiments/analyse", json=clear, headers=headers)).json()
    wait = (await client.post("/api/v1/experiments/analyse", json=close, headers=headers)).json()
    assert stop["stopping"]["can_stop"] is True
    assert stop["stopping"]["reason"].startswith("You can stop: B is better")
    assert stop["stopping"]["engine"] == stop["arms"][1]["sequential"]["engine"]
    assert wait["stopping"]["can_stop"] is False
    assert wait["stopping"]["reason"].startswith("Keep going")


async def test_a_certainty_too_near_one_for_finite_intervals_is_a_422(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)

    near_one = await client.post(
        "/api/v1/experiments/analyse",
        json={**ISSUE_EXAMPLE, "confidence": 0.9999999999999999},
        headers=viewer,
    )
    strict = await client.post(
        "/api/v1/experiments/analyse", json={**ISSUE_EXAMPLE, "confidence": 0.9999}, headers=viewer
    )

    assert near_one.status_code == 422
    assert near_one.json()["errors"][0]["loc"] == ["body", "confidence"]
    frequentist = strict.json()["arms"][1]["frequentist"]
    assert frequentist["difference_ci_low"] < frequentist["difference"]
    assert frequentist["difference"] < frequentist["difference_ci_high"]


async def test_values_too_large_for_a_variance_are_refused_not_a_server_error(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    viewer = await headers_for(client, database_of(app), Role.VIEWER)
    huge = {"value_sum": 1e200, "value_sum_squares": 1e300}
    body = {
        "control": "A",
        "arms": [
            {"key": "A", "trials": 1000, "successes": 50, **huge},
            {"key": "B", "trials": 1000, "successes": 70, **huge},
        ],
    }

    response = await client.post("/api/v1/experiments/analyse", json=body, headers=viewer)

    assert response.status_code == 422
    assert ["body", "arms", 0, "value_sum"] in [e["loc"] for e in response.json()["errors"]]
