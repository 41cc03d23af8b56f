"""A client told "201 Created" can rely on it: the write is committed before the response leaves.

httpx's in-process transport waits for the whole app, so this runs the real server (uvicorn) on
loopback with every commit delayed: a response sent before its commit would arrive first, and a
read right after it would not see the write.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSessionTransaction

from marketing_agent.core.db import Database
from marketing_agent.core.settings import Settings
from marketing_agent.gateway.app import create_app
from tests.factories import PASSWORD, make_user

COMMIT_DELAY_S = 0.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_created_contact_is_committed_when_the_response_arrives(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    username = await make_user(db)
    original_exit = AsyncSessionTransaction.__aexit__

    async def slow_commit(self: AsyncSessionTransaction, *exc_info: Any) -> Any:
        await asyncio.sleep(COMMIT_DELAY_S)  # a busy database: ending the transaction is slow
        return await original_exit(self, *exc_info)

    monkeypatch.setattr(AsyncSessionTransaction, "__aexit__", slow_commit)
    port = _free_port()
    app = create_app(settings.model_copy(update={"database_url": db.url}))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            created = await client.post(
                "/api/v1/orchestrator/contacts", json={"telegram_id": 4242}, headers=headers
            )
        # A new connection: uvicorn serves one connection's requests one after another.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as other:
            listed = await other.get("/api/v1/orchestrator/contacts", headers=headers)
    finally:
        server.should_exit = True
        thread.join(timeout=10)

    assert created.status_code == 201
    assert [c["telegram_id"] for c in listed.json()["items"]] == [4242]
