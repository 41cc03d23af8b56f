"""Cost of tracked links in the send path: rewriting a text per delivery and reading a token.

Run: .venv/bin/python benchmarks/bench_tracked_links.py
"""

from __future__ import annotations

import time

from marketing_agent.analytics import service as analytics
from marketing_agent.core import clock

N = 50_000
TEXT = (
    "Hi Ana, our winter boots are 20% off this week: https://shop.example.com/boots?size=42 "
    "(sizes: https://shop.example.com/sizes). Reply STOP to opt out."
)


def main() -> None:
    tracker = analytics.link_tracker(
        secret_key="bench-" + "x" * 40, public_url="https://ma.example.com", ttl_days=90
    )
    now = clock.now()
    started = time.perf_counter()
    texts = [
        analytics.track_links(
            TEXT,
            tracker=tracker,
            delivery_id=i,
            campaign_id=7,
            contact_id=i,
            variant_key="A",
            now=now,
        )
        for i in range(N)
    ]
    rewrite_s = time.perf_counter() - started
    tokens = [t.split("/r/", 1)[1].split()[0] for t in texts]
    started = time.perf_counter()
    for token in tokens:
        analytics.read_token(token, tracker=tracker, now=now)
    read_s = time.perf_counter() - started
    print(
        f"rewrite (2 URLs a text): {N / rewrite_s:,.0f} texts/s, {rewrite_s / N * 1e6:.1f} µs each"
    )
    print(f"read a token: {N / read_s:,.0f} tokens/s, {read_s / N * 1e6:.1f} µs each")
    print(f"token length: {len(tokens[0])} chars; text {len(TEXT)} -> {len(texts[0])} chars")


if __name__ == "__main__":
    main()
