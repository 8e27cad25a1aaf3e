"""INBOX: how the subject, the preview text and the sender show in the inbox list.

The cut-off figures per client are data: rules/data/inbox-display.yaml. CONTENT003 keeps
missing and placeholder subjects and CONTENT009 a missing preheader; these rules judge
what is there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, cast

from lxml import etree

from preflight.model import Edit, Fix, Location, Part, Related, Sourced, Span, Template, Violation
from preflight.preheader import padding_count, preheader_of
from preflight.preview import TAG_STAND_IN, clients, has_tags, masked, readable, view
from preflight.tagscan import value_span

Options = Mapping[str, Any]


def _where(template: Template, sourced: Sourced, part: Part) -> Location:
    location = sourced.location or template.location(part)
    return Location(location.path, location.span, part, location.pointer)


def _shown(text: str, length: int) -> str:
    cut = text[:length].rstrip()
    return re.sub(f"{TAG_STAND_IN[0]}+", "[merge tag]", cut) + "…"


# -- INBOX001 ------------------------------------------------------------------------


def subject_display(template: Template, options: Options) -> Iterator[Violation]:
    subject = template.subject
    if subject is None or not subject.value.strip():
        return  # CONTENT003's
    value = readable(subject.value)
    length, limit = len(value), options["max_length"]
    if length <= limit:
        return
    cut = sorted(
        (c for c in clients() if c.subject is not None and c.subject < length),
        key=lambda c: (c.subject or 0, c.label),
    )
    if not cut:  # a limit set below what every inbox shows
        yield Violation(
            "the subject is {length} characters long, over the {limit} set for it",
            _where(template, subject, Part.SUBJECT),
            {"subject": subject.value, "length": length, "limit": limit, "clients": {}},
            help=f"shorten it to {limit} characters or fewer",
        )
        return
    first = cut[0].subject or 0
    cuts = _cuts(cut, [c for c in clients() if c.kind != "mobile" and c.subject is not None])
    yield Violation(
        "the subject is {length} characters long: {cuts}",
        _where(template, subject, Part.SUBJECT),
        {
            "subject": subject.value,
            "length": length,
            "limit": limit,
            "cuts": cuts,
            "clients": {c.id: c.subject for c in cut},
            "shown": _shown(value, first),
        },
        help=f'{cut[0].label} shows "{_shown(value, first)}": put what matters in the first'
        f" {first} characters, and keep it under {limit} in all",
    )


def _span(numbers: list[int]) -> str:
    low, high = min(numbers), max(numbers)
    return f"{low}" if low == high else f"{low}–{high}"


def _cuts(cut: list[Any], wide: list[Any]) -> str:
    """Where the subject is cut: "phones cut it after about 33–41 characters, Outlook for
    Windows after 54" (every client named when only some desktops cut it)."""
    phones = [c.subject for c in cut if c.kind == "mobile"]
    desks = [c for c in cut if c.kind != "mobile"]
    said = []
    if phones:
        said.append(f"phones cut it after about {_span(phones)} characters")
    if desks and len(desks) == len(wide):
        said.append(f"desktop and web inboxes after {_span([c.subject for c in desks])}")
    elif desks:
        said.append(" and ".join(f"{c.label} after {c.subject}" for c in desks))
    return ", ".join(said)


# -- INBOX002 ------------------------------------------------------------------------

_WORDS = re.compile(r"[^\W_]+")


def _words(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


def _repeats(preheader: str, subject: str | None) -> bool:
    if not subject:
        return False
    said, heard = _words(preheader), _words(subject)
    if not said or not heard:
        return False
    return (
        said == heard
        or said.startswith(heard + " ")
        or (heard.startswith(said) and len(said) >= 12)
    )


def _after(template: Template, element: etree._Element) -> tuple[bool, str | None]:
    """After the preheader element: (a spacer fills the preview, the first visible text)."""
    seen = view(template)
    assert seen is not None
    own = "".join(cast("Iterator[str]", element.itertext()))
    if padding_count(own) >= 3:
        return True, None
    place = seen.order(element)
    inside = set(element.iter())
    wrapping = set(element.iterancestors())
    spacer = 0
    for owner, text, is_tail, hidden in seen.runs():
        if owner in inside:
            if not (is_tail and owner is element):
                continue  # the preheader's own text
        elif seen.order(owner) < place and not (is_tail and owner in wrapping):
            continue  # before it
        if hidden is not None:
            spacer += padding_count(text)
            continue
        if spacer >= 3:
            return True, None
        return False, " ".join(text.split())
    return spacer >= 3, None


SPACER = "&zwnj;&nbsp;" * 40
"""Enough invisible characters to fill the widest preview (Apple Mail on the Mac)."""


def _spacer_fix(template: Template, element: etree._Element) -> Fix | None:
    """Insert SPACER just before the preheader element's end tag (an HTML file only, where
    positions are the file's own)."""
    html = template.html
    if html is None or template.format != "html" or not html.source.exact:
        return None
    extent = html.extent(element)
    if extent is None:
        return None
    start, end = extent
    close = html.lower.rfind(f"</{element.tag}", start, end)
    if close == -1 or not isinstance(element.tag, str):
        return None
    line, column = html.source.position(close)
    edit = Edit(Location(template.path, Span(line, column, line, column), Part.HTML), SPACER)
    return Fix("add a spacer after the preheader, so the preview ends where it does", (edit,))


def _without_scripts(value: str) -> str:
    """``value`` without its <script>…</script> blocks (string search, linear)."""
    lower = value.lower()
    pieces: list[str] = []
    position = 0
    while (start := lower.find("<script", position)) != -1:
        end = lower.find("</script", start)
        if end == -1:
            break
        close = lower.find(">", end)
        pieces.append(value[position:start])
        position = len(value) if close == -1 else close + 1
    pieces.append(value[position:])
    return "".join(pieces)


def preheader_display(template: Template, options: Options) -> Iterator[Violation]:
    subject = readable(template.subject.value) if template.subject else None
    preheader = template.preheader
    # a preview text the loader read from the HTML is judged below, with its element
    if preheader is not None and preheader.origin != "html" and preheader.value.strip():
        value = _without_scripts(preheader.value)  # SFMC's SSJS renders, it is not read
        if not has_tags(value) or readable(value).replace(TAG_STAND_IN, "").strip():
            location = _where(template, preheader, Part.PREHEADER)
            yield from _judge(readable(value), subject, location, options, None)
        # else only merge tags and server code: what the reader sees is known at send only
    found = preheader_of(template)
    if found is None or template.html is None:
        return
    element, text = found
    if not text or (not has_tags(text) and not re.search(r"[^\W\d_]", text)):
        return
    if has_tags(text) and not readable(text).replace(TAG_STAND_IN, "").strip():
        return  # only the platform's preview-text tag: filled at send
    location = Location(template.path, template.html.element_span(element), Part.HTML)
    yield from _judge(readable(text), subject, location, options, element, template)


def _judge(
    text: str,
    subject: str | None,
    location: Location,
    options: Options,
    element: etree._Element | None,
    template: Template | None = None,
) -> Iterator[Violation]:
    length = len(text)
    data: dict[str, Any] = {"preheader": text, "length": length}
    if _repeats(text, subject):
        yield Violation(
            'the preheader "{preheader}" repeats the subject',
            location,
            {**data, "subject": subject},
            help="use the preview for what the subject leaves out: the offer's detail, a date,"
            " a reason to open",
        )
        return
    if element is not None and template is not None and length < options["preview_length"]:
        filled, leak = _after(template, element)
        if not filled and leak:
            shown = leak if len(leak) <= 40 else leak[:40].rstrip() + "…"
            yield Violation(
                "the preheader is {length} characters and nothing fills the rest of the"
                ' preview, so inboxes go on with the body: "{leak}"',
                location,
                {**data, "leak": shown, "preview_length": options["preview_length"]},
                help="after the preheader text, add a hidden spacer of &zwnj;&nbsp; pairs (or"
                " &#847;) so the preview ends where the preheader does",
                fix=_spacer_fix(template, element),
            )
            return
    if length < options["min_length"]:
        yield Violation(
            'the preheader "{preheader}" is only {length} characters long',
            location,
            {**data, "limit": options["min_length"]},
            help="phones show about 40 to 80 characters of preview: use them to say why to open",
        )
    elif length > options["max_length"]:
        widest = max((c.preheader or 0) for c in clients())
        yield Violation(
            "the preheader is {length} characters long, more than any inbox shows (about"
            " {widest} at most)",
            location,
            {**data, "limit": options["max_length"], "widest": widest},
            help="put what matters in the first 40 characters and cut the rest",
        )


# -- INBOX003 ------------------------------------------------------------------------

_REPLY = re.compile(
    r"^\s*(?:re|fw|fwd|aw|wg|tr|rv|sv|vs|antw|doorst)\s*(?:\[\d+\])?\s*:", re.IGNORECASE
)
_PUNCTUATION = re.compile(r"[!?¡¿]{2,}")
_MONEY = re.compile(r"[$€£¥]{2,}")
_SHOUTED = re.compile(r"[^\W\d_]{4,}")


def subject_shouting(template: Template, options: Options) -> Iterator[Violation]:
    subject = template.subject
    if subject is None or not subject.value.strip():
        return
    value = masked(subject.value)
    location = _where(template, subject, Part.SUBJECT)

    def at(start: int, end: int) -> Location:
        span = value_span(template, subject, start, end)
        return Location(location.path, span or location.span, Part.SUBJECT, location.pointer)

    allowed = {word.upper() for word in options["allowed_words"]}
    shouted = [
        m for m in _SHOUTED.finditer(value) if m.group(0).isupper() and m.group(0) not in allowed
    ]
    if len(shouted) > options["max_caps_words"]:
        words = [m.group(0) for m in shouted]
        yield Violation(
            "the subject shouts: {count} words in capitals ({words})",
            at(shouted[0].start(), shouted[-1].end()),
            {"subject": subject.value, "count": len(words), "words": ", ".join(words)},
            help="write it in sentence case; capitals read as shouting and spam filters score them",
        )
    punctuation = _PUNCTUATION.search(value)
    exclamations = value.count("!")
    if punctuation is not None or exclamations > 1:
        found = punctuation or re.search("!", value)
        assert found is not None
        mark = punctuation.group(0) if punctuation else "!" * exclamations
        yield Violation(
            'the subject repeats "{mark}"',
            at(found.start(), found.end()),
            {"subject": subject.value, "mark": mark},
            help="one exclamation or question mark at most",
        )
    reply = _REPLY.match(value)
    if reply is not None and not template.is_transactional:
        prefix = reply.group(0).strip()
        yield Violation(
            'the subject starts with "{prefix}" though the email is not a reply or a forward',
            at(reply.start() + len(reply.group(0)) - len(reply.group(0).lstrip()), reply.end()),
            {"subject": subject.value, "prefix": prefix},
            help="remove it: readers feel tricked and Gmail, Yahoo and SpamAssassin count it"
            " against the sender",
        )
    money = _MONEY.search(value)
    if money is not None:
        yield Violation(
            'the subject has "{money}"',
            at(money.start(), money.end()),
            {"subject": subject.value, "money": money.group(0)},
            help="name the amount or the saving instead",
        )


# -- INBOX004 ------------------------------------------------------------------------

_NO_REPLY = re.compile(
    r"^(?:no|do[-_.]?not)[-_.]?reply|^noreply|^no[-_.]?response|^donotreply", re.IGNORECASE
)
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "gv"})


def _address(value: str) -> tuple[str, str] | None:
    """(display name, address) of a From or Reply-To value ("Name <a@b>", "<a@b>", "a@b");
    None when it is not one address. String operations, not a regex: linear on any input."""
    value = value.strip()
    if len(value) > 998:  # longer than a header line may be
        return None
    name = ""
    address = value
    if value.endswith(">") and "<" in value:
        name, _, rest = value[:-1].rpartition("<")
        name, address = name.strip().strip('"').strip(), rest.strip()
    if "@" not in address or any(c.isspace() or c in '<>"' for c in address):
        return None
    return name, address


def _domain(address: str) -> str:
    """The registrable part of an address's domain: brightleaf.example, shop.co.uk."""
    labels = address.rpartition("@")[2].lower().rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def sender(template: Template, options: Options) -> Iterator[Violation]:
    source = template.sender
    if source is None or not source.value.strip() or has_tags(source.value):
        return
    where = source.location or template.location(Part.HEADERS)
    parsed = _address(source.value)
    if parsed is None:
        return  # not one address: nothing this rule can read
    name, address = parsed
    data = {"sender": source.value.strip(), "address": address}
    if not name:
        yield Violation(
            'the sender "{sender}" has no display name',
            where,
            data,
            help=f'write it as "Your Brand <{address}>": inboxes show the name, not the address',
        )
    reply = template.reply_to
    reply_value = reply.value.strip() if reply is not None else ""
    local = address.partition("@")[0]
    if _NO_REPLY.search(local) and not reply_value:
        yield Violation(
            'the sender "{address}" is a no-reply address and there is no Reply-To',
            where,
            data,
            help="add a Reply-To that a person reads (reply_to: in the metadata), or send"
            " from an address that takes replies",
        )
    if reply is None or not reply_value or has_tags(reply_value):
        return
    replying = _address(reply_value)
    if replying is None:
        return
    if _domain(replying[1]) != _domain(address):
        location = reply.location or template.location(Part.HEADERS)
        yield Violation(
            'replies go to "{reply_to}", on another domain than the sender "{address}"',
            location,
            {**data, "reply_to": replying[1]},
            help="reply from the sender's own domain; a Reply-To on another domain is a"
            " phishing signal to filters and readers",
            related=(Related(where, "the sender"),) if source.location is not None else (),
        )
