"""discover → facts → load → assemble → check → filter → sort.

The run, in order:

1. discovery lists the inputs (discovery.py);
2. run-wide phases gather the facts that span files (facts.py): the audiences, the send
   steps of the run's workflows, and (when a rule needs them) the members files;
3. each item is loaded (load.py), assembled as it is sent (assemble.py), checked by the
   rules the catalogue names for it (registry.py) and filtered by its suppressions
   (items.py) — in worker processes (parallel.py), or from the results cache (cache.py)
   when nothing it was judged with has changed;
4. with --online, the live link phase checks each URL once and judges every file's links
   (live.py);
5. findings are sorted by path, line, column and rule.

Memory stays flat as the number of files grows: items are checked and released one by
one; only findings are kept.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.catalogue import Catalogue, load_catalogue
from preflight.config import Config, Configs
from preflight.constants import VERSION
from preflight.discovery import InputFile, Skipped, discover
from preflight.engine.facts import (
    AudiencesFinder,
    LoadedWorkflow,
    RunFacts,
    key,
    needs_met,
    read_audiences,
    scan_sends,
    targeting_of,
)
from preflight.engine.items import ItemChecker, ItemResult, Pending
from preflight.engine.parts import SharedParts, extended_layouts, users_of_parts
from preflight.engine.registry import Registry
from preflight.engine.stamp import MAX_PER_RULE, Stamper
from preflight.model import Finding, Targeting, Template, display_path
from preflight.model.report import FileInfo, Report
from preflight.model.source import SourceText

if TYPE_CHECKING:
    from preflight.formats.audiences import Audiences
    from preflight.links.live import Progress

__all__ = ["MAX_PER_RULE", "Engine"]

_IN_MAIN = frozenset({"workflow", "audiences"})
"""Items checked in the main process: workflows read the templates they send, and there
are few of them; the audiences file is judged by the audience phase."""


class Engine:
    def __init__(
        self,
        config: Config | Configs,
        progress: Progress | None = None,
        jobs: int | None = None,
        use_cache: bool | None = None,
        start_method: str | None = None,
        spam: bool = False,
        views: bool = False,
        json_lines: bool = False,
    ) -> None:
        self.configs = config if isinstance(config, Configs) else Configs.fixed(config)
        self.config = self.configs.run
        """The run's own config: workers, caches, fail_on and the live link check."""
        self.catalogue: Catalogue = load_catalogue()
        self.registry = Registry(self.catalogue)
        self.stamper = Stamper(self.catalogue)
        self.progress = progress
        self.jobs = self.config.jobs if jobs is None else jobs
        self.use_cache = self.config.use_cache if use_cache is None else use_cache
        self.views = views
        """Attach what the HTML report draws to each template's and workflow's FileInfo."""
        self.json_lines = json_lines
        """Encode each finding's JSON line where it is found (for a JSON report written next)."""
        self.start_method = start_method
        """multiprocessing's start method for workers (None: the platform's default)."""
        self.live = bool(self.config.links.get("online"))
        self.spam = spam
        """check --spam: SpamAssassin scores every template once all are checked."""
        self._checker: ItemChecker | None = None
        self._digests: dict[tuple[int, int], str] = {}
        """settings_digest per (config, file settings): both live for the whole run."""

    # -- the run ----------------------------------------------------------------------
    def run(self, paths: Sequence[Path], skip_unknown: bool = False) -> Report:
        report = Report(tool_version=VERSION)
        skipped = Skipped()
        items = list(discover(paths, self.configs, skip_unknown, skipped))
        items += users_of_parts(items, self.configs)
        items = extended_layouts(items, self.configs)
        report.skipped = skipped.reasons
        finder = AudiencesFinder(self.configs)
        files = _audiences_files(items, finder)
        audiences = {path: read_audiences(path, self.configs.for_path(path)) for path in files}
        targetings = {
            os.path.abspath(path): targeting
            for path, read in audiences.items()
            if (targeting := targeting_of(read, self.configs.for_path(path))) is not None
        }
        facts = RunFacts(targetings)
        preloaded: dict[Path, LoadedWorkflow] = {}
        if any(item.kind == "workflow" for item in items):
            sends, preloaded = scan_sends(
                items, self.configs, lambda p: facts.targeting(finder.find(p))
            )
            facts = RunFacts(targetings, sends, facts.members)
        for path, read in audiences.items():
            report.findings.extend(self._audience_problems(read))
            if self._judges_members(path, items, finder):
                report.findings.extend(self._audience_rules(facts.targeting(path), facts))
        pending: list[Pending] = []
        templates: list[Path] = []
        shared = SharedParts()
        cwd = os.getcwd()
        if self.json_lines:
            report.json_cwd = cwd
        for result in self._results(items, facts, preloaded, report):
            if self.json_lines:
                _keep_lines(report, result, cwd)
            if result.error is not None:
                report.internal_errors.append(result.error)
            if result.info is not None:
                report.files.append(result.info)
                if result.info.kind == "template":
                    templates.append(result.info.path)
            report.findings.extend(shared.once(result))
            if result.pending is not None:
                pending.append(result.pending)
        report.findings.extend(shared.findings())
        report.files.extend(shared.files(report.files))
        listed = {key(info.path) for info in report.files}
        report.files.extend(  # audiences files found beside or above the inputs
            FileInfo(path, "audiences" if read.text is not None else "unreadable")
            for path, read in audiences.items()
            if key(path) not in listed
        )
        if pending:
            from preflight.engine.live import live_findings

            report.findings.extend(
                live_findings(pending, self.config, self.catalogue, report, self.progress)
            )
        if self.spam and templates:
            from preflight.engine.spam import spam_findings

            emails = set(templates)
            checker = self._main_checker(facts)
            scored = [item for item in items if item.path in emails]
            report.findings.extend(spam_findings(scored, checker, self.configs, self.catalogue))
        report.findings.sort(key=_order())
        return report

    def _results(
        self,
        items: list[InputFile],
        facts: RunFacts,
        preloaded: dict[Path, LoadedWorkflow],
        report: Report,
    ) -> list[ItemResult]:
        """Every item's result, in the order of ``items``: from the cache, from the workers,
        or checked here (workflows and the audiences file)."""
        from preflight.engine.parallel import check_all

        results: list[ItemResult | None] = [None] * len(items)
        cache = self._cache()
        keys: dict[int, tuple[str, str, str]] = {}
        queued: list[tuple[int, InputFile]] = []
        checker = self._main_checker(facts)
        for index, item in enumerate(items):
            if item.kind in _IN_MAIN:
                results[index] = checker.check(item, preloaded.pop(item.path, None))
                continue
            if cache is not None:
                keys[index] = self._cache_key(item, facts, checker)
                results[index] = cache.get(*keys[index])
                if results[index] is not None:
                    continue
            queued.append((index, item))
        pids: set[int] = set()
        for index, result, pid in check_all(
            queued,
            self.configs,
            facts,
            self.live,
            self.jobs,
            self.start_method,
            hashes=cache is not None,
            views=self.views,
            json_lines=self.json_lines,
        ):
            results[index] = result
            pids.add(pid)
            if cache is not None:
                cache.put(*keys[index], result)
        done = [result for result in results if result is not None]
        if cache is not None:
            cache.save()
            report.stats.update(cache_hits=cache.hits, cache_misses=cache.misses)
            report.stats.update(  # what a replay of the whole run is checked by (replay.py)
                cache_folder=str(cache.folder),
                inputs=[(result.read, result.stats) for result in done],
                replayable=not (self.live or self.spam),
            )
        report.stats["workers"] = pids
        return done

    def _cache(self) -> ResultsCache | None:
        if not self.use_cache:
            return None
        from preflight.engine.cache import ResultsCache

        cache = ResultsCache(self.config)
        cache.load()
        return cache

    def _cache_key(
        self, item: InputFile, facts: RunFacts, checker: ItemChecker
    ) -> tuple[str, str, str]:
        from preflight.engine.cache import item_key, settings_digest

        config = self.configs.for_path(item.path)
        file_settings = config.for_file(item.path)  # one object per distinct settings
        said = (id(config), id(file_settings))
        settings = self._digests.get(said)
        if settings is None:
            settings = self._digests[said] = settings_digest(config, file_settings, self.live)
        judged = facts.digest(checker.targeting(item.path), key(item.path))
        if self.views:  # results with views are kept apart from those without
            settings += ":views"
        return item_key(item.path, item.explicit), settings, judged

    def _main_checker(self, facts: RunFacts) -> ItemChecker:
        if self._checker is None or self._checker.facts is not facts:
            self._checker = ItemChecker(
                self.configs, facts, self.live, views=self.views, json_lines=self.json_lines
            )
        return self._checker

    # -- audiences files -----------------------------------------------------------------
    def _audience_problems(self, audiences: Audiences) -> list[Finding]:
        """What reading an audiences file found wrong (PF001, PF003, LIST001…)."""
        settings = self.configs.for_path(audiences.path).for_file(audiences.path)
        sources = {audiences.path: SourceText(audiences.text)} if audiences.text else {}
        return self.stamper.problems(audiences.problems, settings, sources)

    def _judges_members(self, path: Path, items: list[InputFile], finder: AudiencesFinder) -> bool:
        """Audience rules read members files when the audiences file, or a workflow judged
        with it, is an input: a template-only run (pre-commit) does not pay for them."""
        settings = self.configs.for_path(path).for_file(path)
        if not settings.enabled & self.registry.ids("audience"):
            return False
        target = key(path)
        return any(
            (item.kind == "audiences" and key(item.path) == target)
            or (
                item.kind == "workflow"
                and (found := finder.find(item.path))
                and key(found) == target
            )
            for item in items
        )

    def _audience_rules(self, targeting: Targeting | None, facts: RunFacts) -> list[Finding]:
        """The audience rules (LIST008) over each audience of a file, once per run, with
        the members phase's rows."""
        if targeting is None:
            return []
        settings = self.configs.for_path(targeting.path).for_file(targeting.path)
        checks = self.registry.rules("audience", settings.enabled, needs_met(targeting))
        rows = max((int(settings.options[r].get("max_rows", 0)) for r, _ in checks), default=0)
        findings: list[Finding] = []
        for audience in targeting.audiences.values():
            judged = facts.members.facts(audience, rows, rows=True) if rows else audience
            for rule_id, check in checks:
                violations = itertools.islice(
                    check(judged, settings.options[rule_id]), MAX_PER_RULE
                )
                findings.extend(self.stamper.stamp(rule_id, violations, settings, {}))
        return findings

    # -- one template, for render and correct ---------------------------------------------
    def load_template(self, path: Path) -> tuple[Template | None, list[Finding]]:
        """One template with its sidecar, defaults and platform applied."""
        finder = AudiencesFinder(self.configs)
        found = finder.find(path)
        targetings = {}
        if found is not None:
            config = self.configs.for_path(found)
            targeting = targeting_of(read_audiences(found, config), config)
            if targeting is not None:
                targetings[os.path.abspath(found)] = targeting
        return self._main_checker(RunFacts(targetings)).load_template(path)


def _keep_lines(report: Report, result: ItemResult, cwd: str) -> None:
    """The JSON lines the worker (or the results cache) encoded, for the JSON report."""
    lines = result.lines
    if lines is None or result.lines_cwd != cwd or len(lines) != len(result.findings):
        return
    for finding, line in zip(result.findings, lines, strict=True):
        report.json_lines[id(finding)] = (finding, line)


def _audiences_files(items: list[InputFile], finder: AudiencesFinder) -> list[Path]:
    """Every audiences file the run's inputs are judged with, and those that are inputs."""
    found: dict[str, Path] = {}
    for item in items:
        path = item.path if item.kind == "audiences" else finder.find(item.path)
        if path is not None:
            found.setdefault(key(path), path)
    return list(found.values())


def _order() -> Callable[[Finding], tuple[str, int, int, str]]:
    shown: dict[Path, str] = {}  # display paths, worked out once per file

    def order(finding: Finding) -> tuple[str, int, int, str]:
        path = finding.location.path
        if path not in shown:
            shown[path] = display_path(path)
        span = finding.location.span
        return (shown[path], span.line if span else 0, span.column if span else 0, finding.rule)

    return order


if TYPE_CHECKING:
    from preflight.engine.cache import ResultsCache
