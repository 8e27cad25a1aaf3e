"""The library API: check, correct, import and render as calls that return values.

The CLI (cli.py) is a thin layer over these: it parses options, calls one of them,
prints what it returns and picks the exit code. Nothing here imports click.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from preflight.config import Config, discover_config, load_config
from preflight.engine import Engine
from preflight.model.report import Report


def resolve_config(
    config: Config | Mapping[str, Any] | str | Path | None, paths: Sequence[Path]
) -> Config:
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
    config: Config | Mapping[str, Any] | str | Path | None = None,
    baseline: str | Path | None = None,
) -> Report:
    """Check paths (files or directories) and return the Report; the library API."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    resolved = [Path(p) for p in paths] or [Path(".")]
    engine = Engine(resolve_config(config, resolved))
    report = engine.run(resolved)
    if baseline is not None:
        from preflight.baseline import apply_baseline

        apply_baseline(report, Path(baseline))
    return report
