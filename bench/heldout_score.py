"""Score a held-out run against its judgements: how many of today's errors are real.

    preflight check /tmp/heldout3 --format json --no-cache > heldout3.json
    python bench/heldout_score.py bench/heldout3/judgements.yaml heldout3.json --templates 32

Each error finding of the report is matched to the judgement with the same repository, path,
rule and line (and message, where several share those); the tally counts real, false-alarm
and debatable errors, and lists errors nobody has judged (a finding that is new since the
judgements were written: judge it before quoting a figure).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml


def _where(path: str) -> tuple[str, str] | None:
    """(owner/name, path in the repository) from a held-out copy's path
    (/tmp/heldoutN/<owner>__<name>/<path>)."""
    parts = Path(path).parts
    for index, part in enumerate(parts):
        if "__" in part and index + 1 < len(parts):
            owner, _, name = part.partition("__")
            return f"{owner}/{name}", "/".join(parts[index + 1 :])
    return None


def score(judgements: list[dict[str, Any]], findings: list[dict[str, Any]]) -> dict[str, Any]:
    tally: Counter[str] = Counter()
    unjudged = []
    for finding in findings:
        if finding["severity"] != "error":
            continue
        where = _where(finding["path"])
        candidates = [
            j
            for j in judgements
            if where is not None
            and (j["repo"], j["path"]) == where
            and j["rule"] == finding["rule"]
            and (j.get("line") is None or j.get("line") == finding.get("line"))
        ]
        if len(candidates) > 1:
            message = finding["message"]
            exact = [j for j in candidates if str(j.get("message", "")).strip() == message]
            candidates = exact or candidates
        if not candidates:
            where_text = f"{finding['path']}:{finding.get('line')}"
            unjudged.append(f"{where_text}: {finding['rule']} {finding['message']}")
            continue
        tally[candidates[0]["verdict"]] += 1
    return {"tally": dict(tally), "unjudged": unjudged}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("judgements", type=Path)
    parser.add_argument("report", type=Path)
    parser.add_argument("--templates", type=int, required=True, help="documents in the set")
    args = parser.parse_args(argv)
    judgements = yaml.safe_load(args.judgements.read_text(encoding="utf-8"))["judgements"]
    findings = json.loads(args.report.read_text(encoding="utf-8"))["findings"]
    result = score(judgements, findings)
    tally = result["tally"]
    doubtful = tally.get("false-alarm", 0) + tally.get("debatable", 0)
    errors = sum(tally.values()) + len(result["unjudged"])
    print(
        f"{errors} errors: {tally.get('real', 0)} real, {tally.get('false-alarm', 0)} false"
        f" alarms, {tally.get('debatable', 0)} debatable, {len(result['unjudged'])} unjudged;"
        f" {doubtful / args.templates * 50:.1f} doubtful per 50 templates"
    )
    for line in result["unjudged"]:
        print("  unjudged:", line)
    return 1 if result["unjudged"] else 0


if __name__ == "__main__":
    sys.exit(main())
