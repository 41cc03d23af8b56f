"""The same database fixtures as the analytics tests (the tables of both modules ensured)."""

from tests.analytics.conftest import any_db, any_session, db

__all__ = ["any_db", "any_session", "db"]
