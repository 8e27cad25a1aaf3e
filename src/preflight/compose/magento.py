"""A Magento email template with the header and footer it names: Magento puts
``{{template config_path="design/email/header_template"}}`` and ``…footer_template`` in each
email, and fills them with Magento_Email's ``header.html`` and ``footer.html`` (the header
opens ``<body>``, the footer closes it).

They are found as Magento finds them, in its own order: the theme's ``Magento_Email/email/``
beside the email's ``Magento_<Module>/email/`` folder, then the module's
``view/<area>/email/`` in app/code (``Magento/Email``) or in vendor/ (``magento/module-email``).
The first that exists is the one Magento sends. Parent themes are not followed: a part found
in none of these places is left as written (masked, like every directive).
"""

from __future__ import annotations

import re
from pathlib import Path

from preflight.compose import Builder, Composed
from preflight.compose.build import magento_spans, mask, not_compiled
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.fsutil import is_file
from preflight.model.source import SourceText

_INCLUDE = re.compile(
    r"\{\{template\s{1,20}config_path=([\"'])design/email/(?P<part>header|footer)_template\1"
    r"\s{0,20}\}\}"
)


def parts_named(path: Path, text: str) -> list[tuple[Path, str]]:
    """The header and footer files the email at ``path`` names, found (a part not found
    is left out)."""
    found = []
    for match in _INCLUDE.finditer(text):
        part = _find(path, match.group("part"))
        if part is not None and part != path:
            found.append((part, match.group("part")))
    return found


def compose_magento(path: Path, text: str, max_bytes: int) -> Composed:
    """The email inside its header and footer, every directive masked, said once."""
    composed = Composed(files={path: SourceText(text)})
    builder = Builder()
    position = 0
    for match in _INCLUDE.finditer(text):
        part = _find(path, match.group("part"))
        if part is None or part == path:
            continue
        builder.copy(path, text, position, match.start())
        try:
            included = decode(read_bytes(part, max_bytes))[0]
        except UnreadableInput:
            continue  # left as written, and masked
        composed.files[part] = SourceText(included)
        if (part, "partial") not in composed.parts:
            composed.parts.append((part, "partial"))
        builder.copy(part, included, 0, len(included))
        position = match.end()
    builder.copy(path, text, position, len(text))
    raw = builder.text()
    composed.html = mask(raw, magento_spans(raw))
    composed.html_map = builder.locator(composed.files)
    composed.problems.append(not_compiled(path, "magento"))
    return composed


def _find(path: Path, part: str) -> Path | None:
    name = f"{part}.html"
    folder = path.parent  # …/email
    if folder.name != "email":
        return None
    candidates: list[Path] = []
    module = folder.parent
    if module.name.startswith("Magento_") and module.name != "Magento_Email":
        candidates.append(module.parent / "Magento_Email" / "email" / name)  # a theme
    if folder.parent.parent.name == "view":  # <module>/view/<area>/email
        area = folder.parent.name
        module_root = folder.parent.parent.parent
        if module_root.name.startswith("module-"):  # vendor/magento/module-customer
            candidates.append(module_root.parent / "module-email" / "view" / area / "email" / name)
        else:  # app/code/Magento/Customer
            candidates.append(module_root.parent / "Email" / "view" / area / "email" / name)
    return next((candidate for candidate in candidates if is_file(candidate)), None)
