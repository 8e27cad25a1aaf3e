"""How long the workflow rules take on a large workflow (issue 5's "well under a second").

Generates a workflow of N steps (default 1,000) with one branch in every B steps
(default 10, so 100 branches), engagement branches and reminder sends among
them, a loop back 20 steps from every 100th branch's "no" side, and now and then
a wait until a time of day or a date field; then times, in one process and the
same run:

- baseline: parsing the YAML file alone (yaml.safe_load);
- load: parsing with positions and validating against the JSON Schema;
- rules: every workflow rule (FLOW, TIME, and the LIST ones, idle without
  audiences) over the loaded workflow (no template files, so TIME002 and
  TIME006 read no copy: their graph searches still run), and
  each rule on its own.

The paths through such a workflow number about 2^100 (more with the loops); the
rules use breadth-first search, Dijkstra (TIME005 over (step, sends) states) and
Tarjan's strongly connected components, so they never enumerate them. Prints
markdown tables.

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
from preflight.engine.registry import Registry
from preflight.formats.workflow import load_workflow


def generate(steps: int, every: int) -> str:
    lines = ["name: Generated nurture", "kind: production", "steps:"]
    last_send = None
    for index in range(steps):
        step = f"s{index}"
        if index % every == every - 1 and last_send is not None:
            back = index % 100 == 99 and index >= 20  # a loop: back 20 steps, through waits
            no_side = f"s{index - 20}" if back else f"s{index + 2}"
            sides = f"then: s{index + 1}, else: {no_side}"
            lines += [f"  - id: {step}", f"    branch: {{if: {{opened: {last_send}}}, {sides}}}"]
        elif index % 3 == 0:
            lines += [f"  - id: {step}", f"    send: email{index}.html"]
            last_send = step
        elif index % 50 == 1:
            lines += [f"  - id: {step}", '    wait: {until_time: "02:00"}']
        elif index % 50 == 2:
            lines += [f"  - id: {step}", "    wait: {until_field: renewal_date, offset: -7d}"]
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
    registry = Registry(catalogue)
    workflow_checks = dict(registry.rules("workflow", registry.ids("workflow"), ("audiences",)))
    options = {rule: catalogue.rules[rule].option_defaults() for rule in workflow_checks}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.workflow.yaml"
        path.write_text(generate(args.steps, args.every), encoding="utf-8")
        parse, load, rules = [], [], []
        each: dict[str, list[float]] = {rule: [] for rule in workflow_checks}
        counts: dict[str, int] = {}
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
            checks = workflow_checks.items()
            findings = sum(len(list(check(workflow, options[rule]))) for rule, check in checks)
            rules.append(time.perf_counter() - started)
            for rule, check in workflow_checks.items():
                workflow.cache.clear()  # each rule from cold, as if it ran alone
                started = time.perf_counter()
                counts[rule] = len(list(check(workflow, options[rule])))
                each[rule].append(time.perf_counter() - started)
        branches = sum(1 for s in workflow.steps if s.kind == "branch")
    parse_s, load_s, rules_s = (statistics.median(x) for x in (parse, load, rules))
    shape = f"{len(workflow.steps)} steps, {branches} branches, {findings} findings"
    print(f"{shape}; median of {args.repeat}\n")
    print("| stage | seconds | vs YAML parse |")
    print("|---|---|---|")
    print(f"| baseline: yaml.safe_load | {parse_s:.3f} | 1.0x |")
    print(f"| load (positions + JSON Schema) | {load_s:.3f} | {load_s / parse_s:.1f}x |")
    print(f"| workflow rules (FLOW, TIME, LIST) | {rules_s:.3f} | {rules_s / parse_s:.1f}x |")
    print(f"| load + rules | {load_s + rules_s:.3f} | {(load_s + rules_s) / parse_s:.1f}x |")
    print("\n| rule | seconds | findings |")
    print("|---|---|---|")
    for rule in sorted(each):
        print(f"| {rule} | {statistics.median(each[rule]):.4f} | {counts[rule]} |")


if __name__ == "__main__":
    main()
