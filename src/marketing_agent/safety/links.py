"""Links in a message: shorteners that hide the target, link texts that name another domain than
the one they open, domains outside the workspace's allow-list, and too many links."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from marketing_agent.safety.schemas import Reason

LINKS_MAX = 3

SHORTENERS = frozenset(
    (
        "bit.ly",
        "tinyurl.com",
        "t.co",
        "goo.gl",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "cutt.ly",
        "rebrand.ly",
        "shorturl.at",
        "rb.gy",
        "tiny.cc",
        "bl.ink",
        "s.id",
        "t.ly",
        "clck.ru",
        "v.gd",
        "lnkd.in",
        "shorte.st",
        "adf.ly",
        "tr.ee",
        "qr.ae",
        "surl.li",
        "u.to",
        "vk.cc",
        "did.li",
        "linktr.ee",
    )
)
# Second-level labels under which a registrable domain has three labels ("shop.co.uk").
_SECOND_LEVEL = frozenset("co com net org gov ac edu ltd plc me spb msk".split())

# Lookbehinds after the first letter, so they are tested only where a link can start.
_URL = re.compile(
    r"(?:h(?<![\w@.]h)ttps?://|w(?<![\w@.]w)ww\.|t(?<![\w@.]t)\.me/)[^\s<>\"'()\[\]]+",
    re.IGNORECASE,
)
_BARE_DOMAIN = re.compile(
    r"(?<![\w@./-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24})(?:/[^\s<>\"'()]*)?(?![\w@-])",
    re.IGNORECASE,
)
_HTML_ANCHOR = re.compile(
    r"<a\s[^>]*?href\s*=\s*[\"']([^\"']+)[\"'][^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL
)
_MARKDOWN_ANCHOR = re.compile(r"\[((?:[^\]\\]|\\.)+)\]\(((?:[^)\\]|\\.)+)\)")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Link:
    """A link in a message: its target, where it stands, and its text when it is an anchor."""

    url: str
    host: str
    span: tuple[int, int]
    label: str | None = None


def find_links(text: str, *, parse_mode: str | None = None) -> list[Link]:
    """Returns the links of a message: anchors of its parse mode, URLs and bare shortener
    domains in its text."""
    links: list[Link] = []
    mode = (parse_mode or "").lower()
    if mode == "html":
        for match in _HTML_ANCHOR.finditer(text):
            label = _TAG.sub("", match.group(2))
            links.append(Link(match.group(1), host_of(match.group(1)), match.span(), label))
    elif mode.startswith("markdown"):
        for match in _MARKDOWN_ANCHOR.finditer(text):
            url = match.group(2).replace("\\", "")
            links.append(Link(url, host_of(url), match.span(), match.group(1)))
    taken = [link.span for link in links]
    for match in _URL.finditer(text):
        if not _inside(match.span(), taken):
            url = match.group(0).rstrip(".,;:!?")
            span = (match.start(), match.start() + len(url))
            links.append(Link(url, host_of(url), span))
            taken.append(span)
    lowered = text.lower()
    if any(domain in lowered for domain in SHORTENERS):
        for match in _BARE_DOMAIN.finditer(text):
            domain = match.group(1).lower()
            if domain in SHORTENERS and not _inside(match.span(), taken):
                links.append(Link(match.group(0), domain, match.span()))
    return sorted(links, key=lambda link: link.span)


def check_links(
    text: str, *, parse_mode: str | None = None, allowed_domains: Iterable[str] = ()
) -> list[Reason]:
    """Flags shorteners, deceptive link texts, domains outside the allow-list, too many links."""
    if "." not in text:
        return []
    links = find_links(text, parse_mode=parse_mode)
    allowed = [d.lower().lstrip(".") for d in allowed_domains if d.strip()]
    reasons: list[Reason] = []
    for link in links:
        if link.host in SHORTENERS:
            reasons.append(
                Reason(
                    code="link_shortener",
                    severity="warn",
                    span=link.span,
                    match=link.url,
                    message="A link shortener hides where the link goes",
                )
            )
        named = _domain_named_in(link.label or "")
        if named and link.host and registrable(named) != registrable(link.host):
            reasons.append(
                Reason(
                    code="link_text_mismatch",
                    severity="warn",
                    span=link.span,
                    match=link.label,
                    message=f"The link text names {named} but the link opens {link.host}",
                )
            )
        if allowed and link.host and not any(_within(link.host, d) for d in allowed):
            reasons.append(
                Reason(
                    code="link_not_allowed",
                    severity="block",
                    span=link.span,
                    match=link.url,
                    message=f"{link.host} is not on the workspace's list of allowed domains",
                )
            )
    if len(links) > LINKS_MAX:
        reasons.append(
            Reason(
                code="many_links",
                severity="warn",
                span=(links[0].span[0], links[-1].span[1]),
                message=f"{len(links)} links; more than {LINKS_MAX} reads as spam",
            )
        )
    return reasons


def host_of(url: str) -> str:
    """Returns the lower-case host a URL opens ("" when it has none, e.g. "tg://...")."""
    if not re.match(r"(?i)[a-z][a-z0-9+.-]*://", url):
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def registrable(host: str) -> str:
    """Returns the registrable part of a host: "shop.example.co.uk" -> "example.co.uk"."""
    labels = host.lower().removeprefix("www.").split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _domain_named_in(label: str) -> str | None:
    for match in _BARE_DOMAIN.finditer(label):
        domain = match.group(1).lower()
        if "." in domain and not domain.replace(".", "").isdigit():
            return domain.removeprefix("www.")
    for match in _URL.finditer(label):
        return host_of(match.group(0)) or None
    return None


def _within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _inside(span: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)
