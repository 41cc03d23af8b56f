"""The telegram module."""
