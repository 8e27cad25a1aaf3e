"""Personal fields by meaning (rules/fields.yaml): what a field name stands for.

``FNAME``, ``first_name``, ``contact.firstname`` and ``{{lead.First Name}}`` all
mean a first name; the MERGE rules judge greetings, URLs and near misses by that
meaning, whatever the platform calls the field.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from preflight.resources import load_data, rules_dir

_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Vocabulary:
    meanings: dict[str, str]
    """Folded name -> meaning ("fname" -> "first_name")."""
    roles: dict[str, str]
    """Meaning -> role ("first_name" -> "first")."""
    greeting_roles: frozenset[str]
    formal_greeting_roles: frozenset[str]
    text_roles: frozenset[str]
    personal_roles: frozenset[str]
    informal_greetings: tuple[str, ...]
    formal_greetings: tuple[str, ...]


def fold(name: str) -> str:
    """A field name lowered, with everything but letters and digits removed."""
    return _NOT_ALNUM.sub("", name.lower())


@functools.cache
def vocabulary() -> Vocabulary:
    data = load_data(rules_dir() / "fields.yaml")
    meanings: dict[str, str] = {}
    roles: dict[str, str] = {}
    for meaning, entry in data["fields"].items():
        roles[meaning] = entry["role"]
        meanings[fold(meaning)] = meaning
        for name in entry["names"]:
            meanings.setdefault(fold(str(name)), meaning)
    greetings = data["greetings"]
    return Vocabulary(
        meanings=meanings,
        roles=roles,
        greeting_roles=frozenset(data["greeting_roles"]),
        formal_greeting_roles=frozenset(data["formal_greeting_roles"]),
        text_roles=frozenset(data["text_roles"]),
        personal_roles=frozenset(data["personal_roles"]),
        informal_greetings=tuple(sorted(greetings["informal"], key=len, reverse=True)),
        formal_greetings=tuple(sorted(greetings["formal"], key=len, reverse=True)),
    )


def meaning(name: str) -> str | None:
    """What a bare field name stands for ("first_name", "email", …), or None."""
    return vocabulary().meanings.get(fold(name))


def role(name: str) -> str | None:
    found = meaning(name)
    return vocabulary().roles.get(found) if found else None
