"""MERGE: merge-field mix-ups, read through the platform's own merge language.

Every rule works on the tags preflight.tagscan finds (tokenized with the
dialect of the template's platform, with part, context and position). What a
field means (first name, email, company) comes from rules/fields.yaml.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from preflight.dialects import (
    CONFIDENT,
    Dialect,
    dialects,
    signatures,
    special_kind,
    tokenize,
)
from preflight.fields import meaning, vocabulary
from preflight.model import (
    Audience,
    Location,
    MemberFacts,
    MergeTag,
    Part,
    Related,
    Severity,
    Template,
    Violation,
)
from preflight.preheader import value_parts
from preflight.suggest import did_you_mean
from preflight.tagscan import (
    Markup,
    TagSite,
    markup,
    part_tokens,
    platform_of,
    signature_hits,
    tag_sites,
    value_span,
)

Options = Mapping[str, Any]

_MAX_SHOWN = 60
_PART_NAMES = {
    Part.HTML: "HTML part",
    Part.TEXT: "text part",
    Part.SUBJECT: "subject",
    Part.PREHEADER: "preheader",
}


_SAID = {"email": "email address", "phone": "phone number", "city": "city", "postcode": "postcode"}


def _said(found: str) -> str:
    """How a message names a field's meaning ("email address", "first name")."""
    return _SAID.get(found, found.replace("_", " "))


def _article(label: str) -> str:
    """ "a" or "an" before a platform's name (an ActiveCampaign, a HubSpot)."""
    return "an" if label[:1].lower() in "aeio" else "a"


def _declared(template: Template) -> bool:
    platform = template.platform
    return platform is not None and platform.origin != "detected"


def _shown(raw: str) -> str:
    flat = " ".join(raw.split())
    return flat if len(flat) <= _MAX_SHOWN else flat[: _MAX_SHOWN - 1] + "…"


def _is_special(dialect: Dialect, raw: str) -> str | None:
    return special_kind(raw, dialect.name)


@dataclass(frozen=True)
class _Text:
    """One part of a template as text, with a way to turn offsets into locations."""

    part: Part
    text: str
    template: Template
    skip: Markup | None = None
    """For HTML: where comments, scripts and styles are (nobody reads the text there)."""

    def location(self, start: int, end: int) -> Location:
        template = self.template
        if self.part is Part.HTML and template.html is not None:
            return Location(template.path, template.html.source.span(start, end), Part.HTML)
        if self.part is Part.TEXT and template.text is not None:
            return template.location(Part.TEXT, template.text.span(start, end))
        sourced = template.subject if self.part is Part.SUBJECT else template.preheader
        if sourced is None or sourced.location is None:
            return template.location(self.part)
        span = value_span(template, sourced, start, end)
        return Location(sourced.location.path, span, self.part)

    def hidden(self, offset: int) -> bool:
        """Whether ``offset`` is in a comment, script or style."""
        return self.skip is not None and self.skip.region(offset) is not None


def _texts(template: Template) -> list[_Text]:
    return list(template.memo.get("merge_texts", lambda: _read_texts(template)))


def _read_texts(template: Template) -> list[_Text]:
    texts = []
    for part, sourced in value_parts(template):
        if sourced.value:
            texts.append(_Text(part, sourced.value, template))
    if template.html is not None:
        text = template.html.source.text
        texts.append(_Text(Part.HTML, text, template, markup(template)))
    if template.text is not None:
        texts.append(_Text(Part.TEXT, template.text.text, template))
    return texts


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
            if taken(index) or text.hidden(index):
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


# -- MERGE002 foreign-dialect and MERGE011 mixed-dialects ------------------------


@dataclass(frozen=True)
class _Foreign:
    platform: str
    text: _Text
    start: int
    end: int
    raw: str


def _foreign_tags(template: Template, exclude: str | None) -> list[_Foreign]:
    """Tags written in a language other than ``exclude``'s, first of each in every part."""
    found: list[_Foreign] = []
    own = dialects().get(exclude) if exclude else None
    table = signatures()
    for text in _texts(template):
        for index, match_start, match_end in signature_hits(template, text.part, text.text):
            _, _, who, strong = table[index]
            platform = who[0][0]
            if not strong or platform == exclude or text.hidden(match_start):
                continue
            start, end, raw = _whole_tag(text.text, platform, match_start, match_end)
            if own is not None and (_own_tag(own, raw) or _own_data(own, text, start, end)):
                continue
            found.append(_Foreign(platform, text, start, end, raw))
    found.sort(key=lambda f: (f.text.part.value, f.start))
    unique: list[_Foreign] = []
    for foreign in found:  # two languages' evidence on one tag: report it once
        if unique and unique[-1].text is foreign.text and foreign.start < unique[-1].end:
            continue
        unique.append(foreign)
    return unique


def _own_data(dialect: Dialect, text: _Text, start: int, end: int) -> bool:
    """Whether a platform whose data is whatever the sender passes reads this as a variable.

    In SendGrid, Postmark or Customer.io, {{ contact.name }} is a key of the data, not
    HubSpot's tag.
    """
    if not dialect.open_fields:
        return False
    return any(
        tag.kind == "variable" and tag.start <= start and end <= tag.end
        for tag in _tokens(text, dialect)
    )


def _own_tag(dialect: Dialect, raw: str) -> bool:
    """Whether the platform reads this text as one of its own strong tags too."""
    return any(
        weight >= 3 and re.search(pattern, raw) is not None
        for pattern, weight in dialect.signatures
    )


def _whole_tag(body: str, platform: str, start: int, end: int) -> tuple[int, int, str]:
    """The whole foreign tag around a signature match (the match may be a prefix of it)."""
    window_start = max(0, start - 40)
    for tag in tokenize(body[window_start : end + 200], platform, until=start - window_start):
        tag_start, tag_end = tag.start + window_start, tag.end + window_start
        if tag_start <= start < tag_end:
            return tag_start, tag_end, tag.raw
    return start, end, body[start:end]


def _equivalent(foreign: _Foreign, target: Dialect) -> str | None:
    """The target platform's tag for what a foreign tag stands for, when preflight knows it."""
    source = dialects()[foreign.platform]
    kind = _is_special(source, foreign.raw)
    if kind is not None:
        return target.write_special.get(kind)
    for tag in tokenize(foreign.raw, source.name):
        if tag.field is None:
            continue
        name = source.audience_field(tag.field)
        found = meaning(name) if name else None
        if found and found in target.fields:
            return target.write(target.fields[found], tag.fallback)
    return None


def foreign_dialect(template: Template, options: Options) -> Iterator[Violation]:
    if not _declared(template):
        return
    target = platform_of(template)
    if target is None:
        return
    foreigners = _foreign_tags(template, target.name)
    for foreign in foreigners:
        source = dialects()[foreign.platform]
        equivalent = _equivalent(foreign, target)
        yield Violation(
            '"{tag}" is {article} {foreign} merge tag; {platform} sends it out literally',
            foreign.text.location(foreign.start, foreign.end),
            {
                "tag": _shown(foreign.raw),
                "article": _article(source.label),
                "foreign": source.label,
                "platform": target.label,
                "equivalent": equivalent,
                "part": foreign.text.part.value,
            },
            help=f"in {target.label} write {equivalent}"
            if equivalent
            else f"rewrite it in {target.label}'s merge language",
        )
    yield from _foreign_braces(template, target, foreigners)


_BRACES = re.compile(r"\{\{-?\s*(?P<field>[\w.${}]{1,100})[^{}]{0,300}\}\}|\{%[^{}%]{1,300}%\}")


def _foreign_braces(
    template: Template, target: Dialect, taken: list[_Foreign]
) -> Iterator[Violation]:
    """{{ … }} and {% … %} in a platform whose language has neither (Mailchimp, SFMC…)."""
    if any(opener in ("{{", "{%") for opener, _ in target.delimiters):
        return  # the language has braces (tests/test_merge.py holds the data to that)
    for text in _texts(template):
        if "{{" not in text.text and "{%" not in text.text:
            continue
        for match in _BRACES.finditer(text.text):
            if text.hidden(match.start()) or any(
                f.text is text and f.start <= match.start() < f.end for f in taken
            ):
                continue
            equivalent = None
            name = (match.group("field") or "").replace("${", "").replace("}", "")
            found = meaning(name.rsplit(".", 1)[-1]) if name else None
            if found and found in target.fields:
                equivalent = target.write(target.fields[found])
            yield Violation(
                '"{tag}" is Handlebars or Liquid syntax, which {platform} does not read;'
                " it goes out literally",
                text.location(match.start(), match.end()),
                {
                    "tag": _shown(match.group(0)),
                    "foreign": None,
                    "platform": target.label,
                    "equivalent": equivalent,
                    "part": text.part.value,
                },
                help=f"in {target.label} write {equivalent}"
                if equivalent
                else f"rewrite it in {target.label}'s merge language",
            )


def mixed_dialects(template: Template, options: Options) -> Iterator[Violation]:
    if _declared(template):
        return  # a declared platform: MERGE002 names each foreign tag
    first: dict[str, _Foreign] = {}
    counts: dict[str, int] = {}
    for foreign in _foreign_tags(template, None):
        first.setdefault(foreign.platform, foreign)
        counts[foreign.platform] = counts.get(foreign.platform, 0) + 1
    if len(first) < 2:
        return
    ranked = sorted(first, key=lambda p: (-counts[p], p))
    main = ranked[0]
    for other in ranked[1:]:
        if other in dialects()[main].mixes_with or main in dialects()[other].mixes_with:
            continue
        tag, main_tag = first[other], first[main]
        labels = dialects()[main].label, dialects()[other].label
        detection = template.detection
        sure = (
            detection is not None
            and detection.platform == main
            and (detection.confidence or 0) >= CONFIDENT
        )
        equivalent = _equivalent(tag, dialects()[main]) if sure else None
        if sure:  # as MERGE002 would with the platform declared: the tag to write instead
            declare = f"declare `platform: {main}` in the sidecar or config"
            help_text = (
                f"in {labels[0]} write {equivalent} (and {declare})"
                if equivalent
                else f"rewrite it in {labels[0]}'s merge language (and {declare})"
            )
        else:
            help_text = (
                "write every tag in the language of the platform that sends this email,"
                " and declare it (`platform:` in the sidecar or config)"
            )
        yield Violation(
            '"{tag}" is {article} {other} merge tag in a file mostly written for {main}; only'
            " one platform fills in its tags",
            tag.text.location(tag.start, tag.end),
            {
                "tag": _shown(tag.raw),
                "article": _article(labels[1]),
                "other": labels[1],
                "main": labels[0],
                "equivalent": equivalent,
            },
            help=help_text,
            related=(
                Related(
                    main_tag.text.location(main_tag.start, main_tag.end),
                    f'first {labels[0]} tag: "{_shown(main_tag.raw)}"',
                ),
            ),
        )


# -- MERGE003 unknown-field -------------------------------------------------------

_CONDITION_KEYWORDS = frozenset({"if", "unless", "#if", "#unless", "IF", "IFNOT", "elsif", "elif"})
_SIMPLE_FIELD = re.compile(r"[\w.${}:' |-]+")


_LOOP = re.compile(r"\{%-?\s*(?:for|tablerow)\s+(\w+)(?:\s*,\s*(\w+))?\s+in\b")
_LOCALS = re.compile(r"\{%-?\s*(?:assign|capture|set|with)\s+(\w+)")
_LOOP_NAMES = frozenset({"forloop", "tablerowloop", "this", "loop", "item", "@index", "@key"})
_SCOPES = frozenset({"#each", "#with", "#list", "FEEDITEMS", "RSSITEMS", "FEEDBLOCK", "RSSBLOCK"})
"""Blocks whose variables are an item's or a scope's, not the recipient's."""


def _locals(template: Template) -> frozenset[str]:
    """Names a template binds itself ({% assign x = … %}, {% capture x %}, {% with x=… %})."""
    found = set(_LOOP_NAMES)
    for text in _texts(template):
        if "{%" in text.text:
            found.update(m.group(1) for m in _LOCALS.finditer(text.text))
    return frozenset(found)


def _checked_fields(template: Template, dialect: Dialect) -> Iterator[tuple[TagSite, str]]:
    """(site, audience field name) for each readable tag that names an audience field.

    Tags inside loops and scopes ({{#each items}}, {% for p in items %}, a mustache
    section) and names the template binds itself are not the recipient's fields.
    """
    bound_here = _locals(template)
    scopes: dict[Part, _Scopes] = {}
    for site in tag_sites(template, dialect):
        tag = site.tag
        scope = scopes.get(site.part)
        if scope is None:
            scope = scopes[site.part] = _Scopes()
        keyword = (tag.keyword or "").strip()
        if tag.kind == "block-open":
            loop = _LOOP.match(tag.raw)
            if keyword in _SCOPES:
                scope.push(True, None, ())
            elif keyword == "#":  # a mustache section: its own field, then the scope's names
                scope.push(True, tag.field, ())
            elif loop is not None:
                scope.push(False, None, [n for n in loop.groups() if n])
            else:
                scope.push(False, None, ())
        elif tag.kind == "block-close":
            scope.pop()
        if not site.readable or not tag.field:
            continue
        if tag.kind == "block-open" and keyword not in _CONDITION_KEYWORDS:
            continue
        if tag.kind not in ("variable", "block-open"):
            continue
        if not _SIMPLE_FIELD.fullmatch(tag.field) or _is_special(dialect, tag.raw):
            continue
        head = re.split(r"[.|\s]", tag.field.strip(), maxsplit=1)[0]
        if head in bound_here or scope.bound[head]:
            continue
        if scope.opaque and (tag.kind == "block-open" or not scope.owners[tag.field]):
            continue
        name = dialect.audience_field(tag.field)
        if name:
            yield site, name


class _Scopes:
    """The blocks open at a tag of one part: what they bind, kept as counts so that each tag
    is judged in constant time however deep the blocks nest (20,000 nested {{#if}} took
    seconds when every tag looked at every open block)."""

    def __init__(self) -> None:
        self.frames: list[tuple[bool, str | None, tuple[str, ...]]] = []
        self.bound: Counter[str] = Counter()
        """Names the open loops bind ({% for p in items %}: p)."""
        self.opaque = 0
        """Open blocks whose tags are not the recipient's (a section, {{#each}}, {{#with}})."""
        self.owners: Counter[str] = Counter()
        """The fields those blocks open on (a mustache section's own field stays readable)."""

    def push(self, opaque: bool, own: str | None, names: Iterable[str]) -> None:
        frame = (opaque, own, tuple(names))
        self.frames.append(frame)
        self.bound.update(frame[2])
        if opaque:
            self.opaque += 1
            if own is not None:
                self.owners[own] += 1

    def pop(self) -> None:
        if not self.frames:
            return
        opaque, own, names = self.frames.pop()
        self.bound.subtract(names)
        if opaque:
            self.opaque -= 1
            if own is not None:
                self.owners[own] -= 1


def _standard_spelling(dialect: Dialect, name: str) -> str | None:
    """The platform's own spelling of a standard field that ``name`` misspells, if any."""
    if dialect.known(name):
        return None
    choices = sorted({*dialect.fields.values(), *dialect.system_fields})
    close = did_you_mean(name, choices, cutoff=0.8)
    if close:  # mobile_phone -> mobilephone, before "a phone number is phone"
        return close
    found = meaning(name)
    if found is not None and found in dialect.fields:
        return dialect.fields[found]
    return None


def unknown_field(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None:
        return
    known = template.known_fields
    extra = {dialect.fold(str(n)) for n in options["fields"]}
    known_folded = {dialect.fold(n) for n in known.names} if known is not None else set()
    reported: set[tuple[Part, str]] = set()
    spellings: dict[str, str | None] = {}  # a misspelt field is looked up once, not per tag
    for site, name in _checked_fields(template, dialect):
        folded = dialect.fold(name)
        if folded in extra or folded in known_folded or dialect.known(name):
            continue
        if (site.part, folded) in reported:
            continue
        if known is not None:
            suggestion = did_you_mean(name, [*known.names, *dialect.fields.values()])
            found = meaning(name)
            if suggestion is None and found is not None:
                suggestion = next((c for c in known.names if meaning(c) == found), None)
            reported.add((site.part, folded))
            yield Violation(
                '"{tag}" is not a field of {audience}',
                site.location,
                {
                    "tag": _shown(site.tag.raw),
                    "field": name,
                    "audience": known.label,
                    "suggestion": suggestion,
                },
                help=f'did you mean "{suggestion}"?'
                if suggestion
                else "add the field to the audience, or use one it has",
                related=(Related(known.location, "fields defined here"),) if known.location else (),
            )
            continue
        if dialect.open_fields:
            continue  # the sender's data decides; nothing to compare with
        if name not in spellings:
            spellings[name] = _standard_spelling(dialect, name)
        suggestion = spellings[name]
        if suggestion is None:
            continue
        reported.add((site.part, folded))
        yield Violation(
            '"{tag}" names "{field}", which is not {article} {platform} field',
            site.location,
            {
                "tag": _shown(site.tag.raw),
                "field": name,
                "platform": dialect.label,
                "article": _article(dialect.label),
                "suggestion": suggestion,
            },
            help=f'did you mean "{suggestion}"? {dialect.label} writes it'
            f" {dialect.write(suggestion)}",
            severity=Severity.WARNING,
        )


# -- greetings (MERGE004, MERGE005, MERGE006) --------------------------------------

_TITLES = (
    r"(?:mr|mrs|ms|miss|mx|dr|prof|sir|madam|herr|frau|monsieur|madame|mademoiselle|m|mme|mlle"
    r"|señor|señora|señorita|sr|sra|srta|don|doña|dhr|mevr|heer|mevrouw|meneer)"
)


@functools.cache
def _greeting_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    words = vocabulary()

    def build(greetings: tuple[str, ...]) -> re.Pattern[str]:
        alternatives = "|".join(re.escape(g) for g in greetings)
        return re.compile(
            rf"(?:^|[^\w])(?P<greeting>{alternatives})"
            rf"(?P<title>,?[ \t]+{_TITLES}\.?)?[ \t,]*$",
            re.IGNORECASE,
        )

    return build(words.informal_greetings), build(words.formal_greetings)


_ENDS_NAME = re.compile(r"[ \t]*(?:$|\n|[,!.:;?)—–-]|\{|\*\||%|\[)")
"""What follows a name in a greeting: punctuation, the end of the line, or another tag
("Hi {{ first }} {{ last }},"). "Hi, {{ company }} has a new invoice" is no greeting."""


def greeting(before: str, after: str | None = None) -> tuple[str, bool, bool] | None:
    """(greeting word, formal, with a title) when ``before`` ends in a greeting on the same
    line (and ``after``, when given, ends the name), else None."""
    if after is not None and not _ENDS_NAME.match(after):
        return None
    informal, formal = _greeting_patterns()
    tail = before[-40:]
    for pattern, formal_greeting in ((formal, True), (informal, False)):
        match = pattern.search(tail)
        if match:
            said = match.group("greeting") + (match.group("title") or "").rstrip(",")
            return " ".join(said.split()), formal_greeting, bool(match.group("title"))
    return None


# -- MERGE004 missing-fallback ------------------------------------------------------

_PERSONAL_ROLES = frozenset(
    {"first", "last", "full", "nick", "salutation", "company", "place", "job", "address"}
)


_LIQUID_CONDITION = re.compile(
    r"\{%-?\s*(?:if|unless|elsif)\s+(?P<condition>.{1,300}?)\s*-?%\}", re.S
)
_EMPTY_WORDS = frozenset({"blank", "nil", "empty", "null", "''", '""', "none"})
_AMPSCRIPT_IF = re.compile(
    r"^\s*(?:IF|ELSEIF)\s+(?P<not>NOT\s+)?Empty\s*\(\s*@?\[?(?P<field>[\w ]{1,80}?)\]?\s*\)"
    r"\s*THEN\s*$",
    re.IGNORECASE,
)
_POSITIVE = frozenset({"if", "#if", "#", "IF", "elsif", "elif", "ELSEIF"})
_NEGATIVE = frozenset({"unless", "#unless", "^", "IFNOT"})


def _conditions(tag: MergeTag, dialect: Dialect) -> dict[str, bool] | None:
    """Fields a block's branch depends on: folded name -> True when it shows only if set.

    None when the block is not a condition preflight reads (a loop, an "or").
    """
    keyword = (tag.keyword or "").strip()
    if tag.kind == "script":  # AMPscript: %%[ IF NOT Empty(FirstName) THEN ]%%
        match = _AMPSCRIPT_IF.match(keyword)
        if match is None:
            return None
        return {dialect.fold(match.group("field").strip()): bool(match.group("not"))}
    if keyword not in _POSITIVE and keyword not in _NEGATIVE:
        return None
    sense = keyword in _POSITIVE
    condition = tag.field or ""
    match = _LIQUID_CONDITION.match(tag.raw)
    if match is not None:
        condition = match.group("condition")
    if not condition or " or " in condition or "||" in condition:
        return None
    found: dict[str, bool] = {}
    for part in re.split(r"\s+and\s+|&&", condition):
        pieces = re.split(r"\s*(!=|==|<>|=|>=|<=|>|<)\s*", part.strip(), maxsplit=1)
        name = pieces[0].strip()
        if name.startswith("not "):
            name, set_when = name[4:].strip(), not sense
        else:
            set_when = sense
        if len(pieces) == 3 and pieces[2].strip().lower() in _EMPTY_WORDS:
            set_when = (pieces[1] in ("!=", "<>")) == sense
        field = dialect.audience_field(name) or name
        found[dialect.fold(field)] = set_when
    return found


def _guards(template: Template, dialect: Dialect) -> set[int]:
    """ids of tag sites shown only when their own field is set ({% if x %}…{{ x }}…).

    A variable in the else branch of {% if x %}, in {% unless x %}, in {{^x}} or
    under {% if x == blank %} is not guarded: it shows exactly when x is empty.
    """
    guarded: set[int] = set()
    stacks: dict[Part, list[dict[str, bool]]] = {}
    for site in tag_sites(template, dialect):
        stack = stacks.setdefault(site.part, [])
        tag = site.tag
        if tag.kind == "script":
            keyword = (tag.keyword or "").strip().upper()
            if keyword == "ENDIF" and stack:
                stack.pop()
            elif keyword == "ELSE" and stack:
                stack[-1] = {name: not sense for name, sense in stack[-1].items()}
            elif (conditions := _conditions(tag, dialect)) is not None:
                if keyword.startswith("ELSEIF") and stack:
                    stack.pop()
                stack.append(conditions)
        elif tag.kind == "block-open":
            stack.append(_conditions(tag, dialect) or {})
        elif tag.kind == "block-else" and stack:
            conditions = _conditions(tag, dialect)
            if conditions is not None and (tag.keyword or "").strip() not in ("else", "ELSE"):
                stack[-1] = conditions  # elsif x: its own condition
            else:
                stack[-1] = {name: not sense for name, sense in stack[-1].items()}
        elif tag.kind == "block-close" and stack:
            stack.pop()
        elif tag.kind == "variable" and tag.field:
            name = dialect.audience_field(tag.field) or tag.field
            folded = dialect.fold(name)
            if any(level.get(folded) for level in stack):
                guarded.add(id(site))
    return guarded


_NAME_ROLES = frozenset({"first", "full", "nick", "last"})
_GIVEN_ROLES = frozenset({"first", "nick"})
_RUNS_ON = re.compile(r"[ \t]+[a-zà-öø-ÿ]")
"""A greeting's name followed by the sentence's next word, with no comma between."""


def _greeting_without_comma(before: str, after: str) -> tuple[str, bool, bool] | None:
    """A greeting that opens its line and runs on into the sentence without a comma, as in
    "Hey {{ Recipient.FirstName }} your order has shipped": MERGE004 still calls it one
    (MERGE005 does not: "Hi, {{ company }} has a new invoice" names no person)."""
    if not _RUNS_ON.match(after):
        return None
    line = before[before.rfind("\n") + 1 :].strip()
    found = greeting(line)
    if found is None or not line.lower().startswith(found[0].lower()):
        return None
    return found


_DEFAULTS = {
    "first_name": "there",
    "full_name": "there",
    "nickname": "there",
    "company": "your team",
    "city": "your area",
}
"""Fallback text the help suggests, by meaning; none where no word reads right."""


def missing_fallback(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None or dialect.fallback not in ("inline", "conditional", "audience"):
        return
    judged = _judged_audiences(template) if dialect.fallback == "audience" else []
    where = set(options["where"])
    guarded = _guards(template, dialect)
    for site in tag_sites(template, dialect):
        tag = site.tag
        if tag.kind != "variable" or tag.fallback is not None or not site.readable:
            continue
        if not tag.field or id(site) in guarded or _is_special(dialect, tag.raw):
            continue
        name = dialect.audience_field(tag.field)
        found = meaning(name) if name else None
        if found is None or vocabulary().roles[found] not in _PERSONAL_ROLES:
            continue
        role = vocabulary().roles[found]
        greeted = greeting(site.before, site.after) if site.context in ("text", "value") else None
        no_comma = False
        if greeted is None and site.context in ("text", "value") and role in _GIVEN_ROLES:
            greeted = _greeting_without_comma(site.before, site.after)
            no_comma = greeted is not None
        if greeted is not None and role not in _NAME_ROLES:
            greeted = None  # "Hi {{ company }}" is MERGE005's, whatever its fallback
        if site.part in (Part.SUBJECT, Part.PREHEADER):
            if site.part.value not in where:
                continue
            position = f"the {site.part.value}"
            example = (site.before + site.after).strip()
        elif greeted is not None and "greeting" in where:
            position = "a greeting"
            example = f"{greeted[0]}{site.after[:1] if site.after[:1] in ',!.' else ''}"
            if no_comma:  # "Hey {{ first_name }} your order…" reads "Hey your order…"
                example = f"{greeted[0]} {' '.join(site.after.split()[:2])}…"
        elif "everywhere" in where:
            position = "the " + _PART_NAMES[site.part]
            example = ""
        else:
            continue
        assert name is not None
        default = _DEFAULTS.get(found)
        fixed = dialect.write(name, default) if default and dialect.write_fallback else None
        help_text = (
            f"give it a fallback: {fixed}"
            if fixed
            else "give it a fallback, or show it only when the field is set"
            + (" (an if block around it)" if dialect.fallback == "conditional" else "")
        )
        related: tuple[Related, ...] = ()
        if dialect.fallback == "audience":  # Mailchimp: the audience's default merge value
            lacking = [a for a in judged if not _declares_default(a, name, dialect)]
            if judged and not lacking:
                continue
            help_text = _audience_default_help(dialect, name, default or "there", lacking)
            related = tuple(
                Related(a.location, f'audience "{a.name}" declares no default for {name}')
                for a in lacking[:3]
            )
        yield Violation(
            '"{tag}" has no fallback in {position}; a recipient without a {meaning} reads'
            ' "{example}"'
            if example
            else '"{tag}" has no fallback in {position}',
            site.location,
            {
                "tag": _shown(tag.raw),
                "position": position,
                "meaning": _said(found),
                "example": _shown(example),
                "field": name,
            },
            help=help_text,
            related=related,
        )


def _judged_audiences(template: Template) -> list[Audience]:
    """The audiences whose default merge values stand in for a missing field: those the
    template goes to, else every one of the audiences file that is not a suppression list."""
    if template.sent_to:
        return [sent.audience for sent in template.sent_to]
    targeting = template.targeting
    if targeting is None:
        return []
    return [a for a in targeting.audiences.values() if a.kind != "suppression"]


def _declares_default(audience: Audience, name: str, dialect: Dialect) -> bool:
    """Whether audiences.yaml gives the audience a (non-blank) default for the field, by
    its name or by what it means (FNAME and first_name)."""
    wanted, means = dialect.fold(name), meaning(name)
    for key, value in audience.defaults.items():
        if not value.strip():
            continue
        if dialect.fold(key) == wanted or (means is not None and meaning(key) == means):
            return True
    return False


def _audience_default_help(
    dialect: Dialect, name: str, default: str, lacking: list[Audience]
) -> str:
    where = (
        "the audience " + ", ".join(f'"{a.name}"' for a in lacking[:3])
        if lacking
        else "each audience it goes to"
    )
    guard = f"*|IF:{name}|*…*|END:IF|*" if dialect.name == "mailchimp" else "an if block"
    return (
        f"{dialect.label} fills a missing {name} with the audience's default merge value: set"
        f" one for {where} in {dialect.label} and declare it in audiences.yaml (defaults:"
        f' {{{name}: "{default}"}}), or show it only when the field is set ({guard})'
    )


# -- MERGE005 wrong-name-field -------------------------------------------------------


def wrong_name_field(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None:
        return
    words = vocabulary()
    sites = [s for s in tag_sites(template, dialect) if s.context in ("text", "value")]
    for index, site in enumerate(sites):
        tag = site.tag
        if tag.kind != "variable" or not tag.field or _is_special(dialect, tag.raw):
            continue
        greeted = greeting(site.before, site.after)
        if greeted is None:
            continue
        word, formal, titled = greeted
        name = dialect.audience_field(tag.field)
        found = meaning(name) if name else None
        if found is None:
            continue
        role = words.roles[found]
        allowed = words.formal_greeting_roles if formal or titled else words.greeting_roles
        following = sites[index + 1] if index + 1 < len(sites) else None
        if role == "last" and following is not None and following.part is site.part:
            gap = following.tag.start - tag.end
            other = dialect.audience_field(following.tag.field or "") or ""
            if 0 < gap <= 2 and meaning(other) == "first_name":
                yield Violation(
                    '"{tag} {next}" puts the last name before the first after "{greeting}"',
                    site.location,
                    {
                        "tag": _shown(tag.raw),
                        "next": _shown(following.tag.raw),
                        "greeting": word,
                        "field": name,
                    },
                    help="swap the two fields: first name, then last name",
                )
                continue
        if role in allowed:
            continue
        yield Violation(
            '"{greeting} {tag}" greets recipients with their {meaning}',
            site.location,
            {"tag": _shown(tag.raw), "greeting": word, "meaning": _said(found), "field": name},
            help=_greet_instead(dialect),
        )


def _greet_instead(dialect: Dialect) -> str:
    if "first_name" not in dialect.fields:
        return "greet with the first name (or the full name)"
    first = dialect.fields["first_name"]
    if dialect.write_fallback:
        return f"greet with the first name, with a fallback: {dialect.write(first, 'there')}"
    return f"greet with the first name (or the full name): {dialect.write(first)}"


# -- MERGE006 parts-disagree -----------------------------------------------------------


def parts_disagree(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None or template.text is None or template.html is None:
        return
    by_part: dict[Part, dict[str, list[TagSite]]] = {}
    for site, name in _checked_fields(template, dialect):
        if site.tag.kind != "variable":
            continue
        by_part.setdefault(site.part, {}).setdefault(dialect.fold(name), []).append(site)
    html, text = by_part.get(Part.HTML, {}), by_part.get(Part.TEXT, {})
    if not html and not text:
        return
    yield from _spelled_apart(dialect, html, text)
    for folded in sorted(set(html) & set(text)):
        # the first use in each part (the greeting, usually): later uses may differ on purpose
        site, other = text[folded][0], html[folded][0]
        if site.tag.fallback == other.tag.fallback:
            continue
        yield Violation(
            '"{tag}" in the text part has {mine} but the HTML part has {theirs}',
            site.location,
            {
                "tag": _shown(site.tag.raw),
                "mine": _fallback_words(site.tag.fallback),
                "theirs": _fallback_words(other.tag.fallback),
                "field": folded,
            },
            help="give the field the same fallback in both parts",
            related=(Related(other.location, f'HTML part: "{_shown(other.tag.raw)}"'),),
        )
    yield from _greeting_missing(dialect, html, text)
    subject = by_part.get(Part.SUBJECT, {})
    body = {**html, **text}
    for folded, sites in subject.items():
        if folded in body:
            continue
        close = [c for c in _same_field(folded, list(body))]
        if close:
            other = body[close[0]][0]
            yield Violation(
                '"{tag}" in the subject is spelled "{theirs}" in the body',
                sites[0].location,
                {"tag": _shown(sites[0].tag.raw), "theirs": _shown(other.tag.raw), "field": folded},
                help="spell the field the same way everywhere",
                related=(Related(other.location, "the body's spelling"),),
            )


def _same_field(name: str, others: list[str]) -> list[str]:
    """Names among ``others`` that are ``name`` spelled another way.

    Two names with a meaning must mean the same (FNAME and LNAME are two fields, however
    alike); a name with a meaning is never paired with one without (company, company_id).
    """
    mine = meaning(name)
    if mine is not None:
        return [other for other in others if meaning(other) == mine]
    plain = [other for other in others if meaning(other) is None]
    return difflib.get_close_matches(name, plain, n=1, cutoff=0.85)


def _fallback_words(fallback: str | None) -> str:
    if fallback is None:
        return "no fallback"
    return f'the fallback "{fallback}"' if fallback else "an empty fallback"


def _spelled_apart(
    dialect: Dialect, html: dict[str, list[TagSite]], text: dict[str, list[TagSite]]
) -> Iterator[Violation]:
    only_html = [f for f in html if f not in text]
    only_text = [f for f in text if f not in html]
    for folded in only_text:
        matches = _same_field(folded, only_html)
        if not matches:
            continue
        match = matches[0]
        site, other = text[folded][0], html[match][0]
        yield Violation(
            '"{tag}" in the text part is "{theirs}" in the HTML part',
            site.location,
            {"tag": _shown(site.tag.raw), "theirs": _shown(other.tag.raw), "field": folded},
            help="use the same field in both parts; one of them is probably misspelt",
            related=(Related(other.location, "the HTML part's field"),),
        )


def _greeting_missing(
    dialect: Dialect, html: dict[str, list[TagSite]], text: dict[str, list[TagSite]]
) -> Iterator[Violation]:
    def greeted(sites: dict[str, list[TagSite]]) -> dict[str, TagSite]:
        return {
            folded: site
            for folded, group in sites.items()
            for site in group
            if greeting(site.before, site.after) is not None
        }

    html_greeted, text_greeted = greeted(html), greeted(text)
    for folded, site in html_greeted.items():
        if folded in text or text_greeted:
            continue
        yield Violation(
            '"{tag}" greets by name in the HTML part, but the text part never uses it',
            site.location,
            {"tag": _shown(site.tag.raw), "field": folded},
            help="personalise the text part's greeting the same way",
        )


# -- MERGE007 unencoded-tag-in-url and MERGE008 personal-data-in-url -----------------

_URL_ATTRIBUTES = frozenset({"href", "src", "action", "background"})
_HASHED = re.compile(r"sha\d*|md5|hash|encrypt|hmac", re.IGNORECASE)
"""Filters that make a value unreadable (base64 is not one: anyone can decode it)."""


def _url_sites(template: Template, dialect: Dialect) -> Iterator[tuple[TagSite, str, str]]:
    """(site, audience field, where in the URL) for tags inside link and image URLs."""
    for site in tag_sites(template, dialect):
        if site.tag.kind != "variable" or not site.tag.field:
            continue
        if site.context == "attribute" and site.attribute in _URL_ATTRIBUTES:
            url, offset = site.value, site.value_offset
        elif site.part is Part.TEXT:
            url, offset = _text_url(site)  # a link written out in the text part
        else:
            continue
        if url is None or _is_special(dialect, site.tag.raw):
            continue
        where = _url_position(url, offset)
        if where is None:
            continue
        name = dialect.audience_field(site.tag.field)
        if name:
            yield site, name, where


_TAG_OPENERS = frozenset("{*%[")
_WORD_END = re.compile(r"\s")


def _text_url(site: TagSite) -> tuple[str | None, int]:
    """The whitespace-delimited word a text-part tag is in, when that word is a URL."""
    body = site.source
    start = site.tag.start
    window = body[max(0, start - 2_000) : start][::-1]  # backwards: the word's start
    space = _WORD_END.search(window)
    begin = start - (space.start() if space else len(window))
    # the rest of the word, as far as the same 2,000 characters: a scan to the word's end
    # for every tag in one long word was quadratic (a 40 kB word of tags: 20 s)
    tail = _WORD_END.search(body, start, start + 2_000)
    end = tail.start() if tail else min(len(body), start + 2_000)
    word = body[begin:end]
    if not word.lower().startswith(("http://", "https://", "//")):
        return None, 0
    return word, start - begin


def _url_position(url: str, offset: int) -> str | None:
    """ "path" or "query" when ``offset`` is past a URL's host; None in the host or scheme."""
    head = url[:offset]
    lowered = head.lower().lstrip()
    if lowered.startswith(("mailto:", "tel:", "sms:")):
        return "query" if "?" in head else None
    scheme = head.find("://")
    if scheme == -1:
        if head.startswith("//"):  # protocol-relative
            scheme = -1
        elif head[:1] in _TAG_OPENERS and ("/" in head[1:] or "?" in head):
            # the URL starts with a tag ({{ shop_url }}/offer?c=…): after it, path or query
            return "query" if "?" in head or "#" in head else "path"
        else:
            return None  # the tag is the URL, or part of its scheme or a relative path
    rest = head[scheme + 3 :]
    if not any(mark in rest for mark in "/?#"):
        return None  # in the host
    return "query" if "?" in rest or "#" in rest else "path"


def unencoded_tag_in_url(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None or dialect.url_encode is None:
        return
    encoded = re.compile(dialect.url_encode)
    text_roles = vocabulary().text_roles
    for site, name, where in _url_sites(template, dialect):
        found = meaning(name)
        if found is None or vocabulary().roles[found] not in text_roles:
            continue
        if encoded.search(site.tag.raw) or _inside_encoder(site, encoded):
            continue
        fixed = (dialect.url_encode_write or "").replace("<field>", name)
        yield Violation(
            '"{tag}" goes into the {where} of a URL unencoded; a {meaning} with a space or "&"'
            " breaks the link",
            site.location,
            {"tag": _shown(site.tag.raw), "where": where, "meaning": _said(found), "field": name},
            help=f"encode it: {fixed}" if fixed else "URL-encode the value",
        )


def _inside_encoder(site: TagSite, encoded: re.Pattern[str]) -> bool:
    """Whether the tag sits in an encoding block ({{#urlEncode}}{{city}}{{/urlEncode}})."""
    before = (site.value or "")[: site.value_offset]
    opened = list(encoded.finditer(before))
    return bool(opened) and "{{/" not in before[opened[-1].end() :]


def personal_data_in_url(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None:
        return
    personal = vocabulary().personal_roles
    for site, name, where in _url_sites(template, dialect):
        found = meaning(name)
        if found is None or vocabulary().roles[found] not in personal:
            continue
        if _HASHED.search(site.tag.raw):
            continue
        yield Violation(
            'link URL carries "{tag}" ({meaning}) in its {where}; it leaks to analytics,'
            " proxies and referrers",
            site.location,
            {"tag": _shown(site.tag.raw), "meaning": _said(found), "where": where, "field": name},
            help="identify the recipient with an opaque id (or the platform's own tracking),"
            " not personal data",
        )


# -- MERGE009 blank-for-recipients ---------------------------------------------------


def blank_for_recipients(template: Template, options: Options) -> Iterator[Violation]:
    """Each fallback-less tag against the members CSV of every audience the template goes to.

    A members file that cannot be read is LIST008's to report; a field the file has no
    column for is MERGE003's (unknown to the audience) or says nothing about the members.
    """
    dialect = platform_of(template)
    if dialect is None or dialect.fallback == "audience" or not template.sent_to:
        return
    guarded = _guards(template, dialect)
    sites: list[tuple[TagSite, str]] = []
    for site in tag_sites(template, dialect):
        tag = site.tag
        if tag.kind != "variable" or tag.fallback is not None or not site.readable:
            continue
        if not tag.field or id(site) in guarded or _is_special(dialect, tag.raw):
            continue
        name = dialect.audience_field(tag.field)
        if name:
            sites.append((site, name))
    if not sites:
        return
    for sent in template.sent_to:
        audience = sent.audience
        facts = audience.member_facts
        if facts is None or audience.kind == "suppression":
            continue
        counted = _blank_counts(facts, frozenset(dialect.fold(n) for _, n in sites), dialect)
        if counted is None:
            continue
        blanks, total, sampled = counted
        reported: set[tuple[Part, str]] = set()
        for site, name in sites:
            folded = dialect.fold(name)
            blank = blanks.get(folded)
            if blank is None or not total or blank / total <= options["threshold"]:
                continue
            if (site.part, folded) in reported:
                continue
            reported.add((site.part, folded))
            example = _blanked(site)
            yield Violation(
                '{blank} of {total} recipients ({share}) in audience "{audience}" would'
                + (' read "{example}"' if example else ' get an empty "{tag}"')
                + ': "{field}" is empty for them and the tag has no fallback',
                site.location,
                {
                    "blank": f"{blank:,}",
                    "total": f"the first {total:,}" if sampled else f"{total:,}",
                    "share": f"{blank / total:.0%}",
                    "audience": audience.name,
                    "example": example,
                    "tag": _shown(site.tag.raw),
                    "field": name,
                    "count": blank,
                    "recipients": total,
                    "sampled": sampled,
                },
                help=f"give it a fallback: {dialect.write(name, 'there')}"
                if dialect.write_fallback and meaning(name) in ("first_name", "full_name")
                else "give it a fallback, or show it only when the field is set",
                related=(
                    Related(audience.location, f'audience "{audience.name}" defined here'),
                    *(
                        (Related(sent.via.location, "sent to this audience here"),)
                        if sent.via.location is not None
                        else ()
                    ),
                ),
            )


def _blank_counts(
    facts: MemberFacts, wanted: frozenset[str], dialect: Dialect
) -> tuple[dict[str, int], int, bool] | None:
    """(folded field -> members with it empty, members read, sampled), from the members phase's
    counts per column; None when the file could not be read or has no such column (a file
    LIST008 reports as unreadable, or a field MERGE003 reports as unknown)."""
    from preflight.formats.members import field_columns

    if facts.problem is not None:
        return None
    columns = field_columns(facts.header, dialect.fold)
    blanks = {name: facts.blanks[columns[name][0]] for name in wanted if name in columns}
    if not blanks:
        return None
    return blanks, facts.total, facts.sampled


def _blanked(site: TagSite) -> str:
    """The text around a tag as a recipient without the value reads it ("Hi ,")."""
    if site.context in ("text", "value"):
        before = site.before.rsplit("\n", 1)[-1][-40:]
        after = site.after.split("\n", 1)[0][:30]
        return " ".join((before + after).split())
    if site.value is not None:
        end = site.value_offset + len(site.tag.raw)
        return _shown(site.value[: site.value_offset] + site.value[end:])
    return ""


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
