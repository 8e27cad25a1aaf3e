"""What language a template is written in: its declared locale, its <html lang>, a guess
from common words of its text (rules/languages.yaml), then the config's default locale.

One answer for LIST005 (is it the audience's language?) and the corrections (which
language the correction is written in).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from preflight.model import Location, Part, Template
from preflight.resources import load_data, rules_dir

_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Language:
    """A template's language: ``code`` its first subtag ("en"), ``tag`` as written ("en-GB";
    the code when guessed), ``how`` it is known, ``where`` it is said."""

    code: str
    tag: str
    how: str
    where: Location


@functools.cache
def _languages() -> tuple[dict[str, str], dict[str, str]]:
    """(word -> language for words only one language lists, language code -> name)."""
    data = load_data(rules_dir() / "languages.yaml")
    owners: dict[str, set[str]] = {}
    for language, words in data["languages"].items():
        for word in words:
            owners.setdefault(str(word), set()).add(str(language))
    words = {word: next(iter(langs)) for word, langs in owners.items() if len(langs) == 1}
    return words, {str(k): str(v) for k, v in data["names"].items()}


def guess_language(text: str, min_words: int) -> str | None:
    """The language whose common words the text uses most, when clearly ahead of the next."""
    words, _ = _languages()
    counts: dict[str, int] = {}
    for match in _WORD.finditer(text[:20_000].lower()):
        language = words.get(match.group())
        if language is not None:
            counts[language] = counts.get(language, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < min_words:
        return None
    if len(ranked) > 1 and ranked[0][1] < 2 * ranked[1][1]:
        return None
    return ranked[0][0]


def primary(tag: str) -> str:
    """A language tag's first subtag, lower-case ("en-GB", "en_gb" -> "en")."""
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()


def language_name(code: str) -> str:
    """How people name the language ("German"), else the code in quotes."""
    return _languages()[1].get(code, f'"{code}"')


def template_language(template: Template, min_words: int) -> Language | None:
    """The declared locale, <html lang>, a guess from the text (``min_words`` common words
    at least), then the config's default locale; None when none of them says."""
    locale = template.locale
    if locale is not None and locale.origin != "config" and locale.value.strip():
        how = {"send-step": "the send step's locale", "sidecar": "the sidecar's locale"}.get(
            locale.origin, "its locale"
        )
        value = locale.value.strip()
        where = locale.location or Location(template.path)
        return Language(primary(value), value, f'{how} "{locale.value}"', where)
    html = template.html
    if html is not None and html.root is not None:
        root = html.root
        lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
        if lang and lang.strip():
            span = html.attribute_span(root, "lang")
            where = template.location(Part.HTML, span)
            return Language(primary(lang), lang.strip(), f'<html lang="{lang}">', where)
    pieces = []
    if html is not None:
        pieces.append(" ".join(text for _, text, _ in html.visible_text()))
    if template.text is not None:
        pieces.append(template.text.text)
    guessed = guess_language(" ".join(pieces), min_words)
    if guessed is not None:
        return Language(guessed, guessed, "guessed from its text", Location(template.path))
    if locale is not None and locale.value.strip():
        value = locale.value.strip()
        how = f'the default locale "{locale.value}"'
        return Language(primary(value), value, how, Location(template.path))
    return None
