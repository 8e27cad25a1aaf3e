"""Phrases as data: many short regular expressions searched in text, quickly.

rules/data/*.yaml write phrases in lower case, a space for any run of white space and an
apostrophe for ' or ’ ("reset your password", "i'm a new paragraph block"). A phrase is
tried only when the text holds every whole word it always contains, and it is matched
on the lower-cased text without a look-behind in front, so the regex engine can skip ahead
to its first literal: one alternation of every phrase cost 250 ms on a 900 KB email, this
costs a few.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

Label = TypeVar("Label")

_UNKNOWN = "\x00"
_ESCAPE = re.compile(r"\\.")
_CLASS = re.compile(r"\[[^\]]*\]")
_GROUP = re.compile(r"\(([^()]*)\)([?*]?)")
_OPTIONAL = re.compile(r".(?:[?*]|\{0,?\d*\})")
_COUNT = re.compile(r"\{[^}]*\}")
_NOT_WORD = re.compile(r"[^\w\x00]+")
WORDS = re.compile(r"\w+")
_META = frozenset("\\[](){}?*+|.^$")


def ascii_cuts(keep: str = "") -> bytes:
    """A bytes.translate table for :func:`cut`: every ASCII character that is neither \\w
    nor in ``keep`` becomes a space."""
    return bytes(
        c if c >= 0x80 or chr(c).isalnum() or chr(c) == "_" or chr(c) in keep else ord(" ")
        for c in range(256)
    )


def cut(text: str, table: bytes) -> list[str]:
    """``text`` split, in C, at whitespace and at the ASCII characters ``table`` blanks (on
    the UTF-8 bytes, so other characters pass untouched): a run of the characters kept lies
    inside one piece. A piece with a non-ASCII character may still hold punctuation (’, «)
    that the caller's regex splits."""
    return (
        text.encode("utf-8", "surrogatepass")
        .translate(table)
        .decode("utf-8", "surrogatepass")
        .split()
    )


_WORD_CUTS = ascii_cuts()


def words(text: str) -> set[str]:
    """``set(WORDS.findall(text))``, without a regex step per character: the pieces of
    :func:`cut`, and only a piece with a non-ASCII character split again by the regex."""
    found = set(cut(text, _WORD_CUTS))
    if text.isascii():
        return found
    for piece in [piece for piece in found if not piece.isascii()]:
        found.discard(piece)
        found.update(WORDS.findall(piece))  # the piece again, when it is one word (café)
    return found


def as_regex(phrase: str) -> str:
    """A phrase as written in rules/data, as a regular expression."""
    phrase = phrase.replace("'", "['’]").replace(" ?", r"\s?")
    return phrase.replace(" ", r"\s+")


def _unknown_group(match: re.Match[str]) -> str:
    """A group is unknown text; the spaces at its edges still end the words beside it. A
    look-ahead or look-behind matches no text: the words beside it touch."""
    inner = match.group(1)
    if inner.startswith(("?!", "?=", "?<!", "?<=")):
        return ""
    before = " " if inner.startswith(("?: ", " ")) else ""
    after = " " if inner.endswith(" ") else ""
    return before + _UNKNOWN + after


def required_words(phrase: str) -> tuple[str, ...]:
    """The whole words every match of ``phrase`` holds, lower-cased: groups, classes, escapes
    and optional characters are unknown, and a word that touches one is not whole."""
    if not _META.intersection(phrase):  # a plain phrase: all its words are whole
        return tuple(WORDS.findall(phrase.lower()))
    text = _CLASS.sub(_UNKNOWN, _ESCAPE.sub(_UNKNOWN, phrase))
    while "(" in text:
        shorter = _GROUP.sub(_unknown_group, text)
        if shorter == text:
            break
        text = shorter
    text = _COUNT.sub("", _OPTIONAL.sub(_UNKNOWN, text))
    return tuple(w.lower() for w in _NOT_WORD.split(text) if w and _UNKNOWN not in w)


@dataclass(frozen=True)
class Phrase(Generic[Label]):
    pattern: str
    label: Label
    words: tuple[str, ...]

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        """For lower-cased text; the start's word boundary is checked by the caller."""
        return re.compile(rf"(?:{as_regex(self.pattern)})(?!\w)")

    @functools.cached_property
    def any_case(self) -> re.Pattern[str]:
        """For text whose lower-casing changes its length (offsets would drift)."""
        return re.compile(rf"(?<!\w)(?:{as_regex(self.pattern)})(?!\w)", re.IGNORECASE)


class PhraseSet(Generic[Label]):
    """Phrases, each with a label (what it is evidence of, where it comes from)."""

    def __init__(self, entries: Iterable[tuple[str, Label]]) -> None:
        self.phrases = tuple(Phrase(p, label, required_words(p)) for p, label in entries)
        # longest word -> (number in the data, the phrase's other words) of each phrase filed
        # under it: the numbers sort in C, the data's order whatever the set's
        index: dict[str, list[tuple[int, frozenset[str]]]] = {}
        self._always: list[int] = []
        for number, phrase in enumerate(self.phrases):
            if phrase.words:  # filed under its longest word, the likeliest to be absent
                key = max(phrase.words, key=len)
                index.setdefault(key, []).append((number, frozenset(phrase.words) - {key}))
            else:
                self._always.append(number)
        self._index = index
        self._keys = frozenset(index)

    def active(self, text: str) -> list[Phrase[Label]]:
        """The phrases whose words are all in ``text``: the only ones worth a regex."""
        present = words(text.lower())
        numbers = list(self._always)
        for key in present.intersection(self._keys):
            numbers.extend(n for n, rest in self._index[key] if not rest or rest <= present)
        numbers.sort()
        phrases = self.phrases
        return [phrases[n] for n in numbers]

    def finditer(
        self, text: str, active: list[Phrase[Label]] | None = None
    ) -> Iterator[tuple[int, int, Label]]:
        """(start, end, label) of each match, phrase by phrase (not in text order).
        ``active``: the result of `active` on a larger text this one is part of."""
        lowered = text.lower()
        exact = len(lowered) == len(text)
        for phrase in self.active(text) if active is None else active:
            if not exact:
                for match in phrase.any_case.finditer(text):
                    yield match.start(), match.end(), phrase.label
                continue
            for match in phrase.regex.finditer(lowered):
                start = match.start()
                if start and (lowered[start - 1].isalnum() or lowered[start - 1] == "_"):
                    continue  # inside a word
                yield start, match.end(), phrase.label
