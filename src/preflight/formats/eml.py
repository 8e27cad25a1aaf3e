"""MIME messages (.eml): headers, and the html and text parts."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from preflight.formats import Loaded
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.model import Location, Part, Sourced, Span, Template
from preflight.model.source import HtmlDocument, SourceText
from preflight.preheader import hidden_preheader

_HEADER = re.compile(r"^([A-Za-z0-9-]+):", re.MULTILINE)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
MAX_PARSED_HEADER = 8192
"""Header values longer than this are read as written (unfolded), not parsed: the standard
library's header parser is quadratic or worse (a 1 MB List-Unsubscribe of encoded words
took 100 s and 11 GB); real headers are a few hundred characters."""


class _Policy(email.policy.EmailPolicy):
    """policy.default, but a very long header is returned as its unfolded text."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if len(value) > MAX_PARSED_HEADER:
            value = _FOLD.sub("", value).strip()
            if name.lower().startswith("content-"):
                # its parameters are split by slicing (quadratic): the first ones are enough
                cut = value.rfind(";", 0, MAX_PARSED_HEADER)
                return value[: cut if cut != -1 else MAX_PARSED_HEADER]
            return value
        return super().header_fetch_parse(name, value)


_POLICY = _Policy()


def load_eml(path: Path, max_bytes: int) -> Loaded:
    raw = read_bytes(path, max_bytes)
    file_text, _ = decode(raw)
    try:  # the email package parses and searches nested parts recursively
        return _load(path, raw, file_text)
    except RecursionError:
        raise UnreadableInput(
            "its MIME parts are nested too deeply to read", {"reason": "too-deep"}
        ) from None


def _load(path: Path, raw: bytes, file_text: str) -> Loaded:
    message = email.message_from_bytes(raw, policy=_POLICY)
    assert isinstance(message, EmailMessage)
    headers: dict[str, tuple[str, int]] = {}
    header_end = file_text.find("\n\n")
    header_block = file_text if header_end == -1 else file_text[:header_end]
    lines: dict[str, int] = {}
    for match in _HEADER.finditer(header_block):
        lines.setdefault(match.group(1).lower(), header_block.count("\n", 0, match.start()) + 1)
    for name in set(message.keys()):
        try:
            value = str(message.get(name, ""))
        except (ValueError, TypeError, IndexError, OverflowError, AttributeError):
            # a malformed header (a Date: year of 20 digits overflows, the address parser
            # trips over odd names)
            value = ""
        headers[name.lower()] = (value, lines.get(name.lower(), 1))

    def header(name: str) -> Sourced | None:
        if name.lower() not in headers:
            return None
        value, line = headers[name.lower()]
        location = Location(path, Span.point(line, 1, len(name)), Part.HEADERS)
        return Sourced(" ".join(value.split()), "format", location)

    html = _body(message, "html")
    text = _body(message, "plain")
    document = HtmlDocument(_place(html, file_text)) if html is not None else None
    template = Template(
        path=path,
        format="eml",
        subject_knowable=True,
        sources={path: SourceText(file_text)},
        headers=headers,
        subject=header("Subject") or Sourced("", "format", Location(path, None, Part.HEADERS)),
        sender=header("From"),
        reply_to=header("Reply-To"),
        locale=header("Content-Language") or None,
        html=document,
        # a message has no preheader header: its HTML's hidden preview text is the one
        preheader=hidden_preheader(document, path) if document is not None else None,
        text=_place(text, file_text) if text is not None else None,
        text_path=path if text is not None else None,
    )
    return Loaded(template)


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        payload = part.get_payload(decode=True)
        content = decode(payload)[0] if isinstance(payload, bytes) and payload.strip() else ""
    return content if isinstance(content, str) else None


def _place(content: str, file_text: str) -> SourceText:
    """Locate a decoded part in the file; positions are exact only if it appears verbatim."""
    content = content.replace("\r\n", "\n")
    probe = content.strip()[:400]
    offset = file_text.find(probe) if probe else -1
    if offset == -1:
        return SourceText(content, first_line=1, exact=False)
    leading = len(content) - len(content.lstrip())
    start = max(offset - leading, 0)
    first_line = file_text.count("\n", 0, start) + 1
    line_start = file_text.rfind("\n", 0, start) + 1
    if start != line_start:  # content must start at a line boundary for columns to agree
        return SourceText(content, first_line=first_line, exact=False)
    return SourceText(content, first_line=first_line)
