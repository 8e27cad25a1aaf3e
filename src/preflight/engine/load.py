"""Load one input: read it, sniff what it is, hand it to its format's loader.

Loading returns what it found — a template, a platform workflow export, a native
workflow, nothing, or only problems — as a value; no exception stands for a kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight.discovery import InputFile
from preflight.formats import Loaded, invalid_json
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.model import Location, Template, Violation


@dataclass(frozen=True)
class Export:
    """A platform workflow export (HubSpot, Klaviyo, Mautic, n8n…), read and parsed."""

    platform: str
    text: str
    data: Any


@dataclass
class Sniffed:
    """What an input turned out to be."""

    kind: str
    """template | export | unknown-json | nothing | unreadable"""
    template: Template | None = None
    export: Export | None = None
    problems: list[tuple[str, Violation]] = field(default_factory=list)


def load(item: InputFile, max_bytes: int) -> Sniffed:
    """Read a template input (html, eml or json). Raises UnreadableInput for a file that
    cannot be read (the caller reports PF001 with its reason)."""
    if item.kind == "html":
        from preflight.formats.html import load_html

        return _template(load_html(item.path, max_bytes))
    if item.kind == "eml":
        from preflight.formats.eml import load_eml  # the email package costs 30 ms to import

        return _template(load_eml(item.path, max_bytes))
    return _json(item, max_bytes)


def _template(loaded: Loaded) -> Sniffed:
    kind = "template" if loaded.template is not None else "unreadable"
    return Sniffed(kind, loaded.template, problems=list(loaded.problems))


def _json(item: InputFile, max_bytes: int) -> Sniffed:
    from preflight.formats.esp_json import detect_shape, load_export

    try:
        text, _ = decode(read_bytes(item.path, max_bytes))
    except UnreadableInput:
        if not item.explicit:
            return Sniffed("nothing")  # a walked .json that cannot be sniffed is of no known kind
        raise
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, or a 5,000-digit number
        if not item.explicit:
            return Sniffed("nothing")
        return Sniffed("unreadable", problems=[("PF001", invalid_json(item.path, error))])
    shape = detect_shape(data)
    if shape is not None:
        return _template(load_export(item.path, text, data, shape))
    from preflight.importers import detect

    platform = detect(data)
    if platform is not None:
        return Sniffed("export", export=Export(platform, text, data))
    if not item.explicit:
        return Sniffed("nothing")
    violation = Violation(
        "not a platform export preflight recognises (SendGrid or Postmark template,"
        " Braze message archive, HubSpot, Klaviyo, Mautic or n8n workflow)",
        Location(item.path),
        {"reason": "unknown-shape"},
    )
    return Sniffed("unknown-json", problems=[("PF001", violation)])


def unreadable(path: Path, error: UnreadableInput) -> Violation:
    return Violation("{detail}", Location(path), {**error.data, "detail": error.reason})
