"""The compliance module."""
