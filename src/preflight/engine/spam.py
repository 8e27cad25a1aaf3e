"""The SpamAssassin phase (`check --spam`): every template of the run, assembled as it is
sent, scored by a local SpamAssassin in a few processes, then judged by the rules that read
a verdict (`runs_on: spam-score`, SPAM010) under the file's suppressions.

The phase runs in the main process after the per-item work, like the live link phase. It
reads each template again rather than carrying messages out of the workers and the results
cache: a read costs milliseconds, SpamAssassin a tenth of a second per email, and the run's
memory stays flat (each message goes to a temporary file as it is made).
"""

from __future__ import annotations

from collections.abc import Iterable

from preflight.catalogue import Catalogue
from preflight.compose.unsent import unsent_part
from preflight.config import Configs, FileSettings
from preflight.discovery import InputFile
from preflight.engine.items import ItemChecker
from preflight.engine.load import load
from preflight.engine.registry import Registry
from preflight.engine.stamp import Stamper
from preflight.formats.decode import UnreadableInput
from preflight.model import Finding
from preflight.suppressions import SuppressionSet, html_suppressions


def spam_findings(
    items: Iterable[InputFile], checker: ItemChecker, configs: Configs, catalogue: Catalogue
) -> list[Finding]:
    from preflight.spamassassin import SpamRun

    registry = Registry(catalogue)
    stamper = Stamper(catalogue)
    run = SpamRun()
    waiting: list[tuple[str, FileSettings, SuppressionSet]] = []
    for item in items:
        path = item.path
        config = configs.for_path(path)
        settings = config.for_file(path)
        if not settings.enabled & registry.ids("spam-score"):
            continue
        try:
            sniffed = load(item, config)
        except (UnreadableInput, OSError):
            continue  # removed or changed since it was checked: its own check said so
        if sniffed.template is None:
            continue
        assembled = checker.assembler(path).assemble(sniffed.template, settings)
        template = assembled.template
        if unsent_part(template) is not None:  # a part checked alone is no message to score
            continue
        suppressions = assembled.suppressions
        if template.format == "html" and template.html is not None:
            found = html_suppressions(template.path, template.html, catalogue)
            suppressions.items.extend(found.items)
        waiting.append((run.add(template), settings, suppressions))
    scored = run.run()
    findings: list[Finding] = []
    for key, settings, suppressions in waiting:
        if key not in scored:
            continue
        for rule_id, check in registry.rules("spam-score", settings.enabled):
            violations = check(scored[key], settings.options[rule_id])
            findings.extend(suppressions.apply(stamper.stamp(rule_id, violations, settings, {})))
    return findings
