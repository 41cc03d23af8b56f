"""The orchestrator module."""
