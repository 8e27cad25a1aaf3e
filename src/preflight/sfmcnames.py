"""sfmc-devtools' (mcdev's) file names for Salesforce Marketing Cloud Content Builder
assets, in one place for discovery, composition and format detection.

mcdev keeps each asset as ``<key>.asset-<kind>-meta.json`` (kind: message, template,
block) and extracts its content beside it: a message's HTML to
``views.html.content.asset-message-meta.html`` (its preheader and text views to
``views.preheader…amp`` and ``views.text…amp``, its slots' blocks to
``blocks/views.html.slots.[slot-block]….html``), a template's to
``content.asset-template-meta.html``, a block's to ``<key>.asset-block-meta.html`` (or
``.amp``, ``.ssjs``).
"""

from __future__ import annotations

import re
from pathlib import Path

KINDS = ("message", "template", "block")
MESSAGE_HTML = "views.html.content.asset-message-meta.html"
TEMPLATE_HTML = "content.asset-template-meta.html"
MESSAGE_PREHEADER = "views.preheader.content.asset-message-meta.amp"
MESSAGE_TEXT = "views.text.content.asset-message-meta.amp"
SLOTS_PREFIX = "views.html.slots"
"""The file-name prefix of the blocks mcdev extracts from a message's slots."""
VIEWS_PREFIX = "views."
EXPORT_NAME = re.compile(r"\.asset-(?:message|template|block)-meta\.json$", re.IGNORECASE)
"""An asset's JSON file, by name."""
_SCRIPTS = ("-meta.amp", "-meta.ssjs")


def json_suffix(kind: str) -> str:
    return f".asset-{kind}-meta.json"


def html_suffix(kind: str) -> str:
    return f".asset-{kind}-meta.html"


def asset_kind(name: str) -> str | None:
    """The kind of an asset's JSON file ``<key>.asset-<kind>-meta.json``, else None."""
    lower = name.lower()
    return next((kind for kind in KINDS if lower.endswith(json_suffix(kind))), None)


def message_json(key: str) -> str:
    return f"{key}{json_suffix('message')}"


def message_script(key: str) -> str:
    """A message's text view as mcdev may name it after its key."""
    return f"{key}.asset-message-meta.amp"


def block_json(key: str) -> str:
    return f"{key}{json_suffix('block')}"


def template_json(key: str) -> str:
    return f"{key}{json_suffix('template')}"


def content_files(path: Path) -> list[Path]:
    """Where mcdev extracts the content of the asset whose JSON is ``path``, in the order
    they are tried: a message's HTML view, a template's HTML, a block's HTML, AMPscript or
    SSJS file. Empty for a file that is no asset JSON."""
    kind = asset_kind(path.name)
    if kind == "message":
        return [path.with_name(MESSAGE_HTML)]
    if kind == "template":
        return [path.with_name(TEMPLATE_HTML)]
    if kind == "block":
        stem = path.name[: -len(".json")]
        return [path.with_name(stem + ext) for ext in (".html", ".amp", ".ssjs")]
    return []


def is_asset_file(name: str) -> bool:
    """Any of mcdev's asset files (``.asset-`` in the name)."""
    return ".asset-" in name.lower()


def is_script(name: str) -> bool:
    """An AMPscript or SSJS view mcdev keeps beside an asset's JSON."""
    return is_asset_file(name) and name.lower().endswith(_SCRIPTS)


def is_extracted_block(name: str) -> bool:
    """A block's content mcdev extracted into a message's blocks/ folder, by name."""
    return name.lower().endswith(("-meta.html", "-meta.amp"))


def is_block_html(name: str) -> bool:
    return name.lower().endswith(html_suffix("block"))


def is_template_html(name: str) -> bool:
    return name.lower().endswith(html_suffix("template"))


def is_message_html(name: str) -> bool:
    return name.lower() == MESSAGE_HTML
