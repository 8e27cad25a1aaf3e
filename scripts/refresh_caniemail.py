"""Refresh the vendored caniemail data and compile the compact form CLIENT001 loads.

A maintainer's tool, never run by preflight itself (preflight never reaches the network):

    python scripts/refresh_caniemail.py                      # npm pack caniemail@latest
    python scripts/refresh_caniemail.py --version 2.0.2      # a pinned version
    python scripts/refresh_caniemail.py --tarball caniemail-2.0.2.tgz   # one you have
    python scripts/refresh_caniemail.py --compile-only       # after editing features.yaml

It writes, under rules/clients/:
  caniemail.json  the package's data/caniemail.json, byte for byte (MIT, see LICENSE there)
  LICENSE         the package's licence
  source.json     package name, version, the data's own last_update_date, the tarball's sha256
  support.json    the compact form every run reads: for each feature that features.yaml maps,
                  the clients (family.platform, by number in "clients") whose latest caniemail
                  entry is "n" (not supported) or "a" (partly), and indexes from what the email
                  uses (an element, a property, a unit...) to features
  details.json    what a finding quotes, read only when there is one: each feature's title,
                  caniemail page, each such client's entry with its note numbers and the version
                  tested, and the notes

"Latest" is the last version caniemail lists for a client family and platform: caniemail
writes each client's results oldest first, and its own site shows the last one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "rules" / "clients"
PACKAGE = "caniemail"

# caniemail marks partial support "a #N" with notes; a partial whose every note only says that
# non-Google accounts in the Gmail apps miss the feature is support for Gmail as such
_ACCOUNT_NOTE = re.compile(r"non[- ]?google accounts", re.IGNORECASE)
DETECT_KEYS = (
    "elements",
    "attributes",
    "input_types",
    "button_types",
    "link_rel",
    "href",
    "image_formats",
    "data_images",
    "properties",
    "property_prefixes",
    "values",
    "functions",
    "units",
    "keywords",
    "at_rules",
    "media_features",
    "pseudo_classes",
    "pseudo_elements",
    "selectors",
    "custom_properties",
    "nesting",
)
JUDGE = ("all", "unsupported", "never")


def _npm_pack(version: str, into: Path) -> Path:
    spec = f"{PACKAGE}@{version}"
    result = subprocess.run(
        ["npm", "pack", spec, "--silent"], cwd=into, capture_output=True, text=True, check=True
    )
    name = result.stdout.strip().splitlines()[-1]
    return into / name


def _read_tarball(path: Path) -> tuple[bytes, bytes, dict[str, Any]]:
    with tarfile.open(path, "r:gz") as archive:

        def member(name: str) -> bytes:
            handle = archive.extractfile(f"package/{name}")
            if handle is None:
                raise SystemExit(f"{path}: no package/{name}")
            return handle.read()

        return member("data/caniemail.json"), member("LICENSE"), json.loads(member("package.json"))


def _support(entry: str, notes: dict[str, str]) -> tuple[str, list[int]] | None:
    """caniemail's "a #1 #2" as ("a", [1, 2]); None when the client supports the feature."""
    parts = entry.split()
    if not parts:
        return None
    level = parts[0]
    numbers = [int(p[1:]) for p in parts[1:] if p.startswith("#") and p[1:].isdigit()]
    if (
        level == "a"
        and numbers
        and all(_ACCOUNT_NOTE.search(notes.get(str(n), "")) for n in numbers)
    ):
        return None
    if level not in ("n", "a"):
        return None  # y (supported) and u (unknown) are never reported
    return level, numbers


def _label(client: str, nicenames: dict[str, Any], labels: dict[str, str]) -> str:
    if client in labels:
        return labels[client]
    family, platform = client.split(".", 1)
    name = nicenames["family"].get(family, family)
    where = nicenames["platform"].get(platform, platform)
    return f"{name} ({where})"


def compile_support(
    raw: dict[str, Any], spec: dict[str, Any], source: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(support, details): the compact form CLIENT001 reads on every run, and what a finding
    quotes (titles, links, notes, the version each result is from), read only for findings."""
    by_slug = {feature["slug"]: feature for feature in raw["data"]}
    mapped: dict[str, Any] = spec["features"]
    unknown = sorted(set(mapped) - set(by_slug))
    if unknown:
        raise SystemExit(f"features.yaml maps features caniemail no longer has: {unknown}")
    found_clients: set[str] = set()
    for feature in raw["data"]:
        for family, platforms in feature["stats"].items():
            found_clients.update(f"{family}.{platform}" for platform in platforms)
    order = sorted(found_clients)
    number = {client: i for i, client in enumerate(order)}
    features: dict[str, Any] = {}
    details: dict[str, Any] = {}
    index: dict[str, dict[str, list[str]]] = {key: {} for key in DETECT_KEYS}
    for slug, entry in sorted(mapped.items()):
        entry = dict(entry or {})
        judge = entry.pop("judge", "all")
        fallback = entry.pop("fallback", None)
        if judge not in JUDGE:
            raise SystemExit(f"{slug}: judge must be one of {JUDGE}")
        feature = by_slug[slug]
        notes = {str(k): str(v) for k, v in (feature.get("notes_by_num") or {}).items()}
        support: dict[str, list[Any]] = {}
        levels: dict[str, list[int]] = {"n": [], "a": []}
        used: set[int] = set()
        for family, platforms in sorted(feature["stats"].items()):
            for platform, versions in sorted(platforms.items()):
                if not versions:
                    continue
                latest = list(versions.items())[-1]
                found = _support(latest[1], notes)
                if found is not None:
                    client = f"{family}.{platform}"
                    support[client] = [found[0], found[1], latest[0]]
                    levels[found[0]].append(number[client])
                    used.update(found[1])
        features[slug] = {
            "judge": judge,
            **{level: sorted(ids) for level, ids in levels.items() if ids},
            **({"fallback": fallback} if fallback else {}),
        }
        details[slug] = {
            "title": feature["title"],
            "url": feature["url"],
            "support": support,
            "notes": {n: notes[n] for n in sorted(notes, key=int) if int(n) in used},
        }
        for key, value in entry.items():
            if key not in DETECT_KEYS:
                raise SystemExit(f"{slug}: unknown detection key {key!r}")
            if key == "values":  # {property: [keyword, ...]} -> "property:keyword"
                names = [f"{prop}:{kw}" for prop, kws in value.items() for kw in kws]
            elif isinstance(value, bool):
                names = ["*"] if value else []
            else:
                names = list(value)
            for name in names:
                index[key].setdefault(str(name).lower(), []).append(slug)
    support_form = {
        "caniemail": source,
        "clients": {
            client: _label(client, raw["nicenames"], spec.get("labels") or {}) for client in order
        },
        "client_hooks": [str(hook).lower() for hook in spec.get("client_hooks") or ()],
        "features": features,
        "index": {key: dict(sorted(value.items())) for key, value in index.items() if value},
    }
    return support_form, {"caniemail": source, "features": details}


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def _dump(value: Any) -> bytes:
    """JSON with one line per top-level key and per feature: compact to load, readable in a diff."""

    def line(item: Any) -> str:
        return json.dumps(item, ensure_ascii=False, separators=(",", ":"))

    parts = []
    for key, item in value.items():
        if isinstance(item, dict) and key in ("features", "index"):
            inner = ",\n".join(f"  {line(k)}:{line(v)}" for k, v in item.items())
            parts.append(f"{line(key)}:{{\n{inner}\n}}")
        else:
            parts.append(f"{line(key)}:{line(item)}")
    return ("{\n" + ",\n".join(parts) + "\n}\n").encode()


def compile_from_vendored() -> tuple[dict[str, Any], dict[str, Any]]:
    raw = json.loads((OUT / "caniemail.json").read_text(encoding="utf-8"))
    spec = yaml.safe_load((OUT / "features.yaml").read_text(encoding="utf-8"))
    source = json.loads((OUT / "source.json").read_text(encoding="utf-8"))
    return compile_support(raw, spec, source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--tarball", type=Path, help="a caniemail .tgz from npm pack")
    group.add_argument("--version", default="latest", help="the npm version to pack")
    group.add_argument("--compile-only", action="store_true", help="recompile support.json only")
    args = parser.parse_args(argv)
    if not args.compile_only:
        with tempfile.TemporaryDirectory() as scratch:
            tarball = args.tarball or _npm_pack(args.version, Path(scratch))
            blob = tarball.read_bytes()
            data, licence, package = _read_tarball(tarball)
        raw = json.loads(data)
        source = {
            "package": PACKAGE,
            "version": package["version"],
            "repository": package.get("repository"),
            "license": package.get("license"),
            "api_version": raw.get("api_version"),
            "last_update_date": raw.get("last_update_date"),
            "tarball_sha256": hashlib.sha256(blob).hexdigest(),
        }
        _write(OUT / "caniemail.json", data)
        _write(OUT / "LICENSE", licence)
        _write(OUT / "source.json", _dump(source))
    support, details = compile_from_vendored()
    _write(OUT / "support.json", _dump(support))
    _write(OUT / "details.json", _dump(details))
    source = support["caniemail"]
    print(
        f"caniemail {source['version']} (data of {source['last_update_date']}): "
        f"{len(support['features'])} features mapped, {len(support['clients'])} clients",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
