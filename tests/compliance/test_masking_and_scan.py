"""Field-level masking and the privacy scanner: a role without personal_data:read sees
usernames, names and the phone numbers and e-mails in attributes masked, and can unmask one
contact only for a stated, audited reason; the scanner finds personal data in free-text fields
(masked in its report) and redacts the fields asked for, audited."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from marketing_agent.orchestrator import contacts_export
from tests.factories import database_of, headers_for, make_sender
from tests.orchestrator.test_flows import SAFE, create

PHONE = "+49 30 12345678"
EMAIL = "rosa.m@example.com"


async def _contact(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, object]:
    body = {
        "telegram_id": 880001,
        "username": "rosa_m",
        "first_name": "Rosa",
        "attributes": {"phone": PHONE, "note": f"write to {EMAIL}", "visits": 3},
    }
    response = await client.post("/api/v1/orchestrator/contacts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_roles_without_the_right_see_contacts_masked_and_unmask_for_an_audited_reason(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    marketer = await headers_for(client, db, Role.MARKETER)
    contact = await _contact(client, marketer)
    url = f"/api/v1/orchestrator/contacts/{contact['id']}"

    full = (await client.get(url, headers=marketer)).json()
    assert (full["username"], full["first_name"], full["masked"]) == ("rosa_m", "Rosa", False)
    assert full["attributes"]["phone"] == PHONE

    for role in (Role.VIEWER, Role.ANALYST, Role.REVIEWER):
        headers = await headers_for(client, db, role)
        shown = (await client.get(url, headers=headers)).json()
        listed = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
        for view in (shown, listed["items"][0]):
            text = json.dumps(view)
            assert view["masked"] is True
            assert view["username"] == "r•••m" and view["first_name"] == "R•••"
            assert "rosa_m" not in text and "12345678" not in text and EMAIL not in text
            assert view["attributes"]["visits"] == 3  # what is no personal data stays

    reviewer = await headers_for(client, db, Role.REVIEWER)
    unmask = f"/api/v1/compliance/contacts/{contact['id']}/unmask"
    short = await client.post(unmask, json={"reason": "check"}, headers=reviewer)
    assert short.status_code == 422
    reason = f"access request 12: confirm identity, reply to {EMAIL}"
    shown = await client.post(unmask, json={"reason": reason}, headers=reviewer)
    assert shown.status_code == 200, shown.text
    assert shown.json()["username"] == "rosa_m" and shown.json()["attributes"]["phone"] == PHONE
    viewer = await headers_for(client, db, Role.VIEWER)
    refused = await client.post(unmask, json={"reason": reason}, headers=viewer)
    assert refused.status_code == 403

    audit = (
        await client.get(
            "/api/v1/compliance/audit",
            params={"entity_type": "contact", "entity_id": str(contact["id"])},
            headers=await headers_for(client, db),
        )
    ).json()["items"]
    [entry] = [e for e in audit if e["action"] == "contact.unmasked"]
    assert entry["actor"].startswith("user:reviewer") and entry["data"]["role"] == "reviewer"
    assert entry["data"]["reason"] == "access request 12: confirm identity, reply to [EMAIL]"


async def test_the_scanner_finds_personal_data_in_free_text_and_redacts_what_is_asked(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    admin = await headers_for(client, db)
    contact = await _contact(client, admin)
    await make_sender(db)
    campaign = await create(
        client, admin, name="Boots", goal=f"Sell boots; questions to {EMAIL}", variants=SAFE
    )

    scan = await client.get("/api/v1/compliance/privacy-scan", headers=admin)
    assert scan.status_code == 200, scan.text
    assert EMAIL not in scan.text and "12345678" not in scan.text  # masked, never the value
    where = {(f["location"], f["id"], f["field"]): f["entities"] for f in scan.json()["findings"]}
    assert where == {
        ("contact", contact["id"], "attributes.phone"): ["phone"],
        ("contact", contact["id"], "attributes.note"): ["email"],
        ("campaign", campaign["id"], "goal"): ["email"],
    }

    targets = [
        {"location": "contact", "id": contact["id"], "field": "attributes.note"},
        {"location": "campaign", "id": campaign["id"], "field": "goal"},
    ]
    redacted = await client.post(
        "/api/v1/compliance/privacy-scan/redact", json={"targets": targets}, headers=admin
    )
    assert redacted.status_code == 200, redacted.text
    assert redacted.json() == {"redacted": 2, "unchanged": 0}
    after = (await client.get("/api/v1/compliance/privacy-scan", headers=admin)).json()
    assert [(f["location"], f["field"]) for f in after["findings"]] == [
        ("contact", "attributes.phone")
    ]
    shown = (
        await client.get(f"/api/v1/orchestrator/contacts/{contact['id']}", headers=admin)
    ).json()
    assert shown["attributes"]["note"] == "write to [EMAIL]"
    audit = (
        await client.get(
            "/api/v1/compliance/audit", params={"entity_type": "privacy_scan"}, headers=admin
        )
    ).json()["items"]
    assert [e["action"] for e in audit] == ["privacy.redacted"]
    assert EMAIL not in json.dumps(audit)

    missing = await client.post(
        "/api/v1/compliance/privacy-scan/redact",
        json={"targets": [{"location": "contact", "id": contact["id"], "field": "attributes.x"}]},
        headers=admin,
    )
    assert missing.status_code == 404


async def test_masked_roles_see_no_telegram_id_anywhere_yet_can_search_by_username(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    marketer = await headers_for(client, db, Role.MARKETER)
    contact = await _contact(client, marketer)
    proof = {"telegram_user_id": 880001, "username": "rosa_m", "text": "Yes, send me offers"}
    recorded = await client.post(
        "/api/v1/compliance/consents",
        json={"contact_id": contact["id"], "sender_id": sender_id, "source": "bot_start"}
        | {"proof": proof},
        headers=marketer,
    )
    assert recorded.status_code == 201, recorded.text
    detail_url = f"/api/v1/orchestrator/contacts/{contact['id']}"
    consents_url = f"/api/v1/compliance/contacts/{contact['id']}/consents"
    assert (await client.get(detail_url, headers=marketer)).json()["telegram_id"] == 880001
    admin = await headers_for(client, db, Role.ADMIN)
    full_proof = (await client.get(consents_url, headers=admin)).json()[0]["proof"]
    assert full_proof["telegram_user_id"] == 880001

    reviewer = await headers_for(client, db, Role.REVIEWER)  # compliance:read, no personal data
    found = (
        await client.get("/api/v1/orchestrator/contacts", params={"q": "rosa_m"}, headers=reviewer)
    ).json()
    assert found["total"] == 1  # the search sees the real username; the answer shows it masked
    [listed] = found["items"]
    detail = (await client.get(detail_url, headers=reviewer)).json()
    history = (await client.get(consents_url, headers=reviewer)).json()
    for view in (listed, detail):
        assert view["telegram_id"] == "8•••1" and view["username"] == "r•••m"
    for consent in (detail["consents"][0], history[0]):
        assert consent["proof"]["telegram_user_id"] == "8•••1"
        assert consent["proof"]["username"] == "r•••m"
        assert consent["proof"]["text"] == "Yes, send me offers"
    preview = (
        await client.post("/api/v1/orchestrator/segments/preview", json={}, headers=reviewer)
    ).json()
    [sampled] = [c for c in preview["sample"] if c["id"] == contact["id"]]
    assert (sampled["telegram_id"], sampled["username"]) == ("8•••1", "r•••m")
    assert "880001" not in json.dumps([listed, detail, history, preview])


async def test_an_export_for_a_masked_role_masks_the_telegram_ids(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    marketer = await headers_for(client, db, Role.MARKETER)
    await _contact(client, marketer)
    async with db.session() as session:
        full = await contacts_export.export_contacts(session=session)
        masked = await contacts_export.export_contacts(session=session, masked=True)
    assert "880001" in full and "rosa_m" in full and PHONE in full
    assert "880001" not in masked and "rosa_m" not in masked and "12345678" not in masked
    assert "8•••1,r•••m,R•••" in masked
