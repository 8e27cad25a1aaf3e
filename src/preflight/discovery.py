"""Which files are inputs, what each one is, and what a run skipped and why
(DESIGN.md, Contracts: file kinds and discovery).

An email is often several files: a content template and its layout and partials, or a
build source and the compiled output that is sent. Discovery tells them apart:

- a *layout* or *partial* is part of emails, never an email (config `compose:` globs, or
  the conventions: a folder named layouts, partials, components or includes; Postmark's
  layouts/<alias>/; an MJML file that is a fragment, not an <mjml> document);
- a build *source* and its *output* are one email, checked once as the output (config
  `build:`, or the same relative path in sibling folders: emails/ -> dist/, source/ ->
  compiled/, src/ -> build/);
- a source with no output (MJML, Handlebars, Twig, EJS, an Inky or Maizzle page) is checked
  as it is composed or compiled in process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from preflight import sfmcnames
from preflight.config import Config, Configs
from preflight.fsutil import leads_outside

SKIP_DIRS = frozenset(
    {"node_modules", "__pycache__", "site-packages", "htmlcov", "_build", "bower_components"}
)
"""Trees that never hold emails. dist/ and build/ are read: build tools put the sent
emails there. Virtual environments (a folder with pyvenv.cfg) and hidden folders are
skipped too."""
CONFIG_FILES = frozenset({"preflight.yaml", ".preflight.yaml", "pyproject.toml"})
PART_DIRS = {
    "layouts": "layout",
    "partials": "partial",
    "components": "partial",
    "includes": "partial",
}
"""Conventional folders of composition parts (Panini, Maizzle, Handlebars projects)."""
SOURCE_DIRS = ("emails", "source", "src", "templates")
OUTPUT_DIRS = ("dist", "build", "compiled", "output", "out")
"""Build conventions: a source in SOURCE_DIRS/<path> pairs with OUTPUT_DIRS/<path> in the
same parent folder (.mjml, .hbs, .twig and .ejs sources pair with .html outputs)."""
TEMPLATE_KINDS = frozenset({"html", "eml", "json", "mjml", "hbs", "twig", "ejs"})
"""Kinds checked as emails (a source kind compiled or composed first)."""


@dataclass(frozen=True)
class InputFile:
    path: Path
    kind: str
    """html | eml | json | mjml | hbs | twig | ejs | workflow | audiences | layout | partial |
    source | meta | text | config | unknown"""
    explicit: bool
    built_from: Path | None = None
    """For a compiled output: the source it was built from (checked as this output)."""


@dataclass
class Skipped:
    """What discovery left out, by reason, for the run's summary."""

    reasons: dict[str, list[Path]] = field(default_factory=dict)

    def add(self, reason: str, path: Path) -> None:
        self.reasons.setdefault(reason, []).append(path)


AUDIENCES_NAME = "audiences.yaml"
AUDIENCES_SUFFIX = ".audiences.yaml"


class AudiencesFinder:
    """Which audiences file an input is judged with: the one its config names
    (`audiences:`), else the nearest audiences.yaml (or one *.audiences.yaml) beside or
    above it, up to its config's folder (without a config: up to the working directory),
    and never above a repository root (a folder with .git). One finder serves the engine's
    facts and discovery (which audiences files name a members CSV)."""

    def __init__(self, configs: Configs) -> None:
        self.configs = configs
        self._found: dict[tuple[str, str], Path | None] = {}
        self._listed: dict[str, list[Path]] = {}
        self._by_path: dict[Path, Path | None] = {}
        """find() of each path once: the engine asks for every item twice."""

    def find(self, path: Path) -> Path | None:
        if path not in self._by_path:
            self._by_path[path] = self._find(path)
        return self._by_path[path]

    def _find(self, path: Path) -> Path | None:
        config = self.configs.for_path(path)
        if config.audiences is not None:
            return config.audiences
        wanted = self._bounds(path, config)
        if wanted not in self._found:
            folders = self._folders(*wanted)
            self._found[wanted] = next((found[0] for found in folders if found), None)
        return self._found[wanted]

    def candidates(self, path: Path) -> list[Path]:
        """Every audiences file that could speak for ``path``, nearest first: the config's,
        then each one beside or above it within the same bounds as ``find``."""
        config = self.configs.for_path(path)
        found = [] if config.audiences is None else [config.audiences]
        for listed in self._folders(*self._bounds(path, config)):
            found += listed
        return list({os.path.abspath(each): each for each in found}.values())

    @staticmethod
    def _bounds(path: Path, config: Config) -> tuple[str, str]:
        folder = os.path.abspath(path.parent)
        stop = os.path.abspath(config.root if config.source is not None else os.getcwd())
        return folder, stop

    def _folders(self, folder_name: str, stop_name: str) -> Iterator[list[Path]]:
        """The audiences files of each folder from ``folder_name`` up to the stop: the
        stop itself, a repository root, or (outside the stop's tree) the folder alone."""
        folder, stop = Path(folder_name), Path(stop_name)
        if folder != stop and stop not in folder.parents:
            stop = folder
        for candidate in (folder, *folder.parents):
            yield self._in(candidate)
            if candidate == stop or os.path.exists(candidate / ".git"):
                return

    def _in(self, folder: Path) -> list[Path]:
        """audiences.yaml first, then the *.audiences.yaml files by name."""
        key = str(folder)
        if key not in self._listed:
            try:
                names = sorted(
                    entry.name
                    for entry in os.scandir(folder)
                    if entry.name.endswith(AUDIENCES_SUFFIX) and entry.is_file()
                )
            except OSError:
                names = []
            plain = [folder / AUDIENCES_NAME] if (folder / AUDIENCES_NAME).is_file() else []
            self._listed[key] = plain + [folder / name for name in names]
        return self._listed[key]


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
    if name.endswith(".twig"):
        return "twig"
    if sfmcnames.is_script(name):
        return "meta"  # sfmc-devtools keeps an asset's AMPscript views beside its JSON
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".eml":
        return "eml"
    if suffix == ".json":
        return "meta" if name == "meta.json" or sfmc_content(path) is not None else "json"
    if suffix == ".txt":
        return "text"
    if suffix == ".mjml":
        return "mjml"
    if suffix in (".hbs", ".handlebars"):
        return "hbs"
    if suffix == ".ejs":
        return "ejs"
    return "unknown"


def sfmc_content(path: Path) -> Path | None:
    """The HTML file sfmc-devtools keeps beside an asset's JSON (``<key>.asset-message-meta
    .json`` -> ``views.html.content.asset-message-meta.html``; a template's
    ``content.asset-template-meta.html``; a block's ``<key>.asset-block-meta.html``): the
    pair is one input, the HTML, with the JSON as its metadata. None when there is none."""
    candidates = sfmcnames.content_files(path)[:1]  # a block's HTML, not its AMPscript
    return candidates[0] if candidates and candidates[0].is_file() else None


def _sfmc_owner(path: Path) -> Path | None:
    """The asset an sfmc-devtools AMPscript file belongs to: a message's HTML (or its JSON,
    when it kept no HTML), a block's JSON."""
    folder = path.parent
    if path.name.lower().startswith(sfmcnames.VIEWS_PREFIX):
        html = folder / sfmcnames.MESSAGE_HTML
        if html.is_file():
            return html
        found = sorted(folder.glob(sfmcnames.message_json("*")))
        return found[0] if len(found) == 1 else None
    stem = path.name.rsplit(".", 1)[0]
    candidate = path.with_name(stem + ".json")
    if candidate.is_file():
        return sfmc_content(candidate) or candidate
    return None


def _sfmc_role(path: Path) -> str | None:
    """sfmc-devtools' asset files: templates are layouts; content blocks, and the blocks
    of a message's slots it extracted to blocks/, are partials."""
    name = path.name
    if not sfmcnames.is_asset_file(name):
        return None
    if sfmcnames.is_block_html(name) or (
        path.parent.name == "blocks" and sfmcnames.is_extracted_block(name)
    ):
        return "partial"
    if sfmcnames.is_template_html(name):
        return "layout"
    return None


def part_role(path: Path, config: Config) -> str | None:
    """ "layout" or "partial" when the file is part of emails, not an email; else None."""
    compose = config.compose
    relative = config.relative(path)
    if compose.get("layouts") is not None and compose["layouts"].match_file(relative):
        return "layout"
    if compose.get("partials") is not None and compose["partials"].match_file(relative):
        return "partial"
    sfmc = _sfmc_role(path)
    if sfmc is not None:
        return sfmc
    for parent in path.parent.parts[::-1]:
        role = PART_DIRS.get(parent.lower())
        if role is not None:
            return role
    if path.suffix.lower() == ".mjml" and _mjml_fragment(path):
        return "partial"
    if path.name.startswith("_") and path.suffix.lower() in (".mjml", ".hbs", ".handlebars"):
        return "partial"  # the underscore convention of Sass and Handlebars projects
    return None


def _mjml_fragment(path: Path) -> bool:
    """An MJML file that is not a whole <mjml> document is an include."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4096).lower()
    except OSError:
        return False
    return b"<mjml" not in head


def build_output(path: Path, config: Config) -> Path | None:
    """The compiled output of a build source, declared or by convention; None when the
    source has none on disk."""
    for rule in config.build:
        if rule.matches(config.relative(path)):
            return rule.output_for(path, config.root)
    parts = path.parts
    for index in range(len(parts) - 2, -1, -1):
        if parts[index].lower() not in SOURCE_DIRS:
            continue
        base = Path(*parts[:index])
        rest = Path(*parts[index + 1 :])
        for name in OUTPUT_DIRS:
            candidate = (base / name / rest).with_suffix(".html")
            if candidate != path and candidate.is_file():
                return candidate
    return None


def build_source(path: Path, config: Config) -> Path | None:
    """The source a compiled output was built from (the reverse of build_output)."""
    for rule in config.build:
        source = rule.source_for(path, config.root)
        if source is not None:
            return source
    parts = path.parts
    for index in range(len(parts) - 2, -1, -1):
        if parts[index].lower() not in OUTPUT_DIRS:
            continue
        base = Path(*parts[:index])
        rest = Path(*parts[index + 1 :])
        for name in SOURCE_DIRS:
            for suffix in (".html", ".mjml", ".hbs", ".handlebars", ".html.twig", ".ejs"):
                candidate = base / name / rest.with_suffix("")
                candidate = candidate.with_name(candidate.name + suffix)
                if candidate.is_file() and candidate != path:
                    return candidate
    return None


def _template_for(path: Path) -> Path | None:
    """The template a sidecar, a text part or a Postmark meta.json belongs to."""
    name = path.name
    if name.lower() == "meta.json":
        candidate = path.with_name("content.html")
        return candidate if candidate.is_file() else None
    if name.lower().endswith("-meta.json"):
        return sfmc_content(path)
    if sfmcnames.is_script(name):
        return _sfmc_owner(path)
    stem = name[: -len(".meta.yaml")] if name.lower().endswith(".meta.yaml") else path.stem
    for suffix in (
        ".html",
        ".htm",
        ".eml",
        ".json",
        ".mjml",
        ".hbs",
        ".handlebars",
        ".twig",
        ".ejs",
    ):
        candidate = path.with_name(stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def discover(
    paths: Iterable[Path],
    configs: Config | Configs,
    skip_unknown: bool = False,
    skipped: Skipped | None = None,
) -> Iterator[InputFile]:
    """Inputs in a stable order; each file once. Raises FileNotFoundError for a missing path.

    With ``skip_unknown`` (pre-commit passes every changed file), named files are
    treated like files found by walking: what is not an input is skipped quietly.
    What was left out, and why, goes to ``skipped``.

    A named file that is not an email stands for what it belongs to (pre-commit hands over
    only what changed): a text part or sidecar for its template, a members CSV for the
    audiences file that names it, a config file for every input it applies to. (A layout
    or partial stands for the emails composed from it: the engine finds those.)
    """
    if isinstance(configs, Config):
        configs = Configs.fixed(configs)
    skipped = skipped if skipped is not None else Skipped()
    paths = list(paths)
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(str(path))
    named = set() if skip_unknown else {os.path.abspath(p) for p in paths if not p.is_dir()}
    seen: set[str] = set()
    owners = _MembersOwners(configs)

    def once(item: InputFile) -> Iterator[InputFile]:
        key = os.path.abspath(item.path)  # not resolve(): a stat per path component
        if key not in seen:
            seen.add(key)
            # a file named on the command line is explicit even when a walk finds it first
            if key in named and not item.explicit:
                item = InputFile(item.path, item.kind, True, item.built_from)
            yield item

    for path in paths:
        if path.is_dir():
            for found in _walk(path, configs, skipped):
                yield from once(found)
            continue
        kind = classify(path)
        if kind in ("meta", "text"):
            owner = _template_for(path)
            if owner is not None:
                yield from once(_item(owner, classify(owner), True, configs))
                continue
            if kind == "meta":
                skipped.add("metadata without its template", path)
                continue
        if kind == "config":
            governed = _governed_by(path, configs)
            if governed is None:
                skipped.add("config", path)
                continue
            for found in _walk(path.parent, configs, skipped):
                if configs.for_path(found.path).source == governed.source:
                    yield from once(found)
            continue
        if kind == "unknown" and path.suffix.lower() == ".csv":
            lists = owners.naming(path)
            if lists:  # a members file: check the audiences file that names it
                for owner in lists:
                    yield from once(InputFile(owner, "audiences", not skip_unknown))
                continue
        if skip_unknown and kind in ("unknown", "text"):
            skipped.add("not an input", path)
            continue
        yield from once(_item(path, kind, not skip_unknown, configs))


def _governed_by(path: Path, configs: Configs) -> Config | None:
    """The config a config file named on the command line is (pre-commit hands over a
    changed preflight.yaml): the files it applies to are checked. None when the file is
    not the config in effect for its folder (a pyproject.toml without [tool.preflight], a
    .preflight.yaml beside a preflight.yaml) or the run uses one config (--config)."""
    if not configs.hierarchical:
        return None
    config = configs.for_path(path)
    if config.source is None or config.source != path.resolve():
        return None
    return config


class _MembersOwners:
    """Which audiences files name a members CSV in `members:`: the config's, and those beside
    or above the CSV that AudiencesFinder walks through (never above its config's folder,
    the working directory or the repository root). Each file is parsed once per discovery,
    and its `members:` resolved as the engine resolves them (formats.audiences)."""

    def __init__(self, configs: Configs) -> None:
        self.configs = configs
        self.finder = AudiencesFinder(configs)
        self._members: dict[str, frozenset[str]] = {}

    def naming(self, path: Path) -> list[Path]:
        target = os.path.normcase(os.path.abspath(path))
        return [owner for owner in self.finder.candidates(path) if target in self._named(owner)]

    def _named(self, owner: Path) -> frozenset[str]:
        key = os.path.abspath(owner)
        if key not in self._members:
            from preflight.formats.audiences import load_audiences

            read = load_audiences(owner, self.configs.for_path(owner).max_file_size)
            self._members[key] = frozenset(
                os.path.normcase(os.path.abspath(audience.members))
                for audience in read.items.values()
                if audience.members is not None
            )
        return self._members[key]


def _item(path: Path, kind: str, explicit: bool, configs: Configs) -> InputFile:
    """What a template-like file is: a part of emails, a paired build source or output, or
    an email of its own."""
    if kind not in TEMPLATE_KINDS or kind in ("eml", "json"):
        return InputFile(path, kind, explicit)
    config = configs.for_path(path)
    role = part_role(path, config)
    if role is not None:
        return InputFile(path, role, explicit)
    output = build_output(path, config)
    if output is not None:
        if explicit:  # a changed source (pre-commit): check the email it builds
            return InputFile(output, "html", True, path)
        return InputFile(path, "source", explicit, None)
    if kind == "html":
        source = build_source(path, config)
        if source is not None:
            return InputFile(path, "html", explicit, source)
    return InputFile(path, kind, explicit)


def _walk(root: Path, configs: Configs, skipped: Skipped) -> Iterator[InputFile]:
    inside: str | None = None  # the folder's real path, once a link needs it
    for directory, dirnames, filenames in os.walk(root):  # never into linked folders
        kept = []
        for name in sorted(dirnames):
            if name.startswith(".") or name in SKIP_DIRS:
                continue
            if os.path.isfile(os.path.join(directory, name, "pyvenv.cfg")):
                continue  # a virtual environment
            kept.append(name)
        dirnames[:] = kept
        base = Path(directory)
        for name in sorted(filenames):
            path = base / name
            kind = classify(path)
            if kind in ("config", "meta", "text"):
                continue  # read with the template or workflow they belong to
            if kind == "unknown":
                skipped.add("not an input", path)
                continue
            config = configs.for_path(path)
            if config.is_excluded(path):
                skipped.add("excluded", path)
                continue
            if os.path.islink(path):
                # a link to a file outside the folder (a .env next door) is not the
                # folder's to show; named on the command line, it is read
                inside = inside or os.path.realpath(root)
                if leads_outside(path, inside):
                    skipped.add("outside the folder", path)
                    continue
            yield _item(path, kind, False, configs)
