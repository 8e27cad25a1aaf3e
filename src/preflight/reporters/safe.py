"""Text from inputs made safe for a terminal or a CI log.

File names, URLs, merge-tag values and source lines come from the files checked, and a
file can hold anything: ESC starts a terminal control sequence (clear the screen, set the
window title, rewrite what is shown), CR and newlines forge output lines, bidirectional
overrides reorder what is read, on a page too. Every human-facing format (text, GitHub,
JUnit, HTML through :func:`html_text`) passes input text through :func:`printable`
(messages, paths) or :func:`pictured` (the quoted source line, where each character must
keep one column for the caret). JSON and SARIF escape on their own.
"""

from __future__ import annotations

import html
import re

_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"  # a lone surrogate (an undecodable byte in a file name)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, keep: str = "") -> str:
    """``text`` with control characters (but tab and those in ``keep``), bidirectional
    controls and lone surrogates written as visible escapes (``\\e``, ``\\n``, ``\\x07``,
    ``\\u202e``)."""
    if keep:
        return "".join(
            part if part in keep else _UNSAFE.sub(_escaped, part)
            for part in re.split(f"([{re.escape(keep)}])", text)
        )
    return _UNSAFE.sub(_escaped, text)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ ␇ ␍ …
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def pictured(text: str) -> str:
    """``text`` with each unsafe character (tab included) shown as one visible character,
    so that columns, and the caret under them, stay where they were."""
    return _UNSAFE.sub(_picture, text.replace("\t", " "))


def html_text(text: str, keep: str = "") -> str:
    """``text`` for an HTML page, as character data or an attribute value: :func:`printable`
    (``keep`` as there), then HTML-escaped, quotes included."""
    return html.escape(printable(text, keep))
