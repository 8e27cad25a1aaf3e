"""MERGE003 unknown-field: fields the audience or the platform does not have."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from preflight.checks.merge._common import Options, _article, _is_special, _shown, _texts
from preflight.dialects import (
    Dialect,
)
from preflight.fields import meaning
from preflight.model import (
    Part,
    Related,
    Severity,
    Template,
    Violation,
)
from preflight.suggest import did_you_mean
from preflight.tagscan import (
    TagSite,
    platform_of,
    tag_sites,
)

# -- MERGE003 unknown-field -------------------------------------------------------

_CONDITION_KEYWORDS = frozenset({"if", "unless", "#if", "#unless", "IF", "IFNOT", "elsif", "elif"})
_SIMPLE_FIELD = re.compile(r"[\w.${}:' |-]+")


_LOOP = re.compile(r"\{%-?\s*(?:for|tablerow)\s+(\w+)(?:\s*,\s*(\w+))?\s+in\b")
_LOCALS = re.compile(r"\{%-?\s*(?:assign|capture|set|with)\s+(\w+)")
_LOOP_NAMES = frozenset({"forloop", "tablerowloop", "this", "loop", "item", "@index", "@key"})
_SCOPES = frozenset({"#each", "#with", "#list", "FEEDITEMS", "RSSITEMS", "FEEDBLOCK", "RSSBLOCK"})
"""Blocks whose variables are an item's or a scope's, not the recipient's."""


def _locals(template: Template) -> frozenset[str]:
    """Names a template binds itself ({% assign x = … %}, {% capture x %}, {% with x=… %})."""
    found = set(_LOOP_NAMES)
    for text in _texts(template):
        if "{%" in text.text:
            found.update(m.group(1) for m in _LOCALS.finditer(text.text))
    return frozenset(found)


def _checked_fields(template: Template, dialect: Dialect) -> Iterator[tuple[TagSite, str]]:
    """(site, audience field name) for each readable tag that names an audience field.

    Tags inside loops and scopes ({{#each items}}, {% for p in items %}, a mustache
    section) and names the template binds itself are not the recipient's fields.
    """
    bound_here = _locals(template)
    scopes: dict[Part, _Scopes] = {}
    for site in tag_sites(template, dialect):
        tag = site.tag
        scope = scopes.get(site.part)
        if scope is None:
            scope = scopes[site.part] = _Scopes()
        keyword = (tag.keyword or "").strip()
        if tag.kind == "block-open":
            loop = _LOOP.match(tag.raw)
            if keyword in _SCOPES:
                scope.push(True, None, ())
            elif keyword == "#":  # a mustache section: its own field, then the scope's names
                scope.push(True, tag.field, ())
            elif loop is not None:
                scope.push(False, None, [n for n in loop.groups() if n])
            else:
                scope.push(False, None, ())
        elif tag.kind == "block-close":
            scope.pop()
        if not site.readable or not tag.field:
            continue
        if tag.kind == "block-open" and keyword not in _CONDITION_KEYWORDS:
            continue
        if tag.kind not in ("variable", "block-open"):
            continue
        if not _SIMPLE_FIELD.fullmatch(tag.field) or _is_special(dialect, tag.raw):
            continue
        head = re.split(r"[.|\s]", tag.field.strip(), maxsplit=1)[0]
        if head in bound_here or scope.bound[head]:
            continue
        if scope.opaque and (tag.kind == "block-open" or not scope.owners[tag.field]):
            continue
        name = dialect.audience_field(tag.field)
        if name:
            yield site, name


class _Scopes:
    """The blocks open at a tag of one part: what they bind, kept as counts so that each tag
    is judged in constant time however deep the blocks nest (20,000 nested {{#if}} took
    seconds when every tag looked at every open block)."""

    def __init__(self) -> None:
        self.frames: list[tuple[bool, str | None, tuple[str, ...]]] = []
        self.bound: Counter[str] = Counter()
        """Names the open loops bind ({% for p in items %}: p)."""
        self.opaque = 0
        """Open blocks whose tags are not the recipient's (a section, {{#each}}, {{#with}})."""
        self.owners: Counter[str] = Counter()
        """The fields those blocks open on (a mustache section's own field stays readable)."""

    def push(self, opaque: bool, own: str | None, names: Iterable[str]) -> None:
        frame = (opaque, own, tuple(names))
        self.frames.append(frame)
        self.bound.update(frame[2])
        if opaque:
            self.opaque += 1
            if own is not None:
                self.owners[own] += 1

    def pop(self) -> None:
        if not self.frames:
            return
        opaque, own, names = self.frames.pop()
        self.bound.subtract(names)
        if opaque:
            self.opaque -= 1
            if own is not None:
                self.owners[own] -= 1


def _standard_spelling(dialect: Dialect, name: str) -> str | None:
    """The platform's own spelling of a standard field that ``name`` misspells, if any."""
    if dialect.known(name):
        return None
    choices = sorted({*dialect.fields.values(), *dialect.system_fields})
    close = did_you_mean(name, choices, cutoff=0.8)
    if close:  # mobile_phone -> mobilephone, before "a phone number is phone"
        return close
    found = meaning(name)
    if found is not None and found in dialect.fields:
        return dialect.fields[found]
    return None


def unknown_field(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None:
        return
    known = template.known_fields
    extra = {dialect.fold(str(n)) for n in options["fields"]}
    known_folded = {dialect.fold(n) for n in known.names} if known is not None else set()
    reported: set[tuple[Part, str]] = set()
    spellings: dict[str, str | None] = {}  # a misspelt field is looked up once, not per tag
    for site, name in _checked_fields(template, dialect):
        folded = dialect.fold(name)
        if folded in extra or folded in known_folded or dialect.known(name):
            continue
        if (site.part, folded) in reported:
            continue
        if known is not None:
            suggestion = did_you_mean(name, [*known.names, *dialect.fields.values()])
            found = meaning(name)
            if suggestion is None and found is not None:
                suggestion = next((c for c in known.names if meaning(c) == found), None)
            reported.add((site.part, folded))
            yield Violation(
                '"{tag}" is not a field of {audience}',
                site.location,
                {
                    "tag": _shown(site.tag.raw),
                    "field": name,
                    "audience": known.label,
                    "suggestion": suggestion,
                },
                help=f'did you mean "{suggestion}"?'
                if suggestion
                else "add the field to the audience, or use one it has",
                related=(Related(known.location, "fields defined here"),) if known.location else (),
            )
            continue
        if dialect.open_fields:
            continue  # the sender's data decides; nothing to compare with
        if name not in spellings:
            spellings[name] = _standard_spelling(dialect, name)
        suggestion = spellings[name]
        if suggestion is None:
            continue
        reported.add((site.part, folded))
        yield Violation(
            '"{tag}" names "{field}", which is not {article} {platform} field',
            site.location,
            {
                "tag": _shown(site.tag.raw),
                "field": name,
                "platform": dialect.label,
                "article": _article(dialect.label),
                "suggestion": suggestion,
            },
            help=f'did you mean "{suggestion}"? {dialect.label} writes it'
            f" {dialect.write(suggestion)}",
            severity=Severity.WARNING,
        )
