"""CONTENT: compliance and content checks on one template."""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from preflight.category import inferred_transactional, undecided
from preflight.compose.unsent import unsent_part, unsent_piece
from preflight.dialects import Dialect, dialects, has_special
from preflight.footer import (
    anchors as _anchors,
)
from preflight.footer import (
    declared_platform as _platform,
)
from preflight.footer import (
    false_unsubscribe_links,
    has_unsubscribe,
    link_words,
    looks_like_address,
    sure_platform,
    text_has_unsubscribe,
)
from preflight.linkscan import links
from preflight.model import TAG_MARK, Location, Part, Severity, Span, Template, Violation
from preflight.phraseset import PhraseSet, as_regex
from preflight.preheader import empty_preheader_element, preheader_of, value_parts
from preflight.preview import readable, view
from preflight.urls import host_allowed, shown_url

Options = Mapping[str, Any]


def _platform_label(template: Template) -> str:
    platform = _platform(template)
    return dialects()[platform].label if platform in dialects() else "platform"


# -- CONTENT001 -------------------------------------------------------------


def _appending_platform(template: Template, kind: str) -> Dialect | None:
    """The platform (declared, or detected with confidence) that adds ``kind`` itself when
    the email has none (dialect `appends:`)."""
    platform = sure_platform(template)
    dialect = dialects().get(platform) if platform else None
    return dialect if dialect is not None and kind in dialect.appends else None


def _appended(violation: Violation, platform: Dialect, kind: str, what: str) -> Violation:
    """A missing footer item the platform adds itself: a warning, not an error."""
    label = platform.label
    tag = platform.write_special.get(kind) or f"{label}'s {kind.replace('_', ' ')} tag"
    return dataclasses.replace(
        violation,
        template=violation.template + ", so {label} appends its own footer with " + what,
        data={**violation.data, "platform": label, "label": label},
        help=f"put {tag} in your footer, where your design shows it, instead of {label}'s"
        " appended footer",
        severity=violation.severity or Severity.WARNING,
    )


def _footer_violation(
    template: Template,
    missing: str,
    data: dict[str, Any],
    add: str,
    or_declare: bool = False,
    for_marketing: bool = False,
) -> Violation:
    """CONTENT001/002: an error on a marketing email; an info with the evidence and a
    "declare `category:`" help when the content reads as transactional, and a warning when
    it reads as neither (the category was inferred, not declared: a severity the user set
    for the rule still applies); a warning on a part or a layout checked alone. An email or
    layout that shows an unsubscribe link (``for_marketing``) is for marketing email."""
    location = template.location(Part.HTML if template.html is not None else Part.TEXT)
    inference = inferred_transactional(template)
    part = _unsent_part(template, for_marketing) if inference is None else None
    if part is not None:
        what, slot = part
        return Violation(
            missing + _PART_SAYS[what],
            location,
            {**data, "slot": slot} if slot else data,
            help=_PART_HELP[what] + add,
            severity=Severity.WARNING,
        )
    unknown = undecided(template) if inference is None and not for_marketing else None
    if unknown is not None:
        return Violation(
            missing + " in this email, which reads as neither marketing nor transactional",
            location,
            {**data, **unknown.data()},
            help="declare `category:` in its metadata (" + template.path.stem + ".meta.yaml,"
            " or `defaults: {category: …}` in preflight.yaml); if it is marketing, " + add,
            severity=Severity.WARNING,
        )
    if inference is None:
        return Violation(
            missing + " in this marketing email",
            location,
            data,
            help=add
            + (
                ", or mark the email `category: transactional` in its metadata"
                if or_declare
                else ""
            ),
        )
    return Violation(
        missing + " in this email, which reads as transactional ({evidence_text})",
        location,
        {**data, "evidence_text": inference.summary(), **inference.data()},
        help=f"declare `category: transactional` in {template.path.stem}.meta.yaml if it is;"
        f" if it is marketing, {add}",
        severity=Severity.INFO,
    )


_PART_SAYS = {
    "layout": ' in this layout ("{slot}"): other templates supply its content, so it is never'
    " sent as it is, and the emails built on it may be transactional",
    "header": " in this part of an email: it opens <body> and never closes it, as a header does"
    " whose footer is another file",
    "fragment": " in this part of an email: it has no <html> or <body>, and no layout that"
    " would hold the footer is known for it",
}
_PART_HELP = {
    "layout": "check each email with its layout (`layout:` in its .meta.yaml, or `compose:"
    " {layouts: [...]}` in preflight.yaml) so it is checked as sent; if this layout is for"
    " marketing email, ",
    "header": "check each email with its header and footer (`layout:` in its .meta.yaml, or"
    " `compose: {partials: [...]}` in preflight.yaml) so it is checked as sent; if it is sent"
    " as it is, close <body> and ",
    "fragment": "if a layout adds the footer, name it (`layout:` in its .meta.yaml, or"
    " `compose: {layouts: [...]}` in preflight.yaml) so the email is checked as sent; if it is"
    " sent as it is, ",
}


def _unsent_part(template: Template, for_marketing: bool) -> tuple[str, str | None] | None:
    """What a template checked on its own is when it is not a whole email as sent
    (compose.unsent); a layout for marketing email (it shows an unsubscribe link:
    ``for_marketing``) is judged as the email its footer belongs to."""
    return unsent_piece(template) if for_marketing else unsent_part(template)


def missing_unsubscribe(template: Template, options: Options) -> Iterator[Violation]:
    if template.is_transactional or (template.html is None and template.text is None):
        return
    if has_unsubscribe(template, options["link_words"]):
        return
    false_links = false_unsubscribe_links(template, options["link_words"])
    if false_links and template.html is not None:
        anchor = false_links[0]
        href = (anchor.get("href") or "").strip()
        violation = _footer_violation(
            template,
            'the unsubscribe link "{text}" goes to "{href}", which is no unsubscribe address,'
            " and there is no {platform} unsubscribe tag",
            {
                "text": template.html.text_content(anchor)[:60],
                "href": shown_url(href),
                "platform": _platform_label(template),
            },
            "point the link at the platform's unsubscribe tag (for example *|UNSUB|* or"
            " {{ unsubscribe_link }})",
            or_declare=True,
            for_marketing=True,
        )
        span = (
            template.html.attribute_span(anchor, "href") if anchor.get("href") is not None else None
        )
        yield dataclasses.replace(
            violation,
            location=Location(template.path, span or template.html.element_span(anchor), Part.HTML),
        )
        return
    violation = _footer_violation(
        template,
        "no unsubscribe link or {platform} unsubscribe tag",
        {"platform": _platform_label(template)},
        _tag_help(
            template,
            "unsubscribe",
            "add the platform's unsubscribe tag (for example *|UNSUB|* or {{ unsubscribe_link }})"
            " in the footer",
            "add {label}'s unsubscribe tag {tag} in the footer",
        ),
        or_declare=True,
    )
    appending = _appending_platform(template, "unsubscribe")
    if appending is not None and violation.severity is None:
        violation = _appended(violation, appending, "unsubscribe", "an unsubscribe link")
    yield violation


# -- CONTENT002 -------------------------------------------------------------


def missing_postal_address(template: Template, options: Options) -> Iterator[Violation]:
    if template.is_transactional or (template.html is None and template.text is None):
        return
    platform = _platform(template)
    if template.html is not None:
        html = template.html
        if has_special("postal_address", platform, html.source.text, html.lower):
            return
        visible = " ".join(text for _, text, _ in template.html.visible_text())
        if looks_like_address(" ".join(visible.split())):
            return
    if template.text is not None and (
        has_special("postal_address", platform, template.text.text)
        or looks_like_address(template.text.text)
    ):
        return
    violation = _footer_violation(
        template,
        "no postal address or {platform} address tag",
        {"platform": _platform_label(template)},
        _tag_help(
            template,
            "postal_address",
            "add the sender's physical postal address to the footer (CAN-SPAM), or the"
            " platform's address tag such as *|LIST:ADDRESS|*",
            "add the sender's physical postal address to the footer (CAN-SPAM), or {label}'s"
            " address tag {tag}",
            "add the sender's physical postal address to the footer (CAN-SPAM; {label} has no"
            " address tag)",
        ),
        for_marketing=_shows_unsubscribe(template),
    )
    appending = _appending_platform(template, "postal_address")
    if appending is not None and violation.severity is None:
        violation = _appended(
            violation, appending, "postal_address", "your audience's postal address"
        )
    yield violation


def _tag_help(
    template: Template, kind: str, generic: str, own: str, untagged: str | None = None
) -> str:
    """The help for a missing footer item: with the platform's own tag when the platform is
    declared or detected with confidence (``own``, or ``untagged`` when it has none), else
    ``generic`` with examples."""
    platform = sure_platform(template)
    dialect = dialects().get(platform) if platform else None
    if dialect is None:
        return generic
    tag = dialect.write_special.get(kind)
    if tag:
        return own.format(label=dialect.label, tag=tag)
    return untagged.format(label=dialect.label) if untagged else generic


def _shows_unsubscribe(template: Template) -> bool:
    """An unsubscribe link, working or not: the email (or layout) is meant for marketing."""
    words = link_words()
    return has_unsubscribe(template, words) or bool(false_unsubscribe_links(template, words))


# -- CONTENT003 -------------------------------------------------------------


def subject_problem(template: Template, options: Options) -> Iterator[Violation]:
    subject = template.subject
    if subject is None:
        if template.subject_knowable:
            yield Violation("no subject", template.location(Part.SUBJECT))
            return
        yield Violation(
            "no subject is known for this template, so it cannot be checked",
            template.location(Part.SUBJECT),
            help=f'add `subject: "…"` to {template.path.stem}.meta.yaml beside it',
            severity=Severity.INFO,
        )
        return
    location = subject.location or template.location(Part.SUBJECT)
    location = Location(location.path, location.span, Part.SUBJECT)
    value = subject.value.strip()
    if not value:
        yield Violation("the subject is empty", location)
        return
    placeholders = {p.lower() for p in options["placeholders"]}
    if value.lower() in placeholders or re.match(r"(?i)^copy of\b", value):
        yield Violation(
            'the subject "{subject}" is a placeholder',
            location,
            {"subject": value},
            help="write the subject recipients should read",
        )


# -- CONTENT004 -------------------------------------------------------------


def image_missing_alt(template: Template, options: Options) -> Iterator[Violation]:
    if template.html is None:
        return
    for image in template.html.iter("img"):
        if image.get("alt") is not None:
            continue
        source = image.get("src") or ""
        yield Violation(
            '<img> "{src}" has no alt text',
            Location(template.path, template.html.element_span(image), Part.HTML),
            {"src": source},
            help='describe the image in alt="…", or use alt="" if it is only decoration',
        )


# -- CONTENT005 -------------------------------------------------------------

_CHECKED_SCHEMES = ("http://", "https://")
_MERGE_HREF = re.compile(r"^\s*(?:\{\{|\*\||%%|\{%|\{[a-z_]+=|\[[A-Za-z])")


def missing_text_part(template: Template, options: Options) -> Iterator[Violation]:
    if template.html is None:
        return
    if template.text is None or not template.text.text.strip():
        if template.format == "html":
            yield Violation(
                "no plain-text part: there is no {name} beside this template",
                template.location(Part.TEXT),
                {"name": template.path.stem + ".txt"},
                help="write a text part, or check that your platform generates one",
                severity=Severity.INFO,
            )
        else:
            yield Violation(
                "the email has no plain-text part",
                template.location(Part.TEXT),
                help="add a text/plain alternative with the same links and the unsubscribe link",
            )
        return
    text = template.text.text
    # {{ url }} in one part and {{url}} in the other agree; str.split's whitespace is \s's
    compact = "".join(text.split())
    seen: set[str] = set()
    for anchor in _anchors(template):
        href = (anchor.get("href") or "").strip()
        if href in seen or not (
            href.lower().startswith(_CHECKED_SCHEMES) or _MERGE_HREF.match(href)
        ):
            continue
        seen.add(href)
        if "".join(href.split()).rstrip("/") in compact:
            continue
        yield Violation(
            'the link "{href}" is in the HTML part but not in the text part',
            Location(template.path, template.html.attribute_span(anchor, "href"), Part.HTML),
            {"href": href},
            help="add the link to the text part, so text-only readers can follow it",
        )
    words = [w.lower() for w in link_words()]
    if has_unsubscribe(template, words, html_only=True) and not text_has_unsubscribe(
        template, text, words
    ):
        yield Violation(
            "the text part has no unsubscribe link, though the HTML part has one",
            template.location(Part.TEXT),
            help="add the unsubscribe link or tag to the text part as well",
        )


# -- CONTENT006 -------------------------------------------------------------

# Matched against the lowered text: case-insensitive regexes cannot use the fast
# literal scan, and this one scan is the rule's main cost on big templates.
# Every alternative starts with a literal letter, so the regex engine skips ahead to the
# letters that can start one; "(?:insert|enter) …" as one alternative made it try every
# offset (2.3x slower over the bench templates' text).
_PLACEHOLDERS = re.compile(
    "|".join(
        [
            r"lorem ipsum(?: dolor sit amet)?",
            r"dolor sit amet",
            # "[Add to calendar]" and "Enter here" are real copy: only placeholder verbs and nouns
            r"\[\s*(?:insert|enter|replace|placeholder)\b[^\]\n]{0,80}\]",
            *(
                rf"{verb}\s+(?:your\s+|the\s+)?"
                r"(?:text|copy|headline|title|content|image|description|caption|link|logo)\s+here\b"
                for verb in ("insert", "enter", "add", "type")
            ),
            *(
                rf"{noun}\s+goes\s+here\b"
                for noun in (
                    "text",
                    "copy",
                    "headline",
                    "title",
                    "content",
                    "image",
                    "description",
                    "caption",
                )
            ),
            r"your\s+(?:text|copy|headline|title|content|message|logo)\s+here\b",
        ]
    )
)
_PLACEHOLDERS_ANY_CASE = re.compile(_PLACEHOLDERS.pattern, re.IGNORECASE)
_SHOUTED = re.compile(r"\b(?:TODO|FIXME|TBD|TBC|XXX+)\b")
_SHOUTED_WORDS = ("TODO", "FIXME", "TBD", "TBC", "XXX")
# a bracketed name such as [FIRST NAME] or [[YOUR ADDRESS HERE]]: judged by _bracket_is_placeholder
_BRACKETED = re.compile(r"\[\[?([^\[\]\n]{1,80})\]\]?")
_NOT_BEFORE_BRACKET = frozenset("(%[]")
_PLACEHOLDER_WORDS = frozenset(
    [
        "name",
        "firstname",
        "lastname",
        "company",
        "address",
        "date",
        "link",
        "url",
        "email",
        "phone",
        "city",
        "here",
        "insert",
        "title",
        "product",
        "price",
        "amount",
        "number",
    ]
)


def _bracket_is_placeholder(inner: str) -> bool:
    if any(mark in inner for mark in "=#{}%_|.:/") or not inner.strip():
        return False
    tokens = re.findall(r"[A-Za-z]+", inner)
    if not tokens or not _PLACEHOLDER_WORDS.intersection(t.lower() for t in tokens):
        return False
    return len(tokens) >= 2 or inner.strip().isupper()


@dataclass(frozen=True)
class _Known:
    """Builder and platform default copy, Latin filler and placeholder data
    (rules/data/placeholders.yaml), read once."""

    phrases: PhraseSet[str | None]
    """Default copy labelled with its source (None: placeholder data), and Latin words
    labelled "latin-word"."""
    exact: re.Pattern[str] | None
    """Case-sensitive, for the text as written (DD-MM-YYYY); never inside quotes."""
    whole: Mapping[str, str | None]
    """A whole run, line, subject or preheader (lower-cased, spaces collapsed) -> source."""


@functools.cache
def _known() -> _Known:

    from preflight.resources import load_data, rules_dir

    data = load_data(rules_dir() / "data" / "placeholders.yaml")
    phrases: list[tuple[str, str | None]] = []
    whole: dict[str, str | None] = {}
    entries = [(e["source"], e) for e in data.get("defaults") or ()]
    entries.append((None, data.get("data") or {}))
    for source, entry in entries:
        phrases.extend((phrase, source) for phrase in entry.get("phrases") or ())
        for text in entry.get("whole") or ():
            whole[" ".join(text.lower().split())] = source
    phrases.extend((re.escape(word), "latin-word") for word in data.get("latin") or ())
    exact = [as_regex(p) for p in (data.get("data") or {}).get("exact") or ()]
    return _Known(
        PhraseSet(phrases),
        re.compile(rf"(?:{'|'.join(exact)})(?![\w\"'])") if exact else None,
        whole,
    )


_LATIN_SOURCE = "Latin filler"


def _placeholders(text: str, extra: list[re.Pattern[str]]) -> Iterator[tuple[int, int, str]]:
    for start, end, value, _ in _placeholders_with_source(text, extra):
        yield start, end, value


def _placeholders_with_source(
    text: str, extra: list[re.Pattern[str]]
) -> Iterator[tuple[int, int, str, str | None]]:
    """(start, end, text, where it comes from) of each placeholder in ``text``; the source is
    a builder's name, "Latin filler", or None for a generic placeholder."""
    found: list[tuple[int, int, str, str | None]] = []
    lowered, pattern = text.lower(), _PLACEHOLDERS
    if len(lowered) != len(text):  # a character that grows when lowered: offsets would drift
        lowered, pattern = text, _PLACEHOLDERS_ANY_CASE
    for match in pattern.finditer(lowered):
        latin = match.group(0).lower().startswith(("lorem", "dolor"))
        found.append(
            (
                match.start(),
                match.end(),
                text[match.start() : match.end()],
                _LATIN_SOURCE if latin else None,
            )
        )
    known = _known()
    for start, end, source in known.phrases.finditer(text):
        found.append((start, end, text[start:end], source))
    if known.exact is not None:
        for match in known.exact.finditer(text):
            before = text[match.start() - 1] if match.start() else " "
            if not (before.isalnum() or before in "_\"'"):
                found.append((*match.span(), match.group(0), None))
    if any(word in text for word in _SHOUTED_WORDS):
        for match in _SHOUTED.finditer(text):
            found.append((match.start(), match.end(), match.group(0), None))
    if "[" in text:
        for match in _BRACKETED.finditer(text):
            before = text[match.start() - 1] if match.start() else " "
            if before.isalnum() or before == "_" or before in _NOT_BEFORE_BRACKET:
                continue
            if _bracket_is_placeholder(match.group(1)):
                found.append((match.start(), match.end(), match.group(0), None))
    for extra_pattern in extra:
        for match in extra_pattern.finditer(text):
            found.append((match.start(), match.end(), match.group(0), None))
    found.sort(key=lambda item: (item[0], -item[1]))  # the longest match at a place wins
    last_end = -1
    latin_lines: set[int] = set()
    for start, end, value, source in found:
        if start < last_end:  # overlapping matches report once
            continue
        line = text.rfind("\n", 0, start)
        if source == "latin-word":  # one Latin word per line, none beside lorem ipsum
            if line in latin_lines:
                continue
            source = _LATIN_SOURCE
        if source == _LATIN_SOURCE:
            latin_lines.add(line)
        yield start, end, value, source
        last_end = end


def _whole_placeholder(text: str) -> tuple[bool, str | None]:
    """(True, source) when all of ``text`` is a placeholder such as "Heading 1"."""
    if len(text) > 60:  # the longest is "your company name" with its padding
        return False, None
    key = " ".join(text.lower().split())
    whole = _known().whole
    return (key in whole, whole.get(key)) if len(key) < 40 else (False, None)


def _placeholder_help(source: str | None) -> str:
    if source == _LATIN_SOURCE:
        return "this is Latin filler text: replace it with the real copy before sending"
    if source is not None:
        return f"this is {source}'s default copy: replace it with the real copy before sending"
    return "replace it with the real copy before sending"


def leftover_placeholder(template: Template, options: Options) -> Iterator[Violation]:
    extra = [re.compile(p, re.IGNORECASE) for p in options["extra_patterns"]]
    message = 'placeholder text "{text}" left in the {part}'

    def violation(value: str, where: Location, part: str, source: str | None) -> Violation:
        data = {"text": value, "part": part, **({"source": source} if source else {})}
        return Violation(message, where, data, help=_placeholder_help(source))

    for part, sourced in value_parts(template):  # a preheader read from the HTML: below
        where = sourced.location or template.location(part)
        where = Location(where.path, where.span, part)
        is_whole, source = _whole_placeholder(sourced.value)
        if is_whole:
            yield violation(sourced.value.strip(), where, part.value, source)
            continue
        for _, _, value, source in _placeholders_with_source(sourced.value, extra):
            yield violation(value, where, part.value, source)
    if template.html is not None:
        html = template.html
        runs = html.visible_text()
        # one pass of the patterns over all runs joined, then each match back to its run
        joined = "\n".join(text for _, text, _ in runs)
        run_starts = list(itertools.accumulate((len(text) + 1 for _, text, _ in runs), initial=0))
        for start, end, value, source in _placeholders_with_source(joined, extra):
            index = bisect.bisect_right(run_starts, start) - 1
            if end > run_starts[index] + len(runs[index][1]):
                continue  # spans two runs: not one piece of copy
            element, run_text, is_tail = runs[index]
            earlier = run_text.count(value, 0, start - run_starts[index])
            span = html.text_span(element, value, tail=is_tail, occurrence=earlier)
            yield violation(value, Location(template.path, span, Part.HTML), "HTML part", source)
        for element, run_text, is_tail in runs:
            is_whole, source = _whole_placeholder(run_text)
            if is_whole:
                value = run_text.strip()
                span = html.text_span(element, value, tail=is_tail)
                where = Location(template.path, span, Part.HTML)
                yield violation(value, where, "HTML part", source)
        for image in html.iter("img"):
            alt = image.get("alt") or ""
            where = Location(template.path, html.attribute_span(image, "alt"), Part.HTML)
            for _, _, value, source in _placeholders_with_source(alt, extra):
                yield violation(value, where, "alt text", source)
    if template.text is not None:
        source_text = template.text
        for start, end, value, source in _placeholders_with_source(source_text.text, extra):
            where = template.location(Part.TEXT, source_text.span(start, end))
            yield violation(value, where, "text part", source)
        offset = 0
        for line in source_text.text.splitlines(keepends=True):
            is_whole, source = _whole_placeholder(line)
            if is_whole:
                begin = offset + len(line) - len(line.lstrip())
                value = line.strip()
                where = template.location(Part.TEXT, source_text.span(begin, begin + len(value)))
                yield violation(value, where, "text part", source)
            offset += len(line)


# -- CONTENT007 -------------------------------------------------------------


def _filled_at_send(template: Template, value: str) -> bool:
    """True when a URI of the header is this platform's unsubscribe tag (``<*|UNSUB|*>``):
    the platform writes its own https unsubscribe address there when it sends."""
    platform = _platform(template)  # None (not declared): any platform's tag
    return any(
        has_special("unsubscribe", platform, uri) for uri in re.findall(r"<([^<>]*)>", value)
    )


def list_unsubscribe_header(template: Template, options: Options) -> Iterator[Violation]:
    if not template.is_eml or template.is_transactional:
        return
    header = template.headers.get("list-unsubscribe")
    if header is None:
        yield Violation(
            "no List-Unsubscribe header in this marketing message",
            Location(template.path, None, Part.HEADERS),
            help="add List-Unsubscribe with an https URI and List-Unsubscribe-Post:"
            " List-Unsubscribe=One-Click (RFC 8058)",
        )
        return
    value, line = header
    location = Location(template.path, Span.point(line, 1, len("List-Unsubscribe")), Part.HEADERS)
    if not re.search(r"<\s*https://", value, re.IGNORECASE) and not _filled_at_send(
        template, value
    ):
        yield Violation(
            "the List-Unsubscribe header has no https URI, so one-click unsubscribe is impossible",
            location,
            {"value": value},
            help="add an https URI that unsubscribes on POST, with List-Unsubscribe-Post"
            " (RFC 8058)",
        )
        return
    post = template.headers.get("list-unsubscribe-post")
    if post is None or "list-unsubscribe=one-click" not in post[0].lower().replace(" ", ""):
        yield Violation(
            "the header List-Unsubscribe-Post: List-Unsubscribe=One-Click is missing, so"
            " one-click unsubscribe is not offered",
            location,
            {"value": value},
            help="add the header `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058)",
        )


# -- CONTENT008 -------------------------------------------------------------


def gmail_clipping(template: Template, options: Options) -> Iterator[Violation]:
    if template.html is None:
        return
    size = len(template.html.source.text.encode("utf-8"))
    limit = options["max_bytes"]
    if size > limit:
        yield Violation(
            "the HTML part is {size_kb} KB ({size:,} bytes), over the {limit_kb} KB at which Gmail"
            " clips it",
            Location(template.path, None, Part.HTML),
            {
                "size": size,
                "limit": limit,
                "size_kb": round(size / 1000),
                "limit_kb": round(limit / 1000),
            },
            help="inline less CSS, remove unused markup and comments, or split the content",
        )


# -- CONTENT009 -------------------------------------------------------------


_READ_BY_LOADER = frozenset({"html", "eml", "sendgrid", "postmark", "braze"})
"""Formats whose loader reads the HTML's preview text into ``preheader`` (preflight.preheader)."""


def _html_preheader(template: Template) -> tuple[bool, Any]:
    """(True, None) when the HTML has a preview text that says something; else (False, the
    first element named as a preheader, which is empty) or (False, None). The loaders read
    the preview text already: look again only for HTML they did not load (a send step's
    inline html), or behind a blank sidecar preheader."""
    if template.html is None:
        return False, None
    loaded = template.format in _READ_BY_LOADER and template.preheader is None
    if not loaded and preheader_of(template) is not None:
        return True, None
    return False, empty_preheader_element(template.html)


def missing_preheader(template: Template, options: Options) -> Iterator[Violation]:
    if template.is_transactional or template.html is None:
        return
    if template.preheader is not None and readable(template.preheader.value):
        return
    found, empty = _html_preheader(template)
    if found:
        return
    if empty is not None and template.html is not None:
        yield Violation(
            "the preheader element is empty: inboxes will preview the first words of the body"
            " instead",
            Location(template.path, template.html.element_span(empty), Part.HTML),
            {"element": empty.tag},
            help="write the preview text in it, or add `preheader:` to the metadata",
        )
        return
    yield Violation(
        "no preheader: inboxes will preview the first words of the body instead",
        template.location(Part.PREHEADER),
        help="add `preheader:` to the metadata, or a hidden preview-text element at the top of"
        ' the body (<div class="preheader" style="display:none">…</div>)',
    )


# -- CONTENT010 -------------------------------------------------------------


def _kilobytes(size: int) -> str:
    return f"{size / 1000:.0f} KB" if size >= 1000 else f"{size} bytes"


def image_dimensions(template: Template, options: Options) -> Iterator[Violation]:
    seen = view(template)
    if seen is None or template.html is None:
        return
    html = template.html
    for image in html.iter("img"):
        source = (image.get("src") or "").strip()
        if source[:5].lower() == "data:" and len(source) > options["max_data_uri_bytes"]:
            yield Violation(
                "an image of {size} is written into the HTML as a data: URI",
                Location(template.path, html.attribute_span(image, "src"), Part.HTML),
                {"size": _kilobytes(len(source)), "bytes": len(source)},
                help="upload the image and link it by https URL: Gmail and Outlook do not show"
                " data: images, and the bytes count towards Gmail's clipping limit",
            )
            continue
        if (image.get("width") or "").strip() or seen.hidden(image) is not None:
            continue
        declarations = seen.declarations(image)
        if any(
            re.fullmatch(r"[01](?:px)?", declarations.get(size, "")) for size in ("width", "height")
        ):
            continue  # a tracking pixel
        yield Violation(
            '<img> "{src}" has no width attribute',
            Location(template.path, html.element_span(image), Part.HTML),
            {"src": source[:200], "height": image.get("height")},
            help='add width="…" with the pixel width it is shown at (and height, unless it'
            " scales): Outlook for Windows ignores CSS widths on images",
        )


# -- CONTENT012 -------------------------------------------------------------


def placeholder_image(template: Template, options: Options) -> Iterator[Violation]:
    if template.html is None:
        return
    hosts = tuple(options["hosts"])
    names = [re.compile(p, re.IGNORECASE) for p in options["file_names"]]
    for link in links(template):
        if link.kind != "image" or link.parsed is None:
            continue
        where = link.location
        host = link.parsed.host
        if host is not None and host_allowed(host, hosts):
            yield Violation(
                'the image "{src}" is a placeholder from {host}',
                where,
                {"src": shown_url(link.url.strip()), "host": host},
                help="put the real image in before sending",
            )
            continue
        name = unquote(link.parsed.path.rsplit("/", 1)[-1])
        if TAG_MARK not in name and any(p.search(name) for p in names):
            yield Violation(
                'the image "{src}" reads as a placeholder ("{name}")',
                where,
                {"src": shown_url(link.url.strip()), "name": name},
                help="put the real image in before sending",
                severity=Severity.WARNING,
            )
