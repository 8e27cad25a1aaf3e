"""The live link phase (--online): every file's links, checked once per URL across the run,
then judged by the live rules (`runs_on: live`) in each file, under its suppressions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from preflight.catalogue import Catalogue
from preflight.config import Config
from preflight.engine.items import Pending
from preflight.engine.registry import Registry
from preflight.engine.stamp import Stamper
from preflight.links.results import Checked, CheckedEmail
from preflight.model import Finding
from preflight.model.report import Report

if TYPE_CHECKING:
    from preflight.links.live import Progress


def live_findings(
    pending: Iterable[Pending],
    config: Config,
    catalogue: Catalogue,
    report: Report,
    progress: Progress | None,
) -> list[Finding]:
    from preflight.links.live import LiveRun

    waiting = list(pending)
    run = LiveRun(config.links, config.root, config.link_cache, progress)
    # a page is read once for every file that links to it: the config's top-level
    # LINK006 phrases decide what reads as "not found" (per-file overrides cannot)
    options = {**catalogue.rules["LINK006"].option_defaults()}
    if "LINK006" in config.rules:
        options.update(config.rules["LINK006"].options)
    results = run.check((o for p in waiting for o in p.occurrences), options["phrases"])
    report.links = run.summary
    report.warnings.extend(run.warnings)
    registry = Registry(catalogue)
    stamper = Stamper(catalogue)
    findings: list[Finding] = []
    for file in waiting:
        settings = file.settings
        checks = registry.rules("live", settings.enabled)
        found: list[Finding] = []
        everything: list[Checked] = []
        for occurrence in file.occurrences:
            result = results.get(occurrence.target)
            if result is None:
                continue
            checked = Checked(occurrence, result)
            everything.append(checked)
            for rule_id, check in checks:
                violations = check(checked, settings.options[rule_id])
                for stamped in stamper.stamp(rule_id, violations, settings, {}):
                    found.append(
                        replace(
                            stamped,
                            source_line=occurrence.source_line,
                            source_offset=occurrence.source_offset,
                        )
                    )
        if file.path is not None:  # the rules that judge the email's links together
            email = CheckedEmail(file.path, tuple(everything))
            lines = {
                c.occurrence.location: (c.occurrence.source_line, c.occurrence.source_offset)
                for c in everything
            }
            for rule_id, check in registry.rules("live-email", settings.enabled):
                violations = check(email, settings.options[rule_id])
                for stamped in stamper.stamp(rule_id, violations, settings, {}):
                    line, offset = lines.get(stamped.location, (None, 0))
                    found.append(
                        replace(stamped, source_line=line, source_offset=offset)
                        if line
                        else stamped
                    )
        findings.extend(file.suppressions.apply(found))
        findings.extend(stamper.unused(file.suppressions, settings, file.lines))
    return findings
