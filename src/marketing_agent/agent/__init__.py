"""The agent module."""
