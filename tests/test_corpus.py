"""`preflight check` over the real corpus in ../shared/corpus: no crash, counts recorded.

The recorded counts are in tests/corpus_counts.yaml; a change in any of them is
a regression or an improvement, and either way it must be looked at.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import yaml

COUNTS = Path(__file__).with_name("corpus_counts.yaml")


def test_corpus_runs_clean_and_counts_hold(run_cli, corpus: Path, tmp_path: Path) -> None:
    report_path = tmp_path / "corpus.json"
    result = run_cli("check", str(corpus), "--format", "json", "--output", str(report_path))
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    document = json.loads(report_path.read_text(encoding="utf-8"))
    assert not [f for f in document["findings"] if f["rule"] == "PF001"], (
        "corpus files must all be readable"
    )

    def folder(path: str) -> str:
        return Path(path).resolve().relative_to(corpus.resolve()).parts[0]

    findings: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for finding in document["findings"]:
        findings[folder(finding["path"])][finding["rule"]] += 1
    files = collections.Counter(folder(info["path"]) for info in document["files"])
    actual = {
        name: {"files": files[name], "findings": dict(sorted(findings[name].items()))}
        for name in sorted(set(files) | set(findings))
    }
    expected = yaml.safe_load(COUNTS.read_text(encoding="utf-8"))
    for counts in expected.values():  # a marker for folders not judged yet, not a count
        counts.pop("pending_judgement", None)
    assert actual == expected


def test_named_workflow_exports_are_not_unreadable(corpus: Path) -> None:
    """n8n exports are a known kind (read by the importers): naming one is never PF001."""
    import preflight

    exports = sorted((corpus / "n8n-workflows-zie619").rglob("*.json"))
    assert len(exports) == 53
    report = preflight.check(exports)
    assert [f for f in report.findings if f.rule == "PF001"] == []


DECLARED = {
    "postmark-templates": ("postmark", {"MERGE004": 72}),
    "sendgrid-email-templates": ("sendgrid", {}),
    "customerio-layouts": ("customerio", {}),
    "mailchimp-caffeine-theme": ("mailchimp", {}),
    "braze-message-archiving": ("braze", {}),
}


def test_corpus_with_its_platforms_declared_raises_no_false_merge_alarms(corpus: Path) -> None:
    """Each template folder read as its own platform: every MERGE finding is recorded here.

    The 72 MERGE004 are the Postmark templates' "Hi {{name}}," (48), "Hi, {{name}}" (12)
    and "Welcome, {{name}}" (12) with no {{#name}}…{{^name}} guard: real, by the rule.
    """
    import preflight
    from preflight.config import Config

    for folder, (platform, expected) in DECLARED.items():
        config = Config(root=corpus / folder).with_cli(select=["MERGE"], platform=platform)
        report = preflight.check([corpus / folder], config=config)
        counts = collections.Counter(f.rule for f in report.findings)
        assert dict(counts) == expected, folder
