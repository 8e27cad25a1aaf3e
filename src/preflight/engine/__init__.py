"""discover -> load -> check -> filter -> sort.

Each input is loaded, checked and released before the next, so memory stays
flat as the number of files grows; only findings are kept.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preflight.catalogue import Catalogue, RuleSpec, load_catalogue
from preflight.config import Config, FileSettings
from preflight.constants import VERSION as __version__
from preflight.dialects import detect, resolve_platform
from preflight.discovery import InputFile, classify, discover
from preflight.engine.registry import Registry
from preflight.formats import Loaded, invalid_json
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.formats.html import load_html
from preflight.formats.meta import load_sidecar, sidecar_path
from preflight.model import (
    AudienceZone,
    Detection,
    Finding,
    KnownFields,
    Location,
    Part,
    SentTo,
    Sourced,
    Step,
    Targeting,
    Template,
    Violation,
    Workflow,
    display_path,
)
from preflight.model.report import FileInfo, Report
from preflight.model.source import SourceText
from preflight.suppressions import SuppressionSet, html_suppressions, yaml_suppressions

if TYPE_CHECKING:
    from preflight.formats.audiences import Audiences
    from preflight.importers.base import Resolver
    from preflight.links.live import LiveRun, Progress
    from preflight.links.results import Occurrence

MAX_PER_RULE = 200
"""Findings one rule may report in one file; a pathological file gets one note for the rest."""


@dataclass(frozen=True)
class _SendSite:
    """A workflow send step that sends a template of the run (the pre-pass finds them)."""

    workflow: Workflow
    step: Step


class _PlatformExport(Exception):
    """Raised by the JSON loader for a platform workflow export: it is checked as a workflow."""

    def __init__(self, platform: str, text: str, data: Any) -> None:
        super().__init__(platform)
        self.platform, self.text, self.data = platform, text, data


@dataclass
class _Waiting:
    """A file whose live link findings wait for the run's link check."""

    settings: FileSettings
    suppressions: SuppressionSet
    template: Template
    occurrences: list[Occurrence]


class Engine:
    def __init__(self, config: Config, progress: Progress | None = None) -> None:
        self.config = config
        self.catalogue: Catalogue = load_catalogue()
        self.registry = Registry(self.catalogue)
        self._audiences: Audiences | None = None
        self._live: LiveRun | None = None
        self._sent: dict[Path, Template | None] = {}
        self._targeting: Targeting | None = None
        self._workflows: dict[Path, tuple[Workflow | None, list[tuple[str, Violation]]]] = {}
        """Workflows the pre-pass read, each handed to its own check once."""
        self._sends: dict[str, list[_SendSite]] = {}
        """A template's absolute path -> the send steps of the run's workflows that send it."""
        self._waiting: list[_Waiting] = []
        if config.links.get("online"):
            from preflight.links.live import LiveRun

            self._live = LiveRun(config.links, config.root, config.link_cache, progress)

    @property
    def _facts(self) -> tuple[str, ...]:
        """What the run knows beyond its files, for rules that need it (catalogue `needs`)."""
        return ("audiences",) if self.targeting is not None else ()

    @property
    def audiences(self) -> Audiences | None:
        """The config's audiences file, read on first need; None when there is none."""
        path = self.config.audiences
        if path is None:
            return None
        if self._audiences is None:
            from preflight.formats.audiences import load_audiences

            self._audiences = load_audiences(path, self.config.max_file_size)
        return self._audiences

    def _audience_findings(self) -> list[Finding]:
        audiences = self.audiences
        if audiences is None:
            return []
        settings = self.config.for_file(audiences.path)
        sources = {audiences.path: SourceText(audiences.text)} if audiences.text else {}
        findings = []
        for rule_id, violation in audiences.problems:
            findings.extend(self._stamp(rule_id, [violation], settings, sources))
        return findings

    @property
    def targeting(self) -> Targeting | None:
        """The audiences as rules read them (with the config's suppression audiences)."""
        audiences = self.audiences
        if audiences is None or audiences.text is None or audiences.invalid:
            # no file, one that could not be read, or one whose shape is wrong (`audiences: []`):
            # nothing to judge names by, so no LIST001 for every audience a send names
            return None
        if self._targeting is None:
            self._targeting = Targeting(
                audiences.items, audiences.path, self.config.suppression_audiences
            )
        return self._targeting

    def _audience_checks(self) -> list[Finding]:
        """LIST008 and its kind over each audience of the audiences file, once per run."""
        audiences = self.audiences
        if audiences is None:
            return []
        settings = self.config.for_file(audiences.path)
        sources = {audiences.path: SourceText(audiences.text)} if audiences.text else {}
        findings: list[Finding] = []
        for audience in audiences.items.values():
            for rule_id, check in self.registry.rules("audience", settings.enabled, self._facts):
                violations = list(
                    itertools.islice(check(audience, settings.options[rule_id]), MAX_PER_RULE)
                )
                findings.extend(self._stamp(rule_id, violations, settings, sources))
        return findings

    def _known_fields(self, template: Template) -> KnownFields | None:
        """The fields MERGE003 judges by: those of the audiences the template goes to, else
        those of every audience of the file."""
        audiences = self.audiences
        if audiences is None:
            return None
        if template.audience is not None:
            targets = [s.audience for s in template.sent_to]
            if not targets or any(a.fields is None for a in targets):
                return None  # an unknown audience (LIST001), or one that does not list fields
            if len(targets) == 1:
                audience = targets[0]
                assert audience.fields is not None
                return KnownFields(
                    audience.fields,
                    f'audience "{audience.name}"',
                    audience.fields_location or audience.location,
                )
            shared = [
                name
                for name in targets[0].fields or ()
                if all(name in (a.fields or ()) for a in targets[1:])
            ]
            return KnownFields(
                tuple(shared),
                "every audience it is sent to (" + ", ".join(f'"{a.name}"' for a in targets) + ")",
                targets[0].fields_location or targets[0].location,
            )
        names: dict[str, None] = {}
        for audience in audiences.items.values():
            if audience.kind != "suppression" and audience.fields is not None:
                names.update(dict.fromkeys(audience.fields))
        if not names:
            return None
        return KnownFields(
            tuple(names), f"any audience in {audiences.path.name}", Location(audiences.path)
        )

    def _apply_send_steps(self, template: Template) -> None:
        """What the run's workflows say about a template they send: the send step's subject
        and audience beat the sidecar's (DESIGN.md, precedence)."""
        sites = self._sends.get(_key(template.path))
        if not sites:
            return
        targeting = self.targeting
        sent: list[SentTo] = []
        for site in sites:
            step, workflow = site.step, site.workflow
            if step.subject is not None and (
                template.subject is None or template.subject.origin != "send-step"
            ):
                template.subject = Sourced(
                    step.subject, "send-step", replace_part(step.target_locations["subject"])
                )
                template.subject_knowable = True
                template.sources.update(workflow.sources)
            include = step.include if step.include is not None else workflow.include
            for name in include:
                key = f"include:{name}"
                where = step.target_locations.get(key) or workflow.audience_locations.get(key)
                via = Sourced(name, "send-step", where)
                if template.audience is None or template.audience.origin != "send-step":
                    template.audience = via
                audience = targeting.audiences.get(name) if targeting else None
                if audience is not None and all(s.audience.name != name for s in sent):
                    sent.append(SentTo(audience, via, step.id))
        if template.audience is not None and template.audience.origin == "send-step":
            template.sent_to = tuple(sent)

    def _prepass(self, items: list[InputFile]) -> None:
        """Read the run's workflows first, to know which templates they send and to whom.

        Only runs with a workflow among their inputs pay for it; each workflow read here
        is handed to its own check, not read twice.
        """
        from preflight.formats.workflow import load_workflow

        for item in items:
            if item.kind != "workflow" or self.config.is_excluded(item.path):
                continue
            try:
                loaded = load_workflow(item.path, self.config.max_file_size)
            except Exception:  # the workflow's own check reports it (PF001, internal error)
                continue
            self._workflows[item.path] = loaded
            workflow = loaded[0]
            if workflow is None:
                continue
            for step in workflow.steps:
                if step.kind == "send" and step.template is not None:
                    path = _key(item.path.parent / step.template)
                    self._sends.setdefault(path, []).append(_SendSite(workflow, step))

    # -- the run ----------------------------------------------------------
    def run(self, paths: Sequence[Path], skip_unknown: bool = False) -> Report:
        report = Report(tool_version=__version__)
        report.findings.extend(self._audience_findings())
        items = list(discover(paths, self.config, skip_unknown))
        if any(item.kind == "workflow" for item in items):
            self._prepass(items)
        if self._judges_members(items):
            report.findings.extend(self._audience_checks())
        for item in items:
            try:
                info, findings = self.check_input(item)
            except Exception as error:  # a bug must not cost the other files their check
                report.internal_errors.append(f"{item.path}: {type(error).__name__}: {error}")
                info = FileInfo(item.path, "unreadable")
                violation = Violation(
                    "internal error while checking this file ({error}); please report it",
                    Location(item.path),
                    {"reason": "internal-error", "error": f"{type(error).__name__}: {error}"},
                )
                findings = self._stamp("PF001", [violation], self.config.for_file(item.path), {})
            if info is not None:
                report.files.append(info)
            report.findings.extend(findings)
        if self._live is not None:
            report.findings.extend(self._live_findings(report))
        shown: dict[Path, str] = {}  # display paths, worked out once per file

        def order(finding: Finding) -> tuple[str, int, int, str]:
            path = finding.location.path
            if path not in shown:
                shown[path] = display_path(path)
            span = finding.location.span
            return (shown[path], span.line if span else 0, span.column if span else 0, finding.rule)

        report.findings.sort(key=order)
        return report

    def _judges_members(self, items: list[InputFile]) -> bool:
        """LIST008 reads members files when the audiences file or a workflow is an input:
        a template-only run (pre-commit on a few files) does not pay for it."""
        audiences = self.config.audiences
        if audiences is None or not self.config.for_file(audiences).enabled & self.registry.ids(
            "audience"
        ):
            return False
        target = _key(audiences)
        return any(
            item.kind == "workflow" or (item.kind == "audiences" and _key(item.path) == target)
            for item in items
        )

    def check_input(self, item: InputFile) -> tuple[FileInfo | None, list[Finding]]:
        settings = self.config.for_file(item.path)
        if item.kind == "workflow":
            return self._check_workflow(item, settings)
        if item.kind == "audiences":
            return None, []  # read through the config's `audiences:`
        if item.kind not in ("html", "eml", "json"):
            violation = Violation(
                "not a file preflight knows how to check (templates are .html, .htm, .eml or"
                " platform JSON exports)",
                Location(item.path),
                {"reason": "unknown-kind"},
            )
            return FileInfo(item.path, "unknown"), self._stamp("PF001", [violation], settings, {})
        try:
            loaded = self._load(item)
        except _PlatformExport as export:
            return self._check_workflow(item, settings, export)
        except UnreadableInput as error:
            violation = Violation(
                "{detail}", Location(item.path), {**error.data, "detail": error.reason}
            )
            return FileInfo(item.path, "unreadable"), self._stamp(
                "PF001", [violation], settings, {}
            )
        if loaded is None:
            return None, []
        findings = self._problems(loaded, settings)
        template = loaded.template
        if template is None:
            return FileInfo(item.path, "unreadable"), findings
        suppressions = SuppressionSet()
        detection = self._prepare(template, settings, findings, suppressions)
        findings.extend(self._run_template_checks(template, settings))
        if template.format == "html" and template.html is not None:
            suppressions.items.extend(
                html_suppressions(template.path, template.html, self.catalogue).items
            )
        findings = suppressions.apply(findings)
        if not self._wait_for_links(template, settings, suppressions):
            findings.extend(self._unused(suppressions, settings, template))
        return _file_info(item.path, template, detection), findings

    # -- workflows ------------------------------------------------------------
    def _check_workflow(
        self, item: InputFile, settings: FileSettings, export: _PlatformExport | None = None
    ) -> tuple[FileInfo | None, list[Finding]]:
        if export is None:
            from preflight.formats.workflow import load_workflow

            loaded = self._workflows.pop(item.path, None)
            workflow, problems = loaded or load_workflow(item.path, self.config.max_file_size)
        else:
            from preflight.importers.base import convert, to_workflow

            imported = convert(
                item.path, export.text, export.data, export.platform, self.resolver(item.path)
            )
            workflow, problems = to_workflow(imported)
        sources = workflow.sources if workflow is not None else {}
        if export is not None:
            sources = {item.path: SourceText(export.text)}
        info = FileInfo(
            item.path,
            "workflow",
            export.platform if export else None,
            "format" if export else None,
            1.0 if export else None,
        )
        findings: list[Finding] = []
        for rule_id, violation in problems:
            findings.extend(self._stamp(rule_id, [violation], settings, sources))
        if workflow is None:
            return info, findings
        workflow.targeting = targeting = self.targeting
        for step in workflow.steps:
            if step.kind == "send" and targeting is not None:
                # TIME004 judges the hour in the time zone of each audience the send goes to
                names = step.include if step.include is not None else workflow.include
                zones = tuple(
                    AudienceZone(
                        name,
                        audience.timezone,
                        audience.timezone_location or audience.location,
                    )
                    for name in names
                    if (audience := targeting.audiences.get(name)) is not None
                )
                if any(zone.zone for zone in zones):
                    workflow.audience_zones[step.id] = zones
            if step.kind == "send":
                workflow.templates[step.id] = self._step_template(workflow, step)
        checks = self.registry.rules("workflow", settings.enabled, self._facts)
        findings.extend(self._run_checks(checks, workflow, settings, sources))
        if export is not None:  # JSON has no comments: per_file_ignores only (DESIGN.md)
            return info, findings
        text = sources[item.path].text
        suppressions = yaml_suppressions(item.path, text, self.catalogue)
        findings = suppressions.apply(findings)
        findings.extend(self._unused_in(suppressions, settings, sources))
        return info, findings

    def resolver(self, path: Path, base: Path | None = None) -> Resolver:
        """How an export's email references become template paths (config `templates.resolve`),
        relative to ``base`` (default: the export's folder)."""
        from preflight.importers.base import Resolver

        rules = self.config.templates.get("resolve", {})
        return Resolver(rules, self.config.root, base or path.parent)

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
        else:
            template = replace(template, cache={})
        location = step.location
        if step.subject is not None:  # read by the loader, as for the templates the step sends
            where = step.target_locations.get("subject", location)
            template.subject = Sourced(step.subject, "send-step", where)
        if "preheader" in inline:
            template.preheader = Sourced(inline["preheader"], "send-step", location)
        if "html" in inline:
            from preflight.model.source import HtmlDocument

            template.html = HtmlDocument(SourceText(inline["html"], exact=False))
        if "text" in inline:
            template.text = SourceText(inline["text"], exact=False)
        return template

    def _sent_template(self, path: Path) -> Template | None:
        """A template a workflow sends, read once per run however many steps send it."""
        cache = self._sent
        if path not in cache:
            template = None
            if path.is_file():
                try:
                    template, _ = self.load_template(path)
                except (UnreadableInput, OSError):
                    template = None
            cache[path] = template
        return cache[path]

    # -- live links (--online) -------------------------------------------------
    def _wait_for_links(
        self, template: Template, settings: FileSettings, suppressions: SuppressionSet
    ) -> bool:
        """Hand the template's links to the run's link check; True when it has some."""
        if self._live is None or not settings.enabled & self.registry.ids("live"):
            return False
        from preflight.links.live import occurrences

        found = list(occurrences(template, self.config.links.get("allow_hosts", ())))
        if not found:
            return False
        if not suppressions.items:
            template = Template(template.path, template.format)  # keep nothing we do not need
        self._waiting.append(_Waiting(settings, suppressions, template, found))
        return True

    def _live_findings(self, report: Report) -> list[Finding]:
        assert self._live is not None
        # a page is read once for every file that links to it: the config's top-level
        # LINK006 phrases decide what reads as "not found" (per-file overrides cannot)
        options = {**self.catalogue.rules["LINK006"].option_defaults()}
        if "LINK006" in self.config.rules:
            options.update(self.config.rules["LINK006"].options)
        results = self._live.check(
            (o for waiting in self._waiting for o in waiting.occurrences), options["phrases"]
        )
        report.links = self._live.summary
        report.warnings.extend(self._live.warnings)
        from preflight.links.results import Checked

        findings: list[Finding] = []
        for waiting in self._waiting:
            settings = waiting.settings
            found: list[Finding] = []
            for occurrence in waiting.occurrences:
                result = results.get(occurrence.target)
                if result is None:
                    continue
                checked = Checked(occurrence, result)
                for rule_id, live_check in self.registry.rules("live", settings.enabled):
                    violations = live_check(checked, settings.options[rule_id])
                    for stamped in self._stamp(rule_id, violations, settings, {}):
                        found.append(
                            replace(
                                stamped,
                                source_line=occurrence.source_line,
                                source_offset=occurrence.source_offset,
                            )
                        )
            findings.extend(waiting.suppressions.apply(found))
            findings.extend(self._unused(waiting.suppressions, settings, waiting.template))
        self._waiting.clear()
        return findings

    def _detect(self, template: Template) -> Detection | None:
        """With no platform declared, guess it from the merge tags (DESIGN.md precedence)."""
        if template.platform is not None:
            return None
        texts = [
            template.html.source.text if template.html else None,
            template.text.text if template.text else None,
            template.subject.value if template.subject else None,
            template.preheader.value if template.preheader else None,
        ]
        detection = detect(*texts)
        template.detection = detection
        if detection.platform is not None:
            template.platform = Sourced(detection.platform, "detected")
        return detection

    def load_template(self, path: Path) -> tuple[Template | None, list[Finding]]:
        """One template with its sidecar, defaults and platform applied (for `render`)."""
        kind = classify(path)
        if kind not in ("html", "eml", "json"):
            return None, []
        settings = self.config.for_file(path)
        try:
            loaded = self._load(InputFile(path, kind, True))
        except _PlatformExport:
            return None, []  # a workflow, not a template
        if loaded is None or loaded.template is None:
            return None, self._problems(loaded, settings) if loaded else []
        template = loaded.template
        findings = self._problems(loaded, settings)
        self._prepare(template, settings, findings, SuppressionSet())
        return template, findings

    # -- loading ----------------------------------------------------------
    def _load(self, item: InputFile) -> Loaded | None:
        limit = self.config.max_file_size
        if item.kind == "html":
            loaded = load_html(item.path, limit)
        elif item.kind == "eml":
            from preflight.formats.eml import load_eml  # the email package costs 30 ms to import

            loaded = load_eml(item.path, limit)
        else:
            return self._load_json(item, limit)
        if loaded.template is not None:
            template = loaded.template
            if template.html is not None and template.format == "html":
                template.sources[template.path] = template.html.source
            if template.text is not None and template.text_path is not None:
                template.sources.setdefault(template.text_path, template.text)
        return loaded

    def _load_json(self, item: InputFile, limit: int) -> Loaded | None:
        from preflight.formats.esp_json import detect_shape, load_export

        try:
            text, _ = decode(read_bytes(item.path, limit))
        except UnreadableInput:
            if not item.explicit:
                return None  # a walked .json that cannot be sniffed is of no known kind
            raise
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as error:  # JSONDecodeError, or a 5,000-digit number
            if not item.explicit:
                return None
            return Loaded(None, [("PF001", invalid_json(item.path, error))])
        shape = detect_shape(data)
        if shape is None:
            from preflight.importers import detect

            platform = detect(data)
            if platform is not None:
                raise _PlatformExport(platform, text, data)
        if shape is None:
            if not item.explicit:
                return None
            violation = Violation(
                "not a platform export preflight recognises (SendGrid or Postmark template,"
                " Braze message archive, HubSpot, Klaviyo, Mautic or n8n workflow)",
                Location(item.path),
                {"reason": "unknown-shape"},
            )
            return Loaded(None, [("PF001", violation)])
        loaded = load_export(item.path, text, data, shape)
        if loaded.template is not None:
            loaded.template.sources[item.path] = SourceText(text)
        return loaded

    def _apply_sidecar(
        self,
        template: Template,
        settings: FileSettings,
        findings: list[Finding],
        suppressions: SuppressionSet,
    ) -> None:
        path = sidecar_path(template.path)
        if not path.is_file():
            return
        sidecar = load_sidecar(path, self.config.max_file_size)
        # a sidecar that does not parse says nothing about the subject (PF001 reports it)
        template.subject_knowable = template.subject_knowable or sidecar.readable
        if sidecar.text is not None:
            template.sources[path] = SourceText(sidecar.text)
            suppressions.items.extend(yaml_suppressions(path, sidecar.text, self.catalogue).items)
        for rule_id, violation in sidecar.problems:
            findings.extend(self._stamp(rule_id, [violation], settings, template.sources))

        def sourced(key: str, part: Part | None = None) -> Sourced | None:
            if key not in sidecar.values:
                return None
            return Sourced(sidecar.values[key], "sidecar", sidecar.location(key, part))

        template.subject = sourced("subject", Part.SUBJECT) or template.subject
        template.preheader = sourced("preheader", Part.PREHEADER) or template.preheader
        template.sender = sourced("from") or template.sender
        template.reply_to = sourced("reply_to") or template.reply_to
        template.locale = sourced("locale") or template.locale
        template.category = sourced("category") or template.category
        template.campaign = sourced("campaign") or template.campaign
        template.audience = sourced("audience") or template.audience
        if sidecar.audience_tags:
            template.audience_tags = sidecar.audience_tags
        platform = sourced("platform")
        if platform is not None:
            name = resolve_platform(platform.value)
            if name is None:
                violation = Violation(
                    'unknown platform "{platform}"',
                    sidecar.location("platform"),
                    {"platform": platform.value},
                )
                findings.extend(self._stamp("PF003", [violation], settings, template.sources))
            else:
                template.platform = Sourced(name, "sidecar", platform.location)

    def _apply_audiences(self, template: Template) -> None:
        """The audiences a template goes to: its send steps' in this run, else its sidecar's."""
        targeting = self.targeting
        template.targeting = targeting
        if self._sends:
            self._apply_send_steps(template)
        audience = template.audience
        if audience is not None and audience.origin == "sidecar" and targeting is not None:
            found = targeting.audiences.get(audience.value)
            template.sent_to = (SentTo(found, audience),) if found is not None else ()

    def _apply_defaults(self, template: Template, settings: FileSettings) -> None:
        """Precedence: --platform > sidecar > the export format > override > config."""
        config = self.config
        if config.forced_platform:
            template.platform = Sourced(config.forced_platform, "cli")
        elif template.platform is None and settings.platform:
            template.platform = Sourced(settings.platform, "config")
        for attribute, key in _DEFAULTED:
            if getattr(template, attribute) is None and key in config.defaults:
                setattr(template, attribute, Sourced(config.defaults[key], "config"))

    def _prepare(
        self,
        template: Template,
        settings: FileSettings,
        findings: list[Finding],
        suppressions: SuppressionSet,
    ) -> Detection | None:
        """Sidecar, config defaults, then detection: the template as rules and render see it."""
        self._apply_sidecar(template, settings, findings, suppressions)
        self._apply_defaults(template, settings)
        self._apply_audiences(template)
        template.known_fields = self._known_fields(template)
        template.link_settings = self.config.links
        return self._detect(template)

    # -- checking -----------------------------------------------------------
    def _run_template_checks(self, template: Template, settings: FileSettings) -> list[Finding]:
        facts = self._facts if template.targeting is not None else ()
        return self._run_checks(
            self.registry.rules("template", settings.enabled, facts),
            template,
            settings,
            template.sources,
            lambda v: _with_pointer(v, template),
        )

    def _run_checks(
        self,
        checks: list[tuple[str, Any]],
        subject: Any,
        settings: FileSettings,
        sources: Mapping[Path, SourceText],
        adjust: Any = None,
    ) -> list[Finding]:
        """Each enabled rule of a registry over one template or workflow, at most
        MAX_PER_RULE findings a rule."""
        findings: list[Finding] = []
        for rule_id, check in checks:
            violations = list(
                itertools.islice(check(subject, settings.options[rule_id]), MAX_PER_RULE + 1)
            )
            if adjust is not None:
                violations = [adjust(v) for v in violations]
            if len(violations) > MAX_PER_RULE:  # a pathological file: say so once, move on
                del violations[MAX_PER_RULE:]
                violations.append(
                    Violation(
                        "more than {count} findings of this rule in this file; the rest are"
                        " not shown",
                        Location(subject.path),
                        {"count": MAX_PER_RULE, "reason": "truncated"},
                        help="fix the first ones (they often cause the rest) and run again",
                    )
                )
            findings.extend(self._stamp(rule_id, violations, settings, sources))
        return findings

    def _problems(self, loaded: Loaded, settings: FileSettings) -> list[Finding]:
        sources = loaded.template.sources if loaded.template else {}
        findings: list[Finding] = []
        for rule_id, violation in loaded.problems:
            findings.extend(self._stamp(rule_id, [violation], settings, sources))
        return findings

    def _stamp(
        self,
        rule_id: str,
        violations: Iterable[Violation],
        settings: FileSettings,
        sources: Mapping[Path, SourceText],
    ) -> list[Finding]:
        if not settings.is_enabled(rule_id):
            return []
        rule: RuleSpec = self.catalogue.rules[rule_id]
        configured = settings.severities.get(rule_id, rule.severity)
        findings = []
        for violation in violations:
            severity = configured
            if violation.severity is not None:
                severity = min(severity, violation.severity)
            span = violation.location.span
            source = sources.get(violation.location.path)
            excerpt = (
                source.line_excerpt(span.line, span.column) if source is not None and span else None
            )
            line_text, line_offset = excerpt or (None, 0)
            findings.append(
                Finding(
                    rule=rule.id,
                    name=rule.name,
                    severity=severity,
                    message=violation.message,
                    location=violation.location,
                    data=dict(violation.data),
                    help=violation.help,
                    related=violation.related,
                    source_line=line_text,
                    source_offset=line_offset,
                    fix=violation.fix,
                )
            )
        return findings

    def _unused(
        self, suppressions: SuppressionSet, settings: FileSettings, template: Template
    ) -> list[Finding]:
        return self._unused_in(suppressions, settings, template.sources)

    def _unused_in(
        self,
        suppressions: SuppressionSet,
        settings: FileSettings,
        sources: Mapping[Path, SourceText],
    ) -> list[Finding]:
        violations = []
        for suppression in suppressions.items:
            if suppression.unknown:
                violations.append(
                    Violation(
                        "suppression names unknown rules: {rules}",
                        suppression.location,
                        {"rules": ", ".join(suppression.unknown)},
                        help="use a rule id such as CONTENT004 or a name such as image-missing-alt",
                    )
                )
                continue
            if suppression.used:
                continue
            rules = suppression.rules
            if rules is not None and (not rules or not rules <= settings.enabled):
                continue  # a rule it names did not run here (or has no rules yet): not judged
            label = ", ".join(suppression.selectors) if suppression.selectors else "all rules"
            violations.append(
                Violation(
                    "unused suppression of {rules}: nothing here is reported by it",
                    suppression.location,
                    {"rules": label},
                    help="remove the comment",
                )
            )
        return self._stamp("PF002", violations, settings, sources)


_DEFAULTED = (
    ("category", "category"),
    ("locale", "locale"),
    ("sender", "from"),
    ("reply_to", "reply_to"),
    ("campaign", "campaign"),
)
"""Template attributes that config `defaults` fill in, and their keys there."""


def _key(path: Path) -> str:
    """One spelling of a path for matching a workflow's template with a run's input."""
    return os.path.normcase(os.path.abspath(path))


def replace_part(location: Location) -> Location:
    """A send step's subject is the subject part of the template it sends."""
    return replace(location, part=Part.SUBJECT)


def _file_info(path: Path, template: Template, detection: Detection | None) -> FileInfo:
    if detection is not None and (detection.platform or detection.candidates):
        return FileInfo(
            path,
            "template",
            detection.platform,
            "detected",
            detection.confidence,
            detection.candidates,
        )
    platform = template.platform
    return FileInfo(
        path,
        "template",
        platform.value if platform else None,
        _platform_source(platform),
        1.0 if platform else None,
    )


def _with_pointer(violation: Violation, template: Template) -> Violation:
    """Give a finding in a part of a platform export the JSON pointer of that part."""
    location = violation.location
    if location.pointer is not None or location.part not in template.pointers:
        return violation
    if location.path != template.path:
        return violation
    pointer = template.pointers[location.part]
    return replace(violation, location=replace(location, pointer=pointer))


def _platform_source(platform: Sourced | None) -> str | None:
    if platform is None:
        return None
    return {"cli": "declared", "sidecar": "declared", "config": "config", "format": "format"}.get(
        platform.origin, platform.origin
    )
