"""Which files are inputs, and of what kind (DESIGN.md, Contracts: file kinds)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from preflight.config import Config

SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages", "dist", "build"})
CONFIG_FILES = frozenset({"preflight.yaml", ".preflight.yaml", "pyproject.toml"})


@dataclass(frozen=True)
class InputFile:
    path: Path
    kind: str
    """html | eml | json | workflow | audiences | meta | text | config | unknown"""
    explicit: bool


def classify(path: Path) -> str:
    name = path.name.lower()
    if name in CONFIG_FILES:
        return "config"
    if name.endswith((".workflow.yaml", ".workflow.yml", ".workflow.json")):
        return "workflow"
    if name == "audiences.yaml" or name.endswith(".audiences.yaml"):
        return "audiences"
    if name.endswith(".meta.yaml"):
        return "meta"
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".eml":
        return "eml"
    if suffix == ".json":
        return "json"
    if suffix == ".txt":
        return "text"
    return "unknown"


def _template_for(path: Path) -> Path | None:
    """The template a sidecar or a text part belongs to, if there is one."""
    name = path.name
    stem = name[: -len(".meta.yaml")] if name.lower().endswith(".meta.yaml") else path.stem
    for suffix in (".html", ".htm", ".eml", ".json"):
        candidate = path.with_name(stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def discover(
    paths: Iterable[Path], config: Config, skip_unknown: bool = False
) -> Iterator[InputFile]:
    """Inputs in a stable order; each file once. Raises FileNotFoundError for a missing path.

    With ``skip_unknown`` (pre-commit passes every changed file), named files are
    treated like files found by walking: what is not an input is skipped quietly.
    """
    paths = list(paths)
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(str(path))
    named = set() if skip_unknown else {os.path.abspath(p) for p in paths if not p.is_dir()}
    seen: set[str] = set()

    def once(item: InputFile) -> Iterator[InputFile]:
        key = os.path.abspath(item.path)  # not resolve(): a stat per path component
        if key not in seen:
            seen.add(key)
            # a file named on the command line is explicit even when a walk finds it first
            yield InputFile(item.path, item.kind, True) if key in named else item

    for path in paths:
        if path.is_dir():
            for found in _walk(path, config):
                yield from once(found)
            continue
        kind = classify(path)
        if kind in ("meta", "text"):
            owner = _template_for(path)
            if owner is not None:
                yield from once(InputFile(owner, classify(owner), True))
                continue
            if kind == "meta":
                continue  # a sidecar with no template yet: nothing to check
        if kind == "config" or (skip_unknown and kind in ("unknown", "text")):
            continue
        yield from once(InputFile(path, kind, not skip_unknown))


def _walk(root: Path, config: Config) -> Iterator[InputFile]:
    inside: str | None = None  # the folder's real path, once a link needs it
    for directory, dirnames, filenames in os.walk(root):  # never into linked folders
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS)
        base = Path(directory)
        for name in sorted(filenames):
            path = base / name
            kind = classify(path)
            if kind in ("unknown", "config", "meta", "text"):
                continue
            if config.is_excluded(path):
                continue
            if os.path.islink(path):
                # a link to a file outside the folder (a .env next door) is not the
                # folder's to show; named on the command line, it is read
                inside = inside or os.path.realpath(root)
                if os.path.commonpath([inside, os.path.realpath(path)]) != inside:
                    continue
            yield InputFile(path, kind, False)
