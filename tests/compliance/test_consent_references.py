"""A consent decision must be about a contact and a sender that exist."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import database_of, headers_for, make_contacts, make_sender


async def test_consent_for_a_missing_contact_or_sender_is_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    [contact_id] = await make_contacts(db, 1, sender_id=None)
    headers = await headers_for(client, db)

    def consent(contact: int, sender: int) -> dict[str, object]:
        return {"contact_id": contact, "sender_id": sender, "source": "form", "proof": {"x": 1}}

    both = await client.post(
        "/api/v1/compliance/consents", json=consent(999_999, 888_888), headers=headers
    )
    no_sender = await client.post(
        "/api/v1/compliance/consents", json=consent(contact_id, 888_888), headers=headers
    )
    good = await client.post(
        "/api/v1/compliance/consents", json=consent(contact_id, sender_id), headers=headers
    )

    assert both.status_code == 422, both.text
    assert {tuple(e["loc"]) for e in both.json()["errors"]} == {
        ("body", "contact_id"),
        ("body", "sender_id"),
    }
    assert no_sender.status_code == 422
    assert [e["loc"] for e in no_sender.json()["errors"]] == [["body", "sender_id"]]
    assert good.status_code == 201, good.text
    history = await client.get("/api/v1/compliance/contacts/999999/consents", headers=headers)
    assert history.json() == []
