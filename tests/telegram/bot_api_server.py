"""The simulated Bot API served over real HTTP on 127.0.0.1 (uvicorn in a thread of its own), and
a client that plays the people who talk to its bots through the /sim/ routes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from marketing_agent.telegram.botapi import BotApiTransport
from marketing_agent.telegram.profiles import get_profile_by_name
from marketing_agent.telegram.simulator_http import SimulatedBotApi


class BotApiServer:
    """A simulated Bot API on a free port of 127.0.0.1, until `stop()`."""

    def __init__(self) -> None:
        self.api = SimulatedBotApi()
        config = uvicorn.Config(
            self.api.app(),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,  # long polls would hold the shutdown for their timeout
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the simulated Bot API did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@dataclass(frozen=True)
class SimBot:
    """A bot of the simulated server: its token and username."""

    token: str
    username: str


class People:
    """Plays the people of one simulated bot over HTTP, and reads what the bot sent them."""

    def __init__(self, server_url: str, bot: SimBot) -> None:
        self.server_url = server_url
        self.bot = bot
        self._http = httpx.AsyncClient(base_url=server_url, timeout=10.0)

    async def close(self) -> None:
        await self._http.aclose()

    def transport(self, *, profile: str = "bot", token: str | None = None) -> BotApiTransport:
        """Returns an aiogram transport of this bot (or of `token`) pointed at the server."""
        secret = token or self.bot.token
        return BotApiTransport(
            lambda: secret,
            server_url=self.server_url,
            profile=get_profile_by_name(profile),
            paid_broadcast=profile == "paid_broadcast",
            poll_timeout_s=2,
        )

    async def started(self, *chat_ids: int) -> None:
        """These people started the bot earlier (negative ids: groups it was added to), without
        an update: Telegram lets the bot write only to them."""
        response = await self._http.post(
            f"/sim/bots/{self.bot.username}/chats", json={"chat_ids": list(chat_ids)}
        )
        assert response.status_code == 200, response.text

    async def says(self, chat_id: int, text: str, **person: Any) -> None:
        """The person writes `text` to the bot."""
        body = {"bot": self.bot.username, "text": text, **person}
        response = await self._http.post(f"/sim/users/{chat_id}/send", json=body)
        assert response.status_code == 201, response.text

    async def presses(self, chat_id: int, callback_data: str, **extra: Any) -> None:
        """The person presses the button carrying `callback_data` on the bot's latest message."""
        body = {"bot": self.bot.username, "callback_data": callback_data, **extra}
        response = await self._http.post(f"/sim/users/{chat_id}/send", json=body)
        assert response.status_code == 201, response.text

    async def joins(
        self, chat_id: int, group_id: int, title: str, link_name: str, **person: Any
    ) -> None:
        """The person asks to join the bot's channel `group_id` through the named invite link."""
        body = {"bot": self.bot.username, "chat_id": group_id, "chat_title": title}
        body |= {"invite_link_name": link_name, **person}
        response = await self._http.post(f"/sim/users/{chat_id}/join", json=body)
        assert response.status_code == 201, response.text

    async def becomes(self, chat_id: int, state: str | None) -> None:
        """The person blocks the bot, is deactivated, ... (None: reachable again)."""
        body = {"bot": self.bot.username, "state": state}
        response = await self._http.post(f"/sim/users/{chat_id}/state", json=body)
        assert response.status_code == 200, response.text

    async def received(self, chat_id: int) -> list[dict[str, Any]]:
        """Returns what the bot sent the person, oldest first."""
        response = await self._http.get(
            f"/sim/users/{chat_id}/messages", params={"bot": self.bot.username}
        )
        result: list[dict[str, Any]] = response.json()
        return result

    async def bot_state(self) -> dict[str, Any]:
        """Returns the server's view of the bot: sent, FloodWaits, webhook, answered presses."""
        result: dict[str, Any] = (await self._http.get(f"/sim/bots/{self.bot.username}")).json()
        return result

    async def set_faults(
        self, *, transient_failure_p: float = 0.0, lost_response_p: float = 0.0
    ) -> None:
        response = await self._http.post(
            f"/sim/bots/{self.bot.username}/faults",
            json={"transient_failure_p": transient_failure_p, "lost_response_p": lost_response_p},
        )
        assert response.status_code == 200, response.text

    async def delivered(self) -> list[dict[str, Any]]:
        """Returns every message the bot delivered to anyone, also those whose answer was lost."""
        response = await self._http.get(f"/sim/bots/{self.bot.username}/sent")
        result: list[dict[str, Any]] = response.json()
        return result


async def add_bot(server_url: str, *, profile: str = "bot") -> SimBot:
    """Adds a fresh bot to the server (each test has its own: no state is shared)."""
    async with httpx.AsyncClient(base_url=server_url) as http:
        response = await http.post("/sim/bots", json={"profile": profile})
    assert response.status_code == 201, response.text
    body = response.json()
    return SimBot(token=body["token"], username=body["username"])
