"""The plan: every piece of the correction as Words, before a template lays them out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from markupsafe import Markup

from preflight.corrections.footer import Footer, footer
from preflight.corrections.request import CorrectionError, Request
from preflight.corrections.words import Words, fill, language_of, phrases
from preflight.dialects import Dialect
from preflight.fields import meaning
from preflight.model import Template, display_path


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

        kept = self.footer
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
                "postal_address": show(kept.postal_html if html else kept.postal_text),
                "unsubscribe_url": show(kept.unsubscribe_url),
                "unsubscribe_markup": Markup(kept.unsubscribe_markup)
                if html and kept.unsubscribe_markup
                else None,
                "unsubscribe_text": show(kept.unsubscribe_text),
                "unsubscribe_label": self.unsubscribe_label,
            },
        }


def plan(
    template: Template,
    request: Request,
    dialect: Dialect | None,
    notes: list[str],
    locale: str | None = None,
    link_words: list[str] | None = None,
) -> Plan:
    """The correction's pieces, in the language of ``locale`` (default: the original's).
    ``link_words``: CONTENT001's option for the original (default: the rule's default)."""
    kind = request.kind
    if kind is None:  # the orchestration resolves it (from a report) before planning
        raise CorrectionError("the kind of correction is not known: give --kind")
    language, locale, note = language_of(template, locale)
    if note:
        notes.append(note)
    words = phrases()[language]
    kind_words = words["kinds"][kind]
    subject_text = " ".join(template.subject.value.split()) if template.subject else ""
    original = Words.parse(subject_text, dialect) if subject_text else None
    email = (
        fill(words["email"], subject=original) if original else Words.plain(words["email_unknown"])
    )
    if kind == "wrong-list":
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
        kind=kind,
        language=language,
        locale=locale,
        subject=subject,
        original_subject=original,
        preheader=Words.parse(first_sentence, dialect),
        greeting=_greeting(template, dialect, kind, words),
        intro=intro,
        items=items,
        action=Words.plain(kind_words["action"]) if "action" in kind_words else None,
        apology=Words.plain(words["apology_plural" if intro_key == "intro_plural" else "apology"]),
        sign_off=Words.plain(words["sign_off"]),
        sender_name=_display_name(template.sender.value if template.sender else None),
        footer=footer(template, dialect, words, notes, _link_words(link_words)),
        unsubscribe_label=words["unsubscribe"],
    )


def _link_words(configured: list[str] | None) -> list[str]:
    if configured is not None:
        return list(configured)
    from preflight.footer import link_words

    return link_words()


def validate(template: Template, request: Request, notes: list[str]) -> None:
    """Usage problems that only the original can reveal (a link it does not have)."""
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
