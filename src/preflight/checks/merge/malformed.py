"""MERGE001 malformed-tag and MERGE010 invalid-tag-for-platform: tags their platform cannot read."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Any

from preflight.checks.merge._common import _PART_NAMES, Options, _shown, _Text, _texts
from preflight.dialects import (
    Dialect,
    dialects,
)
from preflight.model import (
    MergeTag,
    Severity,
    Template,
    Violation,
)
from preflight.tagscan import (
    part_tokens,
    platform_of,
)

# -- MERGE001 malformed-tag -------------------------------------------------------

_DEFAULT_DELIMITERS = (("{{", "}}"), ("{%", "%}"), ("*|", "|*"))
"""Pairs checked when the platform is unknown: none of them occurs in ordinary copy."""
_MAX_TAG = {"{%": 2_000, "%%[": 100_000, "%%=": 2_000, "{{": 600, "*|": 600}
_DEFAULT_MAX_TAG = 120
_HTML_TAG = re.compile(r"<[A-Za-z/!]")
"""Markup inside a short tag means its closer belongs to a later tag: it was never closed."""
_ONE_LINE = frozenset({"*|", "{contactfield=", "{leadfield=", "{ownerfield=", "%recipient."})
"""Openers of tags that hold a field name and nothing else (Liquid, HubL and AMPscript tags
may hold HTML in strings)."""
_QUOTE_FALLBACK = re.compile(
    r"default|fallback|insert\s|defaultIfEmpty|personalization_token", re.IGNORECASE
)


def malformed_tag(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    delimiters = dialect.delimiters if dialect is not None else _DEFAULT_DELIMITERS
    for text in _texts(template):
        yield from _unpaired(text, delimiters, dialect)
        if dialect is not None:
            yield from _misused(text, dialect.malformed, dialect, "{message}")
    block_dialect = dialect or _block_dialect(template)
    if dialect is None and block_dialect is not None and _blocks_written_otherwise(template):
        block_dialect = None  # the guess's grammar does not describe these blocks
    if block_dialect is not None:
        for text in _texts(template):
            yield from _unbalanced(text, block_dialect)


def _block_dialect(template: Template) -> Dialect | None:
    """For a file whose platform is ambiguous, a candidate to read its blocks with.

    Candidates come out close because they share syntax ({{#if}} … {{/if}}), so
    any of them pairs the blocks the same way.
    """
    detection = template.detection
    if detection is None or not detection.candidates:
        return None
    return dialects().get(sorted(detection.candidates)[0])


# A block opened without "#" ({{if x}}, {{ range .Items }}): Go templates, Magento,
# Django's {{ }} is no block. The candidates of an ambiguous file open blocks with {{#…}}.
_BARE_BLOCK = re.compile(r"\{\{-?\s*(?:if|unless|range|with|each|depend)\b(?!\s*\}\})")


def _blocks_written_otherwise(template: Template) -> bool:
    """Whether a file whose platform is only guessed opens blocks as none of the guessed
    languages does: then their block grammar would misread its {{else}} and {{/if}}."""
    return any(_BARE_BLOCK.search(text.text) for text in _texts(template))


def _ejs_close(opener: str, body: str, after: int) -> bool:
    """``{%>``: a block's brace before EJS's, ERB's or ASP's ``%>`` (``<% if (x) {%>``), not
    a Jinja tag, which never starts with ``>``."""
    return opener == "{%" and body.startswith(">", after)


def _unpaired(
    text: _Text, delimiters: tuple[tuple[str, str], ...], dialect: Dialect | None
) -> Iterator[Violation]:
    body = text.text
    # tags already paired by an earlier (longer) opener, and the language's own comments
    consumed: list[tuple[int, int]] = []
    if dialect is not None:
        consumed = [(t.start, t.end) for t in _tokens(text, dialect) if t.kind == "comment"]

    def taken(offset: int) -> bool:
        index = bisect.bisect_right(consumed, (offset, 1 << 62)) - 1
        return index >= 0 and offset < consumed[index][1]

    for opener, closer in delimiters:
        if opener not in body:
            continue
        if opener == closer:
            yield from _unpaired_symmetric(text, opener, taken)
            continue
        limit = _MAX_TAG.get(opener, _DEFAULT_MAX_TAG)
        index = body.find(opener)
        while index != -1:
            after = index + len(opener)
            if taken(index) or text.hidden(index) or _ejs_close(opener, body, after):
                index = body.find(opener, after)
                continue
            close = body.find(closer, after, index + limit + len(closer))  # bounded: no O(n²)
            again = body.find(opener, after)
            triple = opener == "{{" and body.startswith("{{{", index)
            if (
                close == -1
                or (again != -1 and again < close)
                or close - index > limit
                or (opener in _ONE_LINE and _HTML_TAG.search(body, after, close) is not None)
            ):
                shown = body[index : min(len(body), index + 30)].split("\n")[0]
                yield _malformed(
                    text,
                    index,
                    index + len(opener),
                    '"{tag}" opens with {opener} but is never closed with {closer}',
                    {"tag": _shown(shown), "opener": opener, "closer": closer},
                    f"close the tag with {closer}",
                )
                bisect.insort(consumed, (index, index + len(opener)))  # reported once
                index = again
                continue
            end = close + len(closer)
            if triple and not body.startswith("}}}", close):
                yield _malformed(
                    text,
                    index,
                    end,
                    '"{tag}" opens with three braces but closes with two',
                    {"tag": _shown(body[index:end]), "opener": "{{{", "closer": "}}"},
                    "close it with }}} (or open it with {{ for an escaped value)",
                )
            elif '"' in body[index:end] or "'" in body[index:end]:
                yield from _broken_quotes(text, index, end)
            bisect.insort(consumed, (index, end))
            index = body.find(opener, end)
    if dialect is not None and dialect.name == "mailchimp":
        yield from _stray_closers(text, "|*", "*|", taken)


def _broken_quotes(text: _Text, start: int, end: int) -> Iterator[Violation]:
    raw = text.text[start:end]
    if not _QUOTE_FALLBACK.search(raw):
        return
    for quote in ("'", '"'):
        if raw.count(quote) % 2:
            yield _malformed(
                text,
                start,
                end,
                '"{tag}" has a fallback with an unclosed {quote} quote',
                {"tag": _shown(raw), "quote": quote, "reason": "broken-fallback"},
                "close the quote around the fallback text",
            )
            return


def _unpaired_symmetric(text: _Text, delimiter: str, taken: Any) -> Iterator[Violation]:
    """Pairs of a delimiter that both opens and closes (SFMC's %%FirstName%%)."""
    body = text.text
    marks = [
        m.start()
        for m in re.finditer(re.escape(delimiter), body)
        if not taken(m.start())
        and not text.hidden(m.start())
        # the %% of %%[ … ]%% and %%= … =%% belong to those tags
        and body[m.end() : m.end() + 1] not in ("[", "=")
        and body[m.start() - 1 : m.start()] not in ("]", "=")
    ]
    name = re.compile(r"[A-Za-z_][\w ]{0,80}")
    i = 0
    while i < len(marks):
        start = marks[i]
        if i + 1 < len(marks) and name.fullmatch(body, start + len(delimiter), marks[i + 1]):
            i += 2
            continue
        shown = body[start : start + 30].split("\n")[0]
        yield _malformed(
            text,
            start,
            start + len(delimiter),
            '"{tag}" opens with {opener} but is never closed with {closer}',
            {"tag": _shown(shown), "opener": delimiter, "closer": delimiter},
            f"write the field as {delimiter}Name{delimiter}",
        )
        i += 1


def _stray_closers(text: _Text, closer: str, opener: str, taken: Any) -> Iterator[Violation]:
    body = text.text
    index = body.find(closer)
    while index != -1:
        if not taken(index) and not text.hidden(index) and not taken(index - 1):
            floor = max(0, index - _DEFAULT_MAX_TAG)
            start = max(floor, body.rfind(" ", floor, index) + 1, body.rfind(">", floor, index) + 1)
            yield _malformed(
                text,
                start,
                index + len(closer),
                '"{tag}" closes with {closer} but was never opened with {opener}',
                {
                    "tag": _shown(body[start : index + len(closer)]),
                    "opener": opener,
                    "closer": closer,
                },
                f"open the tag with {opener}",
            )
        index = body.find(closer, index + len(closer))


def _misused(
    text: _Text, items: tuple[Any, ...], dialect: Dialect, template: str
) -> Iterator[Violation]:
    for item in items:
        if item.parts and text.part.value not in item.parts:
            continue
        for match in item.pattern.finditer(text.text):
            if text.hidden(match.start()):
                continue
            yield Violation(
                '"{tag}": ' + template,
                text.location(match.start(), match.end()),
                {"tag": _shown(match.group(0)), "message": item.message, "platform": dialect.label},
                help=item.help,
                severity=Severity.parse(item.severity) if item.severity else None,
            )


def _malformed(
    text: _Text, start: int, end: int, message: str, data: dict[str, Any], help_text: str
) -> Violation:
    return Violation(
        message,
        text.location(start, end),
        {"part": text.part.value, **data},
        help=help_text,
    )


def _block_name(tag: MergeTag, opening: bool) -> str:
    keyword = (tag.keyword or "").strip()
    if opening and keyword in ("#", "^"):
        return (tag.field or "").strip().lower()
    name = keyword.lstrip("#/").lower()
    return "if" if name == "ifnot" else name


def _closes(opened: str, closing: str) -> bool:
    return closing in (opened, "end" + opened)


def _tokens(text: _Text, dialect: Dialect) -> list[MergeTag]:
    """The part's tags in ``dialect`` (shared with tag_sites: tokenized once)."""
    return part_tokens(text.template, text.part, text.text, dialect)


def _unbalanced(text: _Text, dialect: Dialect) -> Iterator[Violation]:
    stack: list[MergeTag] = []
    for tag in _tokens(text, dialect):
        if text.hidden(tag.start):
            continue  # a block in an HTML comment is not the page's (and the pairing agrees)
        if tag.kind == "block-open":
            stack.append(tag)
        elif tag.kind == "block-else" and not stack:
            yield _malformed(
                text,
                tag.start,
                tag.end,
                '"{tag}" is outside any conditional block',
                {"tag": _shown(tag.raw)},
                "remove it, or open the block it belongs to",
            )
        elif tag.kind == "block-close":
            closing = _block_name(tag, False)
            if not stack:
                yield _malformed(
                    text,
                    tag.start,
                    tag.end,
                    '"{tag}" closes a block that was never opened',
                    {"tag": _shown(tag.raw)},
                    "remove it, or add the tag that opens the block",
                )
                continue
            opened = stack[-1]
            if _closes(_block_name(opened, True), closing):
                stack.pop()
                continue
            # a close that matches a block further out: the blocks in between are unclosed
            depth = next(
                (
                    i
                    for i in range(len(stack) - 1, -1, -1)
                    if _closes(_block_name(stack[i], True), closing)
                ),
                None,
            )
            if depth is None:
                yield _malformed(
                    text,
                    opened.start,
                    opened.end,
                    '"{tag}" is closed by "{closer}", which closes a different block',
                    {"tag": _shown(opened.raw), "closer": _shown(tag.raw)},
                    "close each block with its own end tag, innermost first",
                )
                stack.pop()
                continue
            for unclosed in stack[depth + 1 :]:
                yield _never_closed(text, unclosed)
            del stack[depth:]
    for unclosed in stack:
        yield _never_closed(text, unclosed)


def _never_closed(text: _Text, tag: MergeTag) -> Violation:
    return _malformed(
        text,
        tag.start,
        tag.end,
        '"{tag}" opens a block that is never closed',
        {"tag": _shown(tag.raw)},
        "close the block before the end of the " + _PART_NAMES.get(text.part, text.part.value),
    )


# -- MERGE010 invalid-tag-for-platform ------------------------------------------------


def invalid_tag_for_platform(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None or not dialect.invalid:
        return
    texts = _texts(template)
    applicable = tuple(
        item
        for item in dialect.invalid
        if item.when is None or any(item.when.search(text.text) for text in texts)
    )
    for text in texts:
        yield from _misused(text, applicable, dialect, "{message}")
