"""Telegram's markup parsed as Telegram parses it: visible text, entities in UTF-16 units, and
Telegram's own words for broken markup (tdlib's rules, case by case)."""

from __future__ import annotations

import html
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketing_agent.telegram.markup import MarkupError, parse

RESERVED_V2 = "_*[]()~`>#+-=|{}.!"


def parsed(text: str, mode: str) -> tuple[str, list[dict[str, Any]]]:
    result = parse(text, mode)
    return result.text, [e.as_json() for e in result.entities]


@pytest.mark.parametrize(
    ("text", "visible", "entities"),
    [
        ("<b>bold <i>both</i></b>", "bold both", [("bold", 0, 9), ("italic", 5, 4)]),
        (
            "<B>caps</B> <strong>s</strong> <em>e</em>",
            "caps s e",
            [("bold", 0, 4), ("bold", 5, 1), ("italic", 7, 1)],
        ),
        ("&lt;b&gt; &amp;amp; &quot;", '<b> &amp; "', []),
        ("&#128512;<u>x</u> &#x1F600;", "😀x 😀", [("underline", 2, 1)]),
        ("&nbsp; &#0; & alone", "&nbsp; &#0; & alone", []),  # unknown references stay text
        (
            "<s>a</s><strike>b</strike><del>c</del><ins>d</ins>",
            "abcd",
            [
                ("strikethrough", 0, 1),
                ("strikethrough", 1, 1),
                ("strikethrough", 2, 1),
                ("underline", 3, 1),
            ],
        ),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "st",
            [("spoiler", 0, 1), ("spoiler", 1, 1)],
        ),
        ("<b></b>empty", "empty", []),  # an empty entity is dropped
        ("<b>x</ >", "x", [("bold", 0, 1)]),  # an end tag without a name closes the last one
        ("<blockquote>q</blockquote>", "q", [("blockquote", 0, 1)]),
    ],
)
def test_html_becomes_visible_text_and_entities(
    text: str, visible: str, entities: list[tuple[str, int, int]]
) -> None:
    shown, found = parsed(text, "HTML")

    assert shown == visible
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


def test_html_links_code_blocks_and_mentions_carry_their_arguments() -> None:
    text = (
        "<a href='https://shop.example/b?x=1&amp;y=2'>shop</a> "
        '<a href="tg://user?id=42">you</a> <a href="bad url">no link</a> '
        '<pre><code class="language-python">print(1)</code></pre> '
        '<code class="language-js">inline</code>'
    )

    shown, found = parsed(text, "HTML")

    assert shown == "shop you no link print(1) inline"
    assert found == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://shop.example/b?x=1&y=2"},
        {
            "type": "text_mention",
            "offset": 5,
            "length": 3,
            "user": {"id": 42, "is_bot": False, "first_name": ""},
        },
        {"type": "pre", "offset": 17, "length": 8, "language": "python"},
        {"type": "code", "offset": 26, "length": 6},  # a language only counts inside <pre>
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>open", "Can't find end tag corresponding to start tag b"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("😀<br>", 'Unsupported start tag "br" at byte offset 4'),  # bytes, not characters
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a =x>y</a>", 'Empty attribute name in the tag "a" at byte offset 0'),
        (
            "<a href>y</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
        ("<a href=", 'Unclosed start tag "a" at byte offset 0'),
        ("<a href=x/y>z</a>", "Unexpected end of name token at byte offset 8"),
        ("<tg-emoji emoji-id='abc'>👍</tg-emoji>", "Invalid custom emoji identifier specified"),
        (
            "&#xD83D;",
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units",
        ),
    ],
)
def test_broken_html_is_refused_in_telegrams_words(text: str, error: str) -> None:
    with pytest.raises(MarkupError) as refused:
        parse(text, "HTML")

    assert str(refused.value) == error


@pytest.mark.parametrize(
    ("text", "visible", "entities"),
    [
        ("*bold _nested_*", "bold nested", [("bold", 0, 11), ("italic", 5, 6)]),
        (
            "__under__ ~strike~ ||spoiler||",
            "under strike spoiler",
            [("underline", 0, 5), ("strikethrough", 6, 6), ("spoiler", 13, 7)],
        ),
        ("__a_b_c__", "abc", [("underline", 0, 3), ("italic", 1, 1)]),
        (r"1\.5 \- 2\! \\ \*", r"1.5 - 2! \ *", []),
        ("`a_b*c\\`d`", "a_b*c`d", [("code", 0, 7)]),  # inside code only ` needs escaping
        ("😀*x*", "😀x", [("bold", 2, 1)]),
        ("**", "", []),
        (">quoted\n>still\nafter", "quoted\nstill\nafter", [("blockquote", 0, 13)]),
        ("a\n>quote", "a\nquote", [("blockquote", 2, 5)]),
        ("x\\", "x\\", []),  # a backslash at the very end stays
    ],
)
def test_markdown_v2_becomes_visible_text_and_entities(
    text: str, visible: str, entities: list[tuple[str, int, int]]
) -> None:
    shown, found = parsed(text, "MarkdownV2")

    assert shown == visible
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


def test_markdown_v2_links_and_code_blocks_carry_their_arguments() -> None:
    text = "[shop](https://shop.example/a\\)b) [shop\\.example] ```python\nprint(1)```"

    shown, found = parsed(text, "MarkdownV2")

    assert shown == "shop shop.example print(1)"
    assert found == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://shop.example/a)b"},
        {"type": "text_link", "offset": 5, "length": 12, "url": "http://shop.example"},
        {"type": "pre", "offset": 18, "length": 8, "language": "python"},
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Sale ends 1.12", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("a-b", "Character '-' is reserved and must be escaped with the preceding '\\'"),
        ("a|b", "Character '|' is reserved and must be escaped with the preceding '\\'"),
        ("Hi!", "Character '!' is reserved and must be escaped with the preceding '\\'"),
        ("a>b", "Character '>' is reserved and must be escaped with the preceding '\\'"),
        ("(x)", "Character '(' is reserved and must be escaped with the preceding '\\'"),
        ("*unclosed", "Can't find end of Bold entity at byte offset 0"),
        ("😀 _x", "Can't find end of Italic entity at byte offset 5"),
        ("ok __x", "Can't find end of Underline entity at byte offset 3"),
        ("`code", "Can't find end of Code entity at byte offset 0"),
        ("```\ncode", "Can't find end of Pre entity at byte offset 0"),
        ("```js\ncode", "Can't find end of PreCode entity at byte offset 0"),
        ("[shop", "Can't find end of TextUrl entity at byte offset 0"),
        ("[shop](https://e.com", "Can't find end of a URL at byte offset 7"),
        ("*a\n>b*", "Can't find end of Bold entity at byte offset 5"),
        (">*quoted\nout*", "Can't find end of Bold entity at byte offset 1"),
        ("![👍]", "Custom emoji entity must contain a tg://emoji URL"),
        ("![👍](https://e.com)", "Custom emoji URL must have scheme tg"),
    ],
)
def test_broken_markdown_v2_is_refused_in_telegrams_words(text: str, error: str) -> None:
    with pytest.raises(MarkupError) as refused:
        parse(text, "MarkdownV2")

    assert str(refused.value) == error


@pytest.mark.parametrize(
    ("text", "visible", "error"),
    [
        ("*bold* _it_ `c` [t](http://x.y)", "bold it c t", None),
        ("price\\_list", "price_list", None),
        ("price_list", None, "Can't find end of the entity starting at byte offset 5"),
        ("😀 *x", None, "Can't find end of the entity starting at byte offset 5"),
    ],
)
def test_legacy_markdown(text: str, visible: str | None, error: str | None) -> None:
    if error is not None:
        with pytest.raises(MarkupError, match=error):
            parse(text, "Markdown")
        return
    assert parse(text, "Markdown").text == visible


def test_an_unknown_parse_mode_is_refused_and_none_is_plain_text() -> None:
    with pytest.raises(ValueError, match="unsupported parse_mode"):
        parse("x", "Fancy")
    assert parse("<b>*x*</b>", None).text == "<b>*x*</b>"
    assert parse("<b>x</b>", "html").entities  # the mode's name is not case sensitive


@given(st.text())
def test_html_escaped_text_reads_back_as_itself(text: str) -> None:
    clean = "".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF)

    result = parse(html.escape(clean, quote=False), "HTML")

    assert (result.text, result.entities) == (clean, ())


@given(st.text())
def test_markdown_v2_escaped_text_reads_back_as_itself(text: str) -> None:
    clean = "".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF)
    escaped = "".join("\\" + c if c in RESERVED_V2 + "\\" else c for c in clean)
    escaped = escaped.replace("\n", "\\\n")  # a new line is reserved too

    result = parse(escaped, "MarkdownV2")

    assert (result.text, result.entities) == (clean, ())


@given(st.lists(st.sampled_from(["<b>", "</b>", "<i>", "</i>", "x", "😀", "&amp;"]), max_size=12))
def test_html_entities_always_lie_inside_the_visible_text(parts: list[str]) -> None:
    try:
        result = parse("".join(parts), "HTML")
    except MarkupError:
        return
    units = len(result.text.encode("utf-16-le")) // 2
    for entity in result.entities:
        assert 0 <= entity.offset and entity.length > 0
        assert entity.offset + entity.length <= units
