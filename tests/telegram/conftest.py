"""Every telegram test starts with an empty transport pool, so no simulator leaks between tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from marketing_agent.telegram import service as telegram


@pytest.fixture(autouse=True)
async def _fresh_pool() -> AsyncIterator[None]:
    await telegram.shutdown()
    yield
    await telegram.shutdown()
