"""Platform merge dialects, read from rules/dialects/*.yaml.

This module holds what the rest of the engine needs today: platform names and
aliases, and each platform's special tags (unsubscribe, postal address, view
online, preferences). The tokenizer and renderer build on the same files.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import yaml

from preflight.resources import rules_dir

SPECIAL_KINDS = ("unsubscribe", "postal_address", "view_online", "preferences")


@dataclass(frozen=True)
class Dialect:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    special: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Regular expressions (as text) per special kind; compiled together on first use."""


@functools.cache
def dialects() -> dict[str, Dialect]:
    found: dict[str, Dialect] = {}
    for path in sorted((rules_dir() / "dialects").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        special = {
            kind: tuple((data.get("special") or {}).get(kind) or ()) for kind in SPECIAL_KINDS
        }
        dialect = Dialect(
            name=data["name"],
            label=data.get("label", data["name"]),
            aliases=tuple(data.get("aliases") or ()),
            special=special,
        )
        found[dialect.name] = dialect
    return found


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
    "unsubscribe": ("unsub", "preference", "profile", "subscription", "asm_"),
    "postal_address": ("addr", "sender-info"),
    "view_online": ("view", "archive", "mirror", "webversion", "web_view", "webcopy"),
    "preferences": ("preference", "profile"),
}
_WINDOW = 120


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
            if pattern.search(text, max(0, index - _WINDOW), index + _WINDOW) is not None:
                return True
            index = lowered.find(keyword, index + len(keyword))
    return False
