"""MERGE002 foreign-dialect and MERGE011 mixed-dialects: tags of another platform."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from preflight.checks.merge._common import (
    Options,
    _article,
    _declared,
    _is_special,
    _shown,
    _Text,
    _texts,
)
from preflight.checks.merge.malformed import _tokens
from preflight.dialects import (
    Dialect,
    dialects,
    signatures,
    tokenize,
)
from preflight.fields import meaning
from preflight.footer import sure_platform
from preflight.model import (
    Related,
    Template,
    Violation,
)
from preflight.tagscan import (
    platform_of,
    signature_hits,
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
        sure = sure_platform(template) == main  # nothing declared (see above): detection
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
