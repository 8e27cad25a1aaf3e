"""The correction checked by preflight's own rules: what it has that the original did not."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.model import Finding, Severity

if TYPE_CHECKING:
    from preflight.engine import Engine


# what a finding says about the email's inferred category, not about the problem: the
# original may read as undecided where its correction, with an unsubscribe link, is marketing
_CATEGORY_KEYS = frozenset(
    {"category", "category_source", "evidence", "evidence_text", "marketing_evidence"}
)


def _key(finding: Finding) -> tuple[str, str]:
    """A finding by what it says, wherever it is: the original and the correction compare."""
    data = {k: v for k, v in finding.data.items() if k not in _CATEGORY_KEYS}
    return finding.rule, json.dumps(data, sort_keys=True, default=str)


def new_findings(
    engine: Engine, original: Path, files: Mapping[str, bytes], output: Path
) -> list[Finding]:
    """Findings of the correction that the original did not have, placed in ``output``.

    One run checks both: the original as it was sent, and the four files in a scratch folder.
    """
    with tempfile.TemporaryDirectory(prefix="preflight-correct-") as folder:
        root = Path(folder)
        for name, data in files.items():
            (root / name).write_bytes(data)
        report = engine.run([original, root])
    inside = os.path.abspath(root) + os.sep

    def in_scratch(finding: Finding) -> bool:
        return os.path.abspath(finding.location.path).startswith(inside)

    known = {_key(finding) for finding in report.findings if not in_scratch(finding)}
    found: list[Finding] = []
    seen: set[tuple[str, str, str, object]] = set()
    for finding in report.findings:
        if not in_scratch(finding) or _key(finding) in known:
            continue
        location = replace(finding.location, path=output / finding.location.path.name)
        # the sidecar serves correction.html and correction.eml alike: one finding in it, once
        same = (finding.rule, finding.message, str(location.path), location.span)
        if same in seen:
            continue
        seen.add(same)
        found.append(replace(finding, location=location, related=()))
    return found


def errors(findings: Sequence[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity >= Severity.ERROR]
