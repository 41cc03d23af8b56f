"""Invariant 4 at send time: the worker checks the exact rendered text of each message; a render
that fails (here a contact's name that is a card number) is held back, never sent, and the
delivery says why; identical renders are checked once."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import ContactCreate
from marketing_agent.safety import service as safety
from marketing_agent.safety.telegram_rules import OPT_OUT_LINE
from tests.factories import database_of, grant_consent, headers_for, make_contacts, make_sender
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
