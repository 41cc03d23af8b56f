"""Telegram's rules for a message: what it refuses (length after rendering, malformed HTML or
MarkdownV2, bad buttons) and what its terms ask of a marketing bot (a way out in every message).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from marketing_agent.safety.schemas import Reason
from marketing_agent.telegram import service as telegram

TEXT_MAX = telegram.TEXT_MAX_UTF16  # UTF-16 code units of a text after entities are parsed
CAPTION_MAX = telegram.CAPTION_MAX_UTF16
BUTTONS_MAX = 100
BUTTONS_PER_ROW_MAX = 8
CALLBACK_DATA_MAX_BYTES = 64
BUTTON_URL_SCHEMES = ("http://", "https://", "tg://")
OPT_OUT_LINE = "Reply /stop to unsubscribe."
OptOutMode = Literal["add", "block", "off"]

# Tags Telegram's HTML parse mode accepts (attributes checked separately for <a>).
_HTML_TAGS = frozenset(
    "b strong i em u ins s strike del span tg-spoiler a tg-emoji code pre blockquote".split()
)
_HTML_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:\s[^<>]*)?)>|<|&(?:#\d+|#x[0-9a-fA-F]+|\w+);|&")
_MDV2_SPECIAL = set("_*[]()~`>#+-=|{}.!")
_MDV2_ENTITY = re.compile(r"\[((?:[^\]\\]|\\.)*)\]\(((?:[^)\\]|\\.)*)\)")
_MDV1_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
# A way out: "/stop", "STOP", "unsubscribe" and its translations in the workspace languages.
_OPT_OUT = re.compile(
    r"(?i)(?:/stop\b|(?:reply|send|text|write|напишите|отправьте|ответьте|responde|envía|"
    r"antworte|sende|répondez|envoyez|responda|envie)\s+[\"«']?stop\b|unsubscrib|opt[\s-]?out|"
    r"отписат|отписк|darse de baja|baja\b|"
    r"abmelden|abbestellen|désabonner|désinscri|cancelar (?:a )?subscrição|descadastr|"
    r"cancelar inscrição)"
)
# Words every way out above contains, lower-cased: a text holding none of them offers none, and
# finding that with `in` is some 20x cheaper than the pattern's search at every position (the
# worker asks it of every message). A miss only ever adds the line (or blocks): never the reverse.
_OPT_OUT_WORDS = (
    "stop", "unsubscrib", "opt", "отпис", "baja", "abmelden", "abbestellen", "désabonner",
    "désinscri", "cancelar", "descadastr",
)  # fmt: skip


@dataclass(frozen=True)
class Rendered:
    """What Telegram shows of a text in its parse mode, and what it would refuse in it."""

    text: str
    errors: tuple[tuple[str, tuple[int, int] | None], ...]


def render(text: str, parse_mode: str | None) -> Rendered:
    """Returns the visible text of `text` in `parse_mode` with every formatting error found."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _render_html(text)
    if mode == "markdownv2":
        return _render_markdown_v2(text)
    if mode == "markdown":
        return Rendered(_MDV1_LINK.sub(r"\1", text).replace("*", "").replace("_", ""), ())
    return Rendered(text, ())


def check_length(
    text: str, *, max_len: int = TEXT_MAX, parse_mode: str | None = None
) -> list[Reason]:
    """Blocks an empty or over-long text (counted as Telegram counts, after rendering) and
    markup that Telegram would refuse."""
    rendered = render(text, parse_mode)
    reasons = [
        Reason(code="bad_formatting", severity="block", span=span, message=message)
        for message, span in rendered.errors
    ]
    if not rendered.text.strip():
        reasons.append(
            Reason(code="empty_text", severity="block", message="Telegram refuses an empty message")
        )
        return reasons
    length = telegram.telegram_text_length(rendered.text)
    if length > max_len:
        reasons.append(
            Reason(
                code="too_long",
                severity="block",
                span=(0, len(text)),
                message=f"{length} characters; Telegram accepts at most {max_len}",
            )
        )
    return reasons


def check_buttons(buttons: Sequence[Sequence[telegram.Button]]) -> list[Reason]:
    """Blocks inline keyboards Telegram refuses: too many buttons, bad URLs, long callbacks."""
    reasons: list[Reason] = []
    total = sum(len(row) for row in buttons)
    if total > BUTTONS_MAX:
        reasons.append(_button_reason(f"{total} buttons; Telegram accepts at most {BUTTONS_MAX}"))
    for row_index, row in enumerate(buttons):
        if len(row) > BUTTONS_PER_ROW_MAX:
            reasons.append(
                _button_reason(f"Row {row_index + 1} has {len(row)} buttons; at most 8 fit")
            )
        for button in row:
            if not button.text.strip():
                reasons.append(_button_reason("A button has no text"))
            if (button.url is None) == (button.callback_data is None):
                reasons.append(
                    _button_reason(f"Button '{button.text}' needs exactly one of a URL or data")
                )
            if button.url is not None and not button.url.lower().startswith(BUTTON_URL_SCHEMES):
                reasons.append(
                    _button_reason(f"Button '{button.text}': only http, https and tg links work")
                )
            data = button.callback_data
            if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_MAX_BYTES:
                reasons.append(
                    _button_reason(
                        f"Button '{button.text}': callback data is {len(data.encode())} bytes; "
                        f"Telegram takes 1 to {CALLBACK_DATA_MAX_BYTES}"
                    )
                )
    return reasons


def has_opt_out(text: str, buttons: Sequence[Sequence[telegram.Button]] = ()) -> bool:
    """Tells whether a message offers a way out: a /stop or unsubscribe line, or a button."""
    if _offers_way_out(text):
        return True
    return any(
        _offers_way_out(button.text) or (button.callback_data or "").lower() in ("stop", "/stop")
        for row in buttons
        for button in row
    )


def _offers_way_out(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _OPT_OUT_WORDS) and _OPT_OUT.search(text) is not None


def ensure_opt_out(
    text: str,
    buttons: Sequence[Sequence[telegram.Button]] = (),
    *,
    mode: OptOutMode = "add",
    line: str = OPT_OUT_LINE,
) -> tuple[str, list[Reason]]:
    """Returns the text to send and the reasons: with mode "add" a text without a way out gets
    the opt-out line; with "block" it is blocked; with "off" nothing is checked."""
    if mode == "off" or has_opt_out(text, buttons):
        return text, []
    if mode == "add":
        added = f"{text.rstrip()}\n\n{line}"
        note = Reason(
            code="opt_out_added",
            severity="info",
            span=(len(added) - len(line), len(added)),
            message="No way out was offered; the opt-out line was added",
        )
        return added, [note]
    return text, [
        Reason(
            code="no_opt_out",
            severity="block",
            message="A marketing message needs a way out: a /stop line or an unsubscribe button",
        )
    ]


def _button_reason(message: str) -> Reason:
    return Reason(code="bad_button", severity="block", message=message)


def _render_html(text: str) -> Rendered:
    errors: list[tuple[str, tuple[int, int] | None]] = []
    parts: list[str] = []
    stack: list[tuple[str, int]] = []
    position = 0
    for match in _HTML_TAG.finditer(text):
        parts.append(text[position : match.start()])
        position = match.end()
        piece = match.group(0)
        if piece == "<":
            errors.append(("A '<' that starts no tag; write &lt;", match.span()))
            continue
        if piece == "&":
            errors.append(("A bare '&'; write &amp;", match.span()))
            continue
        if piece.startswith("&"):
            decoded = html.unescape(piece)
            if decoded == piece:
                errors.append((f"Unknown entity {piece}", match.span()))
            parts.append(decoded)
            continue
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in _HTML_TAGS:
            errors.append((f"Telegram does not support the tag <{name}>", match.span()))
            continue
        if not closing:
            if name == "a" and "href" not in match.group(3).lower():
                errors.append(("A link <a> without href", match.span()))
            stack.append((name, match.start()))
        elif not stack or stack[-1][0] != name:
            errors.append((f"</{name}> closes a tag that is not open", match.span()))
        else:
            stack.pop()
    parts.append(text[position:])
    for name, start in stack:
        errors.append((f"<{name}> is never closed", (start, start + len(name) + 2)))
    return Rendered("".join(parts), tuple(errors))


def _render_markdown_v2(text: str) -> Rendered:
    errors: list[tuple[str, tuple[int, int] | None]] = []
    parts: list[str] = []
    open_marks: dict[str, int] = {}
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            parts.append(text[index + 1])
            index += 2
            continue
        link = _MDV2_ENTITY.match(text, index) if char == "[" else None
        if link:
            parts.append(render(link.group(1), "markdownv2").text)
            index = link.end()
            continue
        mark = (
            "||"
            if text.startswith("||", index)
            else "```"
            if text.startswith("```", index)
            else char
        )
        if mark in ("*", "_", "~", "||", "`", "```"):
            if mark in open_marks:
                del open_marks[mark]
            else:
                open_marks[mark] = index
            index += len(mark)
            continue
        if char in _MDV2_SPECIAL:
            errors.append(
                (f"'{char}' must be escaped as '\\{char}' in MarkdownV2", (index, index + 1))
            )
        parts.append(char)
        index += 1
    for mark, start in open_marks.items():
        errors.append((f"'{mark}' is never closed", (start, start + len(mark))))
    return Rendered("".join(parts), tuple(errors))
