"""Telegram's text markup: `parse_mode` HTML, MarkdownV2 and (legacy) Markdown, parsed the way
the Bot API parses them (tdlib's rules), into the visible text and its entities.

Offsets and lengths of entities count UTF-16 code units, as Telegram's do; errors carry
Telegram's own wording and byte offsets (into the UTF-8 text), so the simulator refuses broken
markup exactly as Telegram would: "Bad Request: can't parse entities: <message>".
Not modelled: the entities Telegram finds by itself (URLs, mentions, hashtags, bot commands) and
its trimming of surrounding whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

# The Bot API's entity types, and tdlib's names for them (its error messages use those).
_TDLIB_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}
# When two entities start at the same place and are as long, Telegram lists them in this order.
_PRIORITY = {
    "blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_MARKDOWN_V2_RESERVED = "_*[]()~`>#+-=|{}.!\n"
_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_END = "\0"  # what tdlib's parsers read past the end of the text (a NUL terminator)
_SPACES = frozenset(" \t\r\n\0\v\f")  # tdlib's is_space counts the terminator as a space
_LINK_SCHEMES = frozenset({"http", "https", "tg", "ton", "tonsite"})


class MarkupError(ValueError):
    """Telegram cannot parse the markup; the message is Telegram's own."""


@dataclass(frozen=True)
class Entity:
    """A formatted span of the visible text, in UTF-16 code units."""

    type: str  # the Bot API's type (bold, text_link, pre, ...)
    offset: int
    length: int
    url: str | None = None  # text_link
    language: str | None = None  # pre
    user_id: int | None = None  # text_mention
    custom_emoji_id: str | None = None  # custom_emoji

    def as_json(self) -> dict[str, Any]:
        """Returns the entity as the Bot API shows it in a Message."""
        body: dict[str, Any] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.url is not None:
            body["url"] = self.url
        if self.language is not None:
            body["language"] = self.language
        if self.user_id is not None:
            body["user"] = {"id": self.user_id, "is_bot": False, "first_name": ""}
        if self.custom_emoji_id is not None:
            body["custom_emoji_id"] = self.custom_emoji_id
        return body


@dataclass(frozen=True)
class FormattedText:
    text: str
    entities: tuple[Entity, ...] = ()


def parse(text: str, parse_mode: str | None) -> FormattedText:
    """Returns the visible text and its entities; raises MarkupError for broken markup and
    ValueError (Telegram's "unsupported parse_mode") for a mode it does not know."""
    mode = (parse_mode or "").lower()
    if not mode:
        return FormattedText(text)
    if mode == "html":
        return _Html(text).parse()
    if mode == "markdownv2":
        return _MarkdownV2(text).parse()
    if mode == "markdown":
        return _Markdown(text).parse()
    raise ValueError("unsupported parse_mode")


class _Reader:
    """The text as tdlib's parsers read it: characters with their UTF-8 byte offsets, a NUL
    after the end, and the visible text built up with its length in UTF-16 units."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.size = len(text)
        self.byte_at: list[int] = []
        position = 0
        for char in text:
            self.byte_at.append(position)
            position += len(char.encode("utf-8", "surrogatepass"))
        self.byte_at.append(position)
        self.out: list[str] = []
        self.utf16 = 0
        self.entities: list[Entity] = []

    def at(self, i: int) -> str:
        return self.text[i] if i < self.size else _END

    def emit(self, char: str) -> None:
        self.out.append(char)
        self.utf16 += 2 if ord(char) > 0xFFFF else 1

    def visible_since(self, index: int) -> str:
        return "".join(self.out[index:])

    def result(self) -> FormattedText:
        entities = sorted(self.entities, key=lambda e: (e.offset, -e.length, _PRIORITY[e.type]))
        return FormattedText("".join(self.out), tuple(entities))


@dataclass
class _Open:
    """An entity whose end is still to come."""

    type: str
    utf16_offset: int
    byte_offset: int
    out_index: int  # where its visible text begins
    argument: str = ""


class _MarkdownV2(_Reader):
    def parse(self) -> FormattedText:
        stack: list[_Open] = []
        in_blockquote = False
        i = 0
        while i < self.size:
            char, following = self.text[i], self.at(i + 1)
            if char == "\\" and following != _END and 0 < ord(following) <= 126:
                self.emit(following)
                i += 2
                continue
            top = stack[-1].type if stack else None
            reserved = "`" if top in ("code", "pre", "pre_code") else _MARKDOWN_V2_RESERVED
            if char not in reserved:
                self.emit(char)
                i += 1
                continue
            closes = top is not None and (
                (in_blockquote and char == "\n" and following != ">") or self._closes(top, i)
            )
            if closes:
                assert stack
                i = self._close(stack, i)
                if stack[-1].type == "blockquote":
                    in_blockquote = False
                stack.pop()
                continue
            opened, i, in_blockquote = self._open(i, in_blockquote)
            if opened is not None:
                stack.append(opened)
        if in_blockquote and stack and stack[-1].type == "blockquote":
            self._add(stack.pop(), None)
        if stack:
            raise MarkupError(_unclosed(stack[-1]))
        return self.result()

    def _closes(self, top: str, i: int) -> bool:
        char, following = self.text[i], self.at(i + 1)
        match top:
            case "bold":
                return char == "*"
            case "italic":
                return char == "_" and following != "_"
            case "underline":
                return char == "_" and following == "_"
            case "strikethrough":
                return char == "~"
            case "spoiler":
                return char == "|" and following == "|"
            case "code":
                return char == "`"
            case "pre" | "pre_code":
                return char == "`" and following == "`" and self.at(i + 2) == "`"
            case "text_link" | "custom_emoji":
                return char == "]"
        return False  # a blockquote ends only at a line that does not start with ">"

    def _open(self, i: int, in_blockquote: bool) -> tuple[_Open | None, int, bool]:
        """Opens the entity `text[i]` starts; returns it (None: a plain new line), the next
        position and whether a blockquote is open."""
        char, following = self.text[i], self.at(i + 1)
        start = _Open("", self.utf16, self.byte_at[i], 0)
        if char == "_" and following == "_":
            start.type, i = "underline", i + 2
        elif char == "_":
            start.type, i = "italic", i + 1
        elif char == "*":
            start.type, i = "bold", i + 1
        elif char == "~":
            start.type, i = "strikethrough", i + 1
        elif char == "|" and following == "|":
            start.type, i = "spoiler", i + 2
        elif char == "[":
            start.type, i = "text_link", i + 1
        elif char == "!" and following == "[":
            start.type, i = "custom_emoji", i + 2
        elif char == "`" and following == "`" and self.at(i + 2) == "`":
            start.type, start.argument, i = self._open_pre(i + 3)
        elif char == "`":
            start.type, i = "code", i + 1
        elif char == "\n":
            self.emit("\n")
            if following != ">":
                return None, i + 1, in_blockquote
            if in_blockquote:
                return None, i + 2, True
            start = _Open("blockquote", self.utf16, self.byte_at[i], 0)
            i, in_blockquote = i + 2, True
        elif char == ">" and i == 0:
            start.type, i, in_blockquote = "blockquote", 1, True
        else:
            raise MarkupError(_reserved(char))
        start.out_index = len(self.out)
        return start, i, in_blockquote

    def _open_pre(self, i: int) -> tuple[str, str, int]:
        """Reads what follows ``` : an optional language and one new line."""
        kind, language = "pre", ""
        end = i
        while self.at(end) not in _SPACES and self.at(end) != "`":
            end += 1
        if end != i and end < self.size and self.text[end] != "`":
            kind, language, i = "pre_code", self.text[i:end], end
        if self.at(i) in "\r\n" and self.at(i) != _END:
            pair = self.at(i + 1) in "\r\n" and self.at(i + 1) != _END
            i += 2 if pair and self.at(i) != self.at(i + 1) else 1
        return kind, language, i

    def _close(self, stack: list[_Open], i: int) -> int:
        """Closes the innermost entity at `text[i]`; returns the position after its end."""
        top = stack[-1]
        char = self.text[i]
        if char == "\n" and top.type != "blockquote":
            raise MarkupError(_unclosed(top))
        empty = self.utf16 == top.utf16_offset
        match top.type:
            case "underline" | "spoiler":
                self._add(top, None, empty)
                return i + 2
            case "pre" | "pre_code":
                self._add(top, None, empty)
                return i + 3
            case "text_link":
                return self._close_link(top, i, empty)
            case "custom_emoji":
                return self._close_custom_emoji(top, i, empty)
            case "blockquote":
                self.emit("\n")
                self._add(top, None, empty)
                return i + 1
        self._add(top, None, empty)
        return i + 1

    def _url_in_brackets(self, i: int, what: str) -> tuple[str, int]:
        """Reads the (url) starting at `text[i]` == "("; returns it and the position after."""
        i += 1
        begin = self.byte_at[i] if i <= self.size else self.byte_at[-1]
        url: list[str] = []
        while i < self.size and self.text[i] != ")":
            following = self.at(i + 1)
            if self.text[i] == "\\" and following != _END and 0 < ord(following) <= 126:
                url.append(following)
                i += 2
                continue
            url.append(self.text[i])
            i += 1
        if self.at(i) != ")":
            raise MarkupError(f"Can't find end of {what} at byte offset {begin}")
        return "".join(url), i + 1

    def _close_link(self, top: _Open, i: int, empty: bool) -> int:
        if self.at(i + 1) == "(":
            url, after = self._url_in_brackets(i + 1, "a URL")
        else:
            url, after = self.visible_since(top.out_index), i + 1
        self._add_link(top, url, empty)
        return after

    def _close_custom_emoji(self, top: _Open, i: int, empty: bool) -> int:
        if self.at(i + 1) != "(":
            raise MarkupError("Custom emoji entity must contain a tg://emoji URL")
        url, after = self._url_in_brackets(i + 1, "a custom emoji URL")
        emoji_id = _custom_emoji_id(url)
        if not empty:
            self.entities.append(
                Entity(
                    "custom_emoji",
                    top.utf16_offset,
                    self.utf16 - top.utf16_offset,
                    custom_emoji_id=emoji_id,
                )
            )
        return after

    def _add(self, top: _Open, url: str | None, empty: bool = False) -> None:
        if empty or self.utf16 == top.utf16_offset:
            return
        length = self.utf16 - top.utf16_offset
        if top.type == "pre_code":
            self.entities.append(Entity("pre", top.utf16_offset, length, language=top.argument))
        else:
            self.entities.append(Entity(top.type, top.utf16_offset, length, url=url))

    def _add_link(self, top: _Open, url: str, empty: bool) -> None:
        _add_link(self, top.utf16_offset, url, empty)


class _Markdown(_Reader):
    """Telegram's legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""

    def parse(self) -> FormattedText:
        i = 0
        while i < self.size:
            char, following = self.text[i], self.at(i + 1)
            if char == "\\" and following in ("_", "*", "`", "["):
                self.emit(following)
                i += 2
                continue
            if char not in "_*`[":
                self.emit(char)
                i += 1
                continue
            i = self._entity(i)
        return self.result()

    def _entity(self, begin: int) -> int:
        char = self.text[begin]
        end_char = "]" if char == "[" else char
        i = begin + 1
        language = ""
        pre = char == "`" and self.at(i) == "`" and self.at(i + 1) == "`"
        if pre:
            i += 2
            end = i
            while self.at(end) not in _SPACES and self.at(end) != "`":
                end += 1
            if end != i and end < self.size and self.text[end] != "`":
                language, i = self.text[i:end], end
            if self.at(i) in "\r\n" and self.at(i) != _END:
                pair = self.at(i + 1) in "\r\n" and self.at(i + 1) != _END
                i += 2 if pair and self.at(i) != self.at(i + 1) else 1
        offset = self.utf16
        content_begin = i
        while i < self.size and (
            self.text[i] != end_char or (pre and not (self.at(i + 1) == self.at(i + 2) == "`"))
        ):
            self.emit(self.text[i])
            i += 1
        if i == self.size:
            raise MarkupError(
                f"Can't find end of the entity starting at byte offset {self.byte_at[begin]}"
            )
        content_end = i
        if offset != self.utf16:  # an empty entity is dropped and its (url) left as text
            length = self.utf16 - offset
            if char == "_":
                self.entities.append(Entity("italic", offset, length))
            elif char == "*":
                self.entities.append(Entity("bold", offset, length))
            elif char == "[":
                url = self.text[content_begin:content_end]
                if self.at(i + 1) == "(":
                    i += 2
                    url_begin = i
                    while i < self.size and self.text[i] != ")":
                        i += 1
                    url = self.text[url_begin:i]
                _add_link(self, offset, url, False)
            elif pre:
                self.entities.append(Entity("pre", offset, length, language=language or None))
            else:
                self.entities.append(Entity("code", offset, length))
        return i + (3 if pre else 1)


@dataclass
class _HtmlOpen:
    tag: str
    argument: str
    utf16_offset: int
    out_index: int


class _Html(_Reader):
    def parse(self) -> FormattedText:
        stack: list[_HtmlOpen] = []
        i = 0
        while i < self.size:
            char = self.text[i]
            if char == "&":
                decoded, after = self._entity_reference(i)
                if decoded is not None:
                    self.emit(decoded)
                    i = after
                    continue
            if char != "<":
                self.emit(char)
                i += 1
                continue
            if self.at(i + 1) != "/":
                opened, i = self._start_tag(i)
                stack.append(opened)
            else:
                i = self._end_tag(stack, i)
        if stack:
            raise MarkupError(f"Can't find end tag corresponding to start tag {stack[-1].tag}")
        if any(0xD800 <= ord(c) <= 0xDFFF for c in self.out):
            raise MarkupError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        self.entities = [
            Entity(e.type, e.offset, e.length, url=e.url, user_id=e.user_id)
            if e.type == "code"
            else e
            for e in self.entities
        ]
        return self.result()

    def _entity_reference(self, i: int) -> tuple[str | None, int]:
        """Decodes `&lt;`, `&#60;`, `&#x3c;` ... at `text[i]`; (None, i) when it is none."""
        end = i + 1
        if self.at(end) == "#":
            end += 1
            digits = "0123456789"
            base = 10
            if self.at(end) == "x":
                end, digits, base = end + 1, "0123456789abcdefABCDEF", 16
            value = 0
            while self.at(end) in digits and self.at(end) != _END:
                value = value * base + int(self.text[end], base)
                end += 1
            if value == 0 or value >= 0x10FFFF or self.byte_at[end] - self.byte_at[i] >= 10:
                return None, i
            decoded = chr(value)
        else:
            while self.at(end).isascii() and self.at(end).isalpha():
                end += 1
            named = _HTML_NAMED.get(self.text[i + 1 : end])
            if named is None:
                return None, i
            decoded = named
        if self.at(end) == ";":
            end += 1
        return decoded, end

    def _start_tag(self, begin: int) -> tuple[_HtmlOpen, int]:
        at = self.byte_at[begin]
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != ">":
            i += 1
        if self.at(i) == _END:
            raise MarkupError(f"Unclosed start tag at byte offset {at}")
        tag = self.text[begin + 1 : i].lower()
        if tag not in _HTML_TAGS:
            raise MarkupError(f'Unsupported start tag "{tag}" at byte offset {at}')
        argument = ""
        while self.at(i) != ">":
            while self.at(i) != _END and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == ">":
                break
            name_begin = i
            while self.at(i) not in _SPACES and self.at(i) != "=":
                i += 1
            name = self.text[name_begin:i]
            if not name:
                raise MarkupError(f'Empty attribute name in the tag "{tag}" at byte offset {at}')
            while self.at(i) != _END and self.at(i) in _SPACES:
                i += 1
            if self.at(i) != "=":
                raise MarkupError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {at}'
                )
            i += 1
            while self.at(i) != _END and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == _END:
                raise MarkupError(f'Unclosed start tag "{tag}" at byte offset {at}')
            value, i = self._attribute_value(i)
            if self.at(i) == _END:
                raise MarkupError(f"Unclosed start tag at byte offset {at}")
            argument = _tag_argument(tag, name, value, argument)
        if tag == "span" and argument != "spoiler":
            raise MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        return _HtmlOpen(tag, argument, self.utf16, len(self.out)), i + 1

    def _attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in ("'", '"'):  # a name token: letters, digits, periods, hyphens
            begin = i
            while self.at(i).isascii() and (self.at(i).isalnum() or self.at(i) in ".-"):
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ">":
                raise MarkupError(
                    f"Unexpected end of name token at byte offset {self.byte_at[begin]}"
                )
            return self.text[begin:i].lower(), i
        i += 1
        value: list[str] = []
        while self.at(i) != quote and self.at(i) != _END:
            if self.text[i] == "&":
                decoded, after = self._entity_reference(i)
                if decoded is not None:
                    value.append(decoded)
                    i = after
                    continue
            value.append(self.text[i])
            i += 1
        if self.at(i) == quote:
            i += 1
        return "".join(value), i

    def _end_tag(self, stack: list[_HtmlOpen], begin: int) -> int:
        at = self.byte_at[begin]
        if not stack:
            raise MarkupError(f"Unexpected end tag at byte offset {at}")
        i = begin + 2
        while self.at(i) not in _SPACES and self.at(i) != ">":
            i += 1
        name = self.text[begin + 2 : i].lower()
        while self.at(i) != _END and self.at(i) in _SPACES:
            i += 1
        if self.at(i) != ">":
            raise MarkupError(f"Unclosed end tag at byte offset {at}")
        top = stack[-1]
        if name and name != top.tag:
            raise MarkupError(
                f'Unmatched end tag at byte offset {at}, expected "</{top.tag}>", found "</{name}>"'
            )
        if self.utf16 > top.utf16_offset:
            self._add(top)
        stack.pop()
        return i + 1

    def _add(self, top: _HtmlOpen) -> None:
        offset, length = top.utf16_offset, self.utf16 - top.utf16_offset
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and (last.offset, last.length) == (offset, length)
        if top.tag in _HTML_TYPES:
            self.entities.append(Entity(_HTML_TYPES[top.tag], offset, length))
        elif top.tag == "tg-emoji":
            self.entities.append(
                Entity("custom_emoji", offset, length, custom_emoji_id=_emoji_id(top.argument))
            )
        elif top.tag == "a":
            _add_link(self, offset, top.argument or self.visible_since(top.out_index), False)
        elif top.tag == "pre":
            if same_span and last is not None and last.type == "code" and last.language:
                self.entities[-1] = Entity("pre", offset, length, language=last.language)
            else:
                self.entities.append(Entity("pre", offset, length))
        elif (
            same_span
            and last is not None
            and last.type == "pre"
            and not last.language
            and top.argument
        ):
            self.entities[-1] = Entity("pre", offset, length, language=top.argument)
        else:  # code; its language is kept only to make a surrounding <pre> a code block
            self.entities.append(Entity("code", offset, length, language=top.argument or None))


def _tag_argument(tag: str, name: str, value: str, current: str) -> str:
    """Returns what an attribute says about its tag (a link, a language, a class), if any."""
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    return current


def _emoji_id(argument: str) -> str:
    if not argument.isdigit() or int(argument) == 0:
        raise MarkupError("Invalid custom emoji identifier specified")
    return argument


def _custom_emoji_id(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() != "tg":
        raise MarkupError("Custom emoji URL must have scheme tg")
    if parts.netloc.lower() != "emoji":
        raise MarkupError('Custom emoji URL must have host "emoji"')
    return _emoji_id((parse_qs(parts.query).get("id") or [""])[0])


def _add_link(reader: _Reader, offset: int, url: str, empty: bool) -> None:
    """Adds a text_link (or a text_mention for tg://user?id=...); a URL Telegram cannot use
    makes no entity, as in Telegram."""
    length = reader.utf16 - offset
    if empty or length == 0:
        return
    user_id = _link_user_id(url)
    if user_id is not None:
        reader.entities.append(Entity("text_mention", offset, length, user_id=user_id))
        return
    checked = _checked_link(url)
    if checked is not None:
        reader.entities.append(Entity("text_link", offset, length, url=checked))


def _link_user_id(url: str) -> int | None:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "tg" or parts.netloc.lower() != "user":
        return None
    value = (parse_qs(parts.query).get("id") or [""])[0]
    return int(value) if value.isdigit() and int(value) > 0 else None


def _checked_link(url: str) -> str | None:
    """Returns the link as Telegram keeps it (http:// added when there is no scheme), or None
    when it is no link."""
    url = url.strip()
    if not url or any(c in url for c in " \n\t"):
        return None
    if "://" not in url and not url.lower().startswith(("tg:", "ton:")):
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in _LINK_SCHEMES:
        return None
    if parts.scheme.lower() in ("http", "https") and not parts.hostname:
        return None
    return url


def _unclosed(top: _Open) -> str:
    return f"Can't find end of {_TDLIB_NAMES[top.type]} entity at byte offset {top.byte_offset}"


def _reserved(char: str) -> str:
    return f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
