"""Template inheritance: a Django, Jinja or Twig template that ``{% extends "mail/base.html"
%}`` is sent as its base template with the blocks it fills in.

The name is not relative to the extending file but to a template root, as the engines'
loaders read it (Django's app-directories loader, a Jinja FileSystemLoader, Twig's
``templates/``): preflight tries the roots it can tell without guessing, the nearest folder
above the file named ``templates`` and the folder of the config that applies, plus the
file's own folder for a name written ``./…`` or ``../…``. The join is made only when
exactly one file answers; a name that resolves to two different files, or to none, or
outside the root, leaves the template checked as written.

Composition follows the engines: the base template's text, each block replaced by the
most derived definition of it (``{{ block.super }}``, ``{{ super() }}`` and
``{{ parent() }}`` put in the definition it overrides); an extending template's text
outside its blocks is never output. Every composed character maps back to its file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from preflight.compose import MAX_DEPTH, Builder, Composed
from preflight.config import Config
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.fsutil import is_file
from preflight.model.source import SourceText

EXTENDS = re.compile(
    r"\{%-?\s*extends\s+(?P<quote>['\"])(?P<name>[^'\"\n{}%]{1,300})(?P=quote)\s*-?%\}"
)
"""An ``{% extends %}`` of a literal name (a variable name is resolved at run time)."""
BASE_TEMPLATE = re.compile(r"\{%-?\s*block\s+\w+\s*-?%\}")
"""What a base template has: blocks its extending templates fill in."""
_BLOCK_TAG = re.compile(r"\{%-?\s*(?:block\s+(?P<name>\w+)|endblock(?:\s+\w+)?)\s*-?%\}")
_SUPER = re.compile(r"\{\{-?\s*(?:block\.super|super\(\s*\)|parent\(\s*\))\s*-?\}\}")
ROOT_NAME = "templates"
"""The folder name Django's app-directories loader (and most Jinja and Twig projects)
reads template names from."""
HEAD_BYTES = 16384
"""How much of a file the run reads to see whether it extends another (engine/parts.py)."""


@dataclass
class _Block:
    name: str
    start: int
    """Where the block's content starts (after its opening tag)."""
    end: int
    """Where its content ends (at its closing tag)."""
    tag_start: int
    tag_end: int
    children: list[_Block] = field(default_factory=list)


@dataclass
class _Level:
    """One template of the chain: its text, its blocks in a tree and by name."""

    path: Path
    text: str
    top: list[_Block]
    named: dict[str, _Block]


def template_roots(path: Path, config: Config) -> list[Path]:
    """The folders a template name is read from, nearest first: the nearest folder above
    ``path`` named ``templates``, and the config's folder (when a config file applies)."""
    roots: list[Path] = []
    for folder in Path(os.path.abspath(path)).parents:
        if folder.name.lower() == ROOT_NAME:
            roots.append(folder)
            break
    if config.source is not None and config.root not in roots:
        roots.append(config.root)
    return roots


def resolve_name(name: str, path: Path, config: Config) -> Path | None:
    """The one file a template name stands for, seen from ``path``; None when no root
    holds it, when two roots hold different files (preflight does not guess), or when it
    would lead outside the root it is read from."""
    roots = template_roots(path, config)
    if name.startswith(("./", "../")):  # Django: relative to the extending template
        found = _inside(path.parent / name, roots)
        return found if found is not None and is_file(found) else None
    if os.path.isabs(name) or name.startswith("@") or ".." in Path(name).parts:
        return None  # an absolute path, a Twig namespace (@Bundle/…): not ours to guess
    hits: dict[str, Path] = {}
    for root in roots:
        candidate = root / name
        if is_file(candidate):
            hits.setdefault(os.path.realpath(candidate), candidate)
    return next(iter(hits.values())) if len(hits) == 1 else None


def _inside(candidate: Path, roots: list[Path]) -> Path | None:
    real = os.path.realpath(candidate)
    for root in roots:
        top = os.path.realpath(root)
        if os.path.commonpath([top, real]) == top:
            return Path(os.path.normpath(candidate))
    return None


def extended_name(text: str) -> str | None:
    """The literal name ``text`` extends, if any."""
    match = EXTENDS.search(text)
    return match.group("name").strip() if match is not None else None


def compose_extends(path: Path, text: str, config: Config) -> Composed | None:
    """The email ``path`` is once it is laid into the templates it extends; None when it
    extends nothing that can be found (it is then checked as written)."""
    name = extended_name(text)
    if name is None:
        return None
    files: dict[Path, SourceText] = {path: SourceText(text)}
    first = _parse(path, text)
    if first is None:
        return None
    chain = [first]
    seen = {os.path.realpath(path)}
    current_path: Path = path
    current_name: str | None = name
    while current_name is not None:
        target = resolve_name(current_name, current_path, config)
        if target is None or len(chain) > MAX_DEPTH:
            break
        real = os.path.realpath(target)
        if real in seen:
            break  # a cycle: the chain ends where it would repeat
        seen.add(real)
        try:
            target_text = decode(read_bytes(target, config.max_file_size))[0]
        except UnreadableInput:
            break
        level = _parse(target, target_text)
        if level is None:
            break
        files[target] = SourceText(target_text)
        chain.append(level)
        current_path, current_name = target, extended_name(target_text)
    if len(chain) == 1:
        return None
    builder = Builder()
    base = chain[-1]
    _emit(builder, chain, len(chain) - 1, base, 0, len(base.text), base.top, None, 0)
    composed = Composed(files=files)
    composed.parts = [(level.path, "layout") for level in chain[1:]]
    composed.html = builder.text()
    composed.html_map = builder.locator(files)
    return composed


def _parse(path: Path, text: str) -> _Level | None:
    """The blocks of a template as a tree; None when they do not pair up."""
    top: list[_Block] = []
    named: dict[str, _Block] = {}
    stack: list[_Block] = []
    for match in _BLOCK_TAG.finditer(text):
        if match.group("name") is not None:
            block = _Block(match.group("name"), match.end(), -1, match.start(), -1)
            (stack[-1].children if stack else top).append(block)
            named.setdefault(block.name, block)
            stack.append(block)
        elif stack:
            block = stack.pop()
            block.end, block.tag_end = match.start(), match.end()
        else:
            return None
    if stack:
        return None
    return _Level(path, text, top, named)


def _emit(
    builder: Builder,
    chain: list[_Level],
    index: int,
    level: _Level,
    start: int,
    end: int,
    blocks: list[_Block],
    owner: str | None,
    depth: int,
) -> None:
    """Copy level.text[start:end], each block in it replaced by its most derived
    definition; ``owner`` is the block this text is the content of (for its super)."""
    position = start
    for block in blocks:
        _copy(builder, chain, index, level, position, block.tag_start, owner, depth)
        _definition(builder, chain, block.name, 0, depth + 1)
        position = block.tag_end
    _copy(builder, chain, index, level, position, end, owner, depth)


def _definition(builder: Builder, chain: list[_Level], name: str, lowest: int, depth: int) -> None:
    """The most derived definition of block ``name`` from chain[lowest] up."""
    if depth > MAX_DEPTH * 4:
        return
    for index in range(lowest, len(chain)):
        block = chain[index].named.get(name)
        if block is not None:
            level = chain[index]
            _emit(builder, chain, index, level, block.start, block.end, block.children, name, depth)
            return


def _copy(
    builder: Builder,
    chain: list[_Level],
    index: int,
    level: _Level,
    start: int,
    end: int,
    owner: str | None,
    depth: int,
) -> None:
    """Copy text, with the block's super call replaced by the definition it overrides."""
    if owner is None:
        builder.copy(level.path, level.text, start, end)
        return
    position = start
    for match in _SUPER.finditer(level.text, start, end):
        builder.copy(level.path, level.text, position, match.start())
        _definition(builder, chain, owner, index + 1, depth + 1)
        position = match.end()
    builder.copy(level.path, level.text, position, end)
