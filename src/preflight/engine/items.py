"""Check one input: load it, assemble it, run its rules, apply its suppressions.

An ItemChecker holds only picklable state (the config and the run's facts), so the same
code runs in the main process and in worker processes (fork or spawn).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preflight.catalogue import load_catalogue
from preflight.compose.unsent import unsent_part
from preflight.config import Configs, FileSettings
from preflight.constants import SETTLED_NS
from preflight.discovery import TEMPLATE_KINDS, InputFile, classify
from preflight.engine.assemble import Assembled, Assembler
from preflight.engine.facts import AudiencesFinder, LoadedWorkflow, RunFacts, needs_met
from preflight.engine.load import Export, Sniffed, load, unreadable
from preflight.engine.registry import Registry
from preflight.engine.rows import Row, pack, unpack
from preflight.engine.stamp import KeptLines, Stamper, relocate
from preflight.formats.decode import UnreadableInput
from preflight.fsutil import is_file
from preflight.model import (
    AudienceZone,
    Detection,
    Finding,
    Location,
    Memo,
    Sourced,
    Step,
    Targeting,
    Template,
    Violation,
    Workflow,
)
from preflight.model.report import FileInfo, finding_line
from preflight.model.source import HtmlDocument, SourceText
from preflight.suppressions import SuppressionSet, html_suppressions, yaml_suppressions

if TYPE_CHECKING:  # the link results load only when --online has links to judge
    from preflight.links.results import Occurrence


@dataclass
class Pending:
    """A file whose live link findings wait for the run's link check (--online)."""

    settings: FileSettings
    suppressions: SuppressionSet
    occurrences: list[Occurrence]
    lines: dict[Path, KeptLines]
    """The lines its suppressions are on, for PF002 findings made after the link check."""
    path: Path | None = None
    """The template, for the rules that judge all its links at once (`runs_on: live-email`)."""


@dataclass
class ItemResult:
    info: FileInfo | None
    findings: list[Finding] = field(default_factory=list)
    pending: Pending | None = None
    read: dict[str, str] = field(default_factory=dict)
    """Every file the item read -> the hash of its bytes (the results cache key)."""
    error: str | None = None
    """An internal error met while checking it (a bug): the run goes on, exit code 2."""
    parts: list[tuple[Path, str]] = field(default_factory=list)
    """The layouts and partials its email was composed from."""
    stats: dict[str, Stat] = field(default_factory=dict)
    """For files of ``read`` last changed well before they were read: their stat() when
    hashed, so that the results cache can trust an unchanged stat() instead of reading."""
    lines: list[str] | None = None
    """Each finding's line of the JSON report, when the run asked for them (``json_lines``),
    encoded where the item was checked (a worker) in the working directory ``lines_cwd``."""
    lines_cwd: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        """Findings travel (to the main process, into the results cache) as plain rows."""
        return (
            _item_result,
            (
                self.info,
                pack(self.findings),
                self.pending,
                self.read,
                self.error,
                self.parts,
                self.stats,
                self.lines,
                self.lines_cwd,
            ),
        )


def _item_result(
    info: FileInfo | None,
    rows: list[Row],
    pending: Pending | None,
    read: dict[str, str],
    error: str | None,
    parts: list[tuple[Path, str]],
    stats: dict[str, Stat],
    lines: list[str] | None,
    lines_cwd: str | None,
) -> ItemResult:
    return ItemResult(info, unpack(rows), pending, read, error, parts, stats, lines, lines_cwd)


class ItemChecker:
    def __init__(
        self,
        configs: Configs,
        facts: RunFacts,
        live: bool = False,
        hashes: bool = True,
        views: bool = False,
        json_lines: bool = False,
    ) -> None:
        self.configs = configs
        self.facts = facts
        self.live = live
        self.hashes = hashes
        """Hash what each item read, for the results cache (off with --no-cache)."""
        self.views = views
        """Attach what the HTML report draws (preflight.views) to the FileInfo."""
        self.json_lines = json_lines
        """Encode each finding's line of the JSON report here (in the worker)."""
        self.catalogue = load_catalogue()
        self.registry = Registry(self.catalogue)
        self.stamper = Stamper(self.catalogue)
        self.audiences = AudiencesFinder(configs)
        self._sent: dict[Path, Template | None] = {}

    def targeting(self, path: Path) -> Targeting | None:
        """The audiences ``path`` is judged with (its config's, or the nearest file's)."""
        return self.facts.targeting(self.audiences.find(path))

    def assembler(self, path: Path) -> Assembler:
        config = self.configs.for_path(path)
        return Assembler(config, self.facts, self.catalogue, self.targeting(path))

    def check(self, item: InputFile, preloaded: LoadedWorkflow | None = None) -> ItemResult:
        """Never raises: a bug becomes a PF001 finding and an internal error of the run."""
        try:
            result = self._check(item, preloaded)
        except Exception as error:  # a bug must not cost the other files their check
            detail = f"{type(error).__name__}: {error}"
            violation = Violation(
                "internal error while checking this file ({error}); please report it",
                Location(item.path),
                {"reason": "internal-error", "error": detail},
            )
            settings = self.configs.for_path(item.path).for_file(item.path)
            findings = self.stamper.stamp("PF001", [violation], settings, {})
            info = FileInfo(item.path, "unreadable")
            return ItemResult(info, findings, error=f"{item.path}: {detail}")
        if self.json_lines and result.findings:
            result.lines = [finding_line(finding) for finding in result.findings]
            result.lines_cwd = os.getcwd()
        return result

    def _check(self, item: InputFile, preloaded: LoadedWorkflow | None) -> ItemResult:
        config = self.configs.for_path(item.path)
        settings = config.for_file(item.path)
        if item.kind == "workflow":
            return self._workflow(item, settings, preloaded)
        if item.kind == "audiences":  # read by the audience phase (engine/__init__.py)
            return ItemResult(FileInfo(item.path, "audiences"))
        if item.kind in ("layout", "partial", "source"):
            return ItemResult(FileInfo(item.path, item.kind))  # parts of emails, not emails
        if item.kind not in TEMPLATE_KINDS:
            violation = Violation(
                "not a file preflight knows how to check (templates are .html, .htm, .eml or"
                " platform JSON exports)",
                Location(item.path),
                {"reason": "unknown-kind"},
            )
            findings = self.stamper.stamp("PF001", [violation], settings, {})
            return ItemResult(FileInfo(item.path, "unknown"), findings)
        try:
            sniffed = load(item, config)
        except UnreadableInput as error:
            findings = self.stamper.stamp("PF001", [unreadable(item.path, error)], settings, {})
            return ItemResult(FileInfo(item.path, "unreadable"), findings)
        if sniffed.kind == "export":
            assert sniffed.export is not None
            return self._workflow(item, settings, None, sniffed.export)
        if sniffed.kind in ("layout", "partial"):  # a platform's template or content block
            return ItemResult(FileInfo(item.path, sniffed.kind))
        return self._template(item, settings, sniffed)

    # -- templates ------------------------------------------------------------------------
    def _template(self, item: InputFile, settings: FileSettings, sniffed: Sniffed) -> ItemResult:
        template = sniffed.template
        sources = template.sources if template is not None else {}
        findings = self.stamper.problems(sniffed.problems, settings, sources)
        if template is None:
            info = FileInfo(item.path, "unreadable") if sniffed.kind != "nothing" else None
            return ItemResult(info, findings)
        assembled = self.assembler(item.path).assemble(template, settings)
        template = assembled.template
        findings.extend(self.stamper.problems(assembled.problems, settings, template.sources))
        facts = needs_met(template.targeting)
        whole = unsent_part(template) is None  # a layout or fragment checked alone is not
        checks = self.registry.rules("template", settings.enabled, facts, whole_email=whole)
        findings.extend(self.stamper.run(checks, template, settings, template.sources, template))
        suppressions = assembled.suppressions
        if template.format == "html" and template.html is not None:
            found = html_suppressions(template.path, template.html, self.catalogue)
            suppressions.items.extend(found.items)
        findings = suppressions.apply(findings)
        info = _file_info(item.path, template, assembled.detection)
        if self.views:
            from preflight.views import email_view

            info = replace(info, view=email_view(template))
        result = ItemResult(info, findings)
        if self.hashes:
            from preflight.formats.meta import sidecar_path

            probed = [sidecar_path(item.path), item.path.with_suffix(".txt")]
            result.read, result.stats = file_hashes([*template.sources, *assembled.read], probed)
        pending = self._pending(template, settings, suppressions)
        if pending is None:
            result.findings.extend(self.stamper.unused(suppressions, settings, template.sources))
        result.findings = relocate(result.findings, template)
        result.pending = pending
        result.parts = list(template.parts)
        return result

    def _pending(
        self, template: Template, settings: FileSettings, suppressions: SuppressionSet
    ) -> Pending | None:
        """Hand the template's links to the run's link check; None when it has none."""
        live = self.registry.ids("live") | self.registry.ids("live-email")
        if not self.live or not settings.enabled & live:
            return None
        from preflight.links.live import occurrences

        allow = self.configs.for_path(template.path).links.get("allow_hosts", ())
        found = list(occurrences(template, allow))
        if not found:
            return None
        lines: dict[Path, KeptLines] = {}
        for suppression in suppressions.items:
            span = suppression.location.span
            source = template.sources.get(suppression.location.path)
            if span is None or source is None:
                continue
            kept = lines.setdefault(suppression.location.path, KeptLines({}))
            text = source.line_text(span.line)
            if text is not None:
                kept.lines[span.line] = text
        return Pending(settings, suppressions, found, lines, template.path)

    def load_template(self, path: Path) -> tuple[Template | None, list[Finding]]:
        """One template as the rules see it (for `render`, `correct` and send steps)."""
        kind = classify(path)
        if kind not in TEMPLATE_KINDS:
            return None, []
        config = self.configs.for_path(path)
        settings = config.for_file(path)
        sniffed = load(InputFile(path, kind, True), config)
        if sniffed.template is None:
            sources: Mapping[Path, SourceText] = {}
            return None, self.stamper.problems(sniffed.problems, settings, sources)
        template = sniffed.template
        findings = self.stamper.problems(sniffed.problems, settings, template.sources)
        assembled: Assembled = self.assembler(path).assemble(template, settings)
        findings.extend(
            self.stamper.problems(assembled.problems, settings, assembled.template.sources)
        )
        return assembled.template, findings

    # -- workflows ------------------------------------------------------------------------
    def _workflow(
        self,
        item: InputFile,
        settings: FileSettings,
        preloaded: LoadedWorkflow | None,
        export: Export | None = None,
    ) -> ItemResult:
        if export is None:
            from preflight.formats.workflow import load_workflow

            max_bytes = self.configs.for_path(item.path).max_file_size
            workflow, problems = preloaded or load_workflow(item.path, max_bytes)
            sources: Mapping[Path, Any] = workflow.sources if workflow is not None else {}
            info = FileInfo(item.path, "workflow")
        else:
            from preflight.importers.base import Resolver, convert, to_workflow

            config = self.configs.for_path(item.path)
            rules = config.templates.get("resolve", {})
            resolver = Resolver(rules, config.root, item.path.parent)
            imported = convert(item.path, export.text, export.data, export.platform, resolver)
            workflow, problems = to_workflow(imported)
            sources = {item.path: SourceText(export.text)}
            info = FileInfo(item.path, "workflow", export.platform, "format", 1.0)
        findings = self.stamper.problems(problems, settings, sources)
        if workflow is None:
            return ItemResult(info, findings)
        if self.views:
            from preflight.views import workflow_view

            info = replace(info, view=workflow_view(workflow))
        targeting = self.targeting(item.path)
        workflow = self._enrich(workflow, targeting)
        checks = self.registry.rules("workflow", settings.enabled, needs_met(targeting))
        findings.extend(self.stamper.run(checks, workflow, settings, sources))
        if export is not None:  # JSON has no comments: per_file_ignores only (DESIGN.md)
            return ItemResult(info, findings)
        text = sources[item.path].text
        suppressions = yaml_suppressions(item.path, text, self.catalogue)
        findings = suppressions.apply(findings)
        findings.extend(self.stamper.unused(suppressions, settings, sources))
        return ItemResult(info, findings)

    def _enrich(self, workflow: Workflow, targeting: Targeting | None) -> Workflow:
        """The run's facts on a workflow: its audiences, the time zone of each audience a send
        goes to (TIME004), and the template each send step sends."""
        zones: dict[str, tuple[AudienceZone, ...]] = {}
        templates: dict[str, Template | None] = {}
        for step in workflow.steps:
            if step.kind != "send":
                continue
            if targeting is not None:
                names = step.include if step.include is not None else workflow.include
                found = tuple(
                    AudienceZone(
                        name, audience.timezone, audience.timezone_location or audience.location
                    )
                    for name in names
                    if (audience := targeting.audiences.get(name)) is not None
                )
                if any(zone.zone for zone in found):
                    zones[step.id] = found
            templates[step.id] = self._step_template(workflow, step)
        return replace(workflow, targeting=targeting, audience_zones=zones, templates=templates)

    def _step_template(self, workflow: Workflow, step: Step) -> Template | None:
        """What a send step sends: its template file, with the step's own subject, preheader
        or inline body on top (a step's values beat the template's: DESIGN.md precedence)."""
        template = None
        if step.template is not None:
            template = self._sent_template(workflow.path.parent / step.template)
        spec = step.spec if isinstance(step.spec, Mapping) else {}
        inline = {k: spec[k] for k in ("preheader", "html", "text") if isinstance(spec.get(k), str)}
        if not inline and step.subject is None:
            return template
        if template is None:
            template = Template(path=workflow.path, format="inline", subject_knowable=True)
        changes: dict[str, Any] = {"memo": Memo()}
        if step.subject is not None:  # read by the loader, as for the templates the step sends
            where = step.target_locations.get("subject", step.location)
            changes["subject"] = Sourced(step.subject, "send-step", where)
        if "preheader" in inline:
            changes["preheader"] = Sourced(inline["preheader"], "send-step", step.location)
        if "html" in inline:
            changes["html"] = HtmlDocument(SourceText(inline["html"], exact=False))
        if "text" in inline:
            changes["text"] = SourceText(inline["text"], exact=False)
        return replace(template, **changes)

    def _sent_template(self, path: Path) -> Template | None:
        """A template a workflow sends, read once however many steps send it."""
        if path not in self._sent:
            template = None
            if is_file(path):
                try:
                    template, _ = self.load_template(path)
                except (UnreadableInput, OSError):
                    template = None
            self._sent[path] = template
        return self._sent[path]


Stat = tuple[int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode) of a file."""


def file_hashes(
    paths: Sequence[Path], probed: Sequence[Path] = ()
) -> tuple[dict[str, str], dict[str, Stat]]:
    """The hash of each file's bytes, and "absent" for each of ``probed`` (files looked for)
    that is not there, for the results cache key; and the stat() of each settled file."""
    from hashlib import blake2b  # 3 ms of start-up: only a run with the results cache hashes

    hashed: dict[str, str] = {}
    stats: dict[str, Stat] = {}
    now = time.time_ns()
    for path in dict.fromkeys([*paths, *probed]):
        name = str(path)
        try:
            stat = os.stat(path)
            data = path.read_bytes()
        except FileNotFoundError:
            hashed[name] = "absent"
            continue
        except OSError:
            data = b""
        else:
            if now - max(stat.st_mtime_ns, stat.st_ctime_ns) > SETTLED_NS:
                stats[name] = stat_key(stat)
        hashed[name] = blake2b(data, digest_size=16).hexdigest()
    return hashed, stats


def stat_key(stat: os.stat_result) -> Stat:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def _file_info(path: Path, template: Template, detection: Detection | None) -> FileInfo:
    part = unsent_part(template)  # a part checked alone: a layout, or a partial (a header
    # part or a fragment), with its own findings; never counted as an email
    kind = "template" if part is None else "layout" if part[0] == "layout" else "partial"
    if detection is not None and (detection.platform or detection.candidates):
        return FileInfo(
            path,
            kind,
            detection.platform,
            "detected",
            detection.confidence,
            detection.candidates,
            template.built_from,
        )
    platform = template.platform
    return FileInfo(
        path,
        kind,
        platform.value if platform else None,
        _platform_source(platform),
        1.0 if platform else None,
        built_from=template.built_from,
    )


def _platform_source(platform: Sourced | None) -> str | None:
    if platform is None:
        return None
    return {"cli": "declared", "sidecar": "declared", "config": "config", "format": "format"}.get(
        platform.origin, platform.origin
    )
