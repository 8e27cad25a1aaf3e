"""The link cache: what each URL answered, kept on disk between runs.

One JSON file (``links.json``) in the cache folder (``links.cache.path``,
default ``.preflight_cache`` beside the config), keyed by URL. A success is
trusted for ``max_age`` (default one day); a failure for a quarter of that and
at most an hour, because a site that was down is often back soon. Written
atomically; a cache that cannot be read is set aside with a warning, never a
crash.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

from preflight.fsutil import atomic_write
from preflight.links.results import FAILED, Result

VERSION = 1
FILE_NAME = "links.json"
FAILURE_AGE = 3600.0


class LinkCache:
    def __init__(self, folder: Path, max_age: float = 86400.0) -> None:
        self.path = folder / FILE_NAME
        self.max_age = max_age
        self.entries: dict[str, dict[str, object]] = {}
        self.warnings: list[str] = []
        self._changed = False

    def load(self) -> None:
        if not self.path.is_file():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != VERSION:
                raise ValueError("not a preflight link cache of this version")
            entries = data["entries"]
            if not isinstance(entries, dict):
                raise ValueError("entries is not a mapping")
            # an entry that does not read back is as good as absent ("checked_at":
            # "yesterday" in a hand-edited cache once broke every later run)
            self.entries = {
                url: entry
                for url, entry in entries.items()
                if isinstance(url, str) and _readable(url, entry)
            }
            if len(self.entries) != len(entries):
                self._changed = True
        except (OSError, ValueError, KeyError, UnicodeDecodeError, RecursionError) as error:
            self.warnings.append(
                f"the link cache {self.path} could not be read ({error}); starting a new one"
            )
            self.entries = {}
            self._changed = True

    def get(self, url: str, now: float | None = None) -> Result | None:
        entry = self.entries.get(url)
        if not isinstance(entry, Mapping):
            return None
        try:
            result = Result.from_json(url, entry)
        except (KeyError, TypeError, ValueError, OverflowError):
            return None
        age = (now if now is not None else time.time()) - result.checked_at
        limit = min(self.max_age / 4, FAILURE_AGE) if result.status in FAILED else self.max_age
        return result if 0 <= age <= limit else None

    def put(self, result: Result) -> None:
        self.entries[result.url] = result.to_json()
        self._changed = True

    def save(self) -> None:
        if not self._changed:
            return
        now = time.time()
        kept = {
            url: entry
            for url, entry in self.entries.items()
            if _readable(url, entry) and now - float(entry["checked_at"]) <= self.max_age  # type: ignore[arg-type]
        }
        data = {"version": VERSION, "entries": kept}
        try:
            atomic_write(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            gitignore = self.path.parent / ".gitignore"
            if not gitignore.exists():
                atomic_write(gitignore, "# preflight's link cache\n*\n")
        except OSError as error:
            self.warnings.append(f"the link cache {self.path} could not be written ({error})")


def _readable(url: str, entry: object) -> bool:
    if not isinstance(entry, Mapping):
        return False
    try:
        Result.from_json(url, entry)
    except (KeyError, TypeError, ValueError, OverflowError):
        return False
    return True
