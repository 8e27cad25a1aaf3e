"""The correction email: planned from the original, rendered with jinja2, checked, written.

A correction says there was an error, gives the corrected thing (or asks the
reader to disregard the email), apologises once and explains nothing. It keeps
the original's sender and footer and is written in the original's merge
language: every tag comes from the dialect's ``write`` data, never from a
string spelled out here. The words are data (``phrases.yaml``); the layout is
two jinja2 templates that users may override, rendered in a sandbox.
"""

from __future__ import annotations

import functools
import json
import re
import string
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from email import errors as email_errors
from email import policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from preflight.corrections import KINDS
from preflight.dialects import Dialect, dialects, special_pattern, tokenize
from preflight.fields import meaning
from preflight.model import Finding, Severity, Template, display_path

if TYPE_CHECKING:
    from preflight.config import Config
    from preflight.model.report import Report

HTML, TEXT, EML, META = (
    "correction.html",
    "correction.txt",
    "correction.eml",
    "correction.meta.yaml",
)
OUTPUT_NAMES = (HTML, TEXT, EML, META)
TEMPLATE_NAMES = {HTML: "correction.html.j2", TEXT: "correction.txt.j2"}
PACKAGED_TEMPLATES = Path(__file__).with_name("templates")
PHRASES = Path(__file__).with_name("phrases.yaml")

MAX_REPEAT = 100_000
"""The longest string or list a template may build with ``*`` (the sandbox's limit)."""
_MAX_LINE = 998
"""RFC 5322's line limit: longer lines make a part quoted-printable instead of 8bit."""


class CorrectionError(Exception):
    """A correction that cannot be made as asked; the command prints it and exits 2."""


@dataclass(frozen=True)
class Request:
    """What went wrong, as the command line (or a report) says it."""

    kind: str
    links: tuple[tuple[str, str], ...] = ()
    """(wrong URL, right URL), for wrong-link."""
    fixes: tuple[tuple[str, str], ...] = ()
    """(what it said, what is right), for wrong-detail."""
    audience: str | None = None
    """Who receives the correction; for wrong-list, the audience that got the original wrongly."""
    templates: Path | None = None
    rules: tuple[tuple[str, str | None], ...] = ()
    """(rule, field) of the report findings a wrong-name correction answers."""


@dataclass
class Correction:
    kind: str
    subject: str
    language: str
    locale: str
    platform: str | None
    audience: str | None
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# -- text with merge tags kept apart -------------------------------------------------


@dataclass(frozen=True)
class Words:
    """Text whose merge tags stay as written: HTML escapes the words around them, never a tag
    (a quote inside ``{{ personalization_token("contact.firstname", "there") }}`` survives)."""

    pieces: tuple[tuple[str, bool], ...] = ()

    @classmethod
    def plain(cls, text: str) -> Words:
        return cls(((text, False),))

    @classmethod
    def tag(cls, raw: str) -> Words:
        return cls(((raw, True),))

    @classmethod
    def parse(cls, text: str, dialect: Dialect | None) -> Words:
        """``text`` with the dialect's tags (and its special tags) marked as tags."""
        if dialect is None:
            return cls.plain(text)
        spans = [(t.start, t.end) for t in tokenize(text, dialect.name)]
        pieces: list[tuple[str, bool]] = []
        position = 0
        for start, end in sorted(spans):
            if start < position:
                continue
            if start > position:
                pieces.append((text[position:start], False))
            pieces.append((text[start:end], True))
            position = end
        if position < len(text):
            pieces.append((text[position:], False))
        return cls(tuple(pieces))

    def html(self) -> Markup:
        return Markup("".join(raw if tag else str(escape(raw)) for raw, tag in self.pieces))

    def text(self) -> str:
        return "".join(raw for raw, _ in self.pieces)

    def capitalized(self) -> Words:
        if not self.pieces or self.pieces[0][1] or not self.pieces[0][0]:
            return self
        first, rest = self.pieces[0][0], self.pieces[1:]
        return Words(((first[0].upper() + first[1:], False), *rest))

    def __bool__(self) -> bool:
        return any(raw for raw, _ in self.pieces)


def fill(phrase: str, **values: Words) -> Words:
    """A phrase from phrases.yaml with its {placeholders} filled in."""
    pieces: list[tuple[str, bool]] = []
    for literal, name, _, _ in string.Formatter().parse(phrase):
        if literal:
            pieces.append((literal, False))
        if name is not None:
            pieces.extend(values[name].pieces)
    return Words(tuple(pieces))


# -- the plan: every piece of the email, before any template sees it -------------------


@functools.cache
def phrases() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))
    return {str(language): dict(entry) for language, entry in data.items()}


def language_of(template: Template) -> tuple[str, str, str | None]:
    """(language, locale for the sidecar, a note when the wording falls back to English)."""
    locale = template.locale.value.strip() if template.locale else ""
    if not locale and template.html is not None and template.html.root is not None:
        locale = (template.html.root.get("lang") or "").strip()
    if not locale:
        return (
            "en",
            "en",
            "the original's language is not known (no locale, no <html lang>): written in English",
        )
    language = locale.replace("_", "-").split("-")[0].lower()
    if language in phrases():
        return language, locale, None
    known = ", ".join(phrases())
    return (
        "en",
        "en",
        f'no correction wording for the locale "{locale}" ({known} exist): written in English',
    )


def _first_name_field(template: Template, dialect: Dialect) -> str | None:
    """The field the original greets with, when it means a first name (bare, no namespace)."""
    from preflight.tagscan import tag_sites

    for site in tag_sites(template, dialect):
        tag = site.tag
        if tag.kind != "variable" or not tag.field:
            continue
        name = dialect.audience_field(tag.field)
        if name and meaning(name) == "first_name":
            return name
    return None


def _greeting(
    template: Template, dialect: Dialect | None, kind: str, words: Mapping[str, Any]
) -> Words:
    """Personal only where the original was, with a fallback, and never for the wrong name or
    the wrong list (their recipients' names are what went wrong, or are not ours to use)."""
    plain = Words.plain(words["greeting_plain"])
    if kind in ("wrong-name", "wrong-list") or dialect is None or not dialect.write_fallback:
        return plain
    name = _first_name_field(template, dialect)
    if name is None:
        return plain
    tag = dialect.write(name, words["greeting_fallback"])
    return fill("{greeting} {name},", greeting=Words.plain(words["greeting"]), name=Words.tag(tag))


def _anchor_label(template: Template, url: str) -> str | None:
    """The text of the original's link to ``url``, when it is words rather than an address."""
    from preflight.linkscan import links

    for link in links(template):
        if link.kind == "link" and link.url.strip() == url and link.text:
            text = " ".join(link.text.split())
            if "://" in text or re.fullmatch(r"(?:www\.)?[\w-]+(?:\.[\w-]+)+\S*", text):
                return None  # an address as text: LINK010 wants it to match the new one
            return text[:80]
    return None


def _has_link(template: Template, url: str) -> bool:
    from preflight.linkscan import links

    if any(link.url.strip() == url for link in links(template)):
        return True
    sources = [
        template.html.source.text if template.html else "",
        template.text.text if template.text else "",
    ]
    return any(url in source or url.replace("&", "&amp;") in source for source in sources)


def _original_links(template: Template) -> list[str]:
    from preflight.linkscan import links

    return list(dict.fromkeys(link.url.strip() for link in links(template) if link.kind == "link"))


_BLOCKS = ("p", "td", "th", "div", "address", "li", "span", "font", "center")


def _block_text(element: Any) -> str:
    """An element's text with <br> read as a comma (an address is often one line per <br>)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "br":
            parts.append(", ")
        elif isinstance(child.tag, str):
            parts.append(_block_text(child))
        parts.append(child.tail or "")
    text = " ".join("".join(parts).split())
    return re.sub(r"(?:\s*,\s*)+", ", ", text).strip(" ,")


def _address_text(template: Template) -> str | None:
    """The original's postal address as written out (not a tag), from its text or HTML part."""
    from preflight.footer import looks_like_address

    found: list[str] = []
    for element in () if template.html is None else template.html.iter(*_BLOCKS):
        text = _block_text(element)
        if text and len(text) <= 200 and looks_like_address(text):
            found.append(text)
    if found:  # the HTML keeps an address's lines together (<br>); a text part may not
        return min(found, key=len)
    if template.text is not None:
        for paragraph in re.split(r"\n\s*\n", template.text.text):
            lines = [" ".join(line.split()) for line in paragraph.splitlines() if line.strip()]
            for line in lines:
                if len(line) > 200 or not looks_like_address(line):
                    continue
                whole = ", ".join(lines)  # an address is often one line per part of it
                plain = "://" not in whole and "unsubscribe" not in whole.lower()
                return whole if plain and len(whole) <= 200 else line
    return None


def _special_in(template: Template, kind: str, dialect: Dialect | None, html: bool) -> str | None:
    """The original's own tag of ``kind`` (as written) in its HTML or its text part."""
    if dialect is None:
        return None
    pattern = special_pattern(kind, dialect.name)
    if html:
        source = template.html.source.text if template.html is not None else None
    else:
        source = template.text.text if template.text is not None else None
    if pattern is None or source is None:
        return None
    match = pattern.search(source)
    return match.group(0) if match else None


def _unsubscribe_link(template: Template) -> str | None:
    """An unsubscribe address written out in the original (when no platform tag is known)."""
    from preflight.linkscan import links

    for link in links(template):
        written_out = link.kind == "link" and link.url.lower().startswith(("http://", "https://"))
        if written_out and "unsubscribe" in (link.url + " " + link.text).lower():
            return link.url.strip()
    return None


@dataclass
class Footer:
    postal_html: Words | None = None
    postal_text: Words | None = None
    unsubscribe_url: Words | None = None
    unsubscribe_markup: str | None = None
    unsubscribe_text: Words | None = None


def _footer(
    template: Template, dialect: Dialect | None, words: Mapping[str, Any], notes: list[str]
) -> Footer:
    footer = Footer()
    address = Words.plain(found) if (found := _address_text(template)) else None
    written = dialect.write_special.get("postal_address") if dialect else None
    html_tag = _tag_or_none(_special_in(template, "postal_address", dialect, html=True))
    text_tag = _tag_or_none(_special_in(template, "postal_address", dialect, html=False))
    # the original's own tag, else its address as written, else the platform's tag
    footer.postal_html = _first(html_tag, address, text_tag, _tag_or_none(written))
    footer.postal_text = _first(text_tag, address, html_tag, _tag_or_none(written))
    from preflight.footer import has_unsubscribe, link_words

    if template.is_transactional and not has_unsubscribe(template, link_words()):
        return footer  # a transactional email without one: a correction of it has none either
    tag = dialect.write_special.get("unsubscribe") if dialect else None
    if tag is None:
        url = _unsubscribe_link(template)
        if url is None:
            notes.append(
                "no unsubscribe tag or link is known for the original: add one before sending"
            )
            return footer
        footer.unsubscribe_url = footer.unsubscribe_text = Words.plain(url)
        return footer
    if tag.lstrip().startswith(
        "<"
    ):  # an element, such as Campaign Monitor's <unsubscribe>…</unsubscribe>
        label = str(escape(words["unsubscribe"]))
        footer.unsubscribe_markup = re.sub(
            r"^(<([\w-]+)[^>]*>)[^<]*(</\2>)$", rf"\g<1>{label}\g<3>", tag
        )
        own = _special_in(template, "unsubscribe", dialect, html=False)
        footer.unsubscribe_text = Words.tag(own or tag)
        return footer
    footer.unsubscribe_url = footer.unsubscribe_text = Words.tag(tag)
    return footer


def _tag_or_none(raw: str | None) -> Words | None:
    return Words.tag(raw) if raw else None


def _first(*choices: Words | None) -> Words | None:
    return next((choice for choice in choices if choice), None)


def _display_name(sender: str | None) -> str | None:
    if not sender:
        return None
    name, _ = parseaddr(sender)
    return name.strip() or None


@dataclass
class Plan:
    """Every piece of the email as Words, before a template lays them out."""

    kind: str
    language: str
    locale: str
    subject: Words
    original_subject: Words | None
    preheader: Words
    greeting: Words
    intro: Words
    items: list[dict[str, Words | None]]
    action: Words | None
    apology: Words
    sign_off: Words
    sender_name: str | None
    footer: Footer
    unsubscribe_label: str

    def context(self, html: bool) -> dict[str, Any]:
        """The variables a template sees; for HTML, Markup with the words escaped."""

        def show(words: Words | None) -> Any:
            if words is None:
                return None
            return words.html() if html else words.text()

        footer = self.footer
        return {
            "kind": self.kind,
            "lang": self.locale,
            "locale": self.locale,
            "subject": show(self.subject),
            "original_subject": show(self.original_subject),
            "preheader": show(self.preheader),
            "greeting": show(self.greeting),
            "intro": show(self.intro),
            "items": [{key: show(value) for key, value in item.items()} for item in self.items],
            "action": show(self.action),
            "apology": show(self.apology),
            "sign_off": show(self.sign_off),
            "sender_name": self.sender_name,
            "footer": {
                "postal_address": show(footer.postal_html if html else footer.postal_text),
                "unsubscribe_url": show(footer.unsubscribe_url),
                "unsubscribe_markup": Markup(footer.unsubscribe_markup)
                if html and footer.unsubscribe_markup
                else None,
                "unsubscribe_text": show(footer.unsubscribe_text),
                "unsubscribe_label": self.unsubscribe_label,
            },
        }


def plan(template: Template, request: Request, dialect: Dialect | None, notes: list[str]) -> Plan:
    language, locale, note = language_of(template)
    if note:
        notes.append(note)
    words = phrases()[language]
    kind_words = words["kinds"][request.kind]
    subject_text = " ".join(template.subject.value.split()) if template.subject else ""
    original = Words.parse(subject_text, dialect) if subject_text else None
    email = (
        fill(words["email"], subject=original) if original else Words.plain(words["email_unknown"])
    )
    if request.kind == "wrong-list":
        subject = Words.plain(words["subject_disregard"])
    elif original:
        subject = fill(words["subject"], subject=original)
    else:
        subject = Words.plain(words["subject_unknown"])
    items: list[dict[str, Words | None]] = []
    for old, new in request.links:
        label = _anchor_label(template, old)
        url = Words.parse(new, dialect)
        items.append(
            {"label": Words.plain(label) if label else url, "url": url, "value": None, "note": None}
        )
    for was, right in request.fixes:
        items.append(
            {
                "label": None,
                "url": None,
                "value": Words.parse(right, dialect),
                "note": fill(words["instead_of"], was=Words.parse(was, dialect)),
            }
        )
    intro_key = "intro_plural" if len(items) > 1 and "intro_plural" in kind_words else "intro"
    intro = fill(kind_words[intro_key], email=email, Email=email.capitalized())
    first_sentence = re.split(r"(?<=[.!?])\s", intro.text(), maxsplit=1)[0]
    return Plan(
        kind=request.kind,
        language=language,
        locale=locale,
        subject=subject,
        original_subject=original,
        preheader=Words.parse(first_sentence, dialect),
        greeting=_greeting(template, dialect, request.kind, words),
        intro=intro,
        items=items,
        action=Words.plain(kind_words["action"]) if "action" in kind_words else None,
        apology=Words.plain(words["apology"]),
        sign_off=Words.plain(words["sign_off"]),
        sender_name=_display_name(template.sender.value if template.sender else None),
        footer=_footer(template, dialect, words, notes),
        unsubscribe_label=words["unsubscribe"],
    )


# -- rendering ------------------------------------------------------------------------


class _Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, which also refuses to build huge strings with ``*``."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*":
            sized, count = (left, right) if isinstance(right, int) else (right, left)
            repeats = isinstance(sized, (str, list, tuple)) and isinstance(count, int)
            if repeats and len(sized) * count > MAX_REPEAT:
                raise SecurityError(f"the result would be longer than {MAX_REPEAT:,} items")
        return super().call_binop(context, operator, left, right)


def environment(templates: Path | None) -> _Sandbox:
    loaders = [FileSystemLoader(str(templates))] if templates is not None else []
    loaders.append(FileSystemLoader(str(PACKAGED_TEMPLATES)))
    return _Sandbox(
        loader=ChoiceLoader(loaders),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def check_templates(templates: Path | None) -> None:
    if templates is None:
        return
    if not templates.is_dir():
        raise CorrectionError(f"the templates folder does not exist: {templates}")
    if not any((templates / name).is_file() for name in TEMPLATE_NAMES.values()):
        names = " or ".join(TEMPLATE_NAMES.values())
        raise CorrectionError(f"{templates} has no {names} to override")


RENDER_SECONDS = 5.0
"""How long a user's template may take to render (it runs in a child process)."""
RENDER_MEMORY = 512 * 1024**2
"""How much memory a user's template may add while it renders."""
MAX_PAGE_CHARS = 1_000_000
"""The longest correction part a template may write."""


def render(the_plan: Plan, templates: Path | None) -> dict[str, str]:
    """correction.html and correction.txt; a template that fails is a CorrectionError.

    A template from ``templates`` (the user's) is rendered in a forked child process with
    a memory limit, stopped after RENDER_SECONDS: the sandbox keeps it from Python's
    internals, but not from looping for ever (nested ranges) or building a gigabyte in one
    filter call (``'x'|center(10**9)``, ``'{:>1000000000}'.format(1)``)."""
    rendered: dict[str, str] = {}
    for output, name in TEMPLATE_NAMES.items():
        if templates is not None and (templates / name).is_file() and _can_fork():
            page = _render_bounded(the_plan, templates, output, name)
        else:
            page = _render_one(the_plan, templates, output, name)
        if output == TEXT:
            page = _tidy_text(page)
        rendered[output] = page
    return rendered


def _render_one(the_plan: Plan, templates: Path | None, output: str, name: str) -> str:
    env = environment(templates)
    try:
        page = env.get_template(name).render(the_plan.context(html=output == HTML))
    except TemplateSyntaxError as error:
        where = f"{error.filename or name}:{error.lineno}"
        raise CorrectionError(f"template {where}: {_clean(error.message or str(error))}") from None
    except SecurityError as error:
        raise CorrectionError(
            f"template {name} is not allowed to do that: {_clean(str(error))}"
        ) from None
    except TemplateError as error:
        raise CorrectionError(f"template {name}: {_clean(error.message or str(error))}") from None
    except MemoryError:
        raise CorrectionError(
            f"template {name} needs more than {RENDER_MEMORY // 1024**2} MB; stopped"
        ) from None
    except Exception as error:  # a user template may divide by zero, or worse
        raise CorrectionError(
            f"template {name} failed: {type(error).__name__}: {_clean(str(error))}"
        ) from None
    if len(page) > MAX_PAGE_CHARS:
        raise CorrectionError(
            f"template {name} wrote more than {MAX_PAGE_CHARS:,} characters; stopped"
        )
    return page


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _render_bounded(the_plan: Plan, templates: Path, output: str, name: str) -> str:
    """_render_one in a forked child with a memory limit, killed after RENDER_SECONDS."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(
        target=_render_child, args=(writer, the_plan, templates, output, name), daemon=True
    )
    child.start()
    writer.close()
    try:
        if not reader.poll(RENDER_SECONDS):
            raise CorrectionError(
                f"template {name} took longer than {RENDER_SECONDS:g} s to render; stopped"
            )
        ok, value = reader.recv()
    except EOFError:  # the child died without a word (killed, or out of memory early)
        raise CorrectionError(f"template {name} stopped its renderer; no correction") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        reader.close()
    if not ok:
        raise CorrectionError(str(value))
    return str(value)


def _render_child(
    writer: Any, the_plan: Plan, templates: Path, output: str, name: str
) -> None:  # pragma: no cover - runs in the child process
    _limit_memory(RENDER_MEMORY)
    try:
        result: tuple[bool, str] = (True, _render_one(the_plan, templates, output, name))
    except CorrectionError as error:
        result = (False, str(error))
    except MemoryError:
        result = (False, f"template {name} needs more than {RENDER_MEMORY // 1024**2} MB; stopped")
    writer.send(result)
    writer.close()


def _limit_memory(extra: int) -> None:
    """Cap this process's address space at what it uses now plus ``extra`` bytes."""
    import os
    import resource

    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = used + extra
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or limit < soft:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError):
        pass  # no /proc (macOS): the time limit still holds


def _tidy_text(page: str) -> str:
    """Trailing spaces off (but the "-- " signature line), at most one blank line in a row."""
    lines = [line if line == "-- " else line.rstrip() for line in page.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def _clean(message: str) -> str:
    return " ".join(message.split()).rstrip(".")


# -- the four files -------------------------------------------------------------------


def build_eml(
    template: Template,
    subject: str,
    html: str,
    text: str,
    locale: str,
    notes: list[str],
    unsubscribe: str | None = None,
) -> bytes:
    """The correction as a message. ``unsubscribe`` is the footer's unsubscribe address (a
    platform tag or an https URL); an original without List-Unsubscribe headers gets them
    from it, so the message offers one-click unsubscribe (RFC 8058) as CONTENT007 asks."""
    message = EmailMessage(policy=policy.default)
    for header, sourced in (("From", template.sender), ("Reply-To", template.reply_to)):
        if sourced is None or not sourced.value.strip():
            continue
        try:
            message[header] = " ".join(sourced.value.split())
        except (ValueError, TypeError, IndexError, AttributeError, email_errors.MessageError):
            # AttributeError: the standard library's address parser trips on names such as
            # "../x" (an export's from_name) instead of refusing them
            notes.append(
                f'the original\'s {header} "{sourced.value}" is not an address: left out of {EML}'
            )
    if template.sender is None:
        notes.append(f"the original has no From: {EML} has none (set it where you send)")
    message["Subject"] = subject
    if "list-unsubscribe" in template.headers:  # an .eml original: its headers stay
        for header in ("list-unsubscribe", "list-unsubscribe-post"):
            if header in template.headers:
                message["-".join(w.capitalize() for w in header.split("-"))] = " ".join(
                    template.headers[header][0].split()
                )
    elif unsubscribe is not None and not template.is_transactional:
        address = " ".join(unsubscribe.split())
        if address.lower().startswith("https://") or not address.lower().startswith("http"):
            message["List-Unsubscribe"] = f"<{address}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8", cte=_transfer_encoding(text))
    message.add_alternative(html, subtype="html", charset="utf-8", cte=_transfer_encoding(html))
    message["Content-Language"] = locale  # after the content: set_content drops Content-* headers
    return message.as_bytes()


def _transfer_encoding(body: str) -> str:
    return (
        "8bit"
        if all(len(line.encode()) <= _MAX_LINE for line in body.splitlines())
        else "quoted-printable"
    )


def build_sidecar(
    template: Template, correction: Correction, preheader: str, fixes: list[dict[str, str | None]]
) -> str:
    meta: dict[str, Any] = {"subject": correction.subject, "preheader": preheader}
    if template.sender is not None:
        meta["from"] = template.sender.value
    if template.reply_to is not None:
        meta["reply_to"] = template.reply_to.value
    if correction.platform is not None:
        meta["platform"] = correction.platform
    meta["locale"] = correction.locale
    meta["category"] = template.category.value if template.category else "marketing"
    if template.campaign is not None:
        meta["campaign"] = template.campaign.value
    if correction.audience is not None:
        meta["audience"] = correction.audience
    if template.audience_tags and correction.kind != "wrong-list":
        meta["audience_tags"] = list(template.audience_tags)
    meta["correction"] = {"kind": correction.kind, "audience": correction.audience, "fixes": fixes}
    header = (
        f"# The sidecar of {HTML}: a {correction.kind} correction of"
        f" {display_path(template.path)}, written by `preflight correct`.\n"
        "# correction.audience: who to send it to (null: everyone who received the original).\n"
    )
    body = yaml.safe_dump(
        meta, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False
    )
    return header + body


def _fixes(request: Request) -> list[dict[str, str | None]]:
    if request.links:
        return [{"was": old, "is": new} for old, new in request.links]
    if request.fixes:
        return [{"was": was, "is": right} for was, right in request.fixes]
    return [{"rule": rule, "field": name} for rule, name in request.rules]


def validate(template: Template, request: Request, notes: list[str]) -> None:
    """Usage problems that only the original can reveal (a link it does not have)."""
    if request.kind not in KINDS:
        raise CorrectionError(f'unknown kind "{request.kind}"')
    for old, new in request.links:
        if old.strip() == new.strip():
            raise CorrectionError(f'--link "{old}" gives the same address twice')
        if not _has_link(template, old):
            from preflight.suggest import did_you_mean, hint

            found = _original_links(template)
            suggestion = hint(did_you_mean(old, found)) if found else ""
            raise CorrectionError(
                f'the link "{old}" is not in {display_path(template.path)}{suggestion}'
            )
    for was, _ in request.fixes:
        sources = [
            template.html.source.text if template.html else "",
            template.text.text if template.text else "",
        ]
        if template.subject is not None:
            sources.append(template.subject.value)
        if not any(was in source for source in sources):
            notes.append(
                f'"{was}" does not appear in {display_path(template.path)} as written; check --fix'
            )


def generate(template: Template, request: Request) -> Correction:
    """The correction's four files, in memory."""
    notes: list[str] = []
    validate(template, request, notes)
    check_templates(request.templates)
    platform = template.platform.value if template.platform else None
    dialect = dialects().get(platform) if platform else None
    if dialect is None:
        notes.append("the original's platform is not known: no merge tags used (give --platform)")
    the_plan = plan(template, request, dialect, notes)
    pages = render(the_plan, request.templates)
    audience = request.audience or (template.audience.value if template.audience else None)
    correction = Correction(
        kind=request.kind,
        subject=the_plan.subject.text(),
        language=the_plan.language,
        locale=the_plan.locale,
        platform=platform,
        audience=audience,
        notes=notes,
    )
    correction.files[HTML] = pages[HTML].encode("utf-8")
    correction.files[TEXT] = pages[TEXT].encode("utf-8")
    unsubscribe = the_plan.footer.unsubscribe_url
    correction.files[EML] = build_eml(
        template,
        correction.subject,
        pages[HTML],
        pages[TEXT],
        correction.locale,
        notes,
        unsubscribe.text() if unsubscribe else None,
    )
    correction.files[META] = build_sidecar(
        template, correction, the_plan.preheader.text(), _fixes(request)
    ).encode("utf-8")
    return correction


# -- checking it with preflight's own rules ------------------------------------------------


def _key(finding: Finding) -> tuple[str, str]:
    return finding.rule, json.dumps(dict(finding.data), sort_keys=True, default=str)


def new_findings(
    correction: Correction, before: Report, config: Config, output: Path
) -> list[Finding]:
    """Findings of the correction that the original did not have, placed in ``output``."""
    from preflight.engine import Engine

    known = {_key(finding) for finding in before.findings}
    with tempfile.TemporaryDirectory(prefix="preflight-correct-") as folder:
        root = Path(folder)
        for name, data in correction.files.items():
            (root / name).write_bytes(data)
        after = Engine(config).run([root])
        found = []
        for finding in after.findings:
            if _key(finding) in known:
                continue
            location = replace(finding.location, path=output / finding.location.path.name)
            found.append(replace(finding, location=location, related=()))
    return found


def errors(findings: Sequence[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity >= Severity.ERROR]


# -- a correction from preflight's own JSON report ----------------------------------------


def request_from_report(
    report: Path,
    original: Path,
    kind: str | None,
    links: Mapping[str, str],
    base: Request,
) -> tuple[Request, list[str]]:
    """A wrong-link (LINK findings) or wrong-name (MERGE findings) request from a JSON report.

    Only the findings' ``data`` is read, never their message text.
    """
    notes: list[str] = []
    findings = list(_report_findings(report, original))
    linked = [
        f
        for f in findings
        if f["rule"].startswith("LINK") and isinstance(f["data"].get("url"), str)
    ]
    linked = [
        f for f in linked if f["data"].get("kind", "link") == "link" and f["data"]["url"].strip()
    ]
    merged = [f for f in findings if f["rule"].startswith("MERGE")]
    if kind is None:
        kind = "wrong-link" if linked else "wrong-name" if merged else None
        if kind is None:
            raise CorrectionError(
                f"{report} has no LINK or MERGE finding about {display_path(original)}:"
                " choose --kind"
            )
    if kind == "wrong-link":
        if not linked:
            raise CorrectionError(
                f"{report} has no LINK finding with a link in {display_path(original)}"
            )
        pairs = dict(base.links)
        missing = []
        for finding in linked:
            url = finding["data"]["url"].strip()
            old, new = _replacement(url, {**links, **pairs})
            if new is None:
                missing.append(f'"{url}" ({finding["rule"]})')
            elif old not in pairs:
                pairs[old] = new
        if missing:
            raise CorrectionError(
                "no right address for " + ", ".join(missing) + ": give --link OLD NEW"
                " or add it to `corrections.links` in the config"
            )
        return replace(base, kind=kind, links=tuple(pairs.items())), notes
    if kind == "wrong-name":
        if not merged:
            raise CorrectionError(f"{report} has no MERGE finding about {display_path(original)}")
        rules = dict.fromkeys((f["rule"], f["data"].get("field")) for f in merged)
        return replace(base, kind=kind, rules=tuple(rules)), notes
    raise CorrectionError("--from-report builds wrong-link and wrong-name corrections only")


def _replacement(url: str, links: Mapping[str, str]) -> tuple[str, str | None]:
    """(the full wrong URL, its right one): reports shorten long URLs to 79 characters and …"""
    if url in links:
        return url, links[url]
    if url.endswith("…"):
        prefix = url[:-1]
        for old, new in links.items():
            if old.startswith(prefix):
                return old, new
    return url, None


def _report_findings(report: Path, original: Path) -> Iterator[dict[str, Any]]:
    from preflight.formats.decode import REPORT_MAX_BYTES, UnreadableInput, read_bytes

    try:  # a regular file within a limit (not /dev/zero, not a FIFO)
        document = json.loads(read_bytes(report, REPORT_MAX_BYTES).decode("utf-8-sig"))
    except UnreadableInput as error:
        raise CorrectionError(f"cannot read {report}: {error.reason}") from None
    except UnicodeDecodeError as error:
        raise CorrectionError(f"cannot read {report}: {error}") from None
    except ValueError as error:
        raise CorrectionError(f"{report} is not JSON: {error}") from None
    except RecursionError:
        raise CorrectionError(f"{report} is not a preflight report: nested too deeply") from None
    if (
        not isinstance(document, dict)
        or document.get("version") != 1
        or not isinstance(document.get("findings"), list)
    ):
        raise CorrectionError(
            f"{report} is not a preflight JSON report (`preflight check --format json`)"
        )
    target = original.resolve()
    for finding in document["findings"]:
        if not isinstance(finding, dict) or not isinstance(finding.get("path"), str):
            continue
        if finding.get("severity") == "info" or not isinstance(finding.get("rule"), str):
            continue
        if not isinstance(finding.get("data"), dict):
            finding["data"] = {}
        path = Path(finding["path"])
        if any((where / path).resolve() == target for where in (Path.cwd(), report.parent)):
            yield finding
