"""preflight.yaml, .preflight.yaml or [tool.preflight]: strict, with "did you mean".

A config is read once into a frozen Config; ``Config.for_file`` gives the
settings that apply to one path (select/ignore, severities, options, platform)
after overrides and per-file ignores.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from preflight.catalogue import FAMILIES, Catalogue, load_catalogue
from preflight.constants import IMPORT_PLATFORMS
from preflight.dialects import platform_names, resolve_platform
from preflight.durations import parse_duration
from preflight.formats.decode import DEFAULT_MAX_BYTES, UnreadableInput, read_bytes
from preflight.model import Severity
from preflight.resources import rules_dir
from preflight.suggest import did_you_mean
from preflight.suggest import hint as suggestion_hint
from preflight.yamlio import YamlError, load_yaml

CONFIG_NAMES = ("preflight.yaml", ".preflight.yaml")
TOP_KEYS = (
    "extends",
    "platform",
    "select",
    "ignore",
    "rules",
    "overrides",
    "per_file_ignores",
    "exclude",
    "audiences",
    "suppression_audiences",
    "links",
    "templates",
    "defaults",
    "max_file_size",
    "fail_on",
    "corrections",
    "jobs",
    "cache",
    "clients",
    "compose",
    "build",
)
OVERRIDE_KEYS = ("files", "select", "ignore", "platform", "rules")
LINK_KEYS = (
    "online",
    "own_domains",
    "required_utm",
    "allow_hosts",
    "cache",
    "timeout",
    "deadline",
    "retries",
    "max_redirects",
    "concurrency",
)
CORRECTION_KEYS = ("templates", "links")
DEFAULT_KEYS = ("locale", "category", "from", "reply_to", "campaign")
FAIL_ON = ("error", "warning", "info", "never")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)?\s*$", re.IGNORECASE)


class ConfigError(Exception):
    """A config that cannot be used: the CLI prints it and exits 2."""


@dataclass(frozen=True)
class RuleSettings:
    severity: Severity | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Override:
    patterns: tuple[str, ...]
    spec: Any  # pathspec.PathSpec
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    platform: str | None = None
    rules: Mapping[str, RuleSettings] = field(default_factory=dict)


BUILD_LANGUAGES = (
    "maizzle",
    "mjml",
    "handlebars",
    "inky",
    "twig",
    "jinja",
    "mako",
    "ejs",
    "magento",
    "go",
)


@dataclass(frozen=True)
class BuildRule:
    """One `build:` entry: sources matching ``files`` under ``source`` compile to the same
    relative path under ``output`` (all relative to the config's folder)."""

    spec: Any  # pathspec.PathSpec over ``files``
    language: str
    source: str
    output: str

    def matches(self, relative: str) -> bool:
        return bool(self.spec.match_file(relative))

    def output_for(self, path: Path, root: Path) -> Path | None:
        try:
            rest = Path(os.path.abspath(path)).relative_to(os.path.abspath(root / self.source))
        except ValueError:
            return None
        candidate = (root / self.output / rest).with_suffix(".html")
        if candidate.name.endswith(".html.html"):
            candidate = candidate.with_name(candidate.name[: -len(".html")])
        return candidate if candidate.is_file() else None

    def source_for(self, path: Path, root: Path) -> Path | None:
        try:
            rest = Path(os.path.abspath(path)).relative_to(os.path.abspath(root / self.output))
        except ValueError:
            return None
        base = root / self.source / rest
        for candidate in (base, *(base.with_suffix(s) for s in (".mjml", ".hbs", ".twig", ".ejs"))):
            if candidate.is_file() and self.matches(
                Path(os.path.relpath(candidate, root)).as_posix()
            ):
                return candidate
        return None


@dataclass(frozen=True)
class FileSettings:
    """What applies to one file once overrides are folded in."""

    enabled: frozenset[str]
    severities: Mapping[str, Severity]
    options: Mapping[str, Mapping[str, Any]]
    platform: str | None

    def is_enabled(self, rule_id: str) -> bool:
        return rule_id in self.enabled


@dataclass(frozen=True, eq=False)
class Config:
    root: Path
    source: Path | None = None
    platform: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    rules: Mapping[str, RuleSettings] = field(default_factory=dict)
    overrides: tuple[Override, ...] = ()
    per_file_ignores: tuple[tuple[Any, tuple[str, ...]], ...] = ()
    exclude: Any = None  # pathspec.PathSpec | None
    audiences: Path | None = None
    suppression_audiences: tuple[str, ...] = ()
    links: Mapping[str, Any] = field(default_factory=dict)
    templates: Mapping[str, Any] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    max_file_size: int = DEFAULT_MAX_BYTES
    fail_on: str = "error"
    corrections: Mapping[str, Any] = field(default_factory=dict)
    """`preflight correct`: ``templates`` (a folder of jinja2 overrides), ``links`` (old -> new)."""
    forced_platform: str | None = None
    """--platform: beats every other source of the platform."""
    cli_select: tuple[str, ...] | None = None
    cli_ignore: tuple[str, ...] | None = None
    """--select / --ignore: they replace every select / ignore list of the config, overrides too."""
    link_cache: str = "use"
    """use | off (--no-cache) | refresh (--refresh): how live link checks treat the cache."""
    jobs: int = 0
    """Worker processes for per-file work: 0 = one per core, 1 = in this process."""
    cache_path: Path | None = None
    """The results cache folder (`cache: {path: …}`, relative to the config); None: the
    default, .preflight_cache beside the config (or in the current folder without one)."""
    use_cache: bool = True
    """False with --no-cache: neither the results cache nor the link cache is read or written."""
    clients: tuple[str, ...] | None = None
    """`clients:`, the email clients the CLIENT rules judge against: the default of every rule
    option named ``clients`` (a rule's own `clients` option beats it)."""
    compose: Mapping[str, Any] = field(default_factory=dict)
    """`compose: {layouts: [globs], partials: [globs]}`: files that are parts of emails,
    never emails (each a PathSpec)."""
    build: tuple[BuildRule, ...] = ()
    """`build:` sources and where their output goes."""

    def with_cli(
        self,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        platform: str | None = None,
        online: bool = False,
        link_cache: str | None = None,
        jobs: int | None = None,
        cache: bool | None = None,
    ) -> Config:
        """The config with command-line lists, which replace the config's own."""
        catalogue = load_catalogue()
        changes: dict[str, Any] = {}
        if jobs is not None:
            if jobs < 0:
                raise ConfigError("--jobs must be 0 (one per core) or more")
            changes["jobs"] = jobs
        if cache is False:
            changes["use_cache"] = False
            changes["link_cache"] = "off"
        if online:
            changes["links"] = {**self.links, "online": True}
        if link_cache is not None:
            changes["link_cache"] = link_cache
        if select:
            changes["cli_select"] = tuple(_expand_all(catalogue, select, "--select"))
        if ignore:
            changes["cli_ignore"] = tuple(_expand_all(catalogue, ignore, "--ignore"))
        if platform:
            changes["forced_platform"] = _platform(platform, "--platform")
        return replace(self, **changes) if changes else self

    @functools.cached_property
    def _absolute_root(self) -> str:
        return os.path.abspath(self.root) + os.sep

    def relative(self, path: Path) -> str:
        """The path relative to the config's folder, for globs (no symlinks followed: no I/O)."""
        absolute = os.path.abspath(path)
        if absolute.startswith(self._absolute_root):
            return Path(absolute[len(self._absolute_root) :]).as_posix()
        return path.as_posix()

    def is_excluded(self, path: Path) -> bool:
        return self.exclude is not None and bool(self.exclude.match_file(self.relative(path)))

    def for_file(self, path: Path) -> FileSettings:
        relative = self.relative(path)
        matched = tuple(
            i for i, override in enumerate(self.overrides) if override.spec.match_file(relative)
        )
        ignored = tuple(
            i for i, (spec, _) in enumerate(self.per_file_ignores) if spec.match_file(relative)
        )
        return self._settings(matched, ignored)

    @functools.cache  # noqa: B019 - a Config is frozen and lives for one run
    def _settings(self, overrides: tuple[int, ...], ignores: tuple[int, ...]) -> FileSettings:
        catalogue = load_catalogue()
        select = self.cli_select if self.cli_select is not None else self.select
        # a rule named with --select runs even where the config ignores it; --ignore wins over all
        config_ignores = self.cli_select is None and self.cli_ignore is None
        ignored = set(self.ignore) if config_ignores else set(self.cli_ignore or ())
        enabled = set(select) if select is not None else set(catalogue.rules)
        severities: dict[str, Severity] = {}
        options: dict[str, dict[str, Any]] = {
            rule.id: rule.option_defaults() for rule in catalogue.rules.values()
        }
        if self.clients is not None:
            for rule in catalogue.rules.values():
                if "clients" in rule.options:
                    options[rule.id]["clients"] = self.clients
        platform = self.platform
        layers: list[Mapping[str, RuleSettings]] = [self.rules]
        for index in overrides:
            override = self.overrides[index]
            if override.select is not None and self.cli_select is None:
                enabled = set(override.select)
            if config_ignores:
                ignored |= set(override.ignore)
            if override.platform:
                platform = override.platform
            layers.append(override.rules)
        for index in ignores:
            ignored |= set(self.per_file_ignores[index][1])
        enabled -= ignored
        for layer in layers:
            for rule_id, settings in layer.items():
                if settings.severity is not None:
                    severities[rule_id] = settings.severity
                options[rule_id].update(settings.options)
        enabled |= {rule.id for rule in catalogue.rules.values() if rule.always_on}
        return FileSettings(frozenset(enabled), severities, options, platform)


# -- finding and reading ---------------------------------------------------


def find_config(start: Path) -> Path | None:
    """The nearest config at or above ``start``: preflight.yaml, .preflight.yaml, pyproject."""
    directory = start.resolve()
    if directory.is_file():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            path = candidate / name
            if path.is_file():
                return path
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        raw = read_bytes(path, DEFAULT_MAX_BYTES)  # a FIFO or /dev/zero is no config
    except UnreadableInput:
        return False
    return b"[tool.preflight" in raw


def discover_config(paths: Iterable[Path], cwd: Path | None = None) -> Config:
    """The config for a run: nearest to the inputs, then to the working directory."""
    cwd = cwd or Path.cwd()
    starts = [p for p in paths if p.exists()]
    for start in [*_common_parent(starts), cwd]:
        found = find_config(start)
        if found is not None:
            return load_config(found)
    return Config(root=cwd, rules=recommended().rules)


@functools.cache
def recommended() -> Config:
    """The recommended preset, whose rule severities a run without a config and a config that
    extends nothing start from (new rule families arrive there as warnings)."""
    return load_config(rules_dir() / "presets" / "recommended.yaml")


@dataclass(frozen=True)
class CliChoices:
    """What the command line chose (--select, --platform, --jobs…): it applies on top of
    every config of the run."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    platform: str | None = None
    online: bool = False
    link_cache: str | None = None
    jobs: int | None = None
    cache: bool | None = None

    def apply(self, config: Config) -> Config:
        return config.with_cli(
            select=self.select,
            ignore=self.ignore,
            platform=self.platform,
            online=self.online,
            link_cache=self.link_cache,
            jobs=self.jobs,
            cache=self.cache,
        )


class Configs:
    """The config of each file of a run, as ruff finds it: the nearest preflight.yaml,
    .preflight.yaml or pyproject.toml [tool.preflight] above the file, which applies alone
    (a parent applies only through `extends`). A run given one config (--config, or the
    library's ``config=``) uses it for every file.

    ``run`` is the run's own config (its jobs, cache, fail_on and live-link settings): the
    one given, else the nearest to the inputs (as before hierarchy), else the defaults.
    Configs are picklable: worker processes receive them once.
    """

    def __init__(self, run: Config, hierarchical: bool, choices: CliChoices = CliChoices()) -> None:
        self.run = run
        self.hierarchical = hierarchical
        self.choices = choices
        self._by_source: dict[Path | None, Config] = {run.source: run}
        self._by_folder: dict[str, Path | None] = {}
        self._by_path: dict[Path, Config] = {}
        """Each path's config, once found: an item asks for it several times (a stat each)."""

    @classmethod
    def fixed(cls, config: Config) -> Configs:
        return cls(config, hierarchical=False)

    @classmethod
    def discover(cls, paths: Iterable[Path], choices: CliChoices = CliChoices()) -> Configs:
        """Raises ConfigError for a config that cannot be used."""
        return cls(choices.apply(discover_config(paths)), hierarchical=True, choices=choices)

    def loaded(self) -> list[Config]:
        """Every config this run has read so far (the run's first)."""
        return list(self._by_source.values())

    def for_path(self, path: Path) -> Config:
        """The config that applies to ``path``. Raises ConfigError for a broken one."""
        if not self.hierarchical:
            return self.run
        known = self._by_path.get(path)
        if known is not None:
            return known
        found = self._by_path[path] = self._for_path(path)
        return found

    def _for_path(self, path: Path) -> Config:
        folder = os.path.abspath(path if path.is_dir() else path.parent)
        if folder not in self._by_folder:
            found = find_config(Path(folder))
            self._by_folder[folder] = found.resolve() if found is not None else None
        source = self._by_folder[folder]
        if source is None:
            return self.run  # no config above it: the run's (found from the inputs or cwd)
        if source not in self._by_source:
            self._by_source[source] = self.choices.apply(load_config(source))
        return self._by_source[source]

    def all(self) -> list[Config]:
        return list(self._by_source.values())


def _common_parent(paths: list[Path]) -> list[Path]:
    if not paths:
        return []
    resolved = [p.resolve() for p in paths]
    common = resolved[0] if resolved[0].is_dir() else resolved[0].parent
    for path in resolved[1:]:
        while common not in (path, *path.parents):
            common = common.parent
    return [common]


def load_config(path: Path, _seen: tuple[Path, ...] = ()) -> Config:
    path = path.resolve()
    if path in _seen:
        raise ConfigError(f"{path}: extends itself through {' -> '.join(str(p) for p in _seen)}")
    data, document = _read(path)
    return _build(data, document, path, (*_seen, path))


def _read(path: Path) -> tuple[dict[str, Any], _Positions | None]:
    try:  # a regular file within the size limit: --config /dev/zero or a FIFO is refused
        text = read_bytes(path, DEFAULT_MAX_BYTES).decode("utf-8-sig")
    except UnreadableInput as error:
        raise ConfigError(f"{path}: cannot read config: {error.reason}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: cannot read config: {error}") from None
    if path.name == "pyproject.toml":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - exercised on 3.10 only
            import tomli as tomllib
        from preflight.tomlpos import TomlPositions, decode_error_position

        try:
            tool = tomllib.loads(text).get("tool", {})
        except (tomllib.TOMLDecodeError, ValueError) as error:
            message, at = decode_error_position(str(error), text)
            where = f":{at[0]}:{at[1]}" if at else ""
            raise ConfigError(f"{path}{where}: invalid TOML: {message}") from None
        positions = TomlPositions(text, ("tool", "preflight"))
        table = tool.get("preflight", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise _Reader(path, positions).fail([], "[tool.preflight] must be a table")
        return table, positions
    try:
        document = load_yaml(text)
    except YamlError as error:
        where = f":{error.line}:{error.column}" if error.line else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {error.message}") from None
    if document.data is None:
        return {}, document
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path}: the config must be a mapping of keys to values")
    return document.data, document


class _Positions(Protocol):
    """Where a key path is written: a YAML document, or the lines of a pyproject.toml."""

    def position(self, *keys: str | int) -> tuple[int, int] | None: ...


class _Reader:
    """Validation helpers that name the file, the key path and its line."""

    def __init__(self, path: Path, document: _Positions | None) -> None:
        self.path = path
        self.document = document

    def fail(self, keys: Sequence[str | int], message: str) -> ConfigError:
        where = ""
        if self.document is not None:
            position = self.document.position(*keys)
            if position:
                where = f":{position[0]}:{position[1]}"
        dotted = ".".join(str(k) for k in keys)
        return ConfigError(
            f"{self.path}{where}: {dotted}: {message}"
            if dotted
            else f"{self.path}{where}: {message}"
        )

    def keys(
        self, data: Mapping[str, Any], allowed: Sequence[str], at: Sequence[str | int]
    ) -> None:
        for key in data:
            if key not in allowed:
                hint = suggestion_hint(did_you_mean(str(key), allowed))
                raise self.fail([*at, str(key)], f'unknown key "{key}"{hint}')

    def strings(self, value: Any, at: Sequence[str | int]) -> list[str]:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(at, "expected a list of strings")
        return list(value)

    def mapping(self, value: Any, at: Sequence[str | int]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(at, "expected a mapping")
        return value


def _expand_all(catalogue: Catalogue, selectors: Iterable[str], where: str) -> list[str]:
    ids: list[str] = []
    for raw in selectors:
        for selector in (s.strip() for s in raw.split(",")):
            if not selector:
                continue
            expanded = catalogue.expand(selector)
            if not expanded and selector.upper() not in FAMILIES:  # MERGE before its rules exist
                hint = suggestion_hint(catalogue.suggest(selector))
                raise ConfigError(f'{where}: unknown rule or prefix "{selector}"{hint}')
            ids.extend(expanded)
    return ids


def _platform(value: Any, where: str) -> str:
    name = resolve_platform(str(value)) if isinstance(value, str) else None
    if name is None:
        hint = suggestion_hint(did_you_mean(str(value), platform_names()))
        raise ConfigError(f'{where}: unknown platform "{value}"{hint}')
    return name


def parse_size(value: Any) -> int:
    """A size in bytes (5MB, 512k, 1048576); ValueError unless it is at least one byte."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise ValueError(f'"{value}" is not a size such as 5MB')
        number = float(match.group(1))
        unit = (match.group(2) or "").lower().rstrip("b").rstrip("i")
        size = int(number * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit])
    if size < 1:
        raise ValueError(f'"{value}" is not a size preflight can read files within (5MB, say)')
    return size


def _rule_settings(
    reader: _Reader, catalogue: Catalogue, value: Any, at: Sequence[str | int]
) -> dict[str, RuleSettings]:
    result: dict[str, RuleSettings] = {}
    moved: dict[str, dict[str, Any]] = {}  # options set under the rule they moved from
    for key, raw in reader.mapping(value, at).items():
        rule = catalogue.get(str(key))
        if rule is None:
            hint = suggestion_hint(catalogue.suggest(str(key)))
            raise reader.fail([*at, str(key)], f'unknown rule "{key}"{hint}')
        if isinstance(raw, str):  # shorthand: CONTENT004: warning
            raw = {"severity": raw}
        settings = reader.mapping(raw if raw is not None else {}, [*at, str(key)])
        severity = None
        options: dict[str, Any] = {}
        for name, option_value in settings.items():
            here = [*at, str(key), str(name)]
            if name == "severity":
                if str(option_value).lower() not in ("error", "warning", "info"):
                    raise reader.fail(
                        here, f'severity must be error, warning or info, not "{option_value}"'
                    )
                severity = Severity.parse(str(option_value))
                continue
            spec = rule.options.get(str(name))
            if spec is None:
                allowed = ["severity", *rule.options]
                hint = suggestion_hint(did_you_mean(str(name), allowed))
                raise reader.fail(here, f'unknown option "{name}" for {rule.id}{hint}')
            try:
                checked = spec.validate(option_value)
            except ValueError as error:
                raise reader.fail(here, str(error)) from None
            if spec.moved_to is not None:
                moved.setdefault(spec.moved_to[0], {})[spec.moved_to[1]] = checked
            else:
                options[spec.name] = checked
        result[rule.id] = RuleSettings(severity, options)
    for rule_id, values in moved.items():  # the rule's own spelling wins over the old one
        before = result.get(rule_id, RuleSettings())
        result[rule_id] = RuleSettings(before.severity, {**values, **before.options})
    return result


def _gitignore(patterns: list[str]) -> Any:
    import pathspec  # only configs with globs pay for it

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _spec(reader: _Reader, value: Any, at: Sequence[str | int]) -> Any:
    return _gitignore(reader.strings(value, at))


def _build(
    data: Mapping[str, Any], document: _Positions | None, path: Path, seen: tuple[Path, ...]
) -> Config:
    reader = _Reader(path, document)
    catalogue = load_catalogue()
    reader.keys(data, TOP_KEYS, [])
    root = path.parent
    base = Config(root=root, source=path)
    if "extends" in data:
        base = replace(_extends(reader, data["extends"], root, seen), root=root, source=path)
    elif path.parent != rules_dir() / "presets":
        base = Config(root=root, source=path, rules=recommended().rules)

    def selectors(key: str, value: Any, at: Sequence[str | int]) -> tuple[str, ...]:
        try:
            return tuple(_expand_all(catalogue, reader.strings(value, at), key))
        except ConfigError as error:
            raise reader.fail(at, str(error).split(": ", 1)[-1]) from None

    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key == "extends":
            continue
        if key == "platform":
            try:
                changes["platform"] = _platform(value, "platform")
            except ConfigError as error:
                raise reader.fail([key], str(error).split(": ", 1)[-1]) from None
        elif key in ("select", "ignore"):
            changes[key] = selectors(key, value, [key])
        elif key == "rules":
            changes["rules"] = _merge_rules(
                base.rules, _rule_settings(reader, catalogue, value, [key])
            )
        elif key == "overrides":
            if not isinstance(value, list):
                raise reader.fail([key], "expected a list of overrides")
            overrides = []
            for index, raw in enumerate(value):
                at: list[str | int] = [key, index]
                entry = reader.mapping(raw, at)
                reader.keys(entry, OVERRIDE_KEYS, at)
                if "files" not in entry:
                    raise reader.fail(at, 'an override needs "files"')
                platform = None
                if "platform" in entry:
                    try:
                        platform = _platform(entry["platform"], "platform")
                    except ConfigError as error:
                        raise reader.fail(
                            [*at, "platform"], str(error).split(": ", 1)[-1]
                        ) from None
                overrides.append(
                    Override(
                        patterns=tuple(reader.strings(entry["files"], [*at, "files"])),
                        spec=_spec(reader, entry["files"], [*at, "files"]),
                        select=selectors("select", entry["select"], [*at, "select"])
                        if "select" in entry
                        else None,
                        ignore=selectors("ignore", entry.get("ignore", []), [*at, "ignore"]),
                        platform=platform,
                        rules=_rule_settings(
                            reader, catalogue, entry.get("rules", {}), [*at, "rules"]
                        ),
                    )
                )
            changes["overrides"] = base.overrides + tuple(overrides)
        elif key == "per_file_ignores":
            entries = []
            for pattern, ids in reader.mapping(value, [key]).items():
                entries.append(
                    (
                        _gitignore([str(pattern)]),
                        selectors(key, ids, [key, str(pattern)]),
                    )
                )
            changes["per_file_ignores"] = base.per_file_ignores + tuple(entries)
        elif key == "exclude":
            changes["exclude"] = _spec(reader, value, [key])
        elif key == "audiences":
            changes["audiences"] = root / _path_value(reader, value, [key], "a path")
        elif key == "suppression_audiences":
            changes["suppression_audiences"] = tuple(reader.strings(value, [key]))
        elif key == "links":
            changes["links"] = {**base.links, **_links(reader, value)}
        elif key == "templates":
            templates = reader.mapping(value, [key])
            reader.keys(templates, ("resolve",), [key])
            resolve = reader.mapping(templates.get("resolve", {}), [key, "resolve"])
            reader.keys(resolve, IMPORT_PLATFORMS, [key, "resolve"])
            for platform, rule in resolve.items():
                at = [key, "resolve", str(platform)]
                if isinstance(rule, Mapping):
                    for reference, target in rule.items():
                        if not isinstance(target, str) or not target:
                            raise reader.fail([*at, str(reference)], "expected a template path")
                    resolve[platform] = {str(k): v for k, v in rule.items()}
                elif not isinstance(rule, str) or "{id}" not in rule:
                    raise reader.fail(
                        at,
                        'expected a path pattern with "{id}" (emails/'
                        + str(platform)
                        + "/{id}.html) or a mapping of ids to template paths",
                    )
            changes["templates"] = {**templates, "resolve": resolve}
        elif key == "defaults":
            defaults = reader.mapping(value, [key])
            reader.keys(defaults, DEFAULT_KEYS, [key])
            if "category" in defaults and defaults["category"] not in (
                "marketing",
                "transactional",
            ):
                raise reader.fail([key, "category"], "must be marketing or transactional")
            changes["defaults"] = {**base.defaults, **{k: str(v) for k, v in defaults.items()}}
        elif key == "max_file_size":
            try:
                changes["max_file_size"] = parse_size(value)
            except ValueError as error:
                raise reader.fail([key], str(error)) from None
        elif key == "fail_on":
            if value not in FAIL_ON:
                raise reader.fail([key], f'must be one of {", ".join(FAIL_ON)}, not "{value}"')
            changes["fail_on"] = value
        elif key == "corrections":
            changes["corrections"] = {**base.corrections, **_corrections(reader, value, root)}
        elif key == "compose":
            entry = reader.mapping(value, [key])
            reader.keys(entry, ("layouts", "partials"), [key])
            changes["compose"] = {
                name: _spec(reader, globs, [key, name]) for name, globs in entry.items()
            }
        elif key == "build":
            if not isinstance(value, list):
                raise reader.fail([key], "expected a list of {files, language, source, output}")
            rules = []
            for index, raw in enumerate(value):
                at = [key, index]
                entry = reader.mapping(raw, at)
                reader.keys(entry, ("files", "language", "source", "output"), at)
                for needed in ("files", "source", "output"):
                    if not isinstance(entry.get(needed), str) or not entry[needed]:
                        raise reader.fail([*at, needed], f'a build entry needs "{needed}"')
                    if needed != "files":
                        _path_value(reader, entry[needed], [*at, needed], "a folder path")
                language = entry.get("language", "html")
                if language not in (*BUILD_LANGUAGES, "html"):
                    hint = suggestion_hint(did_you_mean(str(language), list(BUILD_LANGUAGES)))
                    raise reader.fail(
                        [*at, "language"],
                        f'unknown build language "{language}"{hint} (one of'
                        f" {', '.join(BUILD_LANGUAGES)})",
                    )
                rules.append(
                    BuildRule(
                        _spec(reader, entry["files"], [*at, "files"]),
                        str(language),
                        entry["source"].strip("/"),
                        entry["output"].strip("/"),
                    )
                )
            changes["build"] = tuple(rules)
        elif key == "jobs":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise reader.fail([key], "expected 0 (one worker per core) or a number of workers")
            changes["jobs"] = value
        elif key == "clients":
            changes["clients"] = _clients(reader, catalogue, value)
        elif key == "cache":
            entry = reader.mapping(value, [key])
            reader.keys(entry, ("path",), [key])
            if "path" in entry:
                folder = _path_value(reader, entry["path"], [key, "path"], "a folder path")
                changes["cache_path"] = root / folder
    return replace(base, **changes)


def _merge_rules(
    base: Mapping[str, RuleSettings], layer: Mapping[str, RuleSettings]
) -> dict[str, RuleSettings]:
    """``rules:`` over the extended config's: a rule's severity and each option are replaced
    one by one, so `CLIENT001: {ignore: [...]}` keeps the severity a preset gave it."""
    merged = dict(base)
    for rule_id, settings in layer.items():
        before = merged.get(rule_id)
        if before is None:
            merged[rule_id] = settings
            continue
        merged[rule_id] = RuleSettings(
            settings.severity if settings.severity is not None else before.severity,
            {**before.options, **settings.options},
        )
    return merged


def _clients(reader: _Reader, catalogue: Catalogue, value: Any) -> tuple[str, ...]:
    """`clients: major` or a list: validated like the CLIENT rules' own `clients` option."""
    spec = catalogue.rules["CLIENT001"].options["clients"]
    try:
        validated: tuple[str, ...] = spec.validate(value)
    except ValueError as error:
        raise reader.fail(["clients"], str(error)) from None
    return validated


def _path_value(reader: _Reader, value: Any, at: Sequence[str | int], expected: str) -> str:
    """A path written in the config: a string the file system can be asked about (a NUL
    or a name longer than the system allows raised from every later stat)."""
    if not isinstance(value, str) or not value:
        raise reader.fail(at, f"expected {expected}")
    parts = value.encode("utf-8", "surrogatepass").split(b"/")
    if "\x00" in value or len(value) > 4000 or any(len(part) > 255 for part in parts):
        raise reader.fail(at, f"expected {expected}: not a usable path")
    return value


def _corrections(reader: _Reader, value: Any, root: Path) -> dict[str, Any]:
    corrections = reader.mapping(value, ["corrections"])
    reader.keys(corrections, CORRECTION_KEYS, ["corrections"])
    result: dict[str, Any] = {}
    if "templates" in corrections:
        at = ["corrections", "templates"]
        result["templates"] = root / _path_value(reader, corrections["templates"], at, "a path")
    if "links" in corrections:
        links = reader.mapping(corrections["links"], ["corrections", "links"])
        for old, new in links.items():
            if not isinstance(new, str) or not new.strip():
                raise reader.fail(["corrections", "links", str(old)], "expected the right URL")
        result["links"] = {str(old): str(new) for old, new in links.items()}
    return result


def _links(reader: _Reader, value: Any) -> dict[str, Any]:
    links = reader.mapping(value, ["links"])
    reader.keys(links, LINK_KEYS, ["links"])
    result: dict[str, Any] = {}
    for key, raw in links.items():
        at = ["links", key]
        if key == "online":
            if not isinstance(raw, bool):
                raise reader.fail(at, "expected true or false")
            result[key] = raw
        elif key in ("own_domains", "required_utm", "allow_hosts"):
            result[key] = tuple(reader.strings(raw, at))
        elif key in ("retries", "max_redirects"):
            if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
                raise reader.fail(at, "expected a whole number, 0 or more")
            result[key] = raw
        elif key in ("timeout", "deadline"):
            try:
                result[key] = parse_duration(raw)
            except ValueError as error:
                raise reader.fail(at, str(error)) from None
            if result[key] <= 0:
                raise reader.fail(at, "expected a duration above zero")
        elif key == "cache":
            cache = reader.mapping(raw, at)
            reader.keys(cache, ("path", "max_age"), at)
            parsed: dict[str, Any] = {}
            if "path" in cache:
                parsed["path"] = reader.path.parent / str(cache["path"])
            if "max_age" in cache:
                try:
                    parsed["max_age"] = parse_duration(cache["max_age"])
                except ValueError as error:
                    raise reader.fail([*at, "max_age"], str(error)) from None
            result[key] = parsed
        elif key == "concurrency":
            concurrency = reader.mapping(raw, at)
            reader.keys(concurrency, ("total", "per_host"), at)
            for name, number in concurrency.items():
                if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                    raise reader.fail([*at, name], "expected a positive whole number")
            result[key] = dict(concurrency)
    return result


def _extends(reader: _Reader, value: Any, root: Path, seen: tuple[Path, ...]) -> Config:
    value = _path_value(reader, value, ["extends"], "a preset name or a path")
    preset = rules_dir() / "presets" / f"{value}.yaml"
    if "/" not in value and not value.endswith((".yaml", ".yml", ".toml")):
        if not preset.is_file():
            presets = [p.stem for p in (rules_dir() / "presets").glob("*.yaml")]
            hint = suggestion_hint(did_you_mean(value, presets))
            raise reader.fail(["extends"], f'unknown preset "{value}"{hint}')
        return load_config(preset, seen)
    target = (root / value).resolve()
    if not target.is_file():
        raise reader.fail(["extends"], f'no such file "{value}"')
    return load_config(target, seen)


def config_from_mapping(data: Mapping[str, Any], root: Path | None = None) -> Config:
    """A Config from a dict, as the library API accepts; paths are relative to ``root``."""
    return _build(dict(data), None, (root or Path.cwd()) / "<mapping>", ())
