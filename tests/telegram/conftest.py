"""The simulated Bot API runs over HTTP for the tests of the Bot API transport. (Each test's
transports are its runtime's, tests.factories.runtime_of: nothing leaks between tests.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from marketing_agent.telegram import service as telegram
from tests.telegram.bot_api_server import BotApiServer, People, add_bot


@pytest.fixture
async def transports() -> AsyncIterator[telegram.TransportPool]:
    """A process's transports of the test's own (a runtime's, without the rest of it)."""
    pool = telegram.open_transports()
    yield pool
    await pool.close_all()


@pytest.fixture(scope="session")
def bot_api_server() -> Iterator[BotApiServer]:
    """The simulated Bot API over real HTTP on 127.0.0.1, shared by the session's tests."""
    server = BotApiServer()
    yield server
    server.stop()


@pytest.fixture
async def people(bot_api_server: BotApiServer) -> AsyncIterator[People]:
    """A fresh bot on the simulated Bot API and the people who talk to it."""
    crowd = People(bot_api_server.url, await add_bot(bot_api_server.url))
    yield crowd
    await crowd.close()
