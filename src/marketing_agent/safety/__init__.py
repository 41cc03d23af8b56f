"""The safety module."""
