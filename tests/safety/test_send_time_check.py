"""Invariant 4 at send time: the worker checks the exact rendered text of each message; a render
that fails (here a contact's name that is a card number) is held back, never sent, and the
delivery says why; identical renders are checked once."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.core.db import Database
from marketing_agent.orchestrator import scheduled
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import ContactCreate
from marketing_agent.safety import service as safety
from marketing_agent.safety.telegram_rules import OPT_OUT_LINE
from marketing_agent.telegram.transport import OutgoingMessage, SendOutcome, SendStatus
from tests.factories import (
    database_of,
    grant_consent,
    headers_for,
    make_contacts,
    make_sender,
    runtime_of,
)
from tests.orchestrator.test_flows import SAFE, create, run_until_idle


async def test_a_render_that_leaks_a_card_number_is_held_and_the_delivery_says_why(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 3, sender_id=sender_id)
    async with db.session() as session:  # an import put a card number in the name column
        leaky = await orchestrator.create_contact(
            session=session,
            contact_in=ContactCreate(telegram_id=77_000_001, first_name="4111 1111 1111 1111"),
        )
        await grant_consent(session, leaky.id, sender_id, "marketing")
    headers = await headers_for(client, db)
    campaign = await create(client, headers, name="Boots", goal="Boots", variants=SAFE)
    submitted = await client.post(
        f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers
    )
    assert submitted.json()["status"] in ("scheduled", "running"), submitted.text

    await run_until_idle(db)

    deliveries = (
        await client.get(
            f"/api/v1/orchestrator/campaigns/{campaign['id']}/deliveries", headers=headers
        )
    ).json()["items"]
    held = [d for d in deliveries if d["status"] == "skipped"]
    assert len(held) == 1
    assert held[0]["reason"].startswith("content_blocked:") and "card" in held[0]["reason"]
    assert sum(d["status"] == "sent" for d in deliveries) == 3


def test_identical_renders_are_checked_once_and_prepare_adds_the_way_out() -> None:
    policy = safety.ContentPolicy(
        safety.default_blacklist_with([], []), rules=safety.ContentRules(opt_out="add")
    )
    text, verdict = policy.prepare("Winter boots are 20% off this week.")
    assert verdict.allowed and text.endswith(OPT_OUT_LINE)
    assert [r.code for r in verdict.reasons] == ["opt_out_added"]
    again_text, _ = policy.prepare("Winter boots are 20% off this week.")
    assert again_text == text
    assert len(policy._verdicts) == 1  # one check for both


async def _send_campaign(
    client: httpx.AsyncClient, db: Database, headers: dict[str, str], text: str
) -> dict[int, str]:
    """Submits a one-variant campaign and drives the process's own worker (its runtime's
    policies); returns the text each chat received."""
    received: dict[int, str] = {}

    async def send(*, sender_id: int, profile_name: str, message: OutgoingMessage) -> SendOutcome:
        received[message.chat_id] = message.text
        return SendOutcome(status=SendStatus.SENT, message_id=len(received))

    campaign = await create(client, headers, name="Boots", goal="Boots", variants=[{"text": text}])
    submitted = await client.post(
        f"/api/v1/orchestrator/campaigns/{campaign['id']}/submit", headers=headers
    )
    assert submitted.json()["status"] in ("scheduled", "running"), submitted.text
    worker = runtime_of(db).delivery_worker(send=send)
    for _ in range(20):
        await scheduled.tick(runtime_of(db))
        if not await worker.run_once():
            break
    return received


async def test_the_configured_opt_out_line_is_added_to_each_message_sent(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 2, sender_id=sender_id)
    headers = await headers_for(client, db)
    assert runtime_of(db).policies.content_rules.opt_out == "add"  # the deployment's default

    received = await _send_campaign(client, db, headers, "Winter boots are 20% off this week.")

    assert len(received) == 2
    assert all(
        t == f"Winter boots are 20% off this week.\n\n{OPT_OUT_LINE}" for t in received.values()
    )


async def test_a_rule_the_admin_changes_in_safety_settings_applies_at_send_time(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 2, sender_id=sender_id)
    headers = await headers_for(client, db)
    before = (await client.get("/api/v1/safety/settings", headers=headers)).json()
    assert before["opt_out"] == "add" and before["content_rules_source"] == "deployment"

    changed = await client.patch(
        "/api/v1/safety/settings",
        json={"opt_out": "off", "link_allowlist": ["shop.example.com"]},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["opt_out"] == "off"
    assert changed.json()["link_allowlist"] == ["shop.example.com"]
    assert changed.json()["content_rules_source"] == "workspace"

    plain = await _send_campaign(client, db, headers, "Winter boots are 20% off this week.")
    assert sorted(plain.values()) == ["Winter boots are 20% off this week."] * 2  # no line added

    await client.patch("/api/v1/safety/settings", json={"opt_out": "block"}, headers=headers)
    blocked = await _send_campaign(client, db, headers, "Winter boots: 30% off until Sunday.")
    assert blocked == {}  # without a way out nothing leaves
    entries = (
        await client.get(
            "/api/v1/compliance/audit",
            params={"action": "safety.settings_changed"},
            headers=headers,
        )
    ).json()["items"]
    assert [e["data"]["opt_out"]["to"] for e in entries if "opt_out" in e["data"]][:2] == [
        "block",
        "off",
    ]


async def test_a_domain_outside_the_admins_allow_list_is_held_at_send_time(
    client: httpx.AsyncClient, app: FastAPI, virtual_clock: object
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 1, sender_id=sender_id)
    headers = await headers_for(client, db)
    await client.patch(
        "/api/v1/safety/settings", json={"link_allowlist": ["shop.example.com"]}, headers=headers
    )
    allowed = await _send_campaign(
        client, db, headers, "New boots: https://shop.example.com/boots Reply /stop to unsubscribe."
    )
    assert len(allowed) == 1

    bad = await client.patch(
        "/api/v1/safety/settings", json={"link_allowlist": ["not a domain"]}, headers=headers
    )
    assert bad.status_code == 422
