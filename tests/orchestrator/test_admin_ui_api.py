"""The API the admin UI's pages stand on: search, consent state, import preview and valid rows
only, formula-safe export, the segment builder, campaign edit/clone/archive, the numbers before
Submit and the dashboard."""

from __future__ import annotations

import csv
import io

import httpx
from fastapi import FastAPI

from marketing_agent.core.auth import Role
from tests.factories import database_of, headers_for, make_contacts, make_sender

API = "/api/v1/orchestrator"
RISKY = "Guaranteed results, risk-free: act now, 100% free money!"


async def _campaign(client: httpx.AsyncClient, headers: dict, text: str, **extra: object) -> dict:
    body = {"name": "Spring", "goal": "Spring sale for subscribers", "variants": [{"text": text}]}
    response = await client.post(f"{API}/campaigns", headers=headers, json={**body, **extra})
    assert response.status_code == 201, response.text
    return response.json()


async def test_me_lists_the_permissions_of_the_role(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app), Role.VIEWER)
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    assert me["role"] == "viewer" and me["permissions"] == ["read"]


async def test_contacts_search_by_name_tag_and_id_with_consent_state(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    consented = await make_contacts(db, 2, sender_id=sender_id, tags=["vip"])
    await make_contacts(db, 3, sender_id=None, tags=["boots"])
    headers = await headers_for(client, db)
    page = (await client.get(f"{API}/contacts?q=vip", headers=headers)).json()
    assert page["total"] == 2
    assert {c["consent"] for c in page["items"]} == {"granted"}
    boots = (await client.get(f"{API}/contacts?tag=boots", headers=headers)).json()
    assert boots["total"] == 3 and {c["consent"] for c in boots["items"]} == {"none"}
    one = (await client.get(f"{API}/contacts/{consented[0]}", headers=headers)).json()
    by_id = (await client.get(f"{API}/contacts?q={one['telegram_id']}", headers=headers)).json()
    assert [c["id"] for c in by_id["items"]] == [consented[0]]

    response = await client.post(f"{API}/contacts/{consented[0]}/unsubscribe", headers=headers)
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["consent"] == "withdrawn"
    assert [c["status"] for c in detail["consents"]] == ["granted", "withdrawn"]


BAD_ROW_CSV = (
    "telegram_id,first_name,timezone,consent_at,consent_proof\n"
    '5001,Ann,Europe/Berlin,2026-05-01T10:00:00Z,"pressed Yes, subscribe"\n'
    "abc,Bob,,,\n"
    "5003,Cy,Europe/Paris,,\n"
)


async def test_import_preview_then_only_the_valid_rows(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    headers = await headers_for(client, db, Role.MARKETER)
    files = {"file": ("c.csv", BAD_ROW_CSV.encode(), "text/csv")}
    preview = (
        await client.post(
            f"{API}/contacts/import/preview?sender_id={sender_id}&lawful_basis=consent",
            headers=headers,
            files=files,
        )
    ).json()
    assert preview["rows"] == 3 and preview["valid_rows"] == 2
    assert [e["loc"][2:] for e in preview["errors"]] == [[3, "telegram_id"]]
    assert preview["sample"][0]["consent_proof"] == "pressed Yes, subscribe"
    assert {c["name"]: c["maps_to"] for c in preview["columns"]}["timezone"] == "timezone"
    assert (await client.get(f"{API}/contacts", headers=headers)).json()["total"] == 0

    whole = await client.post(
        f"{API}/contacts/import?sender_id={sender_id}&lawful_basis=consent",
        headers=headers,
        files=files,
    )
    assert whole.status_code == 422
    valid = await client.post(
        f"{API}/contacts/import?sender_id={sender_id}&lawful_basis=consent&valid_only=true",
        headers=headers,
        files=files,
    )
    result = valid.json()
    assert result.pop("import_batch_id") is not None  # the upload is kept as evidence
    assert result == {
        "created": 2,
        "updated": 0,
        "consents_recorded": 1,
        "skipped_rows": 1,
        "suppressed": 0,
        "suppressed_rows": [],
    }


async def test_export_quotes_cells_a_spreadsheet_would_run(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db, Role.MARKETER)
    data = 'telegram_id,first_name,note\n6001,=HYPERLINK("x"),@SUM(1)\n6002,"Lee, Ann",ok\n'
    files = {"file": ("c.csv", data.encode(), "text/csv")}
    assert (
        await client.post(f"{API}/contacts/import", headers=headers, files=files)
    ).status_code == 200
    response = await client.get(f"{API}/contacts/export", headers=headers)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_id = {r["telegram_id"]: r for r in rows}
    assert by_id["6001"]["first_name"] == '\'=HYPERLINK("x")'
    assert by_id["6001"]["note"] == "'@SUM(1)"
    assert by_id["6002"]["first_name"] == "Lee, Ann"
    viewer = await headers_for(client, db, Role.VIEWER)
    assert (await client.get(f"{API}/contacts/export", headers=viewer)).status_code == 403


async def test_segment_builder_counts_edits_and_deletes(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 4, sender_id=sender_id, tags=["vip"])
    await make_contacts(db, 2, sender_id=None, tags=["vip", "boots"])
    headers = await headers_for(client, db, Role.MARKETER)
    preview = (
        await client.post(
            f"{API}/segments/preview",
            headers=headers,
            json={"tags_any": ["vip"], "consent": "granted"},
        )
    ).json()
    assert preview["size"] == 4 and len(preview["sample"]) == 4
    all_of = await client.post(
        f"{API}/segments/preview", headers=headers, json={"tags_all": ["vip", "boots"]}
    )
    assert all_of.json()["size"] == 2
    created = (
        await client.post(
            f"{API}/segments",
            headers=headers,
            json={"name": "VIP", "filter": {"tags_any": ["vip"]}},
        )
    ).json()
    patched = await client.patch(
        f"{API}/segments/{created['id']}", headers=headers, json={"filter": {"tags_all": ["boots"]}}
    )
    assert patched.json()["size"] == 2
    assert (
        await client.delete(f"{API}/segments/{created['id']}", headers=headers)
    ).status_code == 204
    assert (await client.get(f"{API}/segments", headers=headers)).json()["total"] == 0


async def test_edit_a_draft_rescores_and_a_risky_text_enters_review(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db, Role.MARKETER)
    draft = await _campaign(client, headers, "Hello {first_name}, our spring collection is here.")
    assert draft["status"] == "draft"
    edited = await client.patch(
        f"{API}/campaigns/{draft['id']}",
        headers=headers,
        json={
            "name": "Spring v2",
            "variants": [{"text": RISKY}, {"text": "Spring is here.", "weight": 2}],
        },
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["name"] == "Spring v2" and body["status"] == "pending_review"
    assert [v["weight"] for v in body["variants"]] == [1.0, 2.0]
    reviews = (await client.get(f"{API}/reviews", headers=headers)).json()["items"]
    assert [r["campaign_id"] for r in reviews] == [draft["id"]]

    calm = await client.patch(
        f"{API}/campaigns/{draft['id']}",
        headers=headers,
        json={"variants": [{"text": "Spring is here."}]},
    )
    assert calm.json()["status"] == "draft"
    assert (await client.get(f"{API}/reviews", headers=headers)).json()["total"] == 0


async def test_clone_archive_search_and_sort_campaigns(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db, Role.MARKETER)
    first = await _campaign(client, headers, "Spring is here.")
    clone = await client.post(f"{API}/campaigns/{first['id']}/clone", headers=headers)
    assert clone.status_code == 201
    assert clone.json()["name"] == "Spring (copy)"
    assert clone.json()["variants"][0]["text"] == "Spring is here."
    found = (await client.get(f"{API}/campaigns?q=copy", headers=headers)).json()
    assert [c["id"] for c in found["items"]] == [clone.json()["id"]]
    by_name = (await client.get(f"{API}/campaigns?sort=name", headers=headers)).json()
    assert [c["name"] for c in by_name["items"]] == ["Spring", "Spring (copy)"]
    archived = await client.post(f"{API}/campaigns/{first['id']}/archive", headers=headers)
    assert archived.json()["archived_at"] is not None
    listed = (await client.get(f"{API}/campaigns", headers=headers)).json()
    assert [c["id"] for c in listed["items"]] == [clone.json()["id"]]
    only = (await client.get(f"{API}/campaigns?archived=true", headers=headers)).json()
    assert [c["id"] for c in only["items"]] == [first["id"]]
    bad = await client.get(f"{API}/campaigns?sort=drop", headers=headers)
    assert bad.status_code == 422


async def test_launch_preview_counts_consent_and_duration(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 6, sender_id=sender_id)
    await make_contacts(db, 3, sender_id=None)
    headers = await headers_for(client, db, Role.MARKETER)
    draft = await _campaign(client, headers, "Spring is here.", quiet_hours=None)
    preview = (
        await client.get(f"{API}/campaigns/{draft['id']}/launch-preview", headers=headers)
    ).json()
    assert preview["audience"] == 9 and preview["without_consent"] == 3
    assert preview["will_receive"] == 6 and preview["capped"] == 0
    assert preview["rate_per_s"] == 30.0 and preview["expected_duration_s"] == 0.2


async def test_overview_shows_senders_reviews_and_contacts(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    await make_contacts(db, 3, sender_id=sender_id)
    headers = await headers_for(client, db, Role.VIEWER)
    overview = (await client.get(f"{API}/overview", headers=headers)).json()
    assert overview["contacts"] == 3 and overview["consented"] == 3
    assert [s["sender_id"] for s in overview["senders"]] == [sender_id]
    assert overview["senders"][0]["daily_capacity"] == 30 * 86_400


async def test_api_docs_are_served_without_a_cdn(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        page = await client.get(path)
        assert "cdn.jsdelivr" not in page.text and "/docs-assets/" in page.text
        # The pages' policy allows nothing from outside: whatever might slip in is refused.
        assert "https:" not in page.headers["content-security-policy"]
    asset = await client.get("/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000
    redoc = await client.get("/docs-assets/redoc-offline.js")
    assert redoc.status_code == 200 and len(redoc.content) > 100_000
    assert redoc.headers["content-type"].startswith("text/javascript")
    assert b"cdn.redoc.ly" not in redoc.content  # its sidebar's logo


async def test_deliveries_export_names_variant_and_outcome(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db, Role.MARKETER)
    draft = await _campaign(client, headers, "Spring is here.")
    response = await client.get(f"{API}/campaigns/{draft['id']}/deliveries/export", headers=headers)
    assert response.status_code == 200
    assert response.text.splitlines()[0].startswith("delivery_id,contact_id,telegram_id")
    missing = await client.get(f"{API}/campaigns/999/deliveries/export", headers=headers)
    assert missing.status_code == 404


async def test_a_contacts_tags_are_edited_and_audited(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    [contact_id] = await make_contacts(db, 1, sender_id=None, tags=["old"])
    headers = await headers_for(client, db, Role.MARKETER)
    response = await client.patch(
        f"{API}/contacts/{contact_id}", headers=headers, json={"tags": [" vip ", "vip", "boots"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["vip", "boots"]
    bad = await client.patch(
        f"{API}/contacts/{contact_id}", headers=headers, json={"timezone": "Mars/X"}
    )
    assert bad.status_code == 422
    viewer = await headers_for(client, db, Role.VIEWER)
    refused = await client.patch(f"{API}/contacts/{contact_id}", headers=viewer, json={"tags": []})
    assert refused.status_code == 403


async def test_an_edit_that_clears_a_required_field_is_a_422_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    await make_sender(db)
    headers = await headers_for(client, db, Role.MARKETER)
    draft = await _campaign(client, headers, "Hello {first_name}, our spring collection is here.")

    for field in ("name", "goal", "sender_id", "variants"):
        response = await client.patch(
            f"{API}/campaigns/{draft['id']}", headers=headers, json={"name": "New", field: None}
        )
        assert response.status_code == 422, (field, response.text)  # was a 500 for goal
        assert ["body", field] in [e["loc"] for e in response.json()["errors"]]
    kept = (await client.get(f"{API}/campaigns/{draft['id']}", headers=headers)).json()
    assert (kept["name"], kept["goal"]) == (draft["name"], draft["goal"])
