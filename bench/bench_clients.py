"""The CLIENT and A11Y rules' cost next to the lxml parse of the same templates.

For every HTML template in ``../shared/corpus``, in one process and one run:

* the baseline: the lxml parse of each file as preflight does it (``HtmlDocument``);
* each CLIENT and A11Y rule alone over the parsed templates: the CSS caches warm across
  templates, as in one ``preflight check`` of a folder, but each rule computes the inline
  styles it reads itself (``template.cache`` cleared before each template);
* all of them together as a run has them: one shared computation per template, caches warm;
* all of them with every cache cleared before each template ("cold"): what one-template
  runs pay, summed over the corpus;
* the one-time costs: importing tinycss2 and reading support.json.

Each rule's timing is paired with a parse timing run just before it; the ratio is the
median of the pairs' ratios, over ``--repeat`` pairs. Nothing is asserted. It prints a
markdown report and writes it to ``bench/out/clients.md``::

    .venv/bin/python bench/bench_clients.py
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from preflight.catalogue import load_catalogue
from preflight.config import Config
from preflight.engine import Engine
from preflight.engine.registry import implementation
from preflight.model import Template
from preflight.model.source import HtmlDocument, SourceText

BENCH_DIR = Path(__file__).resolve().parent
CORPUS = BENCH_DIR.parent.parent / "shared" / "corpus"
OUT = BENCH_DIR / "out" / "clients.md"


def _clear_caches() -> None:
    from preflight import css
    from preflight.checks import clients as client_rules

    for function in (
        css.inline,
        css.stylesheet,
        css.color,
        css.length_px,
        css.shorthand_color,
        css._winners,
        client_rules._declaration_features,
        client_rules._inline_places,
        client_rules._sheet_usages,
    ):
        function.cache_clear()


def _paired(
    repeat: int, baseline: Callable[[], object], run: Callable[[], object]
) -> tuple[float, float]:
    """(median seconds of ``run``, median of run/baseline taken pair by pair): timing the two
    in turn keeps the ratio meaningful on a machine whose speed drifts."""
    times, ratios = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        baseline()
        middle = time.perf_counter()
        run()
        end = time.perf_counter()
        times.append(end - middle)
        ratios.append((end - middle) / (middle - start))
    return statistics.median(times), statistics.median(ratios)


def _one_time(setup: str, code: str) -> float:
    """Seconds a fresh interpreter spends on ``code`` after ``setup`` (median of 5)."""
    script = (
        f"import time; {setup}; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"the corpus is missing: {CORPUS}", file=sys.stderr)
        return 2
    paths = sorted(CORPUS.rglob("*.html"))
    engine = Engine(Config(root=CORPUS))
    templates: list[Template] = []
    for path in paths:
        template, _ = engine.load_template(path)
        if template is not None and template.html is not None and template.html.root is not None:
            templates.append(template)
    texts = [t.html.source.text for t in templates if t.html is not None]
    rules = [r for r in load_catalogue() if r.family in ("CLIENT", "A11Y")]

    def parse() -> None:
        for text in texts:
            HtmlDocument(SourceText(text))

    checks = [(implementation(rule), rule.option_defaults()) for rule in rules]

    def run_rules(chosen: list[int], cold: bool, shared: bool) -> Callable[[], None]:
        def run() -> None:
            for template in templates:
                template.memo._values.pop("inline_styles", None)
                if cold:
                    _clear_caches()
                for index in chosen:
                    if not shared:
                        template.memo._values.pop("inline_styles", None)
                    check, options = checks[index]
                    for _ in check(template, options):
                        pass

        return run

    everything = list(range(len(rules)))
    run_rules(everything, cold=False, shared=True)()  # imports and support.json, once
    baseline, _ = _paired(args.repeat, lambda: None, parse)
    rows = []
    for index, rule in enumerate(rules):
        alone = _paired(args.repeat, parse, run_rules([index], cold=False, shared=False))
        rows.append((rule.id, rule.name, alone))
    together = _paired(args.repeat, parse, run_rules(everything, cold=False, shared=True))
    cold = _paired(args.repeat, parse, run_rules(everything, cold=True, shared=True))
    imports = _one_time("import re, enum, preflight.model.source", "import tinycss2")
    support = _one_time("import json, preflight.clients as c", "c.support()")
    lines = [
        f"{len(templates)} corpus templates, {sum(map(len, texts)) / 1e6:.1f} MB of HTML; "
        f"median of {args.repeat}.",
        "",
        f"lxml parse of the same files (baseline): **{baseline * 1000:.1f} ms**",
        "",
        "| rules | ms (median) | x parse (median of paired ratios) |",
        "|---|---:|---:|",
    ]
    for rule_id, name, (seconds, ratio) in rows:
        lines.append(f"| {rule_id} {name}, alone | {seconds * 1000:.1f} | {ratio:.2f} |")
    lines.append(
        f"| all nine, as a run (warm caches) | {together[0] * 1000:.1f} | {together[1]:.2f} |"
    )
    lines.append(f"| all nine, cold for every template | {cold[0] * 1000:.1f} | {cold[1]:.2f} |")
    lines += [
        "",
        f"One-time, per process: `import tinycss2` {imports * 1000:.1f} ms;"
        f" reading support.json {support * 1000:.1f} ms.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
