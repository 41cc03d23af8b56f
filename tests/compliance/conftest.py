"""The compliance tests borrow the simulated Bot API of the telegram tests (the in-Telegram
requests are tested through it) and its fresh transport pool per test."""

from tests.telegram.conftest import bot_api_server, people

__all__ = ["bot_api_server", "people"]
