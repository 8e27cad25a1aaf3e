"""Finding the phrases of a rule's list in an email's copy, in English, German, French,
Spanish and Dutch, whatever their inflection and word order.

"Vielen Dank für Ihre Teilnahme" must read as the listed "danke für ihre teilnahme", and
"no has descargado todavía" as "todavía no has descargado". A phrase matches when each of
its words is found, in any order, inside one clause of the copy (clauses end at . ! ? : ;
and line breaks), with only small words (articles, pronouns, prepositions, auxiliaries,
"very", "again"…) between them — one other word more for phrases of three words or more.
Small words in a phrase are left out of what it needs ("danke für ihre teilnahme" needs
"danke" and "teilnahme"), unless that would leave one word of several ("we noticed you").

Two words are the same when they are equal once case, accents and apostrophes are set
aside, or when the Snowball stemmer of the copy's language gives them the same stem
("Dank"/"danke", "téléchargée"/"téléchargé", "descargaste"/"descargado"). The language is
the template's locale, else the one whose small words the copy uses most; stems are only
compared in that language, so an English "miss" never meets the Dutch "gemist".
snowballstemmer (BSD, pure Python, the Snowball project's own generated stemmers) is
imported on the first copy that needs a stem; stems are cached per word.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LANGUAGES = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "nl": "dutch",
}

# Small words: free between a phrase's words, and left out of what a phrase needs. Never a
# negation or "still"/"yet"-like word: "noch nicht", "pas encore", "todavía no" carry meaning.
_SMALL = {
    "en": """a an the and or of for to in on at by with from about as into your you youre yours
        we us our i me my it its this that these those is are was were be been am have has had
        do does did will would can could so very much really again all there here also too
        please""",
    "de": """der die das den dem des ein eine einen einem einer eines und oder fur zu zum zur in
        im an am auf mit von vom bei aus uber um ihre ihr ihren ihrem ihrer sie du dich dir
        dein deine deinen deinem deiner wir uns unser unsere es ist sind war waren hat haben
        habe hast wird werden sehr vielen herzlichen herzlich ganz so auch schon bitte""",
    "fr": """le la les l un une des du de d et ou a au aux pour par avec en dans sur vous votre
        vos tu te ton ta tes nous notre nos je j me m il elle ils on ce c cette ces est sont
        ete avez avons as ai avoir etre qu que s se t tres beaucoup bien""",
    "es": """el la los las lo un una unos unas y o de del a al por para con en tu tus su sus te
        ti usted ustedes nos nuestro nuestra que es son ha has he han hemos haber muchas
        muchos muy mucho se le les""",
    "nl": """de het een en of voor van met in op aan te bij naar je jij jou jouw uw u we wij ons
        onze jullie is zijn was waren heeft hebt heb hebben wordt worden er dit dat deze die
        hartelijk zeer heel erg veel""",
}
SMALL: dict[str, frozenset[str]] = {
    code: frozenset(words.split()) for code, words in _SMALL.items()
}
_ANY_SMALL = frozenset().union(*SMALL.values())

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_CLAUSE = re.compile(r"[.!?:;\n\r\u2026|•]+")
_APOSTROPHE = re.compile(r"['’]")
_ELISION = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu"})
"""French elided words: "l'avez" is "l" and "avez"; other apostrophes join ("didn't")."""
_GATE = 3
"""Two words are stemmed only when their first letters agree (stemming costs ~60 µs)."""


@functools.lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """A word as compared: lower case, no accents, no apostrophes."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c) and c not in "'’")


@functools.lru_cache(maxsize=8)
def _stemmer(language: str) -> object:
    import snowballstemmer

    return snowballstemmer.stemmer(LANGUAGES[language])


@functools.lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """The Snowball stem of a (case-folded) word in one of LANGUAGES, accents set aside."""
    found: str = _stemmer(language).stemWord(word)  # type: ignore[attr-defined]
    return fold(found)


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    word: str
    """Case-folded, accents kept (what the stemmer reads)."""
    key: str
    """`fold`ed (what equality reads)."""
    clause: int


@functools.lru_cache(maxsize=64)
def tokens(text: str) -> tuple[_Token, ...]:
    """The words of a text with their clause (cached: each rule's lists read the same copy)."""
    found: list[_Token] = []
    clause_ends = [m.start() for m in _CLAUSE.finditer(text)]
    clause, ends = 0, iter(clause_ends)
    boundary = next(ends, len(text) + 1)
    for match in _WORD.finditer(text):
        while match.start() > boundary:
            clause += 1
            boundary = next(ends, len(text) + 1)
        word = match.group(0)
        parts = _APOSTROPHE.split(word) if "'" in word or "’" in word else [word]
        if len(parts) == 2 and fold(parts[0]) in _ELISION and parts[1]:
            split = match.start() + len(parts[0]) + 1
            found.append(
                _Token(match.start(), split - 1, parts[0].casefold(), fold(parts[0]), clause)
            )
            found.append(_Token(split, match.end(), parts[1].casefold(), fold(parts[1]), clause))
            continue
        found.append(_Token(match.start(), match.end(), word.casefold(), fold(word), clause))
    return tuple(found)


@functools.lru_cache(maxsize=64)
def language_of(text: str, locale: str | None = None) -> str | None:
    """The language of LANGUAGES a copy is in: its locale's, else the one whose small words
    it uses most (None when no language leads)."""
    if locale:
        code = locale.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    counts = dict.fromkeys(LANGUAGES, 0)
    for token in _WORD.finditer(text):
        key = fold(token.group(0))
        if key in _ANY_SMALL:
            for code, words in SMALL.items():
                counts[code] += key in words
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    if ranked[0][1] == 0 or ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


@dataclass(frozen=True)
class Match:
    """Where a phrase was found: character offsets into the copy, the words as written."""

    phrase: str
    start: int
    end: int
    text: str
    exact: int
    """How many of the phrase's words are written as listed (not only the same stem)."""
    size: int
    first: int
    last: int
    """Token indexes of the first and last word matched (for overlaps between two lists)."""

    @property
    def strength(self) -> tuple[int, int]:
        return (self.exact, self.size)


@dataclass(frozen=True)
class _Phrase:
    text: str
    words: tuple[tuple[str, str], ...]
    """(word, key) of each word the phrase needs."""


class PhraseList:
    """The phrases of one rule option, ready to be searched for in copy."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases: list[_Phrase] = []
        for text in phrases:
            words = [(t.word, t.key) for t in tokens(text)]
            if not words:
                continue
            needed = [w for w in words if w[1] not in _ANY_SMALL]
            if len(needed) < 2 <= len(words) or not needed:
                needed = words  # "we noticed you", "missed it": every word counts
            self.phrases.append(_Phrase(text, tuple(needed)))
        self._exact: dict[str, list[tuple[int, int]]] = {}
        self._near: dict[str, list[tuple[int, int]]] = {}
        for number, phrase in enumerate(self.phrases):
            for index, (_, key) in enumerate(phrase.words):
                self._exact.setdefault(key, []).append((number, index))
                if len(key) >= _GATE:
                    self._near.setdefault(key[:_GATE], []).append((number, index))

    def matches(self, text: str, language: str | None = None) -> list[Match]:
        """Every place a phrase of the list is found in ``text`` (one per phrase and place)."""
        if not self.phrases or not text:
            return []
        words = tokens(text)
        small = SMALL[language] if language else _ANY_SMALL
        languages = [language] if language else list(LANGUAGES)
        # where each needed word of each phrase is found: phrase -> word index -> [(token, exact)]
        places: dict[int, dict[int, list[tuple[int, bool]]]] = {}
        for position, token in enumerate(words):
            for number, index in self._exact.get(token.key, ()):
                places.setdefault(number, {}).setdefault(index, []).append((position, True))
            if len(token.key) < _GATE:
                continue
            for number, index in self._near.get(token.key[:_GATE], ()):
                word, key = self.phrases[number].words[index]
                if key != token.key and any(
                    stem(word, code) == stem(token.word, code) for code in languages
                ):
                    places.setdefault(number, {}).setdefault(index, []).append((position, False))
        found: list[Match] = []
        for number, by_word in places.items():
            phrase = self.phrases[number]
            if len(by_word) == len(phrase.words):
                found.extend(self._windows(phrase, by_word, words, small, text))
        return found

    def _windows(
        self,
        phrase: _Phrase,
        by_word: dict[int, list[tuple[int, bool]]],
        words: Sequence[_Token],
        small: frozenset[str],
        text: str,
    ) -> Iterable[Match]:
        size = len(phrase.words)
        spare = 1 if size >= 3 else 0
        starts = sorted({position for hits in by_word.values() for position, _ in hits})
        last_end = -1
        for start in starts:
            if start <= last_end:
                continue  # inside the previous place of this phrase
            chosen: dict[int, tuple[int, bool]] = {}
            used: set[int] = set()
            for index in range(size):
                hit = next(
                    (
                        (position, exact)
                        for position, exact in sorted(by_word[index])
                        if position >= start
                        and position not in used
                        and words[position].clause == words[start].clause
                    ),
                    None,
                )
                if hit is None:
                    break
                chosen[index] = hit
                used.add(hit[0])
            if len(chosen) < size or start not in used:
                continue
            end = max(used)
            if end - start + 1 > size + 6:
                continue
            others = sum(
                1
                for position in range(start, end + 1)
                if position not in used and words[position].key not in small
            )
            if others > spare:
                continue
            last_end = end
            yield Match(
                phrase.text,
                words[start].start,
                words[end].end,
                text[words[start].start : words[end].end],
                sum(1 for _, exact in chosen.values() if exact),
                size,
                start,
                end,
            )


def first(matches: Iterable[Match]) -> Match | None:
    """The match that comes first in the copy (the longest, then the most exact, of those)."""
    return min(matches, key=lambda m: (m.start, -m.size, -m.exact), default=None)


def settle(one: list[Match], other: list[Match]) -> tuple[list[Match], list[Match]]:
    """Two lists' matches where they overlap: the weaker one gives way ("Don't miss it" is
    the listed "don't miss", not "missed it" by its stem); equal ones both stay."""

    def keep(mine: list[Match], theirs: list[Match]) -> list[Match]:
        return [
            m
            for m in mine
            if not any(
                t.first <= m.last and m.first <= t.last and t.strength > m.strength for t in theirs
            )
        ]

    return keep(one, other), keep(other, one)


@functools.lru_cache(maxsize=64)
def phrase_list(phrases: tuple[str, ...]) -> PhraseList:
    """One PhraseList per option value, built once per process."""
    return PhraseList(phrases)
