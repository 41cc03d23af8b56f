"""The analytics module."""
