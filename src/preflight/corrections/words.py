"""The words of a correction: phrases.yaml per language, and text whose merge tags stay whole."""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup, escape

from preflight.dialects import Dialect, tokenize
from preflight.language import primary, template_language
from preflight.model import Template

PHRASES = Path(__file__).with_name("phrases.yaml")


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


def article(word: str) -> str:
    """ "a" or "an" before ``word`` as it is said ("an early-send", "a wrong-link")."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def first(*choices: Words | None) -> Words | None:
    return next((choice for choice in choices if choice), None)


@functools.cache
def phrases() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))
    return {str(language): dict(entry) for language, entry in data.items()}


def language_of(template: Template, locale: str | None = None) -> tuple[str, str, str | None]:
    """(language, locale for the sidecar, a note when the wording falls back to English):
    of ``locale`` when given, else of the original as LIST005 reads it (its locale, its
    <html lang>, a guess from its words, the config's default locale)."""
    if locale is None:
        found = template_language(template, _min_words())
        if found is None:
            return (
                "en",
                "en",
                "the original's language is not known (no locale, no <html lang>, too few"
                " words to guess it): written in English",
            )
        locale = found.tag
    language = primary(locale)
    if language in phrases():
        return language, locale, None
    known = ", ".join(phrases())
    return (
        "en",
        "en",
        f'no correction wording for the locale "{locale}" ({known} exist): written in English',
    )


def _min_words() -> int:
    """LIST005's `min_words`: how many common words a guess of the language needs."""
    from preflight.catalogue import load_catalogue

    return int(load_catalogue().rules["LIST005"].options["min_words"].default)
