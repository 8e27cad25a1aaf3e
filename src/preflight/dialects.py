"""Platform merge dialects, read from rules/dialects/*.yaml.

Each file gives a platform's names and aliases, its special tags (unsubscribe,
postal address, view online, preferences), the signatures that detect its
language, and how its tags are written (``tags:``, read by ``tokenize``).
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from preflight.model import Detection, MergeTag
from preflight.resources import load_data, rules_dir

SPECIAL_KINDS = ("unsubscribe", "postal_address", "view_online", "preferences")


@dataclass(frozen=True)
class Dialect:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    special: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Regular expressions (as text) per special kind; compiled together on first use."""
    signatures: tuple[tuple[str, int], ...] = ()
    """(regular expression, weight): evidence that a text is written in this dialect."""
    tags: tuple[tuple[str, str], ...] = ()
    """(kind, regular expression) for each way a tag is written, in priority order."""
    write_variable: str | None = None
    """How a tag for a field is written; "<field>" stands for the field's name."""
    write_fallback: str | None = None
    """How a tag with an inline default is written ("<fallback>"), or None."""
    write_special: dict[str, str] = field(default_factory=dict)
    """How this platform writes each special tag (unsubscribe, view_online, …)."""
    appends: frozenset[str] = frozenset()
    """Special kinds (unsubscribe, postal_address) the platform adds itself, in a footer of
    its own, to a marketing email that has none (Mailchimp's gray footer)."""
    fallback: str = "none"
    """Where a missing value's default comes from: inline | conditional | audience | none."""
    case_sensitive: bool = True
    field_prefix: str = ""
    """The namespace of contact fields ("contact.", "customer.", "lead.")."""
    only_prefixed: bool = False
    """Names outside field_prefix and field_name are the platform's own, never checked."""
    field_name: tuple[re.Pattern[str], ...] = ()
    """Patterns whose group "name" is the audience field a tag names (``${first_name}``)."""
    open_fields: bool = False
    """Any field name may be right (the sender passes the data); only an audience says otherwise."""
    fields: dict[str, str] = field(default_factory=dict)
    """Meaning (rules/fields.yaml) -> this platform's name for the standard field."""
    system_fields: frozenset[str] = frozenset()
    open_prefixes: tuple[str, ...] = ()
    url_encode: str | None = None
    """A regular expression that matches a tag which URL-encodes its value."""
    url_encode_write: str | None = None
    delimiters: tuple[tuple[str, str], ...] = ()
    """Opener and closer pairs (plain text) MERGE001 pairs up."""
    invalid: tuple[Misuse, ...] = ()
    malformed: tuple[Misuse, ...] = ()
    mixes_with: frozenset[str] = frozenset()
    """Platforms whose tags may legitimately share a file with this one's (MERGE011)."""

    def write(self, field_name: str, fallback: str | None = None) -> str:
        """A tag for ``field_name`` here, with ``fallback`` when the language has a form for one."""
        if fallback is not None and self.write_fallback:
            return self.write_fallback.replace("<field>", field_name).replace(
                "<fallback>", fallback
            )
        return (self.write_variable or "<field>").replace("<field>", field_name)

    def audience_field(self, tag_field: str) -> str | None:
        """The audience field a tag's field names, or None for the platform's own names."""
        name = tag_field.strip()
        for pattern in self.field_name:
            match = pattern.fullmatch(name)
            if match:
                return match.group("name").strip()
        if self.field_prefix and name.startswith(self.field_prefix):
            return name[len(self.field_prefix) :].strip()
        if self.only_prefixed or (self.open_prefixes and name.startswith(self.open_prefixes)):
            return None
        return name

    def fold(self, name: str) -> str:
        return name if self.case_sensitive else name.lower()

    def known(self, name: str) -> bool:
        """Whether ``name`` (bare, without the field prefix) is a field this platform always has."""
        folded = self.fold(name)
        return folded in self._known or name.startswith(self.open_prefixes)

    @functools.cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(self.fold(n) for n in (*self.system_fields, *self.fields.values()))


@dataclass(frozen=True)
class Misuse:
    """A pattern for a tag that is malformed (MERGE001) or does not work where it is (MERGE010)."""

    pattern: re.Pattern[str]
    message: str
    help: str | None = None
    parts: tuple[str, ...] = ()
    """The parts (html, text, subject, preheader) where it applies; empty means all."""
    severity: str | None = None
    """Milder than the rule's severity, when the tag still works for now (a deprecation)."""
    when: re.Pattern[str] | None = None
    """Only in templates that also match this (Pardot PML tags in an HML email)."""


@functools.cache
def dialects() -> dict[str, Dialect]:
    found: dict[str, Dialect] = {}
    for path in sorted((rules_dir() / "dialects").glob("*.yaml")):
        data = load_data(path)
        special = {
            kind: tuple((data.get("special") or {}).get(kind) or ()) for kind in SPECIAL_KINDS
        }
        dialect = Dialect(
            name=data["name"],
            label=data.get("label", data["name"]),
            aliases=tuple(data.get("aliases") or ()),
            special=special,
            signatures=tuple(
                (str(item["pattern"]), int(item.get("weight", 1)))
                for item in data.get("signatures") or ()
            ),
            tags=tuple(
                (str(item["kind"]), str(item["pattern"])) for item in data.get("tags") or ()
            ),
            write_variable=(data.get("write") or {}).get("variable"),
            write_fallback=(data.get("write") or {}).get("fallback"),
            write_special={
                str(k): str(v)
                for k, v in ((data.get("write") or {}).get("special") or {}).items()
                if v
            },
            field_name=tuple(re.compile(str(p)) for p in data.get("field_name") or ()),
            open_fields=bool(data.get("open_fields", False)),
            fallback=str(data.get("fallback") or "none"),
            case_sensitive=bool(data.get("case_sensitive", True)),
            field_prefix=str(data.get("field_prefix") or ""),
            only_prefixed=bool(data.get("only_prefixed", False)),
            fields={str(k): str(v) for k, v in (data.get("fields") or {}).items()},
            system_fields=frozenset(str(n) for n in data.get("system_fields") or ()),
            open_prefixes=tuple(str(n) for n in data.get("open_prefixes") or ()),
            url_encode=data.get("url_encode"),
            url_encode_write=data.get("url_encode_write"),
            delimiters=tuple((str(o), str(c)) for o, c in data.get("delimiters") or ()),
            invalid=tuple(_misuse(item) for item in data.get("invalid") or ()),
            malformed=tuple(_misuse(item) for item in data.get("malformed") or ()),
            mixes_with=frozenset(str(n) for n in data.get("mixes_with") or ()),
            appends=frozenset(str(n) for n in data.get("appends") or ()),
        )
        found[dialect.name] = dialect
    return found


def _misuse(item: Mapping[str, Any]) -> Misuse:
    return Misuse(
        re.compile(str(item["pattern"])),
        str(item["message"]),
        item.get("help"),
        tuple(item.get("parts") or ()),
        item.get("severity"),
        re.compile(str(item["when"])) if item.get("when") else None,
    )


@functools.cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for dialect in dialects().values():
        names[dialect.name] = dialect.name
        for alias in dialect.aliases:
            names[alias.lower()] = dialect.name
    return names


def platform_names() -> list[str]:
    """Every accepted name, canonical names first."""
    return [*dialects(), *(n for n in _names() if n not in dialects())]


def resolve_platform(name: str) -> str | None:
    """The canonical platform name for a name or alias, or None."""
    return _names().get(name.strip().lower())


@functools.cache
def special_pattern(kind: str, platform: str | None = None) -> re.Pattern[str] | None:
    """One regex matching a special tag of ``kind`` in ``platform`` (or any platform)."""
    selected = [dialects()[platform]] if platform in dialects() else list(dialects().values())
    parts = [p for d in selected for p in d.special.get(kind, ())]
    if not parts:
        return None
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


# Every special-tag pattern contains one of its kind's keywords (tests/test_dialects.py
# holds the data to that), so a tag can only be where a keyword is: searching a window
# around each keyword is exact, and far cheaper than a case-insensitive scan of a
# 100 KB template with a 40-way alternation.
SPECIAL_KEYWORDS: dict[str, tuple[str, ...]] = {
    "unsubscribe": ("unsub", "preference", "profile", "subscription", "asm_", "<custom"),
    "postal_address": ("addr", "sender-info", "<custom"),
    "view_online": ("view", "archive", "mirror", "webversion", "web_view", "webcopy", "permalink"),
    "preferences": ("preference", "profile"),
}
_WINDOW = 120
_WINDOW_AFTER = 1000
"""Tags start near their keyword but may run long ({% unsubscribe 'a long link text' %})."""


def has_special(kind: str, platform: str | None, text: str, lowered: str | None = None) -> bool:
    """Whether ``text`` holds a special tag of ``kind`` for ``platform`` (or any platform).

    ``lowered`` is ``text`` lowered, when the caller already has it.
    """
    pattern = special_pattern(kind, platform)
    if pattern is None:
        return False
    if lowered is None:
        lowered = text.lower()
    if len(lowered) != len(text):  # offsets would drift: search it all
        return pattern.search(text) is not None
    for keyword in SPECIAL_KEYWORDS[kind]:
        index = lowered.find(keyword)
        while index != -1:
            if pattern.search(text, max(0, index - _WINDOW), index + _WINDOW_AFTER) is not None:
                return True
            index = lowered.find(keyword, index + len(keyword))
    return False


# -- detection ----------------------------------------------------------------

DETECT_MIN_SCORE = 3
"""Evidence needed before a platform is assumed: one strong tag (weight 3)."""
DETECT_MARGIN = 2.0
"""The best platform must score this many times the runner-up, or the file is ambiguous."""
_COUNT_CAP = 5
"""A pattern counts at most this often, so one repeated tag does not outvote the rest."""
CONFIDENT = 0.75
"""A detection whose platform has at least this share of the evidence is taken as known:
MERGE011 then says which tag to write, and the text report does not list the file."""


_META = frozenset(".^$*+?{}[]()|")


def leading_literal(pattern: str) -> str:
    """The text every match of ``pattern`` starts with ("{{" for r"\\{\\{\\s*x"), or ""."""
    branches = _top_level_branches(pattern)
    if len(branches) > 1:
        common = os.path.commonprefix([leading_literal(branch) for branch in branches])  # noqa: RUF071 - text, not paths
        return common
    literal: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern) and not pattern[index + 1].isalnum():
            literal.append(pattern[index + 1])
            index += 2
        elif char in _META or char == "\\":
            break
        else:
            literal.append(char)
            index += 1
        if index < len(pattern) and pattern[index] in "*?{":  # the last char is optional
            literal.pop()
            break
    return "".join(literal)


def _top_level_branches(pattern: str) -> list[str]:
    """``pattern`` split at the "|" that are outside groups and character classes."""
    branches, depth, in_class, start, index = [], 0, False, 0, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
        index += 1
    branches.append(pattern[start:])
    return branches


class _Lazy:
    """A signature's regular expression, compiled when a text first holds its literal: a
    one-template run meets a few of some 150 (compiling them all cost 6 ms a run)."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return self._compiled

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled().finditer(text)


@functools.cache
def _signature_index() -> tuple[
    tuple[str, tuple[tuple[_Lazy, tuple[tuple[str, int], ...]], ...]], ...
]:
    """Signatures grouped by the literal they start with, each with who it is evidence for.

    Separate patterns, each with a literal prefix, let the regex engine skip ahead;
    one alternation of all of them took 30 ms per template. A group whose literal is
    not in the text is not scanned at all.
    """
    owners: dict[str, list[tuple[str, int]]] = {}
    for dialect in dialects().values():
        for pattern, weight in dialect.signatures:
            owners.setdefault(pattern, []).append((dialect.name, weight))
    groups: dict[str, list[tuple[_Lazy, tuple[tuple[str, int], ...]]]] = {}
    for pattern, who in owners.items():
        groups.setdefault(leading_literal(pattern), []).append((_Lazy(pattern), tuple(who)))
    return tuple((literal, tuple(members)) for literal, members in groups.items())


@functools.cache
def signatures() -> tuple[tuple[str, _Lazy, tuple[tuple[str, int], ...], bool], ...]:
    """Every signature once: (leading literal, pattern, who it is evidence for, strong), where
    strong means one platform's own tag (weight 3 or more, no other language shares it)."""
    found = []
    for literal, members in _signature_index():
        for pattern, who in members:
            strong = len(who) == 1 and who[0][1] >= DETECT_MIN_SCORE
            found.append((literal, pattern, who, strong))
    return tuple(found)


Hit = tuple[int, int, int]
"""(signature index, start, end) of a signature's match in a text."""


_SPARSE = 32
"""A leading literal found at most this many times in a text: its signatures are tried at
those places only instead of each scanning the whole text."""


class _Probe:
    """The signatures that share a leading literal, tried together by one anchored match:
    each sits in a look-ahead of its own, ``(?=(?P<sN>pattern)|)``, so a match at a place
    says in C which of them match there and where each ends (its group's span, -1 when it
    does not match). One call per place instead of one per signature and place (the
    "{{" group has some 20 signatures: 280,000 calls on the bench set). Compiled when a
    text first holds the literal sparsely."""

    __slots__ = ("_compiled", "first", "members")

    def __init__(self, first: int, members: tuple[tuple[_Lazy, bool], ...]) -> None:
        self.first = first
        """The index in signatures() of the first member (members are consecutive there)."""
        self.members = members
        """(pattern, strong) of each signature, in signatures() order."""
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(
                "".join(
                    f"(?=(?P<s{n}>{pattern.source})|)"
                    for n, (pattern, _) in enumerate(self.members)
                )
            )
        return self._compiled

    def hits(self, text: str, at: list[int], hits: list[Hit]) -> None:
        """Add each member's matches that start at the places ``at`` (ascending), as
        finditer would find them: the next match only from where the last one ends, and at
        most _COUNT_CAP of a signature that is not strong."""
        probe = self.compiled()
        rows = []
        for start in at:
            found = probe.match(text, start)  # always a match: each look-ahead may be empty
            if found is not None and found.lastindex is not None:  # some member matched
                rows.append((start, found.regs))
        if not rows:
            return
        index = probe.groupindex
        for offset, (_, strong) in enumerate(self.members):
            group = index[f"s{offset}"]
            end = count = 0
            for start, regs in rows:
                if start < end:
                    continue
                match_start, match_end = regs[group]
                if match_start < 0:
                    continue
                end = match_end
                hits.append((self.first + offset, start, end))
                count += 1
                if not strong and count >= _COUNT_CAP:
                    break


@functools.cache
def _probes() -> tuple[tuple[str, _Probe], ...]:
    """(leading literal, its signatures as one probe), in signatures() order."""
    probes: list[tuple[str, _Probe]] = []
    table = signatures()
    index = 0
    while index < len(table):
        literal = table[index][0]
        last = index
        while last < len(table) and table[last][0] == literal:
            last += 1
        members = tuple((pattern, strong) for _, pattern, _, strong in table[index:last])
        probes.append((literal, _Probe(index, members)))
        index = last
    return tuple(probes)


def signature_hits(text: str) -> list[Hit]:
    """Where the signatures match in ``text``: every match of a strong signature (MERGE002
    and MERGE011 report them), the first few of the others (detection counts them). One
    scan serves detection and the MERGE rules (tagscan memoizes it per template part).
    Hits come by signature, in signatures() order, each signature's by start."""
    hits: list[Hit] = []
    places = _places(text)
    for literal, probe in _probes():
        at = places[literal] if literal else None
        if at is not None:
            if at:
                # Every match starts with the literal, so the leftmost match starts at one
                # of its places; the next one is looked for from where it ends.
                probe.hits(text, at, hits)
            continue
        # no literal, or a frequent one: each signature scans the text, in C
        for offset, (pattern, strong) in enumerate(probe.members):
            matches = pattern.finditer(text)
            for match in matches if strong else itertools.islice(matches, _COUNT_CAP):
                hits.append((probe.first + offset, match.start(), match.end()))
    return hits


@functools.cache
def _literals() -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
    """Each leading literal, shorter first, with the shorter ones inside it and where ("*|"
    holds "|" at 1, "{{{" holds "{{" at 0)."""
    ordered = sorted(
        {literal for literal, _ in _probes() if literal}, key=lambda item: (len(item), item)
    )
    return tuple(
        (
            literal,
            tuple(
                (other, literal.find(other))
                for other in ordered
                if len(other) < len(literal) and other in literal
            ),
        )
        for literal in ordered
    )


def _places(text: str) -> dict[str, list[int] | None]:
    """Every offset each leading literal starts at in ``text`` (overlaps included), or None
    for a literal there more than _SPARSE times.

    A literal can only be where each shorter literal inside it is, less its offset there
    ("*|" one before a "|"): when one of those is absent or sparse, its places are tested
    instead of a pass over the text (a pass per literal was most of the cost of a scan;
    one for a single character is memchr, for two characters ten times slower)."""
    places: dict[str, list[int] | None] = {}
    for literal, inside in _literals():
        around: list[int] | None = None
        shift = 0
        for other, offset in inside:
            candidate = places[other]
            if candidate is not None and (around is None or len(candidate) < len(around)):
                around, shift = candidate, offset
        if around is not None:
            places[literal] = [
                at - shift for at in around if at >= shift and text.startswith(literal, at - shift)
            ]
            continue
        found: list[int] = []
        start = text.find(literal)
        while start != -1 and len(found) <= _SPARSE:
            found.append(start)
            start = text.find(literal, start + 1)
        places[literal] = found if len(found) <= _SPARSE else None
    return places


def detect(*texts: str | None) -> Detection:
    """Which platform's merge language ``texts`` are written in, and how sure that is."""
    return detect_hits([signature_hits(text) for text in texts if text])


def detect_hits(parts: Iterable[list[Hit]]) -> Detection:
    """Detection from each text's signature hits (see signature_hits)."""
    table = signatures()
    counts: dict[int, int] = {}
    for hits in parts:
        for index, _, _ in hits:
            counts[index] = counts.get(index, 0) + 1
    scores: dict[str, int] = {}
    strong: set[str] = set()  # platforms with evidence no other language shares
    for index, count in counts.items():
        _, _, who, _ = table[index]
        for platform, weight in who:
            scores[platform] = scores.get(platform, 0) + weight * min(count, _COUNT_CAP)
            if weight >= DETECT_MIN_SCORE and len(who) == 1:
                strong.add(platform)
    if not scores:
        return Detection(None, None)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    confidence = round(best_score / sum(scores.values()), 2)
    if len(strong) == 1:  # one platform's own tags; shared {{name}} evidence cannot outvote them
        (only,) = strong
        return Detection(only, round(scores[only] / sum(scores.values()), 2), (), scores)
    if not strong and best_score >= DETECT_MIN_SCORE and best_score >= DETECT_MARGIN * runner_up:
        return Detection(best, confidence, (), scores)
    close = tuple(name for name, score in ranked if score * DETECT_MARGIN > best_score)
    if len(close) == 1 and best_score >= DETECT_MIN_SCORE:
        # two platforms' own tags, one far ahead: assume it (MERGE011 reports the mix)
        return Detection(best, confidence, (), scores)
    if best_score < DETECT_MIN_SCORE and len(close) < 2:
        return Detection(None, None)  # one weak hint ("[email]" in copy) is no evidence
    return Detection(None, confidence, close, scores)


# -- tokenizing ---------------------------------------------------------------


@functools.cache
def _tag_patterns(platform: str) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """(kind, leading literal, pattern) for each way ``platform`` writes a tag."""
    dialect = dialects().get(platform)
    if dialect is None:
        return ()
    return tuple(
        (kind, leading_literal(pattern), re.compile(pattern)) for kind, pattern in dialect.tags
    )


_FILTER_DEFAULT = re.compile(
    r"""\|\s*default\s*(?::\s*|\(\s*)(?:'(?P<single>[^']{0,500})'|"(?P<double>[^"]{0,500})")"""
)
"""A default filter anywhere in a tag's filter chain ({{ name | title | default: 'x' }})."""


def tokenize(text: str, platform: str, until: int | None = None) -> list[MergeTag]:
    """Every merge tag of ``platform`` in ``text``, in order (those that start at or
    before ``until``, when given).

    One pass from left to right: at each point the earliest match of any pattern
    wins (the earlier pattern on a tie) and the scan goes on after it, so a match
    that starts inside another tag never swallows the tag after it. A pattern whose
    leading literal ("{{", "*|") is not in the text is not run at all. Comments and
    raw blocks of the language (``comment`` kind) are single tokens: nothing inside
    them is a tag.
    """
    present: dict[str, bool] = {}
    for literal, shorter in _tag_literals(platform):  # "{{!--" is only tried where "{{" is
        present[literal] = (shorter is None or present[shorter]) and literal in text
    patterns = [
        (kind, pattern)
        for kind, literal, pattern in _tag_patterns(platform)
        if not literal or present[literal]
    ]
    # (start, index in patterns, match) of each pattern's next match; a pattern with none
    # left starts past the end. The smallest is the next tag (the earlier pattern on a tie).
    past_end = len(text) + 1
    upcoming: list[tuple[int, int, re.Match[str] | None]] = []
    for index, (_, pattern) in enumerate(patterns):
        match = pattern.search(text)
        upcoming.append((match.start() if match else past_end, index, match))
    tags: list[MergeTag] = []
    while upcoming:
        start, index, match = min(upcoming)
        if match is None or (until is not None and start > until):
            break
        tags.append(_tag(match, patterns[index][0], platform))
        position = max(match.end(), start + 1)
        for other, (other_start, _, _) in enumerate(upcoming):
            if other_start < position:
                again = patterns[other][1].search(text, position)
                upcoming[other] = (again.start() if again else past_end, other, again)
    return tags


def _with_shorter(literals: set[str]) -> tuple[tuple[str, str | None], ...]:
    """Each literal with the longest other one it starts with, or None; shorter first."""
    ordered = sorted(literals, key=lambda literal: (len(literal), literal))
    found: list[tuple[str, str | None]] = []
    for literal in ordered:
        shorter = [other for other in ordered if other != literal and literal.startswith(other)]
        found.append((literal, max(shorter, key=len) if shorter else None))
    return tuple(found)


@functools.cache
def _tag_literals(platform: str) -> tuple[tuple[str, str | None], ...]:
    """The distinct leading literals of ``platform``'s tag patterns (most share "{{"), shorter
    first, each with the longest other one it starts with, or None."""
    return _with_shorter({literal for _, literal, _ in _tag_patterns(platform) if literal})


def _tag(match: re.Match[str], kind: str, platform: str) -> MergeTag:
    groups = match.groupdict()
    fallback = groups.get("fallback")
    if fallback is None:
        fallback = groups.get("fallback2")
    raw = match.group(0)
    if fallback is None and kind == "variable" and "default" in raw:
        found = _FILTER_DEFAULT.search(raw)
        if found:
            fallback = (
                found.group("single")
                if found.group("single") is not None
                else found.group("double")
            )
    field = groups.get("field")
    return MergeTag(
        kind=kind,
        platform=platform,
        start=match.start(),
        end=match.end(),
        raw=raw,
        field=field.strip() if field else None,
        fallback=fallback,
        keyword=groups.get("keyword"),
    )


# -- rendering ----------------------------------------------------------------

_CONDITIONS = {"if": True, "#if": True, "#": True, "unless": False, "#unless": False, "^": False}
_CONDITIONS_UPPER = {"IF": True, "IFNOT": False}


def lookup(values: Mapping[str, Any], field: str, folded: Mapping[str, Any] | None = None) -> Any:
    """A field's value: exact, then case-insensitive, then by its last name part.

    "contact.firstname", "${first_name}" and "custom_attribute.${plan}" find
    "firstname", "first_name" and "plan" in a flat row of sample data. ``folded`` is
    ``values`` keyed in lower case, when the caller has it already.
    """
    if field in values:
        return values[field]
    if folded is None:
        folded = _folded(values)
    bare = field.replace("${", "").replace("}", "")
    for candidate in (field, bare, bare.rsplit(".", 1)[-1]):
        if candidate.lower() in folded:
            return folded[candidate.lower()]
    return None


def _folded(values: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in values.items()}


class _Blocks:
    """The blocks open while rendering, each (modelled, branch shown now, a branch was
    shown), with counts kept so that each tag asks in constant time whether it is shown
    (20,000 nested {{#if}} took seconds when every tag looked at every open block)."""

    def __init__(self) -> None:
        self.stack: list[tuple[bool, bool, bool]] = []
        self.hidden = 0
        self.unmodelled = 0

    def visible(self) -> bool:
        return self.hidden == 0

    def push(self, modelled: bool, shown: bool, taken: bool) -> None:
        self.stack.append((modelled, shown, taken))
        self.hidden += not shown
        self.unmodelled += not modelled

    def pop(self) -> tuple[bool, bool, bool] | None:
        if not self.stack:
            return None
        frame = self.stack.pop()
        self.hidden -= not frame[1]
        self.unmodelled -= not frame[0]
        return frame


def _condition(tag: MergeTag) -> bool | None:
    """True for "show if set", False for "show if not set", None when not modelled."""
    if tag.keyword is None or not tag.field:
        return None
    keyword = tag.keyword.strip()
    if keyword in _CONDITIONS_UPPER:
        return _CONDITIONS_UPPER[keyword]
    return _CONDITIONS.get(keyword)


def special_kind(raw: str, platform: str) -> str | None:
    """Which special tag ``raw`` is in ``platform`` (unsubscribe, view_online…), or None."""
    for kind in SPECIAL_KINDS:
        pattern = special_pattern(kind, platform)
        if pattern is not None and pattern.search(raw):
            return kind
    return None


def render(text: str, platform: str, values: Mapping[str, Any]) -> str:
    """``text`` as a recipient with ``values`` would read it.

    Variables take their value, or the tag's inline fallback when the value is
    missing or empty (a whitespace-only value is not empty: Braze and Liquid
    keep it); with neither, they render as nothing. Simple conditionals on one
    field are decided; loops, functions, scripts, special tags and conditions
    preflight does not model stay in the output as written, never guessed.
    """
    out: list[str] = []
    blocks = _Blocks()
    visible = blocks.visible
    folded = _folded(values)
    position = 0
    for tag in tokenize(text, platform):
        if visible():
            out.append(text[position : tag.start])
        position = tag.end
        if blocks.unmodelled:
            # inside a loop or an unmodelled condition: everything stays as written
            if tag.kind == "block-open":
                blocks.push(False, True, True)
            elif tag.kind == "block-close":
                blocks.pop()
            if visible():
                out.append(tag.raw)
            continue
        if tag.kind == "block-open":
            wanted = _condition(tag)
            if wanted is None:
                blocks.push(False, True, True)
                if visible():
                    out.append(tag.raw)
                continue
            value = lookup(values, tag.field or "", folded)
            show = (value not in (None, "", False, 0, [])) == wanted
            blocks.push(True, show, show)
        elif tag.kind == "block-else":
            if not blocks.stack or not blocks.stack[-1][0]:
                if visible():
                    out.append(tag.raw)
                continue
            _, _, taken = blocks.pop() or (True, True, True)
            show = not taken
            if show and tag.field:  # ELSEIF / elsif with a field
                show = lookup(values, tag.field, folded) not in (None, "", False, 0, [])
            blocks.push(True, show, taken or show)
        elif tag.kind == "block-close":
            frame = blocks.pop()
            modelled = frame[0] if frame is not None else False
            if not modelled and visible():
                out.append(tag.raw)
        elif tag.kind == "variable" and visible():
            value = lookup(values, tag.field or "", folded)
            if value is not None and value != "":
                out.append(str(value))
            elif tag.fallback is not None:
                out.append(tag.fallback)
            elif special_kind(tag.raw, platform):
                out.append(tag.raw)  # *|UNSUB|*: the platform fills it in, not the row
            else:
                out.append("")
        elif visible():
            out.append(tag.raw)
    if visible():
        out.append(text[position:])
    return "".join(out)
