"""The safety module: the content check (phrase lists, PII, Telegram's rules, links, spam
signals), redaction, the blacklist and phrase lists, and the per-sender rate limiter."""
