"""The gateway module."""
