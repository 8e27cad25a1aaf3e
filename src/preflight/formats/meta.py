"""The template sidecar, ``<stem>.meta.yaml`` (DESIGN.md, Contracts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight.formats import read_yaml_file
from preflight.formats.decode import UnreadableInput, check_companion
from preflight.model import Location, Part, Span, Violation
from preflight.suggest import did_you_mean
from preflight.yamlio import YamlDocument

STRING_KEYS = (
    "subject",
    "preheader",
    "from",
    "reply_to",
    "locale",
    "platform",
    "campaign",
    "audience",
    "layout",
)
CATEGORIES = ("marketing", "transactional")
ALL_KEYS = (*STRING_KEYS, "category", "audience_tags", "correction")


@dataclass
class Sidecar:
    path: Path
    values: dict[str, str] = field(default_factory=dict)
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    value_spans: dict[str, Span] = field(default_factory=dict)
    audience_tags: tuple[str, ...] = ()
    correction: dict[str, Any] | None = None
    readable: bool = False
    text: str | None = None
    """The file's text, when it could be read (for source lines and YAML suppressions)."""
    """True when the file parsed as a mapping (its keys may still have problems)."""
    problems: list[tuple[str, Violation]] = field(default_factory=list)

    def location(self, key: str, part: Part | None = None) -> Location:
        if key in self.value_spans:
            return Location(self.path, self.value_spans[key], part)
        position = self.positions.get(key)
        span = Span.point(*position, length=len(key)) if position else None
        return Location(self.path, span, part)


def sidecar_path(template_path: Path) -> Path:
    return template_path.with_name(template_path.stem + ".meta.yaml")


def load_sidecar(path: Path, max_bytes: int) -> Sidecar:
    sidecar = Sidecar(path)

    def problem(template: str, at: str | None = None, hint: str | None = None, **data: Any) -> None:
        location = sidecar.location(at) if at else Location(path)
        sidecar.problems.append(("PF003", Violation(template, location, data, help=hint)))

    try:
        check_companion(path)
    except UnreadableInput as error:
        detail = Violation("{detail}", Location(path), {**error.data, "detail": error.reason})
        sidecar.problems.append(("PF001", detail))
        return sidecar
    read = read_yaml_file(path, max_bytes)
    sidecar.text = read.text
    if read.problem is not None or read.document is None:
        sidecar.problems.extend([read.problem] if read.problem else [])
        return sidecar
    document = read.document
    data = document.data
    if data is None:
        sidecar.readable = True
        return sidecar
    if not isinstance(data, dict):
        problem(
            "metadata must be a mapping of keys to values, not {kind}", kind=type(data).__name__
        )
        return sidecar
    sidecar.readable = True
    _read_keys(sidecar, document, data, problem)
    return sidecar


def _read_keys(
    sidecar: Sidecar, document: YamlDocument, data: dict[Any, Any], problem: Any
) -> None:
    for key, value in data.items():
        name = str(key)
        position = document.position(name)
        if position:
            sidecar.positions[name] = position
        if name in STRING_KEYS:
            span = document.value_span(name)
            if span:
                sidecar.value_spans[name] = Span(*span)
        if name not in ALL_KEYS:
            match = did_you_mean(name, ALL_KEYS)
            hint = f'did you mean "{match}"?' if match else "known keys: " + ", ".join(ALL_KEYS)
            problem('unknown metadata key "{key}"', name, hint, key=name, suggestion=match)
            continue
        if name == "audience_tags":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problem('"{key}" must be a list of strings', name, key=name)
                continue
            sidecar.audience_tags = tuple(value)
        elif name == "correction":
            if not isinstance(value, dict):
                problem('"{key}" must be a mapping', name, key=name)
                continue
            misfits = _correction_problems(sidecar.path, document, value)
            sidecar.problems.extend(("PF003", violation) for violation in misfits)
            if not misfits:
                sidecar.correction = value
        elif name == "category":
            if value not in CATEGORIES:
                problem(
                    '"{key}" must be one of {allowed}, not "{value}"',
                    name,
                    key=name,
                    value=str(value),
                    allowed=", ".join(CATEGORIES),
                )
                continue
            sidecar.values[name] = str(value)
        else:
            if value is None:
                value = ""
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                problem('"{key}" must be a string', name, key=name)
                continue
            sidecar.values[name] = str(value)


def _correction_problems(
    path: Path, document: YamlDocument, block: dict[Any, Any]
) -> list[Violation]:
    """What in a `correction:` block does not fit its schema (kind, audience, fixes)."""
    from preflight.constants import CORRECTION_KEYS, FIX_KEYS
    from preflight.constants import CORRECTION_KINDS as KINDS

    found: list[Violation] = []

    def misfit(
        template: str, keys: tuple[str | int, ...], hint: str | None = None, **data: Any
    ) -> None:
        position = document.position("correction", *keys)
        span = Span.point(*position) if position else None
        found.append(Violation(template, Location(path, span), data, help=hint))

    for key, value in block.items():
        name = str(key)
        if name not in CORRECTION_KEYS:
            match = did_you_mean(name, CORRECTION_KEYS)
            hint = (
                f'did you mean "{match}"?' if match else "known keys: " + ", ".join(CORRECTION_KEYS)
            )
            misfit('unknown key "{key}" in "correction"', (name,), hint, key=name, suggestion=match)
        elif name == "kind" and value not in KINDS:
            misfit(
                '"correction.kind" must be one of {allowed}, not "{value}"',
                (name,),
                key="correction.kind",
                value=str(value),
                allowed=", ".join(KINDS),
            )
        elif name == "audience" and value is not None and not isinstance(value, str):
            misfit(
                '"correction.audience" must be an audience name', (name,), key="correction.audience"
            )
        elif name == "fixes":
            if not isinstance(value, list):
                misfit('"correction.fixes" must be a list', (name,), key="correction.fixes")
                continue
            for index, fix in enumerate(value):
                if not isinstance(fix, dict):
                    misfit(
                        '"correction.fixes" entries must be mappings of {allowed}',
                        (name, index),
                        key="correction.fixes",
                        allowed=", ".join(FIX_KEYS),
                    )
                    continue
                for fix_key, fix_value in fix.items():
                    if str(fix_key) not in FIX_KEYS:
                        misfit(
                            'unknown key "{key}" in a "correction.fixes" entry',
                            (name, index, str(fix_key)),
                            "known keys: " + ", ".join(FIX_KEYS),
                            key=str(fix_key),
                        )
                    elif fix_value is not None and not isinstance(fix_value, (str, int, float)):
                        misfit(
                            '"{key}" in a "correction.fixes" entry must be a string',
                            (name, index, str(fix_key)),
                            key=str(fix_key),
                        )
    if "kind" not in block:
        misfit(
            '"correction" needs a "kind"',
            (),
            "one of " + ", ".join(KINDS),
            key="correction.kind",
        )
    return found
