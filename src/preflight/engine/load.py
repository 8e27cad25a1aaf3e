"""Load one input: read it, sniff what it is, hand it to its format's loader.

Loading returns what it found — a template, a platform workflow export, a native
workflow, nothing, or only problems — as a value; no exception stands for a kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preflight.config import Config
from preflight.discovery import InputFile
from preflight.formats import Loaded, invalid_json
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.model import Location, Template, Violation
from preflight.model.source import HtmlDocument, SourceText
from preflight.preheader import composed_preheader

if TYPE_CHECKING:
    from preflight.compose import Composed


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


def load(item: InputFile, config: Config) -> Sniffed:
    """Read a template input (html, eml, json, or a source: mjml, hbs, twig), composed or
    compiled into the email as it is sent. Raises UnreadableInput for a file that cannot
    be read (the caller reports PF001 with its reason)."""
    max_bytes = config.max_file_size
    if item.kind in ("html", "mjml", "hbs", "twig", "ejs"):
        text, _ = decode(read_bytes(item.path, max_bytes))
        from preflight.compose import compose

        composed = compose(item.path, item.kind, text, config, item.built_from)
        if composed is not None:
            return _composed(item.path, text, composed, max_bytes)
        from preflight.formats.html import load_html

        return _template(load_html(item.path, max_bytes, text))
    if item.kind == "eml":
        from preflight.formats.eml import load_eml  # the email package costs 30 ms to import

        return _template(load_eml(item.path, max_bytes))
    return _json(item, config)


def _template(loaded: Loaded) -> Sniffed:
    kind = "template" if loaded.template is not None else "unreadable"
    return Sniffed(kind, loaded.template, problems=list(loaded.problems))


def _json(item: InputFile, config: Config) -> Sniffed:
    from preflight.formats.esp_json import detect_shape, load_export, looks_like_export

    max_bytes = config.max_file_size

    try:
        text, _ = decode(read_bytes(item.path, max_bytes))
    except UnreadableInput:
        if not item.explicit and not looks_like_export(item.path, None):
            return Sniffed("nothing")  # a walked .json that cannot be sniffed is of no known kind
        raise
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, or a 5,000-digit number
        if not item.explicit and not looks_like_export(item.path, text):
            return Sniffed("nothing")
        return Sniffed("unreadable", problems=[("PF001", invalid_json(item.path, error))])
    from preflight.compose import compose_json

    composed = compose_json(item.path, text, data, config)
    if composed is not None:
        if composed.role is not None:
            return Sniffed(composed.role)  # a platform's layout or content block
        return _composed(item.path, text, composed, max_bytes)
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
        " Mailchimp campaign content, Salesforce Marketing Cloud Content Builder email,"
        " Braze message archive, HubSpot, Klaviyo, Mautic, n8n or Journey Builder workflow)",
        Location(item.path),
        {"reason": "unknown-shape"},
    )
    return Sniffed("unknown-json", problems=[("PF001", violation)])


def _composed(path: Path, text: str, composed: Composed, max_bytes: int) -> Sniffed:
    """The template of a composed or compiled email: its html and text are the composed
    ones; every file read is a source (for source lines); the maps lead back to them."""
    from preflight.formats.html import load_html

    export = path.suffix.lower() == ".json"  # a platform's JSON: no sibling .txt to look for
    if composed.html is None and (composed.text is None or not export):
        return Sniffed("unreadable", problems=list(composed.problems))
    html = HtmlDocument(SourceText(composed.html)) if composed.html is not None else None
    plain = load_html(path, max_bytes, text) if composed.text is None and not export else None
    fields: dict[str, Any] = {}
    if composed.text is not None:
        fields["text"] = SourceText(composed.text)
        fields["text_path"] = composed.text_path or path.with_suffix(".txt")
        fields["text_map"] = composed.text_map
    elif plain is not None and plain.template is not None and plain.template.text is not None:
        fields["text"] = plain.template.text
        fields["text_path"] = plain.template.text_path
    sources = dict(composed.files)
    if html is not None and not export:  # an export's subject is on the JSON file's own lines
        sources[path] = html.source
    if fields.get("text_path") is not None and fields["text_path"] not in sources:
        sources[fields["text_path"]] = fields["text"]
    fields.update(composed.values)
    if "preheader" not in fields and html is not None:  # the composed HTML's preview text
        fields["preheader"] = composed_preheader(html, path)
    template = Template(
        path=path,
        format="html",
        html=html,
        sources=sources,
        html_map=composed.html_map,
        built_from=composed.built_from,
        parts=tuple(composed.parts),
        subject_knowable="subject" in composed.values,
        **fields,
    )
    problems = list(composed.problems) + (list(plain.problems) if plain is not None else [])
    return Sniffed("template", template, problems=problems)


def unreadable(path: Path, error: UnreadableInput) -> Violation:
    return Violation("{detail}", Location(path), {**error.data, "detail": error.reason})
