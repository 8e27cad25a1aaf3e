"""audiences.yaml (DESIGN.md, Contracts): who a send goes to, and the fields they have.

Read once per run. Problems are findings on the audiences file (PF001 when it
does not parse, PF003 when it does not fit the schema); what could be read is
still used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight.formats import read_yaml_file
from preflight.model import Audience, Location, Span, Violation
from preflight.suggest import did_you_mean
from preflight.yamlio import YamlDocument

KINDS = ("production", "test", "seed", "suppression")
CONSENTS = ("marketing", "transactional")
KEYS = ("kind", "locale", "timezone", "consent", "tags", "fields", "members", "defaults")
__all__ = ["CONSENTS", "KEYS", "KINDS", "Audience", "Audiences", "load_audiences"]


@dataclass
class Audiences:
    path: Path
    items: dict[str, Audience] = field(default_factory=dict)
    problems: list[tuple[str, Violation]] = field(default_factory=list)
    text: str | None = None
    invalid: bool = False
    """True when the document as a whole does not fit the schema (PF003): its names mean
    nothing, so no send is judged by them."""


def load_audiences(path: Path, max_bytes: int) -> Audiences:
    result = Audiences(path)
    read = read_yaml_file(path, max_bytes)
    result.text = read.text
    if read.problem is not None or read.document is None:
        result.problems.extend([read.problem] if read.problem else [])
        result.invalid = True
        return result
    document = read.document
    data = document.data
    root = data.get("audiences") if isinstance(data, dict) else None
    if not isinstance(root, dict):
        result.problems.append(
            (
                "PF003",
                Violation(
                    'an audiences file is a mapping with an "audiences" key of named audiences',
                    Location(path, _at(document, "audiences")),
                    {"reason": "shape"},
                ),
            )
        )
        result.invalid = True
        return result
    for name, entry in root.items():
        audience = _audience(path, document, str(name), entry, result.problems)
        result.items[audience.name] = audience
    return result


def _help(word: str, choices: tuple[str, ...]) -> str:
    match = did_you_mean(word, choices)
    return f'did you mean "{match}"?' if match else "one of: " + ", ".join(choices)


def _at(document: YamlDocument, *keys: str) -> Span | None:
    position = document.position(*keys)
    return Span.point(*position) if position else None


def _audience(
    path: Path,
    document: YamlDocument,
    name: str,
    entry: Any,
    problems: list[tuple[str, Violation]],
) -> Audience:
    here = Location(path, _at(document, "audiences", name))
    if entry is None:
        entry = {}
    if not isinstance(entry, dict):
        problems.append(
            (
                "PF003",
                Violation('audience "{audience}" must be a mapping', here, {"audience": name}),
            )
        )
        return Audience(name, here)

    def problem(key: str, message: str, help_text: str | None = None, **data: Any) -> None:
        where = Location(path, _at(document, "audiences", name, key))
        problems.append(
            (
                "PF003",
                Violation(message, where, {"audience": name, "key": key, **data}, help=help_text),
            )
        )

    values: dict[str, Any] = {}
    for key, value in entry.items():
        key = str(key)
        if key not in KEYS:
            problem(key, 'unknown key "{key}" in audience "{audience}"', _help(key, KEYS))
        elif key in ("kind", "consent"):
            allowed = KINDS if key == "kind" else CONSENTS
            if value not in allowed:
                problem(
                    key,
                    '"{key}" of audience "{audience}" must be one of {allowed}, not "{value}"',
                    _help(str(value), allowed),
                    allowed=", ".join(allowed),
                    value=str(value),
                )
            else:
                values[key] = value
        elif key in ("tags", "fields"):
            if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
                problem(key, '"{key}" of audience "{audience}" must be a list of names')
            else:
                values[key] = tuple(str(v) for v in value)
        elif key == "defaults":
            scalars = (str, int, float)
            if not isinstance(value, dict) or not all(
                isinstance(k, scalars) and isinstance(v, scalars) and not isinstance(v, bool)
                for k, v in value.items()
            ):
                problem(
                    key,
                    '"{key}" of audience "{audience}" must map field names to their default values',
                    'for example defaults: {FNAME: "there"}',
                )
            else:
                values[key] = {str(k): str(v) for k, v in value.items()}
        elif key == "members":
            if not isinstance(value, str) or not value.strip():
                problem(key, '"{key}" of audience "{audience}" must be a path to a CSV file')
            else:
                values[key] = path.parent / value
        elif key in ("timezone", "locale"):
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip():
                example = "Europe/London" if key == "timezone" else "en-GB"
                problem(
                    key,
                    '"{key}" of audience "{audience}" must be a name such as {example}',
                    None,
                    example=example,
                )
            else:
                values[key] = value.strip()
    fields_at = _at(document, "audiences", name, "fields") if "fields" in values else None
    zone_at = _at(document, "audiences", name, "timezone") if "timezone" in values else None
    defaults_at = _at(document, "audiences", name, "defaults") if "defaults" in values else None
    return Audience(
        name,
        here,
        kind=values.get("kind", "production"),
        locale=values.get("locale"),
        timezone=values.get("timezone"),
        consent=values.get("consent"),
        tags=values.get("tags", ()),
        fields=values.get("fields"),
        fields_location=Location(path, fields_at) if fields_at else None,
        members=values.get("members"),
        timezone_location=Location(path, zone_at) if zone_at else None,
        defaults=values.get("defaults", {}),
        defaults_location=Location(path, defaults_at) if defaults_at else None,
    )
