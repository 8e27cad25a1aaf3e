"""The results cache: what checking an item found, kept between runs (as ruff does).

An entry is reused only when everything the item was judged with is unchanged:

- the bytes of every file the assembled item read (the template, its text part, its
  sidecar, the workflow that sets its subject…), and the absence of those it looked for
  and did not find;
- the settings that apply to the file (rules, severities, options, platform, defaults,
  link settings, limits) and whether the run is online;
- the run's facts it was judged with (its audiences with their members' counts, the send
  steps that send it);
- preflight itself: a hash of the installed package's code and its rules/ data, plus the
  Python and lxml versions (the version string alone would miss an edited install).

The cache is one pickle per package hash in the cache folder (``cache: {path: …}`` in
preflight.yaml, else $PREFLIGHT_CACHE_DIR, else .preflight_cache beside the config); the
folder holds a .gitignore of its own. A cache that cannot be read is ignored; it is
written atomically. `--no-cache` neither reads nor writes it.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import pickle
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from preflight.config import Config, FileSettings
from preflight.engine.items import ItemResult, Stat, stat_key
from preflight.fsutil import atomic_write
from preflight.resources import rules_dir

VERSION = 3
_ENV = "PREFLIGHT_CACHE_DIR"
_MAX_BYTES = 1 << 30
"""A cache file larger than this is not read (a run rebuilds it)."""


def cache_folder(config: Config) -> Path:
    if config.cache_path is not None:
        return config.cache_path
    if os.environ.get(_ENV):
        return Path(os.environ[_ENV])
    return (config.root if config.source is not None else Path.cwd()) / ".preflight_cache"


@functools.cache
def package_digest() -> str:
    """A hash of preflight's code and rules as installed, and of what parses for it."""
    import lxml.etree

    hashed = hashlib.blake2b(digest_size=16)
    hashed.update(f"{VERSION} {sys.version} {lxml.etree.LXML_VERSION}".encode())
    for root in (Path(__file__).resolve().parents[1], rules_dir()):
        for directory, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = Path(directory, name)
                hashed.update(str(path.relative_to(root)).encode("utf-8", "surrogateescape"))
                try:
                    hashed.update(path.read_bytes())
                except OSError:
                    continue
    return hashed.hexdigest()


def settings_digest(config: Config, settings: FileSettings, live: bool) -> str:
    """What applies to one file, as a hash (frozen values: their repr is their content)."""
    said = (
        sorted(settings.enabled),
        sorted((k, v.name) for k, v in settings.severities.items()),
        sorted((k, repr(v)) for k, v in settings.options.items() if k in settings.enabled),
        settings.platform,
        config.forced_platform,
        repr(config.defaults),
        repr(config.links),
        repr(config.templates),
        config.max_file_size,
        str(config.audiences),
        config.suppression_audiences,
        live,
    )
    return hashlib.blake2b(repr(said).encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Entry:
    settings: str
    facts: str
    read: Mapping[str, str]
    """Path -> hash of its bytes ("absent" for a file looked for and not found)."""
    result: ItemResult
    stats: Mapping[str, Stat]
    """Path -> its stat() when hashed, for the files that had settled (constants.SETTLED_NS):
    an unchanged stat() is an unchanged file, as for git and ruff; any other is hashed."""


class ResultsCache:
    def __init__(self, config: Config) -> None:
        self.folder = cache_folder(config)
        self.path = self.folder / "results" / f"{package_digest()}.pickle"
        self.entries: dict[str, Entry] = {}
        self.hits = 0
        self.misses = 0
        self._changed = False

    def load(self) -> None:
        try:
            if not self.path.is_file() or self.path.stat().st_size > _MAX_BYTES:
                return
            with self.path.open("rb") as stream:
                self.entries = _load(stream)
        except Exception:  # a cache that cannot be read is rebuilt, never a failure
            return

    def get(self, item: str, settings: str, facts: str) -> ItemResult | None:
        entry = self.entries.get(item)
        if (
            entry is None
            or entry.settings != settings
            or entry.facts != facts
            or not _unchanged(entry.read, entry.stats)
        ):
            self.misses += 1
            return None
        self.hits += 1
        return entry.result

    def put(self, item: str, settings: str, facts: str, result: ItemResult) -> None:
        if result.error is not None or not result.read:
            return  # a bug's result is never kept; nor one that read nothing we can hash
        self.entries[item] = Entry(settings, facts, result.read, result, result.stats)
        self._changed = True

    def save(self) -> None:
        if not self._changed:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                atomic_write(ignore, "# Automatically created by preflight.\n*\n")
            self.path.parent.mkdir(exist_ok=True)
            for stale in self.path.parent.glob("*.pickle"):
                if stale != self.path:  # another version of preflight wrote it
                    stale.unlink(missing_ok=True)
            atomic_write(self.path, _pickled(self.entries))
        except OSError:
            return  # a read-only checkout: the run's results stand, uncached


_BATCH = 256
"""Entries per pickle: the file is a header and batches, written one at a time, so saving
never holds the whole cache as one string of bytes (tens of MB for thousands of items)."""


def _pickled(entries: dict[str, Entry]) -> Iterator[bytes]:
    items = list(entries.items())
    yield pickle.dumps({"version": VERSION, "count": len(items)}, pickle.HIGHEST_PROTOCOL)
    for start in range(0, len(items), _BATCH):
        batch = dict(items[start : start + _BATCH])
        yield pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)


def _load(stream: BinaryIO) -> dict[str, Entry]:
    """The entries of a cache file (raises for one that is not whole), unpickled with the
    cyclic garbage collector paused: the tens of thousands of objects a cache holds would
    set off collections that scan them all again (half the time)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        header = pickle.load(stream)
        if not isinstance(header, dict) or header.get("version") != VERSION:
            return {}
        count = header["count"]
        entries: dict[str, Entry] = {}
        while len(entries) < count:
            batch = pickle.load(stream)
            if not isinstance(batch, dict) or not batch:
                raise ValueError("not a batch of cache entries")
            entries.update(batch)
        return entries
    finally:
        if paused:
            gc.enable()


def _unchanged(read: Mapping[str, str], stats: Mapping[str, Stat]) -> bool:
    for name, digest in read.items():
        known = stats.get(name)
        if known is not None or digest == "absent":
            try:
                found = os.stat(name)
            except FileNotFoundError:
                if digest == "absent":
                    continue
                return False
            except OSError:
                return False
            if digest == "absent":
                return False
            if stat_key(found) == known:
                continue
        try:
            with open(name, "rb") as stream:
                data = stream.read()
        except OSError:
            return False
        if hashlib.blake2b(data, digest_size=16).hexdigest() != digest:
            return False
    return True


def item_key(path: Path, explicit: bool) -> str:
    return f"{os.path.abspath(path)}\0{int(explicit)}"
