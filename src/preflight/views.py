"""What the HTML report shows of an email and of a workflow, built from the model.

The engine builds these only when the report will draw them (``check(..., views=True)``):
an email's preview costs its element positions, which a plain run never computes.

The preview is the HTML part as written, with two changes a browser would otherwise undo:
each start tag lxml placed is stamped ``data-pf="N"`` (so a finding's position finds its
element), and every attribute through which the browser would fetch something (an image's
``src``, a table's ``background``, a ``<link>``'s ``href``, a ``<meta http-equiv>``) is
renamed ``data-pf-hold-NAME``, so opening the report fetches nothing until the reader asks.
The renaming is lexical, over every start tag the way an HTML tokenizer reads them, not only
over the elements lxml placed: a tag lxml dropped still reaches the browser.
"""

from __future__ import annotations

import html as html_escape
import re
import string
from collections.abc import Iterator
from typing import TYPE_CHECKING

from preflight.model.report import EmailView, StepView, WorkflowView

if TYPE_CHECKING:
    from lxml import etree

    from preflight.model import Step, Template, Workflow
    from preflight.model.source import HtmlDocument

_FETCHING = frozenset(
    {
        "src",
        "srcset",
        "imagesrcset",
        "background",
        "poster",
        "lowsrc",
        "dynsrc",
        "longdesc",
        "manifest",
        "codebase",
        "archive",
        "data",
        "ping",
        "http-equiv",
    }
)
"""Attributes held aside on any element (``http-equiv``: a meta refresh navigates)."""
_FETCHING_HREF = frozenset({"link", "image", "use", "feimage", "base", "script"})
"""Elements whose ``href`` (or ``xlink:href``) is fetched, unlike an anchor's."""
_RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"}
)
"""Elements whose bodies an HTML tokenizer reads as text, not tags (noscript is markup in a
frame without scripts, as the preview is)."""
_IMAGES = frozenset({"img", "image", "input", "picture", "source", "table", "td", "th", "body"})
_SPACE = " \t\n\f\r"
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_PREHEADER_LENGTH = 110
HOLD = "data-pf-hold-"


def email_view(template: Template) -> EmailView:
    """The subject, preheader, preview and text of a template, as the report shows them."""
    document = template.html
    preview: str | None = None
    elements: tuple[tuple[int, int, int, int], ...] = ()
    remote = 0
    if document is not None:
        preview, elements, remote = _preview(document)
    preheader = template.preheader.value if template.preheader else None
    declared = preheader is not None
    if preheader is None and document is not None:
        preheader = _body_start(document)
    sources = dict.fromkeys([template.path, *template.sources])
    if template.text_path is not None:
        sources[template.text_path] = None
    return EmailView(
        subject=template.subject.value if template.subject else None,
        preheader=preheader,
        html=preview,
        text=template.text.text if template.text is not None else None,
        platform=template.platform.value if template.platform else None,
        preheader_declared=declared,
        elements=elements,
        remote_images=remote,
        sources=tuple(sources),
    )


def _body_start(document: HtmlDocument) -> str | None:
    """What an inbox shows after the subject when no preheader is set: the body's first text."""
    words: list[str] = []
    length = 0
    for _, text, _ in document.visible_text():
        for word in text.split():
            words.append(word)
            length += len(word) + 1
            if length > _PREHEADER_LENGTH:
                return " ".join(words)[:_PREHEADER_LENGTH].rstrip() + "…"
    return " ".join(words) or None


# -- the preview -------------------------------------------------------------------------


def _preview(document: HtmlDocument) -> tuple[str, tuple[tuple[int, int, int, int], ...], int]:
    source = document.source
    text = source.text
    placed: dict[int, etree._Element] = {}
    if source.exact:
        for element, start in document.positions.items():
            if isinstance(element.tag, str):  # comments carry a factory, not a name
                placed[start] = element
    edits: list[tuple[int, int, str]] = []  # (offset, characters replaced, new text)
    elements: list[tuple[int, int, int, int]] = []
    remote = 0
    for tag in _start_tags(text):
        found = placed.get(tag.start)
        if found is not None:
            extent = document.extent(found)
            if extent is not None:
                line, column = source.position(extent[0])
                end_line, end_column = source.position(max(extent[1], extent[0] + 1))
                edits.append((tag.name_end, 0, f' data-pf="{len(elements)}"'))
                elements.append((line, column, end_line, end_column))
        for name, start, end, value in tag.attributes:
            if not _fetches(tag.name, name, value):
                continue
            edits.append((start, end - start, HOLD + name))
            if tag.name in _IMAGES and name in ("src", "srcset", "background"):
                remote += 1
    pieces: list[str] = []
    at = 0
    for offset, length, new in sorted(edits, key=lambda edit: edit[0]):
        pieces.append(text[at:offset])
        pieces.append(new)
        at = offset + length
    pieces.append(text[at:])
    return "".join(pieces), tuple(elements), remote


def _fetches(tag: str, name: str, value: str | None) -> bool:
    if name in ("href", "xlink:href"):
        if tag not in _FETCHING_HREF:
            return False
    elif name not in _FETCHING:
        return False
    if name == "http-equiv":
        return True
    if not value or not value.strip(_SPACE):
        return False
    shown = html_escape.unescape(value).strip(_SPACE).lower()
    return not shown.startswith("data:")


class _Tag:
    __slots__ = ("attributes", "name", "name_end", "start")

    def __init__(self, start: int, name: str, name_end: int) -> None:
        self.start = start
        self.name = name
        self.name_end = name_end
        self.attributes: list[tuple[str, int, int, str | None]] = []
        """(lower-cased name, where the name starts, where it ends, the raw value)."""


_MARKUP = re.compile(r"<(?:!--|[!?/]|[A-Za-z])")


def _start_tags(text: str) -> Iterator[_Tag]:
    """Every start tag as an HTML tokenizer reads it (WHATWG 13.2.5, simplified where the
    difference cannot change which attributes a tag has)."""
    size = len(text)
    lower = text.lower()
    if len(lower) != size:  # a few characters (İ) grow when lowered
        lower = text.translate(_ASCII_LOWER)
    at = 0
    while True:
        match = _MARKUP.search(text, at)
        if match is None:
            return
        start = match.start()
        opener = match.group()
        if opener == "<!--":
            close = text.find("-->", start + 4)
            at = size if close == -1 else close + 3
            continue
        if opener in ("<!", "<?", "</"):
            close = text.find(">", start + 2)
            at = size if close == -1 else close + 1
            continue
        i = start + 1
        while i < size and text[i] not in _SPACE and text[i] not in "/>":
            i += 1
        tag = _Tag(start, text[start + 1 : i].lower(), i)
        i = _attributes(text, i, tag)
        yield tag
        at = i
        if tag.name in _RAW_TEXT:
            close = lower.find("</" + tag.name, at) if tag.name != "plaintext" else -1
            at = size if close == -1 else close


def _attributes(text: str, i: int, tag: _Tag) -> int:
    """Read a start tag's attributes from ``i``; return the offset just past its ">"."""
    size = len(text)
    while True:
        while i < size and (text[i] in _SPACE or text[i] == "/"):
            i += 1
        if i >= size:
            return size
        if text[i] == ">":
            return i + 1
        name_start = i
        i += 1  # the first character may be "="
        while i < size and text[i] not in _SPACE and text[i] not in "/>=":
            i += 1
        name_end = i
        while i < size and text[i] in _SPACE:
            i += 1
        value: str | None = None
        if i < size and text[i] == "=":
            i += 1
            while i < size and text[i] in _SPACE:
                i += 1
            if i < size and text[i] in "\"'":
                close = text.find(text[i], i + 1)
                close = size if close == -1 else close
                value = text[i + 1 : close]
                i = close + 1
            else:
                value_start = i
                while i < size and text[i] not in _SPACE and text[i] != ">":
                    i += 1
                value = text[value_start:i]
        else:
            i = name_end  # no value: what follows is the next attribute
        name = text[name_start:name_end].lower()
        if name not in (a[0] for a in tag.attributes):  # a repeated attribute is dropped
            tag.attributes.append((name, name_start, name_end, value))


# -- workflows ---------------------------------------------------------------------------


def workflow_view(workflow: Workflow) -> WorkflowView:
    steps = []
    for step in workflow.steps:
        span = step.location.span
        edges = tuple((edge.target, edge.label) for edge in workflow.edges(step))
        steps.append(StepView(step.id, step.kind, _label(step), span.line if span else None, edges))
    return WorkflowView(workflow.name, tuple(steps))


def _label(step: Step) -> str:
    """What a step does, in a few words."""
    if step.kind == "send":
        if step.template:
            return step.template
        return f'"{step.subject}"' if step.subject else "inline email"
    if step.kind == "wait":
        until = step.until
        parts = []
        if step.wait_text and step.wait_text != "no wait":
            parts.append(step.wait_text)
        if until is not None:
            if until.event:
                parts.append(f"until {until.event}")
            if until.weekdays:
                parts.append("until " + " or ".join(until.weekdays))
            if until.time:
                parts.append(f"until {until.time}")
            if until.field:
                parts.append(f"until {until.field}")
        return ", ".join(parts) or step.wait_text or "wait"
    if step.kind == "branch":
        if step.engagement is not None:
            verb, send = step.engagement
            return f"{verb} {send}?"
        condition = step.spec.get("if") if isinstance(step.spec, dict) else None
        return _short(condition) if condition is not None else "branch"
    if step.kind == "split":
        return " / ".join(f"{share:g}%" for share in step.split.values()) or "split"
    if step.kind == "exit":
        return "exit"
    return _short(step.spec) if step.spec not in (None, True) else step.kind


def _short(value: object, width: int = 48) -> str:
    if isinstance(value, dict):
        shown = ", ".join(f"{key}: {_short(item, width)}" for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        shown = ", ".join(_short(item, width) for item in value)
    else:
        shown = str(value)
    return shown if len(shown) <= width else shown[: width - 1] + "…"
