"""What a model's tokens cost, in micro-USD, from a small table of list prices.

Prices are USD per million tokens, which is the same number as micro-USD per token. A model is
matched by the longest prefix in the table, so dated snapshots find their family's price.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

# The workspace's own prices (MA_AGENT_PRICES): model prefix -> (input, output) USD per MTok.
PriceTable = Mapping[str, tuple[float, float]]

# (input, output) in USD per million tokens: list prices from the providers' model pages
# (November 2026), without batch or cache prices. Models priced by tier (Haiku 5.5) are absent.
PRICES_USD_PER_MTOK: dict[str, tuple[str, str]] = {
    "claude-fable-5-2": ("8", "40"),
    "claude-fable-5-1": ("10", "50"),
    "claude-opus-5-5": ("4", "20"),
    "claude-opus-5": ("5", "25"),
    "claude-sonnet-5": ("2", "10"),  # Sonnet 5 and 5.5
    "claude-opus-4-8": ("5", "25"),
    "claude-opus-4-7": ("5", "25"),
    "claude-opus-4-6": ("5", "25"),
    "claude-opus-4-5": ("5", "25"),
    "claude-opus-4": ("15", "75"),  # Opus 4 and 4.1
    "claude-sonnet-4": ("3", "15"),  # Sonnet 4, 4.5 and 4.6
    "claude-3-7-sonnet": ("3", "15"),
    "claude-3-5-sonnet": ("3", "15"),
    "claude-haiku-4-5": ("1", "5"),
    "claude-3-5-haiku": ("0.80", "4"),
    "claude-3-haiku": ("0.25", "1.25"),
    "gpt-4o-mini": ("0.15", "0.60"),
    "gpt-4o": ("2.50", "10"),
    "gpt-4.1-mini": ("0.40", "1.60"),
    "gpt-4.1": ("2", "8"),
}


def price_of(model: str, prices: PriceTable | None = None) -> tuple[Decimal, Decimal] | None:
    """Returns (input, output) USD per million tokens of `model`, or None when unknown; the
    workspace's `prices` come before the built-in table (the longest matching prefix wins)."""
    table: dict[str, tuple[Decimal, Decimal]] = {
        prefix: (Decimal(i), Decimal(o)) for prefix, (i, o) in PRICES_USD_PER_MTOK.items()
    }
    for prefix, (i, o) in (prices or {}).items():
        table[prefix] = (Decimal(str(i)), Decimal(str(o)))
    matches = [prefix for prefix in table if model.startswith(prefix)]
    if not matches:
        return None
    return table[max(matches, key=len)]


def cost_usd_micros(
    model: str, *, input_tokens: int, output_tokens: int, prices: PriceTable | None = None
) -> int | None:
    """Returns the cost of these tokens in micro-USD, or None when the model's price is unknown."""
    price = price_of(model, prices)
    if price is None:
        return None
    total = input_tokens * price[0] + output_tokens * price[1]
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
