"""CSV import: a file is imported whole or not at all, and every problem is reported at once."""

from __future__ import annotations

import asyncio
import time

import httpx
from fastapi import FastAPI

from tests.factories import database_of, headers_for, make_sender

GOOD = (
    "telegram_id,first_name,language,timezone,tags,consent_at,consent_proof,city\n"
    "1001,Ann,en,Europe/Berlin,vip;boots,2026-05-01T10:00:00Z,/start from shop footer,Berlin\n"
    "1002,Bob,de,,boots,,,Hamburg\n"
)
BAD = (
    "telegram_id,first_name,timezone,consent_at\n"
    "1001,Ann,Europe/Berlin,2026-05-01T10:00:00Z\n"
    "abc,Bob,,\n"
    "1003,Cy,Mars/Olympus,\n"
    "1001,Dup,,yesterday\n"
)


async def _import(
    client: httpx.AsyncClient, headers: dict, csv: str, query: str = "", basis: str = "consent"
) -> httpx.Response:
    """Imports `csv`, the lawful basis of its consents declared for the whole file."""
    query += ("&" if query else "?") + f"lawful_basis={basis}"
    return await client.post(
        f"/api/v1/orchestrator/contacts/import{query}",
        headers=headers,
        files={"file": ("contacts.csv", csv.encode(), "text/csv")},
    )


async def test_good_file_imports_contacts_attributes_and_consent(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    headers = await headers_for(client, db)
    response = await _import(client, headers, GOOD, f"?sender_id={sender_id}")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "created": 2,
        "updated": 0,
        "import_batch_id": 1,
        "consents_recorded": 1,
        "skipped_rows": 0,
        "suppressed": 0,
        "suppressed_rows": [],
    }
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()["items"]
    ann = next(c for c in contacts if c["telegram_id"] == 1001)
    assert ann["tags"] == ["vip", "boots"] and ann["attributes"] == {"city": "Berlin"}
    history = (
        await client.get(f"/api/v1/compliance/contacts/{ann['id']}/consents", headers=headers)
    ).json()
    assert history[0]["status"] == "granted" and history[0]["source"] == "import"


async def test_bad_file_imports_nothing_and_reports_every_row(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    headers = await headers_for(client, db)
    response = await _import(client, headers, BAD)
    assert response.status_code == 422
    locations = {tuple(e["loc"][2:]) for e in response.json()["errors"] if e["loc"][1] == "rows"}
    assert {(3, "telegram_id"), (4, "timezone"), (5, "telegram_id"), (5, "consent_at")} <= locations
    assert any(e["loc"] == ["query", "sender_id"] for e in response.json()["errors"])
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    assert contacts["total"] == 0


async def test_reimporting_a_narrower_file_keeps_what_it_does_not_mention(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    headers = await headers_for(client, db)
    await _import(client, headers, GOOD, f"?sender_id={sender_id}")
    narrower = "telegram_id,first_name\n1001,Annie\n"
    response = await _import(client, headers, narrower)
    assert response.json()["updated"] == 1
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()["items"]
    ann = next(c for c in contacts if c["telegram_id"] == 1001)
    assert ann["first_name"] == "Annie"
    assert ann["timezone"] == "Europe/Berlin"  # quiet hours keep following her own zone
    assert ann["tags"] == ["vip", "boots"] and ann["attributes"] == {"city": "Berlin"}


async def test_unreadable_csv_is_a_422_naming_the_file(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app))
    huge = 'telegram_id,first_name\n1,"' + "x" * 200_000 + '"\n'
    response = await _import(client, headers, huge)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "file"]


async def test_reimporting_the_same_file_adds_no_consent_records(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    headers = await headers_for(client, db)
    first = await _import(client, headers, GOOD, f"?sender_id={sender_id}")
    again = await _import(client, headers, GOOD, f"?sender_id={sender_id}")
    quiet = {"skipped_rows": 0, "suppressed": 0, "suppressed_rows": []}
    batches = {first.json().pop("import_batch_id"), again.json().pop("import_batch_id")}
    assert len(batches) == 2  # each upload is evidence of its own
    first_result = {k: v for k, v in first.json().items() if k != "import_batch_id"}
    again_result = {k: v for k, v in again.json().items() if k != "import_batch_id"}
    assert first_result == {"created": 2, "updated": 0, "consents_recorded": 1, **quiet}
    assert again_result == {"created": 0, "updated": 2, "consents_recorded": 0, **quiet}
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    ann = next(c for c in contacts["items"] if c["telegram_id"] == 1001)
    history = await client.get(f"/api/v1/compliance/contacts/{ann['id']}/consents", headers=headers)
    assert len(history.json()) == 1
    newer = GOOD.replace("2026-05-01T10:00:00Z", "2026-06-01T10:00:00Z")  # new evidence: recorded
    assert (await _import(client, headers, newer, f"?sender_id={sender_id}")).json()[
        "consents_recorded"
    ] == 1


async def test_an_import_for_a_missing_sender_is_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await headers_for(client, database_of(app))
    response = await _import(client, headers, GOOD, "?sender_id=424242")
    assert response.status_code == 422
    assert ["query", "sender_id"] in [e["loc"] for e in response.json()["errors"]]
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    assert contacts["total"] == 0


async def test_a_large_import_does_not_hold_up_healthz(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    headers = await headers_for(client, db)
    rows = "".join(
        f"{50_000 + i},Name{i},en,vip,2026-05-01T10:00:00Z,/start,Berlin\n" for i in range(50_000)
    )
    csv = "telegram_id,first_name,language,tags,consent_at,consent_proof,city\n" + rows
    done = asyncio.Event()
    answers: list[float] = []

    async def probe() -> None:
        while not done.is_set():
            assert (await client.get("/healthz")).status_code == 200
            answers.append(time.monotonic())
            await asyncio.sleep(0.02)

    prober = asyncio.create_task(probe())
    try:
        response = await _import(client, headers, csv, f"?sender_id={sender_id}")
    finally:
        done.set()
        await prober
    assert response.status_code == 200, response.text[:300]
    assert response.json()["consents_recorded"] == 50_000
    # Before parsing moved off the loop and writes were batched, /healthz waited for the whole
    # import (one answer at most while it ran); now it is answered between batches, many times.
    # How long each answer took is a benchmark's figure (bench_import_healthz.py), not a test's.
    assert len(answers) >= 10
