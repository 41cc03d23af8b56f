"""Consent records carry their lawful basis and the version of the text agreed to; an import
keeps its evidence (file hash, uploader, time, declared basis), which a kept file is checked
against; and a row giving consent without a lawful basis is refused row by row, never written
half (no contact without its consent, no consent without its basis)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from marketing_agent.compliance import service as compliance
from marketing_agent.compliance.imports import sha256_of
from tests.factories import database_of, headers_for, make_sender

IMPORT = "/api/v1/orchestrator/contacts/import"
CSV = (
    "telegram_id,first_name,consent_at,consent_proof,lawful_basis,consent_text_version\n"
    "4001,Ann,2026-05-01T10:00:00Z,signed form 17,,v3\n"
    "4002,Ben,2026-05-02T10:00:00Z,bought in store,legitimate_interests,\n"
    "4003,Cy,,,,\n"
)


async def _post(
    client: httpx.AsyncClient, headers: dict[str, str], csv: str, query: str
) -> httpx.Response:
    return await client.post(
        f"{IMPORT}?{query}",
        headers=headers,
        files={"file": ("spring-fair.csv", csv.encode(), "text/csv")},
    )


async def _history(client: httpx.AsyncClient, headers: dict[str, str], telegram_id: int) -> list:
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    contact = next(c for c in contacts["items"] if c["telegram_id"] == telegram_id)
    url = f"/api/v1/compliance/contacts/{contact['id']}/consents"
    history: list = (await client.get(url, headers=headers)).json()
    return history


async def test_an_import_keeps_its_evidence_and_each_consent_its_basis_and_text_version(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    headers = await headers_for(client, db)
    query = f"sender_id={sender_id}&lawful_basis=consent&evidence=Spring+fair+sign-up+sheet"
    response = await _post(client, headers, CSV, query)
    assert response.status_code == 200, response.text
    assert response.json()["consents_recorded"] == 2
    batch_id = response.json()["import_batch_id"]

    [ann] = await _history(client, headers, 4001)
    assert (ann["lawful_basis"], ann["consent_text_version"]) == ("consent", "v3")
    assert ann["import_batch_id"] == batch_id
    evidence = ann["import_batch"]
    assert evidence["file_sha256"] == sha256_of(CSV.encode())
    assert evidence["uploaded_by"].startswith("user:")
    assert evidence["declared_basis"] == "consent"
    assert evidence["evidence"] == "Spring fair sign-up sheet"
    assert (evidence["file_name"], evidence["rows"], evidence["consents"]) == (
        "spring-fair.csv",
        3,
        2,
    )
    [ben] = await _history(client, headers, 4002)
    assert ben["lawful_basis"] == "legitimate_interests"  # the row's own basis wins
    assert await _history(client, headers, 4003) == []  # a contact, no consent

    # The file the operator kept proves to be the one imported; an edited one does not.
    url = f"/api/v1/compliance/import-batches/{batch_id}"
    assert (await client.get(url, headers=headers)).json()["file_sha256"] == evidence["file_sha256"]
    same = await client.post(
        f"{url}/check", headers=headers, files={"file": ("k.csv", CSV.encode(), "text/csv")}
    )
    assert same.json()["matches"] is True
    edited = CSV.replace("4003,Cy", "4004,Cy").encode()
    other = await client.post(
        f"{url}/check", headers=headers, files={"file": ("k.csv", edited, "text/csv")}
    )
    assert other.json()["matches"] is False
    assert (
        await client.get("/api/v1/compliance/import-batches/999", headers=headers)
    ).status_code == 404
    audit = await client.get(
        "/api/v1/compliance/audit?action=import_batch.recorded", headers=headers
    )
    [entry] = audit.json()["items"]
    assert entry["data"]["file_sha256"] == evidence["file_sha256"]


async def test_rows_giving_consent_without_a_lawful_basis_are_refused_row_by_row(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    db = database_of(app)
    sender_id = await make_sender(db)
    headers = await headers_for(client, db)
    csv = (
        "telegram_id,first_name,consent_at,lawful_basis\n"
        "5001,Ann,2026-05-01T10:00:00Z,\n"  # consent, no basis
        "5002,Ben,2026-05-01T10:00:00Z,because\n"  # no such basis
        "5003,Cy,,consent\n"  # a basis, but when?
        "5004,Di,2026-05-01T10:00:00Z,consent\n"
        "5005,Ed,,\n"
    )
    whole = await _post(client, headers, csv, f"sender_id={sender_id}")
    assert whole.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in whole.json()["errors"]}
    assert set(errors) == {
        ("body", "rows", 2, "lawful_basis"),
        ("body", "rows", 3, "lawful_basis"),
        ("body", "rows", 4, "consent_at"),
    }
    assert "no lawful basis" in errors[("body", "rows", 2, "lawful_basis")]
    assert "legitimate_interests" in errors[("body", "rows", 3, "lawful_basis")]
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    assert contacts["total"] == 0  # nothing imported

    preview = await client.post(
        f"{IMPORT}/preview?sender_id={sender_id}",
        headers=headers,
        files={"file": ("c.csv", csv.encode(), "text/csv")},
    )
    assert preview.json()["valid_rows"] == 2
    assert len(preview.json()["errors"]) == 3  # the same table, before anything is written

    valid = await _post(client, headers, csv, f"sender_id={sender_id}&valid_only=true")
    assert valid.status_code == 200, valid.text
    assert (valid.json()["created"], valid.json()["skipped_rows"]) == (2, 3)
    contacts = (await client.get("/api/v1/orchestrator/contacts", headers=headers)).json()
    imported = {c["telegram_id"] for c in contacts["items"]}
    assert imported == {5004, 5005}  # a refused row is not written half: no contact either
    async with db.session() as session:
        states = await compliance.consent_states(session=session, contact_ids=None)
    assert sorted(states.values()) == ["granted"]

    bad_basis = await _post(client, headers, csv, f"sender_id={sender_id}&lawful_basis=whim")
    assert bad_basis.status_code == 422
    assert bad_basis.json()["errors"][0]["loc"][:2] == ["query", "lawful_basis"]
