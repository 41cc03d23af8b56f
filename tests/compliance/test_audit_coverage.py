"""Every write route of the API is accounted for in the audit log.

Each POST/PUT/PATCH/DELETE route under /api/v1 is in exactly one table: AUDITED (the audit
action, or family of actions, its write leaves), WRITES_NOTHING (why it changes no state),
PEOPLES_OWN_ACTIONS (Telegram carrying what a person did; audited where it is decided) or
NOT_YET_AUDITED (state it changes with no audit entry yet: empty, and a gap if not). A new
route in none of them fails the check, so nothing new lands unaudited by oversight. The routes
of segments, costs, consent and erasure are called for real and their entries checked.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from marketing_agent.compliance import service as compliance
from marketing_agent.core.auth import Role
from marketing_agent.core.settings import Settings
from marketing_agent.gateway.app import create_app
from tests.analytics.factories import make_campaign
from tests.factories import database_of, headers_for, make_contacts, make_sender
from tests.routes import api_routes

API = "/api/v1"
SRC = Path(__file__).resolve().parents[2] / "src" / "marketing_agent"

AUDITED: dict[str, str] = {
    "POST /auth/password": "user.password_changed",
    "POST /auth/users": "user.created",
    "PATCH /auth/users/{user_id}": "user.updated",
    "DELETE /auth/users/{user_id}": "user.deleted",
    "POST /auth/users/{user_id}/password-reset": "user.password_reset",
    "POST /auth/api-keys": "api_key.created",
    "DELETE /auth/api-keys/{key_id}": "api_key.revoked",
    "PATCH /orchestrator/contacts/{contact_id}": "contact.updated",
    "POST /orchestrator/contacts/{contact_id}/unsubscribe": "consent.",
    "POST /orchestrator/contacts": "contact.created",
    "POST /orchestrator/contacts/import": "contacts.imported",
    "POST /orchestrator/segments": "segment.created",
    "PATCH /orchestrator/segments/{segment_id}": "segment.updated",
    "DELETE /orchestrator/segments/{segment_id}": "segment.deleted",
    "POST /orchestrator/campaigns": "campaign.created",
    "PATCH /orchestrator/campaigns/{campaign_id}": "campaign.updated",
    "POST /orchestrator/campaigns/{campaign_id}/clone": "campaign.cloned",
    "POST /orchestrator/campaigns/{campaign_id}/archive": "campaign.archived",
    "POST /orchestrator/campaigns/{campaign_id}/unarchive": "campaign.",
    "POST /orchestrator/campaigns/{campaign_id}/submit": "campaign.",
    "POST /orchestrator/campaigns/{campaign_id}/pause": "campaign.",
    "POST /orchestrator/campaigns/{campaign_id}/resume": "campaign.",
    "POST /orchestrator/campaigns/{campaign_id}/cancel": "campaign.",
    "POST /orchestrator/campaigns/{campaign_id}/redrive": "campaign.redriven",
    "POST /orchestrator/reviews/{review_id}/approve": "review.",
    "POST /orchestrator/reviews/{review_id}/reject": "review.",
    "POST /orchestrator/reviews/{review_id}/assign": "review.assigned",
    "POST /orchestrator/reviews/{review_id}/request-changes": "review.changes_requested",
    "POST /agent/plan": "llm_usage.recorded",
    "POST /agent/chat": "llm_usage.recorded",
    "POST /agent/chat/stream": "llm_usage.recorded",
    "PUT /agent/campaigns/{campaign_id}/budget": "agent.campaign_budget_set",
    "PUT /agent/prompts/{name}": "agent.prompt_edited",
    "DELETE /agent/prompts/{name}": "agent.prompt_reset",
    "POST /agent/inbox/{reply_id}/answer": "inbox.answered",
    "POST /agent/inbox/{reply_id}/dismiss": "inbox.dismissed",
    "POST /telegram/senders": "sender.created",
    "POST /telegram/senders/{sender_id}/test": "sender.tested",
    "PUT /telegram/senders/{sender_id}/webhook": "sender.webhook_set",
    "DELETE /telegram/senders/{sender_id}/webhook": "sender.webhook_deleted",
    # Each step in a transaction of its own, refusals too; never the phone, code or password.
    "POST /telegram/accounts/login": "telegram_login.",
    "POST /telegram/accounts/login/{login_id}/code": "telegram_login.",
    "POST /telegram/accounts/login/{login_id}/password": "telegram_login.",
    "DELETE /telegram/accounts/login/{login_id}": "telegram_login.cancelled",
    "POST /safety/blacklist": "blacklist.term_added",
    "DELETE /safety/blacklist/{term_id}": "blacklist.term_removed",
    "POST /safety/phrase-lists": "phrase_list",
    "PATCH /safety/phrase-lists/{list_id}": "phrase_list",
    "DELETE /safety/phrase-lists/{list_id}": "phrase_list",
    "POST /safety/phrase-lists/{list_id}/phrases": "phrase_list",
    "DELETE /safety/phrase-lists/{list_id}/phrases/{phrase_id}": "phrase_list",
    "POST /safety/sender-health/{sender_id}/resume": "sender.cooldown_ended",
    "PATCH /safety/settings": "safety.settings_changed",
    "POST /analytics/campaigns/{campaign_id}/costs": "cost.added",
    "DELETE /analytics/campaigns/{campaign_id}/costs/{cost_id}": "cost.deleted",
    # One event a request: one entry each (who sent it, what, whose; not its properties).
    "POST /analytics/events": "event.recorded",
    # One entry a batch, not a row: who sent it, the counts and the ids of the rows it recorded,
    # so each conversion is traced to its batch and sender without a chain append per row.
    "POST /analytics/conversions": "conversions.ingested",
    "POST /analytics/webhooks/{source}": "conversions.ingested",
    "PUT /experiments/campaigns/{campaign_id}/rollout": "experiment.",
    "POST /experiments/campaigns/{campaign_id}/rollout/approve": "experiment.",
    "POST /experiments/campaigns/{campaign_id}/arms/{variant_key}/resume": "experiment.",
    "POST /compliance/consents": "consent.",
    "POST /compliance/requests": "privacy_request",
    "POST /compliance/requests/{request_id}/verify": "privacy_request",
    "POST /compliance/requests/{request_id}/extend": "privacy_request",
    "POST /compliance/requests/{request_id}/reject": "privacy_request",
    "POST /compliance/requests/{request_id}/complete": "privacy_request",
    "POST /compliance/erasures": "contact.erased",
    "POST /compliance/retention/purge": "RETENTION_ACTION",
    "POST /compliance/privacy-scan/redact": "privacy.redacted",
    "POST /compliance/contacts/{contact_id}/unmask": "contact.unmasked",
}

WRITES_NOTHING: dict[str, str] = {
    "POST /auth/login": "issues a session token; no stored state changes",
    "POST /orchestrator/contacts/import/preview": "checks a file; nothing is saved",
    "POST /orchestrator/segments/preview": "counts a filter's matches; nothing is saved",
    "POST /orchestrator/segments/{segment_id}/count": "recounts a segment: only its cached size",
    "POST /agent/prompts/{name}/preview": "renders a prompt; nothing is saved",
    "POST /safety/check": "scores a text; nothing is saved",
    "POST /safety/redact": "returns a redacted text; nothing is saved",
    "POST /experiments/analyse": "computes statistics of the posted numbers",
    "POST /experiments/sample-size": "computes a sample size",
    "POST /compliance/import-batches/{batch_id}/check": "reads a batch's evidence",
    "POST /compliance/audit/verify-export": "verifies an uploaded file offline",
    "POST /compliance/suppressions/check": "looks hashes up; nothing is saved",
}

# Writes that are people's own actions carried by Telegram, not an operator's or a key's: the
# route stores the update (the inbound log, with its own retention); what it leads to is audited
# where it is decided (consent.granted / consent.withdrawn, privacy_request.*).
PEOPLES_OWN_ACTIONS: dict[str, str] = {
    "POST /telegram/webhook/{sender_id}": "Telegram's delivery of a /start, STOP, press or reply",
}

# Writes with no audit entry yet. Each is a gap to close, not an exemption.
NOT_YET_AUDITED: dict[str, str] = {}


def _write_routes() -> set[str]:
    app = create_app(Settings())
    found = set()
    for route in api_routes(app):
        if not route.path.startswith(API):
            continue
        for method in route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            found.add(f"{method} {route.path.removeprefix(API)}")
    return found


def test_every_write_route_is_audited_or_says_why_not() -> None:
    routes = _write_routes()
    tables = [set(AUDITED), set(WRITES_NOTHING), set(PEOPLES_OWN_ACTIONS), set(NOT_YET_AUDITED)]
    unlisted = routes - set().union(*tables)
    assert not unlisted, f"write routes with no audit entry on record: {sorted(unlisted)}"
    stale = set().union(*tables) - routes
    assert not stale, f"no longer routes, remove them: {sorted(stale)}"
    assert sum(len(t) for t in tables) == len(set().union(*tables)), "a route is in two tables"


def test_each_audited_action_is_written_somewhere() -> None:
    source = "\n".join(p.read_text() for p in SRC.rglob("*.py"))
    missing = {route: a for route, a in AUDITED.items() if a not in source}
    assert not missing, missing


async def _actions(app: FastAPI) -> list[str]:
    async with database_of(app).session() as session:
        entries, _ = await compliance.list_audit(session=session, limit=1000)
    return [e.action for e in entries]


async def test_segment_writes_leave_audit_entries(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers = await headers_for(client, database_of(app), Role.ADMIN)
    made = await client.post(
        f"{API}/orchestrator/segments",
        headers=headers,
        json={"name": "Boots fans", "filter": {"tags_any": ["boots"]}},
    )
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    renamed = await client.patch(
        f"{API}/orchestrator/segments/{sid}", headers=headers, json={"name": "Boot fans"}
    )
    assert renamed.status_code == 200, renamed.text
    gone = await client.delete(f"{API}/orchestrator/segments/{sid}", headers=headers)
    assert gone.status_code == 204, gone.text

    async with database_of(app).session() as session:
        entries, _ = await compliance.list_audit(
            session=session, entity_type="segment", entity_id=str(sid)
        )
    assert [e.action for e in reversed(entries)] == [
        "segment.created",
        "segment.updated",
        "segment.deleted",
    ]
    assert len({e.actor for e in entries}) == 1 and entries[0].actor.startswith("user:")
    assert entries[-1].data["filter"]["tags_any"] == ["boots"]


async def test_cost_writes_leave_audit_entries(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    db = database_of(app)
    cid = await make_campaign(db, settings)
    headers = await headers_for(client, db, Role.ANALYST)
    url = f"{API}/analytics/campaigns/{cid}/costs"
    added = await client.post(url, json={"amount_usd": 8, "description": "Banner"}, headers=headers)
    assert added.status_code == 201, added.text
    removed = await client.delete(f"{url}/{added.json()['id']}", headers=headers)
    assert removed.status_code == 204

    async with db.session() as session:
        entries, _ = await compliance.list_audit(
            session=session, entity_type="campaign", entity_id=str(cid)
        )
    costs = [e for e in reversed(entries) if e.action.startswith("cost.")]
    assert [e.action for e in costs] == ["cost.added", "cost.deleted"]
    assert costs[0].data["amount_usd_micros"] == 8_000_000
    assert await _chain_ok(app)


async def test_llm_usage_is_audited_with_its_cost(app: FastAPI) -> None:
    from marketing_agent.agent import service as agent
    from marketing_agent.agent.schemas import Usage

    async with database_of(app).session() as session:
        row = await agent.record_usage(
            session=session,
            usage=Usage(
                provider="anthropic",
                model="m",
                input_tokens=10,
                output_tokens=5,
                cost_usd_micros=1234,
            ),
            purpose="plan_campaign",
        )
        entries, _ = await compliance.list_audit(
            session=session, entity_type="llm_usage", entity_id=str(row.id)
        )
    assert [e.action for e in entries] == ["llm_usage.recorded"]
    assert entries[0].data["cost_usd_micros"] == 1234


async def test_revoking_an_api_key_leaves_an_audit_entry(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers = await headers_for(client, database_of(app), Role.ADMIN)
    made = await client.post(f"{API}/auth/api-keys", json={"name": "ci"}, headers=headers)
    assert made.status_code == 201, made.text
    key_id = made.json()["id"]
    gone = await client.delete(f"{API}/auth/api-keys/{key_id}", headers=headers)
    assert gone.status_code < 300, gone.text
    async with database_of(app).session() as session:
        entries, _ = await compliance.list_audit(
            session=session, entity_type="api_key", entity_id=str(key_id)
        )
    assert [e.action for e in reversed(entries)] == ["api_key.created", "api_key.revoked"]


async def test_unsubscribe_and_erasure_routes_leave_audit_entries(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    db = database_of(app)
    sender = await make_sender(db)
    [first, second] = await make_contacts(db, 2, sender_id=sender)
    headers = await headers_for(client, db, Role.ADMIN)
    before = len(await _actions(app))

    out = await client.post(f"{API}/orchestrator/contacts/{first}/unsubscribe", headers=headers)
    assert out.status_code < 300, out.text
    erased = await client.post(
        f"{API}/compliance/erasures", json={"contact_id": second}, headers=headers
    )
    assert erased.status_code == 200, erased.text

    actions = await _actions(app)
    new = actions[: len(actions) - before]
    assert "consent.withdrawn" in new
    assert "contact.erased" in new
    assert await _chain_ok(app)


async def _chain_ok(app: FastAPI) -> bool:
    async with database_of(app).session() as session:
        return (await compliance.verify_audit_chain(session=session)).ok
