"""Salesforce Marketing Cloud Content Builder assets, as the REST API answers them
(GET /asset/v1/content/assets/{id}) and as sfmc-devtools (mcdev) keeps them on disk.

An email asset (``htmlemail``, ``templatebasedemail``) is its HTML view — its own
``views.html.content``, or the template it names — with each slot placeholder
(``<div data-type="slot" data-key="K">``) filled with the slot's content and each block
placeholder in it with the block's content; ``%%=ContentBlockByKey("k")=%%`` (ById,
ByName) is replaced by that block's content when the export holds it. Subject, preheader
and text part come from its views; a transactional send definition (``transactionalEmail``,
``triggeredSend``) in the same business unit that names the email makes it transactional.
Templates are layouts and content blocks partials: parts of emails, never emails.

mcdev's layout: ``<bu>/asset/message/<key>/<key>.asset-message-meta.json`` with
``views.html.content.asset-message-meta.html`` (and ``views.preheader.content…amp``,
``views.text.content…amp``, ``blocks/views.html.slots.[slot-block]…html``) beside it;
``<bu>/asset/template/<key>/content.asset-template-meta.html``;
``<bu>/asset/block/<key>.asset-block-meta.html``; definitions in
``<bu>/transactionalEmail/`` and ``<bu>/triggeredSend/``. The API's: an answer per file,
``<mid>/asset/v1/content/assets/<id>/get-response.json``, definitions in
``<mid>/messaging/v1/email/definitions/<key>/get-response.json``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight import sfmcnames
from preflight.compose import MAX_DEPTH, Builder, Composed, read_part
from preflight.compose.jsontext import (
    Text,
    file_text,
    json_text,
    literal_location,
    string_literals,
)
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.model import Location, Part, Sourced, Span, Violation
from preflight.model.source import SourceText

EMAILS = frozenset({"htmlemail", "templatebasedemail", "textonlyemail"})
MAX_ASSETS = 5000
"""Asset files an export is searched through for a block or template named by key, id or
name (mcdev's and the API's own file names are tried first, without a search)."""
MAX_DEFINITIONS = 2000
"""Send definition files read per definitions folder of a business unit."""

_PLACEHOLDER = re.compile(
    r"<div\b(?P<attrs>[^>]*\bdata-type\s*=\s*[\"']?(?:slot|block)\b[^>]*)>"
    r"|%%=\s*ContentBlockBy(?P<by>Key|Id|Name)\s*\(\s*"
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<num>\d+))[^)]*\)\s*=%%",
    re.IGNORECASE,
)
_TYPE = re.compile(r"\bdata-type\s*=\s*[\"']?(slot|block)\b", re.IGNORECASE)
_KEY = re.compile(r"\bdata-key\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)
_EMPTY_DIV = re.compile(r"\s*</div\s*>", re.IGNORECASE)


def asset_type(data: Any) -> str | None:
    """The Content Builder asset type of a parsed JSON document (``assetType.name``), or
    None when it is not an asset."""
    if not isinstance(data, dict):
        return None
    kind = data.get("assetType")
    if not isinstance(kind, dict) or not isinstance(kind.get("name"), str):
        return None
    if not {"customerKey", "views", "content", "id", "name"} & set(data):
        return None
    name: str = kind["name"].lower()
    return name


def role(kind: str) -> str | None:
    """ "email", "layout" (a template) or "partial" (a content block) for an asset type."""
    if kind in EMAILS:
        return "email"
    if kind == "template":
        return "layout"
    if kind.endswith("block") or kind == "dynamiccontent":
        return "partial"
    return None


# -- the export an asset belongs to --------------------------------------------------------
@dataclass
class Asset:
    """An asset read from the export: its JSON file, and where mcdev keeps its HTML."""

    path: Path
    raw: str
    data: dict[str, Any]
    literals: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path, max_bytes: int) -> Asset | None:
        try:
            raw = decode(read_bytes(path, max_bytes))[0]
            data = json.loads(raw)
        except (UnreadableInput, ValueError, RecursionError):
            return None
        if asset_type(data) is None:
            return None
        return cls(path, raw, data, string_literals(raw))

    def text(self, pointer: str) -> Text | None:
        return json_text(self.path, self.raw, self.literals, pointer)

    def content(self, max_bytes: int) -> tuple[Text, Path] | None:
        """A block's or template's own content: in its JSON (``content``), or in the file
        mcdev extracted it to."""
        found = self.text("/content")
        if found is not None and found.value.strip():
            return found, self.path
        candidates = []
        if sfmcnames.asset_kind(self.path.name) in ("template", "block"):
            candidates = sfmcnames.content_files(self.path)
        for candidate in candidates:
            text = read_part(candidate, max_bytes)
            if text is not None:
                return file_text(candidate, text), candidate
        return None


class Export:
    """The Content Builder export an asset file is in: the folder named ``asset`` above it
    (mcdev's ``<bu>/asset``, the API's ``<mid>/asset``), else the file's own folder."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        root = next((p for p in path.parents if p.name == "asset"), None)
        self.root = root if root is not None else path.parent
        self.unit = root.parent if root is not None else path.parent
        """The business unit's folder: its send definitions are in folders beside asset/."""
        self._signature: tuple[tuple[str, int, int], ...] | None = None

    def find(self, by: str, value: str) -> Asset | None:
        """The asset whose customerKey ("key"), id or name is ``value``."""
        value = value.strip()
        if not value:
            return None
        direct: list[Path] = []
        if by == "key":
            direct = [
                self.root / "block" / sfmcnames.block_json(value),
                self.root / "template" / value / sfmcnames.template_json(value),
            ]
        elif by == "id" and value.isdigit():
            direct = [self.root / "v1" / "content" / "assets" / value / "get-response.json"]
        for candidate in direct:
            if candidate.is_file():
                asset = Asset.read(candidate, self.max_bytes)
                if asset is not None and _matches(asset.data, by, value):
                    return asset
        if self._signature is None:
            self._signature = _signature(self.root, MAX_ASSETS)
        index = _index(str(self.root), self._signature, self.max_bytes)
        path = index.get((by, _name_key(value) if by == "name" else value))
        return Asset.read(Path(path), self.max_bytes) if path is not None else None

    def definitions(self) -> dict[str, tuple[str, str, str]]:
        """customerKey of an email -> (definition file, JSON pointer, kind) for each send
        definition of the business unit that names it."""
        return _definitions(str(self.unit), self.max_bytes)


def _matches(data: dict[str, Any], by: str, value: str) -> bool:
    if by == "key":
        return str(data.get("customerKey", "")).strip() == value
    if by == "id":
        return str(data.get("id", "")) == value
    return _name_key(str(data.get("name", ""))) == _name_key(value)


def _name_key(name: str) -> str:
    """ContentBlockByName takes a folder path ("Content Builder\\Footers\\Legal"); the
    asset's name is its last segment."""
    return re.split(r"[\\/]", name.strip())[-1].strip().lower()


def _signature(root: Path, limit: int) -> tuple[tuple[str, int, int], ...]:
    """The JSON files under ``root`` with their times and sizes, to know a cached index is
    still right (bounded: the first ``limit`` in a sorted walk)."""
    found: list[tuple[str, int, int]] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.lower().endswith(".json"):
                continue
            try:
                status = os.stat(os.path.join(directory, name))
            except OSError:
                continue
            found.append((os.path.join(directory, name), status.st_mtime_ns, status.st_size))
            if len(found) >= limit:
                return tuple(found)
    return tuple(found)


@functools.lru_cache(maxsize=8)
def _index(
    root: str, signature: tuple[tuple[str, int, int], ...], max_bytes: int
) -> dict[tuple[str, str], str]:
    """(key | id | name, value) -> asset file, over the export (once per process while its
    files do not change)."""
    index: dict[tuple[str, str], str] = {}
    for path, _, size in signature:
        if size > max_bytes:
            continue
        asset = Asset.read(Path(path), max_bytes)
        if asset is None:
            continue
        data = asset.data
        for by, value in (
            ("key", str(data.get("customerKey", "")).strip()),
            ("id", str(data.get("id", "")).strip()),
            ("name", _name_key(str(data.get("name", "")))),
        ):
            if value:
                index.setdefault((by, value), path)
    return index


_DEFINITION_FOLDERS = (
    # (folder under the business unit, file name pattern, pointer of the email's key, kind)
    ("transactionalEmail", ".transactionalEmail-meta.json", "/r__asset_key", "transactionalEmail"),
    ("triggeredSend", ".triggeredSend-meta.json", "/r__asset_key", "triggeredSend"),
    (
        os.path.join("messaging", "v1", "email", "definitions"),
        "get-response.json",
        "/content/customerKey",
        "transactionalEmail",
    ),
)


def _definitions(unit: str, max_bytes: int) -> dict[str, tuple[str, str, str]]:
    files: list[tuple[str, str, str]] = []
    for folder, ending, pointer, kind in _DEFINITION_FOLDERS:
        base = os.path.join(unit, folder)
        if not os.path.isdir(base):
            continue
        count = 0
        for directory, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(ending) and count < MAX_DEFINITIONS:
                    files.append((os.path.join(directory, name), pointer, kind))
                    count += 1
    stamps = []
    for path, _, _ in files:
        try:
            status = os.stat(path)
        except OSError:
            continue
        stamps.append((path, status.st_mtime_ns, status.st_size))
    return _read_definitions(tuple(files), tuple(stamps), max_bytes)


@functools.lru_cache(maxsize=8)
def _read_definitions(
    files: tuple[tuple[str, str, str], ...],
    stamps: tuple[tuple[str, int, int], ...],
    max_bytes: int,
) -> dict[str, tuple[str, str, str]]:
    found: dict[str, tuple[str, str, str]] = {}
    for path, pointer, kind in files:
        try:
            data = json.loads(decode(read_bytes(Path(path), max_bytes))[0])
        except (UnreadableInput, ValueError, RecursionError):
            continue
        if not isinstance(data, dict):
            continue
        if (
            kind == "triggeredSend"
            and "commercial" in str(data.get("r__sendClassification_key", "")).lower()
        ):
            continue  # a triggered send classified as commercial is marketing
        value: Any = data
        for step in pointer.strip("/").split("/"):
            value = value.get(step) if isinstance(value, dict) else None
        if isinstance(value, str) and value.strip():
            found.setdefault(value.strip(), (path, pointer, kind))
    return found


# -- composing an email ----------------------------------------------------------------------
@dataclass
class _Slots:
    """The slots (or blocks) of an asset, and where mcdev extracted their blocks' content."""

    asset: Asset
    pointer: str
    items: dict[str, Any]
    prefix: str
    """mcdev's file-name prefix for the blocks under it ("views.html.slots", "slots")."""
    suffix: str
    """mcdev's file-name suffix (".asset-message-meta.html")."""


class _Composer:
    def __init__(self, email: Asset, composed: Composed, max_bytes: int) -> None:
        self.email = email
        self.composed = composed
        self.max_bytes = max_bytes
        self.export = Export(email.path, max_bytes)
        self.builder = Builder()
        self.cycles: set[tuple[Path, Path]] = set()
        """(block, block it calls back) of each cycle said: one finding per cycle and block"""

    def part(self, path: Path, kind: str, text: str) -> None:
        if path == self.email.path or path in self.composed.files:
            return
        self.composed.files[path] = SourceText(text)
        self.composed.parts.append((path, kind))

    def fill(
        self,
        text: Text,
        slots: list[_Slots],
        blocks: _Slots | None,
        slot_key: str,
        stack: tuple[Path, ...],
    ) -> None:
        """Copy ``text``, with its empty slot and block placeholders filled and its
        ContentBlockBy… calls replaced by the blocks they name (``stack``: the files it is
        inside, to cut a cycle)."""
        if text.path != self.email.path and text.path not in self.composed.files:
            self.composed.files[text.path] = SourceText(text.raw)
        position = 0
        value = text.value
        for match in _PLACEHOLDER.finditer(value):
            if match.start() < position:
                continue
            if len(stack) >= MAX_DEPTH or self.builder.length > self.max_bytes:
                break
            if match.group("attrs") is not None:
                filled = self._placeholder(text, match, slots, blocks, slot_key, stack, position)
            else:
                filled = self._content_block(text, match, stack, position)
            if filled is not None:
                position = filled
        text.copy(self.builder, position, len(value))

    def _placeholder(
        self,
        text: Text,
        match: re.Match[str],
        slots: list[_Slots],
        blocks: _Slots | None,
        slot_key: str,
        stack: tuple[Path, ...],
        position: int,
    ) -> int | None:
        attrs = match.group("attrs")
        kind_match, key_match = _TYPE.search(attrs), _KEY.search(attrs)
        if kind_match is None or key_match is None:
            return None
        if _EMPTY_DIV.match(text.value, match.end()) is None:
            return None  # filled already (a rendered view): left as written
        key = next(g for g in key_match.groups() if g is not None)
        if kind_match.group(1).lower() == "slot":
            for container in slots:
                slot = container.items.get(key)
                if not isinstance(slot, dict):
                    continue
                pointer = f"{container.pointer}/{_escape(key)}"
                content = container.asset.text(pointer + "/content")
                if content is None:
                    continue
                text.copy(self.builder, position, match.end())
                items = slot.get("blocks")
                inner = _Slots(
                    container.asset,
                    pointer + "/blocks",
                    items if isinstance(items, dict) else {},
                    container.prefix,
                    container.suffix,
                )
                self.fill(content, [], inner, key, (*stack, text.path))
                return match.end()
            return None
        if blocks is None:
            return None
        block = blocks.items.get(key)
        if not isinstance(block, dict):
            return None
        pointer = f"{blocks.pointer}/{_escape(key)}"
        prefix = f"{blocks.prefix}.[{slot_key}-{key}]"
        content = self._block_content(blocks, pointer, block, prefix, stack)
        if content is None:
            return None
        text.copy(self.builder, position, match.end())
        nested = block.get("slots")
        inner_slots = []
        if isinstance(nested, dict):
            inner_slots.append(
                _Slots(blocks.asset, pointer + "/slots", nested, prefix, blocks.suffix)
            )
        self.fill(content, inner_slots, None, key, (*stack, text.path))
        return match.end()

    def _block_content(
        self,
        blocks: _Slots,
        pointer: str,
        block: dict[str, Any],
        prefix: str,
        stack: tuple[Path, ...],
    ) -> Text | None:
        """A block's content: in the JSON, in the file mcdev extracted it to, or in the
        shared block it references (a partial)."""
        own = blocks.asset.text(pointer + "/content")
        if own is not None and own.value.strip():
            return own
        extracted = blocks.asset.path.parent / "blocks" / (prefix + blocks.suffix)
        text = read_part(extracted, self.max_bytes)
        if text is not None:
            return file_text(extracted, text)
        for by, field_name in (("key", "r__asset_key"), ("key", "customerKey"), ("id", "id")):
            value = block.get(field_name)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                found = self.export.find(by, str(value))
                if found is not None and found.path not in stack:
                    return self._shared(found, "partial")
        return None

    def _shared(self, asset: Asset, kind: str) -> Text | None:
        found = asset.content(self.max_bytes)
        if found is None:
            return None
        text, path = found
        self.part(path, kind, text.raw)
        return text

    def _content_block(
        self, text: Text, match: re.Match[str], stack: tuple[Path, ...], position: int
    ) -> int | None:
        by = match.group("by").lower()
        value = match.group("dq") or match.group("sq") or match.group("num") or ""
        asset = self.export.find(by, value)
        if asset is None:
            return None  # not in the export: left as written, an AMPscript call
        found = asset.content(self.max_bytes)
        if found is not None and found[1] in (*stack, text.path):
            self._cycle(text, match, value, found[1])
            return None
        content = self._shared(asset, "partial")
        if content is None:
            return None
        text.copy(self.builder, position, match.start())
        self.fill(content, [], None, "", (*stack, text.path))
        return match.end()

    def _cycle(self, text: Text, match: re.Match[str], value: str, target: Path) -> None:
        """A block that includes a block it is included by: SFMC cannot render it. Said
        once per block and the block it calls back, however many calls (by key, id or name)
        close the same cycle."""
        said = (text.path, target)
        if said in self.cycles:
            return
        self.cycles.add(said)
        where = text.location(match.start(), match.end())
        self.composed.problems.append(
            (
                "PF003",
                Violation(
                    'content block "{block}" is included by a block it includes: the blocks'
                    " include each other in a cycle",
                    where,
                    {"block": value, "reason": "content-block-cycle"},
                    help="remove the call that leads back to a block already included",
                ),
            )
        )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def compose_asset(path: Path, raw: str, data: dict[str, Any], max_bytes: int) -> Composed:
    """An email asset as the API answers it (or mcdev's JSON when it kept no HTML file)."""
    email = Asset(path, raw, data, string_literals(raw))
    composed = Composed(files={path: SourceText(raw)})
    base = email.text("/views/html/content")
    if base is not None and not base.value.strip():
        base = None
    _compose(email, composed, base, max_bytes)
    return composed


def compose_message_html(path: Path, html: str, max_bytes: int) -> Composed | None:
    """mcdev's ``views.html.content.asset-message-meta.html``: the email's HTML, with the
    asset's JSON beside it as its metadata; None when there is no such JSON."""
    folder = path.parent
    candidates = [folder / sfmcnames.message_json(folder.name)]
    if not candidates[0].is_file():
        candidates = sorted(folder.glob(sfmcnames.message_json("*")))
    if len(candidates) != 1:
        return None
    email = Asset.read(candidates[0], max_bytes)
    if email is None or role(asset_type(email.data) or "") != "email":
        return None
    composed = Composed(files={path: SourceText(html), email.path: SourceText(email.raw)})
    _compose(email, composed, file_text(path, html), max_bytes)
    return composed


def _compose(email: Asset, composed: Composed, base: Text | None, max_bytes: int) -> None:
    data = email.data
    composer = _Composer(email, composed, max_bytes)
    _metadata(email, composed, max_bytes, composer.export)
    html_view = _mapping(_mapping(data.get("views")).get("html"))
    slots: list[_Slots] = []
    own = html_view.get("slots")
    if isinstance(own, dict):
        slots.append(
            _Slots(email, "/views/html/slots", own, sfmcnames.SLOTS_PREFIX, _suffix(email))
        )
    template = html_view.get("template")
    if isinstance(template, dict):
        inline = template.get("slots")
        if isinstance(inline, dict):
            slots.append(
                _Slots(
                    email,
                    "/views/html/template/slots",
                    inline,
                    sfmcnames.SLOTS_PREFIX,
                    _suffix(email),
                )
            )
        if base is None:
            base = _template(composer, email, template, slots)
    if base is None:
        if asset_type(data) == "textonlyemail":
            return  # a text part only (views.text.content), read by _metadata
        where = email.path
        composed.problems.append(
            (
                "PF003",
                Violation(
                    "the email has no HTML content, and the template it names is not in the export",
                    literal_location(where, email.raw, email.literals, "/views/html", None)
                    if "/views/html" in email.literals
                    else Location(where, None, None, "/views/html"),
                    {"reason": "template-not-found"},
                    help="export the template with the email (mcdev retrieve asset-template)",
                ),
            )
        )
        return
    composer.fill(base, slots, None, "", ())
    composed.html = composer.builder.text()
    composed.html_map = composer.builder.locator(composed.files)


def _template(
    composer: _Composer, email: Asset, template: dict[str, Any], slots: list[_Slots]
) -> Text | None:
    """A template-based email's template: inline, or the template asset it names."""
    inline = email.text("/views/html/template/content")
    if inline is not None and inline.value.strip():
        return inline
    for by, field_name in (("key", "r__asset_key"), ("key", "customerKey"), ("id", "id")):
        value = template.get(field_name)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            found = composer.export.find(by, str(value))
            if found is None:
                continue
            content = composer._shared(found, "layout")
            if content is None:
                continue
            own = found.data.get("slots")
            if isinstance(own, dict):
                slots.append(_Slots(found, "/slots", own, "slots", _suffix(found)))
            return content
    return None


def _suffix(asset: Asset) -> str:
    kind = sfmcnames.asset_kind(asset.path.name)
    return sfmcnames.html_suffix(kind) if kind is not None else ".html"


def _metadata(email: Asset, composed: Composed, max_bytes: int, export: Export) -> None:
    """Subject, preheader and text part from the views; sfmc; transactional when a send
    definition of the business unit names the email."""
    path, raw, literals = email.path, email.raw, email.literals
    composed.values["platform"] = Sourced("sfmc", "format", Location(path))
    subject = email.text("/views/subjectline/content")
    if subject is not None:
        where = literal_location(path, raw, literals, "/views/subjectline/content", Part.SUBJECT)
        composed.values["subject"] = Sourced(subject.value, "format", where)
    preheader = email.text("/views/preheader/content")
    folder = path.parent
    mcdev = sfmcnames.asset_kind(path.name) == "message"
    if preheader is not None:
        where = literal_location(path, raw, literals, "/views/preheader/content", Part.PREHEADER)
        composed.values["preheader"] = Sourced(preheader.value, "format", where)
    elif mcdev:
        extracted = folder / sfmcnames.MESSAGE_PREHEADER
        text = read_part(extracted, max_bytes)
        if text is not None:
            composed.files[extracted] = SourceText(text)
            first = text.split("\n", 1)[0]
            where = Location(extracted, Span.point(1, 1, len(first)), Part.PREHEADER)
            composed.values["preheader"] = Sourced(text.strip("\r\n"), "format", where)
    plain = email.text("/views/text/content")
    if plain is None and mcdev:
        key = str(email.data.get("customerKey", "")).strip()
        for name in (sfmcnames.MESSAGE_TEXT, sfmcnames.message_script(key)):
            extracted = folder / name
            text = read_part(extracted, max_bytes)
            if text is not None:
                plain = file_text(extracted, text)
                break
    if plain is not None and plain.value.strip():
        builder = Builder()
        plain.copy(builder, 0, len(plain.value))
        if plain.path not in composed.files:
            composed.files[plain.path] = SourceText(plain.raw)
        composed.text = builder.text()
        composed.text_map = builder.locator(composed.files)
        composed.text_path = plain.path
    customer_key = email.data.get("customerKey")
    if isinstance(customer_key, str) and customer_key.strip():
        found = export.definitions().get(customer_key.strip())
        if found is not None:
            definition, pointer, _ = found
            definition_path = Path(definition)
            text = read_part(definition_path, max_bytes) or ""
            composed.files.setdefault(definition_path, SourceText(text))
            where = literal_location(definition_path, text, string_literals(text), pointer, None)
            composed.values["category"] = Sourced("transactional", "format", where)
