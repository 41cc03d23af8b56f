"""The experiments tests share the analytics tests' session-per-backend fixture."""

from tests.analytics.conftest import any_session

__all__ = ["any_session"]
