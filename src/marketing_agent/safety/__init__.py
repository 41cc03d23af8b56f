"""The safety module: the content check, the blacklist and the per-sender rate limiter."""
