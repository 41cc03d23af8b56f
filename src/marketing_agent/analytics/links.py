"""Tracked links: every URL of a message rewritten per delivery to `{public_url}/r/<token>`.

A token is AES-GCM over (issued at, delivery, campaign, contact, variant, target URL) with a key
derived from the secret key by HMAC: opaque (it reveals nothing, not even the target), signed
(any change makes it invalid) and self-contained (no table is written at send time). Its nonce
is an HMAC of the plaintext (SIV-style), so the same delivery's link is the same token on retry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from marketing_agent.core import clock

_VERSION = 1
_HEADER = struct.Struct(">BIQQQ")  # version, issued at (epoch s), delivery, campaign, contact
_NONCE = 12
# Telegram's limit of a text message; a rewrite that would pass it is not made.
MAX_MESSAGE_CHARS = 4096
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"»”’"
# Link-preview fetchers and crawlers: they follow links without a person (Telegram fetches a
# preview from its own servers when a message is sent: "TelegramBot (like TwitterBot)").
_AUTOMATED = re.compile(
    r"telegrambot|twitterbot|facebookexternalhit|facebot|slackbot|discordbot|whatsapp|"
    r"linkedinbot|skypeuripreview|vkshare|googlebot|bingbot|yandexbot|baiduspider|duckduckbot|"
    r"applebot|embedly|pinterest|redditbot|bot\b|crawler|spider|preview|headless",
    re.IGNORECASE,
)
CAMPAIGN_REF_PARAM = "ma_ref"


class LinkInvalid(Exception):
    """A token that is malformed, forged, or made with another key."""


class LinkExpired(Exception):
    """A genuine token older than the links' time to live."""


@dataclass(frozen=True)
class LinkTracker:
    """What rewriting and reading tracked links needs; built once per process."""

    key: bytes
    public_url: str
    ttl: timedelta


@dataclass(frozen=True)
class TrackedLink:
    """What a token says: which delivery's link, to where, issued when."""

    delivery_id: int
    campaign_id: int
    contact_id: int
    variant_key: str
    target_url: str
    issued_at: datetime

    @property
    def link_key(self) -> str:
        """A short, person-free name of the target (the same URL in every delivery)."""
        return hashlib.sha256(self.target_url.encode()).hexdigest()[:12]


def link_tracker(*, secret_key: str, public_url: str, ttl_days: float) -> LinkTracker:
    """Returns a tracker whose key is derived from the deployment's secret key."""
    key = hmac.new(secret_key.encode(), b"marketing-agent/tracked-links/v1", "sha256").digest()
    return LinkTracker(key=key, public_url=public_url.rstrip("/"), ttl=timedelta(days=ttl_days))


def track_links(
    text: str,
    *,
    tracker: LinkTracker,
    delivery_id: int,
    campaign_id: int,
    contact_id: int,
    variant_key: str,
    now: datetime,
) -> str:
    """Returns `text` with every http(s) URL replaced by this delivery's tracked link to it.

    Links already pointing at this deployment are left alone, and so is the whole text when the
    rewrite would pass Telegram's message length (sent untracked rather than not at all).
    """
    own = tracker.public_url + "/"

    def rewrite(match: re.Match[str]) -> str:
        url, tail = _split_trailing(match.group(0))
        if url.startswith(own):
            return url + tail
        payload = (
            _HEADER.pack(_VERSION, int(now.timestamp()), delivery_id, campaign_id, contact_id)
            + _pack_str(variant_key)
            + url.encode()
        )
        return f"{own}r/{_seal(tracker.key, payload)}{tail}"

    tracked = _URL.sub(rewrite, text)
    return tracked if len(tracked) <= MAX_MESSAGE_CHARS else text


def read_token(token: str, *, tracker: LinkTracker, now: datetime) -> TrackedLink:
    """Returns what a token says; raises LinkInvalid or LinkExpired."""
    payload = _open(tracker.key, token)
    try:
        version, issued_s, delivery_id, campaign_id, contact_id = _HEADER.unpack_from(payload)
        variant_key, rest = _unpack_str(payload[_HEADER.size :])
        target_url = rest.decode()
    except (struct.error, UnicodeDecodeError, IndexError) as exc:
        raise LinkInvalid("malformed token") from exc
    if version != _VERSION:
        raise LinkInvalid("unknown token version")
    issued_at = datetime.fromtimestamp(issued_s, clock.UTC)
    if now - issued_at > tracker.ttl:
        raise LinkExpired("tracked link expired")
    return TrackedLink(delivery_id, campaign_id, contact_id, variant_key, target_url, issued_at)


def is_automated(user_agent: str | None) -> bool:
    """Returns True for link-preview fetchers, crawlers and requests naming no agent at all."""
    return not user_agent or _AUTOMATED.search(user_agent) is not None


def redirect_url(link: TrackedLink, token: str) -> str:
    """Returns the target with the campaign's UTM parameters (the target's own win) and the
    token as `ma_ref`, which a shop passes back to attribute a conversion."""
    parts = urlsplit(link.target_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _ in query}
    added = {
        "utm_source": "telegram",
        "utm_medium": "message",
        "utm_campaign": f"campaign-{link.campaign_id}",
        "utm_content": link.variant_key,
        CAMPAIGN_REF_PARAM: token,
    }
    query += [(name, value) for name, value in added.items() if name not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _split_trailing(url: str) -> tuple[str, str]:
    """Splits punctuation that ends a sentence, not the URL, off a matched URL."""
    end = len(url)
    while end > 0:
        char = url[end - 1]
        if char in _TRAILING or (char == ")" and url.count("(", 0, end) < url.count(")", 0, end)):
            end -= 1
            continue
        break
    return url[:end], url[end:]


def _seal(key: bytes, payload: bytes) -> str:
    nonce = hmac.new(key, payload, "sha256").digest()[:_NONCE]
    sealed = nonce + AESGCM(key).encrypt(nonce, payload, None)
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def _open(key: bytes, token: str) -> bytes:
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError) as exc:
        raise LinkInvalid("not base64") from exc
    if len(sealed) <= _NONCE + 16:
        raise LinkInvalid("too short")
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], None)
    except InvalidTag as exc:
        raise LinkInvalid("forged or foreign token") from exc


def _pack_str(value: str) -> bytes:
    data = value.encode()
    return bytes([len(data)]) + data


def _unpack_str(data: bytes) -> tuple[str, bytes]:
    size = data[0]
    return data[1 : 1 + size].decode(), data[1 + size :]
