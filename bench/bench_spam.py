"""What `--spam` costs: SpamAssassin batched (one process per core) against one process per email.

The figures that docs/inbox-and-spam.md gives come from here. The script loads corpus
templates from ``../shared/corpus`` with preflight (the same message assembly as
``preflight check --spam``: ``preflight.spamassassin.assemble``), then scores the first
``--count`` of them three ways, with the flags preflight uses (``-L -t -x``, no Bayes):

* **one message**: one ``spamassassin`` process for one email (start-up and rule loading
  plus one message), repeated ``--repeat`` times;
* **batched**: one process for all ``--count`` emails, as a run with one core does;
* **one process each**: ``--count`` processes, one per email.

CPU seconds are the children's user plus system time (``getrusage(RUSAGE_CHILDREN)``), wall
seconds the elapsed time; the per-process start-up is estimated as one message's CPU time
less the batched CPU time per message. Results go to stdout as a Markdown table and to
``bench/out/spam.json``::

    .venv/bin/python bench/bench_spam.py --count 30

SpamAssassin must be installed (Debian: ``apt-get install spamassassin``); nothing reaches
the network (``-L``).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
CORPUS = ROOT.parent / "shared" / "corpus"
OUT = BENCH_DIR / "out" / "spam.json"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(action: Callable[[], Any]) -> tuple[float, float, Any]:
    cpu, wall = _children_cpu(), time.perf_counter()
    result = action()
    return _children_cpu() - cpu, time.perf_counter() - wall, result


def _templates(limit: int | None) -> list[Any]:
    """Every corpus .html email preflight reads, in path order (the first ``limit``)."""
    from preflight.api import configure, load_template

    configs = configure([CORPUS], cache=False)
    found: list[Any] = []
    for path in sorted(CORPUS.rglob("*.html")):
        if limit is not None and len(found) >= limit:
            break
        try:
            template, _ = load_template(path, configs)
        except Exception:  # an unreadable corpus file is not this benchmark's business
            continue
        if template is not None and template.html is not None:
            found.append(template)
    return found


def _score(run: Any, batch: list[Any]) -> int:
    """Score ``batch`` in one SpamAssassin process; the number of verdicts that came back."""
    answers = run._batch(batch)
    return sum(1 for _, scored in answers if scored.verdict is not None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=30, help="emails per mode (default 30)")
    parser.add_argument("--repeat", type=int, default=3, help="one-message runs (default 3)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"the JSON results (default {OUT})")
    parser.add_argument(
        "--whole-corpus", action="store_true", help="also score every corpus .html email batched"
    )
    arguments = parser.parse_args()

    from preflight.spamassassin import SpamRun

    run = SpamRun()
    if run.program is None:
        print("SpamAssassin is not installed (apt-get install spamassassin)", file=sys.stderr)
        return 2
    templates = _templates(arguments.count)
    for template in templates:
        run.add(template)
    queued = [item for item in run._waiting if item[1] is not None]
    if len(queued) < arguments.count:
        print(f"only {len(queued)} emails could be assembled", file=sys.stderr)
        return 2
    rows: dict[str, dict[str, float]] = {}
    one = [_timed(lambda: _score(run, queued[:1])) for _ in range(arguments.repeat)]
    one.sort(key=lambda measured: measured[0])
    cpu, wall, _ = one[len(one) // 2]
    rows["one message"] = {"emails": 1, "cpu_s": cpu, "wall_s": wall}
    cpu, wall, scored = _timed(lambda: _score(run, queued))
    rows["batched"] = {"emails": scored, "cpu_s": cpu, "wall_s": wall}
    cpu, wall, scored = _timed(lambda: sum(_score(run, [item]) for item in queued))
    rows["one process each"] = {"emails": scored, "cpu_s": cpu, "wall_s": wall}
    if arguments.whole_corpus:
        every = SpamRun()
        for template in _templates(None):
            every.add(template)
        cpu, wall, answers = _timed(every.run)
        scored = sum(1 for answer in answers.values() if answer.verdict is not None)
        rows["whole corpus, as --spam runs it"] = {"emails": scored, "cpu_s": cpu, "wall_s": wall}
    run.run()  # removes the temporary folder
    per_message = rows["batched"]["cpu_s"] / max(1, rows["batched"]["emails"])
    startup = rows["one message"]["cpu_s"] - per_message
    version = run.program
    print(f"SpamAssassin: {version}; {arguments.count} corpus emails\n")
    print("| mode | emails | CPU s | wall s |")
    print("|---|---:|---:|---:|")
    for name, row in rows.items():
        print(f"| {name} | {row['emails']:.0f} | {row['cpu_s']:.2f} | {row['wall_s']:.2f} |")
    print(f"\nper message (batched): {per_message:.3f} CPU s; start-up per process: {startup:.2f}")
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(
        json.dumps(
            {"rows": rows, "per_message_cpu_s": per_message, "startup_cpu_s": startup},
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
