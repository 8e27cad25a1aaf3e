"""The library API: check, correct, import and render as calls that return values.

The CLI (cli.py) is a thin layer over these: it parses options, calls one of them,
prints what it returns and picks the exit code. Nothing here imports click, and
nothing here prints. Errors the user can fix raise ``ApiError`` (or ConfigError)
with a message to show as it is.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preflight.config import (
    CliChoices,
    Config,
    ConfigError,
    Configs,
    discover_config,
    load_config,
)
from preflight.constants import VERSION
from preflight.model import Finding, Template
from preflight.model.report import Report

if TYPE_CHECKING:
    from preflight.corrections import CorrectionResult, Request
    from preflight.links.live import Progress

__all__ = [
    "ApiError",
    "ConfigError",
    "CorrectionResult",
    "Imported",
    "Rendered",
    "Request",
    "check",
    "check_output",
    "configure",
    "correct",
    "import_workflow",
    "load_template",
    "render",
]


class ApiError(Exception):
    """A request the library cannot carry out (a missing path, an unreadable file); the
    message says why, for the user."""


ConfigLike = Config | Mapping[str, Any] | str | Path | None
"""What the library takes as a config: a Config, a mapping of preflight.yaml's keys, a
config file, or None (each file's nearest config)."""


def configure(
    paths: Sequence[Path],
    config: ConfigLike = None,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    platform: str | None = None,
    online: bool = False,
    link_cache: str | None = None,
    jobs: int | None = None,
    cache: bool | None = None,
) -> Configs:
    """The configs a run uses, with command-line choices on top of each: the one given (a
    Config, a mapping, or a file) for every file; else, for each file, the nearest config
    above it (DESIGN.md, Contracts). Raises ConfigError."""
    choices = CliChoices(tuple(select), tuple(ignore), platform, online, link_cache, jobs, cache)
    if config is None:
        return Configs.discover(paths, choices)
    return Configs.fixed(choices.apply(_resolve(config, paths)))


def _resolve(config: ConfigLike, paths: Sequence[Path]) -> Config:
    if config is None:
        return discover_config(paths)
    if isinstance(config, Config):
        return config
    if isinstance(config, (str, Path)):
        return load_config(Path(config))
    from preflight.config import config_from_mapping

    return config_from_mapping(config)


def check(
    paths: Iterable[str | Path] | str | Path,
    config: ConfigLike | Configs = None,
    baseline: str | Path | None = None,
    *,
    skip_unknown: bool = False,
    allow_empty: bool = True,
    progress: Progress | None = None,
    jobs: int | None = None,
    cache: bool | None = None,
    spam: bool = False,
    views: bool = False,
    json_lines: bool = False,
) -> Report:
    """Check paths (files or directories) and return the Report.

    A path that does not exist raises ApiError; so does a run that reads no input when
    ``allow_empty`` is False. ``baseline`` hides the findings a baseline file records.
    ``jobs`` and ``cache`` override the config's worker count and results cache.
    ``spam`` also scores each email with a local SpamAssassin (SPAM010).
    ``views`` attaches to each email's and workflow's FileInfo what the HTML report draws.
    ``json_lines`` encodes each finding's line of the JSON report where it is found (in the
    workers, or from the results cache), for a JSON report written next (``json_chunks``).
    """
    from preflight.engine import Engine

    if isinstance(paths, (str, Path)):
        paths = [paths]
    resolved = [Path(p) for p in paths] or [Path(".")]
    for path in resolved:
        if not path.exists():
            raise ApiError(f"path does not exist: {path}")
    configs = config if isinstance(config, Configs) else configure(resolved, config)
    engine = Engine(
        configs,
        progress=progress,
        jobs=jobs,
        use_cache=cache,
        spam=spam,
        views=views,
        json_lines=json_lines,
    )
    try:
        report = engine.run(resolved, skip_unknown=skip_unknown)
    except FileNotFoundError as error:  # removed while the run walked it
        raise ApiError(f"path does not exist: {error}") from None
    if baseline is not None:
        from preflight.baseline import BaselineError, apply_baseline

        try:
            apply_baseline(report, Path(baseline))
        except BaselineError as error:
            raise ApiError(str(error)) from None
    return report


def load_template(path: Path, config: Config | Configs) -> tuple[Template, list[Finding]]:
    """One template as the rules see it (sidecar, defaults, platform); raises ApiError when
    it cannot be read or is not a template."""
    from preflight.engine import Engine
    from preflight.formats.decode import UnreadableInput

    if not path.is_file():
        raise ApiError(f"not a file: {path}")
    try:
        template, problems = Engine(config).load_template(path)
    except UnreadableInput as error:
        raise ApiError(f"cannot read {path}: {error.reason}") from None
    if template is None:
        reason = problems[0].message if problems else "not a template preflight reads"
        raise ApiError(f"cannot read {path}: {reason}")
    return template, problems


@dataclass(frozen=True)
class Rendered:
    """A template as one recipient would read it (`preflight render`)."""

    platform: str
    platform_origin: str
    subject: str
    preheader: str
    text: str | None
    subject_written: str | None = None
    """The subject as written, tags and all; None when nothing gives the template one."""
    preheader_written: str | None = None
    preheader_origin: str | None = None
    """Where the preheader comes from: send-step, sidecar, format, config, or "html" (the
    hidden preview text at the top of the HTML)."""


def render(path: Path, config: Config | Configs, values: Mapping[str, object]) -> Rendered:
    """Fill a template's merge tags with ``values``: subject, preheader and text part."""
    from preflight.dialects import render as fill

    template, _ = load_template(path, config)
    if template.platform is None:
        raise ApiError(f"cannot tell which platform {path} is written for: use --platform")
    name = template.platform.value

    def show(text: str | None) -> str:
        return fill(text, name, dict(values)) if text else ""

    subject, preheader = template.subject, template.preheader
    return Rendered(
        platform=name,
        platform_origin=template.platform.origin,
        subject=show(subject.value if subject else None),
        preheader=show(preheader.value if preheader else None),
        text=show(template.text.text) if template.text else None,
        subject_written=subject.value if subject else None,
        preheader_written=preheader.value if preheader else None,
        preheader_origin=preheader.origin if preheader else None,
    )


@dataclass(frozen=True)
class Imported:
    """A platform workflow export mapped onto the native format (`preflight import`)."""

    platform: str
    yaml: str | None
    """The native YAML; None when the mapped workflow does not fit the native format."""
    steps: int
    problems: list[tuple[str, Any]] = field(default_factory=list)
    """(rule id, Violation) for what could not be read or mapped (PF003, PF004)."""

    @property
    def unmapped(self) -> int:
        return sum(1 for rule, _ in self.problems if rule in ("PF003", "PF004"))


def import_workflow(
    path: Path, config: Config | Configs, platform: str | None = None, base: Path | None = None
) -> Imported:
    """Map an export onto the native YAML; template references resolve relative to ``base``
    (where the YAML will be written; default: the export's folder). Raises ApiError when the
    file is unreadable or of no known format."""
    from preflight.importers.base import (
        ImportFailed,
        Resolver,
        convert,
        dump_yaml,
        read_export,
        to_workflow,
    )

    if not path.is_file():
        raise ApiError(f"not a file: {path}")
    if isinstance(config, Configs):
        config = config.for_path(path)
    try:
        text, data, found = read_export(path, config.max_file_size, platform)
    except ImportFailed as error:
        raise ApiError(f"cannot import {path}: {error}") from None
    resolver = Resolver(config.templates.get("resolve", {}), config.root, base or path.parent)
    imported = convert(path, text, data, found, resolver)
    workflow, problems = to_workflow(imported)
    if imported.document is None or workflow is None:
        return Imported(found, None, 0, list(problems))
    return Imported(found, dump_yaml(imported), len(imported.document["steps"]), list(problems))


_READ_KINDS = frozenset({"html", "eml", "workflow", "audiences", "meta", "config"})


def check_output(
    output: Path,
    targets: Sequence[Path],
    *,
    report: Report | None = None,
    config: Config | Configs | None = None,
    inputs: Iterable[Path | None] = (),
    flag: str = "--output",
) -> None:
    """Raise ApiError when writing ``output`` would replace an input of the run: a path
    named on the command line, a file the run read (``report``), the config, ``inputs``
    (a baseline, a report, the original), or a file of a kind preflight reads (a template,
    its text part or sidecar, a workflow, audiences, a members CSV, a config) inside a
    checked folder or beside a checked file. A file that does not exist yet is fine."""
    from preflight.discovery import classify
    from preflight.fsutil import same_file

    if not output.exists():
        return
    named: list[Path] = [*targets, *(p for p in inputs if p is not None)]
    if report is not None:
        named += [info.path for info in report.files]
    configs = config.loaded() if isinstance(config, Configs) else [config] if config else []
    for each in configs:
        named += [p for p in (each.source, each.audiences) if p is not None]
    for path in named:
        if path.is_file() and same_file(output, path):
            raise ApiError(_overwrite_message(output, flag))
    real = Path(os.path.realpath(output))
    kind = classify(real)
    reads = kind in _READ_KINDS or real.suffix.lower() == ".csv"
    if kind == "text":
        reads = any(real.with_suffix(s).is_file() for s in (".html", ".htm", ".eml", ".json"))
    if not reads:
        return
    for target in targets:
        folder = Path(os.path.realpath(target if target.is_dir() else target.parent))
        if real.parent == folder or (target.is_dir() and folder in real.parents):
            raise ApiError(_overwrite_message(output, flag))


def _overwrite_message(output: Path, flag: str) -> str:
    return (
        f"refusing to write over {output} ({flag}): it is an input of this run; choose another file"
    )


def correct(
    original: str | Path,
    request: Request,
    config: ConfigLike | Configs,
    output: str | Path,
    *,
    force: bool = False,
    overwrite: bool = False,
) -> CorrectionResult:
    """Write the correction email of ``original`` (the template or .eml as it was sent) into
    the folder ``output``: correction.html, .txt, .eml and .meta.yaml.

    The correction is checked with preflight's own rules first; when it has an error the
    original did not have, nothing is written (the result is ``refused``) unless ``force``.
    Correction files already in ``output`` are replaced only with ``overwrite``. Raises
    ApiError for what the user can fix (a missing file, an unknown link, a bad template).
    The original's config (``config``, else the nearest above it) judges the correction too.
    """
    from preflight.corrections import CorrectionError
    from preflight.corrections import correct as make

    original, output = Path(original), Path(output)
    configs = config if isinstance(config, Configs) else configure([original], config)
    resolved = configs.for_path(original)
    try:
        return make(original, request, resolved, output, force=force, overwrite=overwrite)
    except CorrectionError as error:
        raise ApiError(str(error)) from None


def version() -> str:
    return VERSION


def __getattr__(name: str) -> Any:
    """The correction types, loaded on first use: a check run does not pay for them."""
    if name in ("CorrectionResult", "Request"):
        import preflight.corrections

        return getattr(preflight.corrections, name)
    raise AttributeError(f"module 'preflight.api' has no attribute {name!r}")
