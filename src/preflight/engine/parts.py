"""Layouts and partials in a run: a finding in a part that several emails share is reported
once, at the part; a part named alone is checked through the emails that use it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from preflight.config import Configs
from preflight.discovery import PART_DIRS, InputFile, discover
from preflight.engine.facts import key
from preflight.engine.items import ItemResult
from preflight.model import Finding, Location, Related
from preflight.model.report import FileInfo


class SharedParts:
    """Findings in a layout or partial that several emails share are reported once, at the
    layout, with the emails it reaches as related places (the first five and a count)."""

    def __init__(self) -> None:
        self._found: dict[tuple[object, ...], tuple[Finding, list[Path]]] = {}
        self._parts: dict[str, tuple[Path, str]] = {}

    def once(self, result: ItemResult) -> list[Finding]:
        if not result.parts or result.info is None:
            return result.findings
        email = result.info.path
        parts = {key(path) for path, _ in result.parts}
        for path, role in result.parts:
            self._parts.setdefault(key(path), (path, role))
        own = []
        for finding in result.findings:
            if key(finding.location.path) not in parts:
                own.append(finding)
                continue
            location = finding.location
            said = (finding.rule, location.path, location.span, finding.message, location.part)
            if said in self._found:
                self._found[said][1].append(email)
            else:
                self._found[said] = (finding, [email])
        return own

    def findings(self) -> list[Finding]:
        shown = []
        for finding, emails in self._found.values():
            related = [Related(Location(e), "in this email") for e in emails[:5]]
            if len(emails) > 5:
                more = len(emails) - 5
                related.append(Related(Location(emails[5]), f"and {more} more emails"))
            data = {**finding.data, "emails": len(emails)}
            shown.append(replace(finding, related=(*finding.related, *related), data=data))
        return shown

    def files(self, listed: list[FileInfo]) -> list[FileInfo]:
        known = {key(info.path) for info in listed}
        return [FileInfo(path, role) for k, (path, role) in self._parts.items() if k not in known]


def users_of_parts(items: list[InputFile], configs: Configs) -> list[InputFile]:
    """A layout or partial named alone (pre-commit hands over only what changed): every email
    under its config's folder that is composed from it, so that the change is judged where
    it is sent. Each candidate is composed (not checked) to learn its parts. A Django, Jinja
    or Twig base template named alone counts as a layout here when emails extend it."""
    named = [
        i
        for i in items
        if i.explicit and (i.kind in ("layout", "partial") or _base_template(i, configs))
    ]
    if not named:
        return []
    from preflight.compose import compose
    from preflight.formats.decode import UnreadableInput, decode, read_bytes

    have = {key(item.path) for item in items}
    wanted = {key(item.path) for item in named}
    users: list[InputFile] = []
    for root in dict.fromkeys(_root_of(item.path, configs) for item in named):
        for candidate in discover([root], configs):
            if candidate.kind not in _SOURCE_KINDS or key(candidate.path) in have:
                continue
            config = configs.for_path(candidate.path)
            try:
                text = decode(read_bytes(candidate.path, config.max_file_size))[0]
            except UnreadableInput:
                continue
            composed = compose(candidate.path, candidate.kind, text, config, candidate.built_from)
            parts = {key(path) for path in composed.files} if composed is not None else set()
            if parts & wanted:
                users.append(candidate)
                have.add(key(candidate.path))
    return users


def extended_layouts(items: list[InputFile], configs: Configs) -> list[InputFile]:
    """``items`` with every template that another input ``{% extends %}`` marked as a layout,
    and every Magento header or footer another input names as a partial: each is checked
    through the emails built on it (once, at the part), never alone."""
    from preflight.compose.extends import resolve_name

    roles: dict[str, str] = {}
    for item in items:
        if item.kind not in _EXTENDING_KINDS:
            continue
        head = _head(item.path)
        name = _extends_in(head)
        if name is not None:
            target = resolve_name(name, item.path, configs.for_path(item.path))
            if target is not None:
                roles.setdefault(key(target), "layout")
        if "config_path=" in head:
            from preflight.compose.magento import parts_named

            for part, _ in parts_named(item.path, head):
                roles.setdefault(key(part), "partial")
    if not roles:
        return items
    return [
        InputFile(item.path, roles[key(item.path)], item.explicit)
        if item.kind in _EXTENDING_KINDS and key(item.path) in roles
        else item
        for item in items
    ]


_EXTENDING_KINDS = ("html", "twig")
_SOURCE_KINDS = ("html", "mjml", "hbs", "twig", "ejs")
"""Kinds an email composed from a part can have."""


def _head(path: Path) -> str:
    """The start of a regular file ("" for anything else: a FIFO would block the run)."""
    from preflight.compose.extends import HEAD_BYTES
    from preflight.formats.decode import UnreadableInput, read_head

    try:
        return read_head(path, HEAD_BYTES).decode("utf-8", "replace")
    except UnreadableInput:
        return ""


def _extends_in(head: str) -> str | None:
    from preflight.compose.extends import extended_name

    return extended_name(head) if "extends" in head else None


def _base_template(item: InputFile, configs: Configs) -> bool:
    """A Django, Jinja or Twig template with blocks that extends nothing."""
    if item.kind not in _EXTENDING_KINDS:
        return False
    from preflight.compose.extends import BASE_TEMPLATE

    head = _head(item.path)
    return BASE_TEMPLATE.search(head) is not None and _extends_in(head) is None


def _root_of(path: Path, configs: Configs) -> Path:
    """Where the emails that may use a part live: its config's folder, else the part's
    project (the folder above its layouts/ or partials/ folder)."""
    config = configs.for_path(path)
    if config.source is not None:
        return config.root
    for folder in path.parents:
        if folder.name.lower() in PART_DIRS:
            return folder.parent
    from preflight.compose.extends import template_roots

    roots = template_roots(path, config)
    if roots:  # a base template: the emails that extend it are under its template root
        return roots[0]
    return path.parent.parent
