"""Template exports in JSON: SendGrid template versions, Postmark templates, Braze archives.

Shapes come from each platform's documented API objects. Detection is by keys,
so a file is recognised whatever it is called.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from preflight.formats import Loaded
from preflight.formats.decode import without_surrogates
from preflight.model import Location, Part, Sourced, Span, Template, Violation
from preflight.model.source import HtmlDocument, SourceText
from preflight.preheader import hidden_preheader
from preflight.sfmcnames import EXPORT_NAME

TEMPLATE_SHAPES = ("sendgrid", "postmark", "braze")


def detect_shape(data: Any) -> str | None:
    """Which template export a parsed JSON document is, if any."""
    if not isinstance(data, dict):
        return None
    if "html_content" in data or "plain_content" in data:
        return "sendgrid"
    versions = data.get("versions")
    if isinstance(versions, list) and data.get("generation") in ("dynamic", "legacy"):
        return "sendgrid"
    if ("HtmlBody" in data or "TextBody" in data) and (
        "Subject" in data or "TemplateType" in data or "Name" in data
    ):
        return "postmark"
    if "html_body" in data and ("dispatch_id" in data or "campaign_id" in data):
        return "braze"
    return None


_EXPORT_KEYS = re.compile(
    r'"(?:html_content|plain_content|HtmlBody|TextBody|LayoutTemplate|TemplateType|html_body'
    r'|plaintext_body|assetType|archive_html|plain_text|variate_contents)"\s*:'
)


def looks_like_export(path: Path, text: str | None) -> bool:
    """True when a JSON file that does not parse says by its name (sfmc-devtools' asset
    files) or its keys that it is a template export: a broken export is reported (PF001),
    never dropped from a folder run as a file of no known kind."""
    if EXPORT_NAME.search(path.name):
        return True
    return text is not None and _EXPORT_KEYS.search(text[:100_000]) is not None


def _key_position(text: str, key: str, occurrence: int = 0) -> tuple[int, int] | None:
    """(line, column) of the ``occurrence``-th ``"key":`` in the file's text."""
    pattern = re.compile(r'"' + re.escape(key) + r'"\s*:')
    match = None
    for index, found in enumerate(pattern.finditer(text)):
        if index == occurrence:
            match = found
            break
    if match is None:
        return None
    line_start = text.rfind("\n", 0, match.start()) + 1
    return text.count("\n", 0, match.start()) + 1, match.start() - line_start + 1


def load_export(path: Path, text: str, data: Mapping[str, Any], shape: str) -> Loaded:
    fields: dict[str, Any] = {}
    pointers: dict[Part, str] = {}
    loaded = Loaded()

    # a SendGrid template lists its versions: positions and pointers are the chosen one's
    prefix, version = "", 0
    if shape == "sendgrid":
        prefix, version = _sendgrid_pointer(data)

    def occurrence(key: str) -> int:
        """How many earlier versions also have ``key`` (the JSON text lists them in order)."""
        versions = data.get("versions") if prefix else None
        if not isinstance(versions, list):
            return 0
        return sum(1 for v in versions[:version] if isinstance(v, dict) and key in v)

    def position(key: str) -> tuple[int, int] | None:
        if prefix and key not in record:
            return None  # a later version's key is not this one's
        return _key_position(text, key, occurrence(key))

    def where(key: str, part: Part) -> Location:
        found = position(key)
        span = Span.point(*found, len(key) + 2) if found else None
        return Location(path, span, part, f"{prefix}/{key}")

    def string(record: Mapping[str, Any], key: str) -> str | None:
        value = record.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            loaded.problems.append(
                (
                    "PF003",
                    Violation('"{key}" must be a string', where(key, Part.HEADERS), {"key": key}),
                )
            )
            return None
        return without_surrogates(value)

    record: Mapping[str, Any] = data
    if shape == "sendgrid":
        record = _sendgrid_version(data)
        html_key, text_key, subject_key = "html_content", "plain_content", "subject"
        fields["platform"] = Sourced("sendgrid", "format")
    elif shape == "postmark":
        html_key, text_key, subject_key = "HtmlBody", "TextBody", "Subject"
        fields["platform"] = Sourced("postmark", "format")
        stream = string(record, "MessageStream")
        if stream:
            category = "marketing" if stream.lower().startswith("broadcast") else "transactional"
            fields["category"] = Sourced(category, "format")
        sender = string(record, "From")
        if sender:
            fields["sender"] = Sourced(sender, "format", where("From", Part.HEADERS))
    else:
        html_key, text_key, subject_key = "html_body", "plaintext_body", "subject"
        fields["platform"] = Sourced("braze", "format")
        name, address = string(record, "from_name"), string(record, "from_address")
        if address:
            fields["sender"] = Sourced(f"{name} <{address}>" if name else address, "format")
    subject = string(record, subject_key)
    fields["subject"] = Sourced(subject or "", "format", where(subject_key, Part.SUBJECT))
    html = string(record, html_key)
    if html:
        line, column = position(html_key) or (1, 1)
        document = HtmlDocument(SourceText(html, line, exact=False, first_column=column))
        fields["html"] = document
        pointers[Part.HTML] = f"{prefix}/{html_key}"
        if "preheader" not in fields:  # none of the export's own: its HTML's preview text
            fields["preheader"] = hidden_preheader(document, path)
    plain = string(record, text_key)
    if plain:
        line, column = position(text_key) or (1, 1)
        fields["text"] = SourceText(plain, line, exact=False, first_column=column)
        fields["text_path"] = path
        pointers[Part.TEXT] = f"{prefix}/{text_key}"
    pointers[Part.SUBJECT] = f"{prefix}/{subject_key}"
    loaded.template = Template(
        path=path,
        format=shape,
        subject_knowable=True,
        pointers=pointers,
        sources={path: SourceText(text)},
        **fields,
    )
    return loaded


def _sendgrid_pointer(data: Mapping[str, Any]) -> tuple[str, int]:
    """The JSON pointer prefix of the version _sendgrid_version picks, and its index."""
    versions = data.get("versions")
    if not isinstance(versions, list) or "html_content" in data:
        return "", 0
    chosen = _sendgrid_version(data)
    for index, version in enumerate(versions):
        if version is chosen:
            return f"/versions/{index}", index
    return "", 0


def _sendgrid_version(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A template with versions exports its active version (or its first)."""
    versions = data.get("versions")
    if not isinstance(versions, list) or "html_content" in data:
        return data
    candidates = [v for v in versions if isinstance(v, dict)]
    for version in candidates:
        if version.get("active") in (1, True):
            return version
    return candidates[0] if candidates else data


def parse_json(text: str) -> Any:
    return json.loads(text)
