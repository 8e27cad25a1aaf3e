"""How long the workflow rules take on a large workflow (issue 5's "well under a second").

Generates a workflow of N steps (default 1,000) with one branch in every B steps
(default 10, so 100 branches), engagement branches and reminder sends among
them, then times, in one process and the same run:

- baseline: parsing the YAML file alone (yaml.safe_load);
- load: parsing with positions and validating against the JSON Schema;
- rules: every FLOW and TIME rule over the loaded workflow (no template files,
  so TIME002 reads no copy: its graph searches still run for every send).

The paths through such a workflow number about 2^100; the rules use breadth-first
search and Dijkstra, so they never enumerate them. Prints a markdown table.

    .venv/bin/python bench/bench_workflow.py [--steps 1000] [--every 10] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from preflight.catalogue import load_catalogue
from preflight.checks import WORKFLOW_CHECKS
from preflight.formats.workflow import load_workflow


def generate(steps: int, every: int) -> str:
    lines = ["name: Generated nurture", "kind: production", "steps:"]
    last_send = None
    for index in range(steps):
        step = f"s{index}"
        if index % every == every - 1 and last_send is not None:
            sides = f"then: s{index + 1}, else: s{index + 2}"
            lines += [f"  - id: {step}", f"    branch: {{if: {{opened: {last_send}}}, {sides}}}"]
        elif index % 3 == 0:
            lines += [f"  - id: {step}", f"    send: email{index}.html"]
            last_send = step
        else:
            lines += [f"  - id: {step}", f"    wait: {index % 5} hours"]
    lines += [
        "  - id: s" + str(steps),
        "    exit: true",
        "  - id: s" + str(steps + 1),
        "    exit: true",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    catalogue = load_catalogue()
    options = {rule: catalogue.rules[rule].option_defaults() for rule in WORKFLOW_CHECKS}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.workflow.yaml"
        path.write_text(generate(args.steps, args.every), encoding="utf-8")
        parse, load, rules = [], [], []
        findings = 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            yaml.safe_load(path.read_text(encoding="utf-8"))
            parse.append(time.perf_counter() - started)
            started = time.perf_counter()
            workflow, problems = load_workflow(path, 50_000_000)
            load.append(time.perf_counter() - started)
            assert workflow is not None and not problems, problems[:3]
            started = time.perf_counter()
            findings = sum(
                len(list(check(workflow, options[rule]))) for rule, check in WORKFLOW_CHECKS.items()
            )
            rules.append(time.perf_counter() - started)
        branches = sum(1 for s in workflow.steps if s.kind == "branch")
    parse_s, load_s, rules_s = (statistics.median(x) for x in (parse, load, rules))
    shape = f"{len(workflow.steps)} steps, {branches} branches, {findings} findings"
    print(f"{shape}; median of {args.repeat}\n")
    print("| stage | seconds | vs YAML parse |")
    print("|---|---|---|")
    print(f"| baseline: yaml.safe_load | {parse_s:.3f} | 1.0x |")
    print(f"| load (positions + JSON Schema) | {load_s:.3f} | {load_s / parse_s:.1f}x |")
    print(f"| FLOW and TIME rules | {rules_s:.3f} | {rules_s / parse_s:.1f}x |")
    print(f"| load + rules | {load_s + rules_s:.3f} | {(load_s + rules_s) / parse_s:.1f}x |")


if __name__ == "__main__":
    main()
