"""Template JSON from platforms' APIs, composed as sent, with positions in the JSON file.

- Mailchimp campaign content (GET /3.0/campaigns/{id}/content): ``html`` (what is sent;
  ``archive_html`` is the web archive's copy), ``plain_text``; an A/B campaign's
  ``variate_contents`` when it has no ``html`` of its own (its first variation).
- Postmark templates (GET /templates/{id}, or a file per template as synced): a
  ``TemplateType: Layout`` is a layout; a Standard template whose ``LayoutTemplate`` is
  the ``Alias`` of a layout among the JSON files beside it is sent inside it, at its
  ``{{{ @content }}}``. A Postmark template without a layout is read by formats/esp_json.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from preflight.compose import Builder, Composed
from preflight.compose.jsontext import Text, json_text, literal_location, string_literals
from preflight.compose.postmark import CONTENT
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.model import Location, Part, Sourced, Violation
from preflight.model.source import SourceText

MAX_SIBLINGS = 500
"""JSON files beside a Postmark template searched for its layout."""


def is_mailchimp(data: dict[str, Any]) -> bool:
    has_body = isinstance(data.get("html"), str) or isinstance(data.get("plain_text"), str)
    variate = isinstance(data.get("variate_contents"), list)
    marks = "_links" in data or "archive_html" in data or "plain_text" in data
    return (has_body and marks) or (variate and "_links" in data)


def is_postmark(data: dict[str, Any]) -> bool:
    return ("HtmlBody" in data or "TextBody" in data) and (
        "Subject" in data or "TemplateType" in data or "Name" in data or "Alias" in data
    )


def compose_export(path: Path, raw: str, data: dict[str, Any], max_bytes: int) -> Composed | None:
    if is_postmark(data):
        if data.get("TemplateType") == "Layout":
            return Composed(role="layout")
        layout = data.get("LayoutTemplate")
        if isinstance(layout, str) and layout.strip():
            return _postmark(path, raw, data, layout.strip(), max_bytes)
        return None
    if is_mailchimp(data):
        return _mailchimp(path, raw, data)
    return None


def _mailchimp(path: Path, raw: str, data: dict[str, Any]) -> Composed:
    literals = string_literals(raw)
    composed = Composed(files={path: SourceText(raw)})
    composed.values["platform"] = Sourced("mailchimp", "format", Location(path))
    prefix = ""
    if not isinstance(data.get("html"), str) and isinstance(data.get("variate_contents"), list):
        for index, variate in enumerate(data["variate_contents"]):
            if isinstance(variate, dict) and isinstance(variate.get("html"), str):
                prefix = f"/variate_contents/{index}"
                break
    html = json_text(path, raw, literals, prefix + "/html")
    composed.html, composed.html_map = _copied(html, composed)
    plain = json_text(path, raw, literals, prefix + "/plain_text")
    if plain is not None and plain.value.strip():
        composed.text, composed.text_map = _copied(plain, composed)
        composed.text_path = path
    if composed.html is None and composed.text is None:
        composed.problems.append(
            (
                "PF003",
                Violation(
                    'the campaign content has no "html" and no "plain_text"',
                    Location(path),
                    {"reason": "no-html"},
                    help="export the campaign's content after its HTML is set",
                ),
            )
        )
    return composed


def _copied(text: Text | None, composed: Composed) -> tuple[str | None, Any]:
    if text is None:
        return None, None
    builder = Builder()
    text.copy(builder, 0, len(text.value))
    return builder.text(), builder.locator(composed.files)


def _postmark(path: Path, raw: str, data: dict[str, Any], alias: str, max_bytes: int) -> Composed:
    literals = string_literals(raw)
    composed = Composed(files={path: SourceText(raw)})
    composed.values["platform"] = Sourced("postmark", "format", Location(path))
    subject = data.get("Subject")
    if isinstance(subject, str):
        where = literal_location(path, raw, literals, "/Subject", Part.SUBJECT)
        composed.values["subject"] = Sourced(subject, "format", where)
    stream = data.get("MessageStream")
    if isinstance(stream, str) and stream:
        category = "marketing" if stream.lower().startswith("broadcast") else "transactional"
        where = literal_location(path, raw, literals, "/MessageStream", None)
        composed.values["category"] = Sourced(category, "format", where)
    sender = data.get("From")
    if isinstance(sender, str) and sender:
        where = literal_location(path, raw, literals, "/From", Part.HEADERS)
        composed.values["sender"] = Sourced(sender, "format", where)
    html = json_text(path, raw, literals, "/HtmlBody")
    plain = json_text(path, raw, literals, "/TextBody")
    layout = _layout(path, alias, max_bytes)
    if layout is None:
        composed.problems.append(
            (
                "PF003",
                Violation(
                    'layout "{layout}" is not among the JSON files beside this template',
                    literal_location(path, raw, literals, "/LayoutTemplate", None),
                    {"layout": alias, "reason": "layout-not-found"},
                    help="export the layout with the template, into the same folder",
                ),
            )
        )
        composed.html, composed.html_map = _copied(html, composed)
        if plain is not None and plain.value.strip():
            composed.text, composed.text_map = _copied(plain, composed)
            composed.text_path = path
        return composed
    layout_path, layout_raw = layout
    layout_literals = string_literals(layout_raw)
    composed.files[layout_path] = SourceText(layout_raw)
    composed.parts.append((layout_path, "layout"))
    layout_html = json_text(layout_path, layout_raw, layout_literals, "/HtmlBody")
    composed.html, composed.html_map = _inside(layout_html, html, composed)
    layout_text = json_text(layout_path, layout_raw, layout_literals, "/TextBody")
    if plain is not None and plain.value.strip():
        composed.text, composed.text_map = _inside(layout_text, plain, composed)
        composed.text_path = path
    return composed


def _inside(
    layout: Text | None, content: Text | None, composed: Composed
) -> tuple[str | None, Any]:
    """The content at the layout's ``{{{ @content }}}`` (a layout without one shows no
    content, as Postmark sends it)."""
    if layout is None:
        return _copied(content, composed)
    builder = Builder()
    match = CONTENT.search(layout.value)
    if match is None:
        layout.copy(builder, 0, len(layout.value))
    else:
        layout.copy(builder, 0, match.start())
        if content is not None:
            content.copy(builder, 0, len(content.value))
        layout.copy(builder, match.end(), len(layout.value))
    return builder.text(), builder.locator(composed.files)


def _layout(path: Path, alias: str, max_bytes: int) -> tuple[Path, str] | None:
    """The Postmark layout whose Alias is ``alias``, among the JSON files beside ``path``."""
    try:
        names = sorted(n for n in os.listdir(path.parent) if n.lower().endswith(".json"))
    except OSError:
        return None
    for name in names[:MAX_SIBLINGS]:
        candidate = path.parent / name
        if candidate == path:
            continue
        try:
            text = decode(read_bytes(candidate, max_bytes))[0]
            data = json.loads(text)
        except (UnreadableInput, ValueError, RecursionError):
            continue
        if (
            isinstance(data, dict)
            and data.get("TemplateType") == "Layout"
            and data.get("Alias") == alias
        ):
            return candidate, text
    return None
