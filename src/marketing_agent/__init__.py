"""Marketing Intelligence Agent: consent-first marketing campaigns on Telegram."""

__version__ = "0.1.0"
