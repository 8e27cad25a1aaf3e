"""Per-item work in worker processes (`--jobs`, config `jobs`), the way ruff spreads files.

Workers get the config and the run's facts once (their initializer), then chunks of
items; each returns its results with their index, so the run's order — and so its
report — is the same as a serial run's. Everything crossing the process boundary is
picklable and every function here is importable, so the spawn start method (macOS,
Windows) works as well as fork.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Sequence

from preflight.config import Configs
from preflight.discovery import InputFile
from preflight.engine.facts import RunFacts
from preflight.engine.items import ItemChecker, ItemResult

MIN_PER_WORKER = 8
"""Fewer items than this per worker are checked in process: starting workers costs more."""

_checker: ItemChecker | None = None


def workers(jobs: int) -> int:
    """How many worker processes ``jobs`` means (0: one per core this process may use)."""
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def check_all(
    items: Sequence[tuple[int, InputFile]],
    configs: Configs,
    facts: RunFacts,
    live: bool,
    jobs: int,
    context: str | None = None,
    hashes: bool = True,
    views: bool = False,
    json_lines: bool = False,
) -> Iterator[tuple[int, ItemResult, int]]:
    """(index, result, pid of the process that checked it) for every item, in any order."""
    count = workers(jobs)
    if count == 1 or len(items) < count * MIN_PER_WORKER:
        checker = ItemChecker(configs, facts, live, hashes, views, json_lines)
        pid = os.getpid()
        for index, item in items:
            yield index, checker.check(item), pid
        return
    from concurrent.futures import ProcessPoolExecutor  # 35 ms: only runs with workers pay
    from multiprocessing import get_context

    # The first item is checked here, before the workers start: it loads the rules' lazy
    # imports and data (CSS parser, client support tables, suffix list) once, and forked
    # workers inherit them instead of each loading its own (spawned ones load their own).
    start = get_context(context)
    if start.get_start_method() == "fork":
        index, first = items[0]
        first_checker = ItemChecker(configs, facts, live, hashes, views, json_lines)
        yield index, first_checker.check(first), os.getpid()
        items = items[1:]
    chunk = max(1, min(64, len(items) // (count * 8)))
    chunks = [list(items[i : i + chunk]) for i in range(0, len(items), chunk)]
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=start,
        initializer=_start,
        initargs=(configs, facts, live, hashes, views, json_lines),
    ) as pool:
        for done in pool.map(_check_chunk, chunks):
            yield from done


GC_THRESHOLD = 5_000
"""A worker's youngest-generation threshold (Python's default: 700). A template makes a few
thousand short-lived objects; with the default, survivors of young collections pile into the
older generations and the full collections that follow cost about 6% of a worker's CPU
(measured with gc.callbacks over 1,000 templates: 0.26 s of collection, 0.16 s with this)."""


def _start(
    configs: Configs, facts: RunFacts, live: bool, hashes: bool, views: bool, json_lines: bool
) -> None:
    global _checker
    # What the worker starts with (modules, rule data, the run's facts) lives as long as it
    # does: frozen, collections never walk it again, and forked pages stay shared.
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    _checker = ItemChecker(configs, facts, live, hashes, views, json_lines)


def _check_chunk(chunk: list[tuple[int, InputFile]]) -> list[tuple[int, ItemResult, int]]:
    assert _checker is not None, "the worker's initializer did not run"
    pid = os.getpid()
    return [(index, _checker.check(item), pid) for index, item in chunk]
