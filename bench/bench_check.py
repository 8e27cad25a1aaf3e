"""Throughput, memory and start-up benchmark for ``preflight check``.

Builds N templates (default N = 100, 1000, 5000) by copying and mutating the real
HTML templates in ``../shared/corpus`` (next to the repository) into a scratch
directory, then measures, in one run:

* files/second of ``preflight check DIR --format json`` in a fresh process, and of
  a bare lxml parse of the same files in a fresh process (the floor: both pay
  interpreter start-up), plus the same two in-process when ``--in-process`` is on;
* the peak RSS of each child process (each one runs under its own small helper
  process, so ``RUSAGE_CHILDREN`` sees only that child);
* the wall time of ``preflight check`` on one template (what a pre-commit run
  costs) against ``python -c pass`` measured in the same run.

It prints a markdown report and writes it to ``bench/out/results.md``. Nothing is
asserted: numbers are reported next to the targets, as ratios against baselines
measured in the same run. Standard library plus lxml only.

Run it with the project's interpreter, from the repository root::

    .venv/bin/python bench/bench_check.py --sizes 100,1000,5000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
CORPUS = REPO.parent / "shared" / "corpus"
OUT_DIR = BENCH_DIR / "out"

TARGET_RATIO = 2.0
TARGET_SINGLE_S = 0.3

# Runs argv[1:] as a child, with the child's stdout going to /dev/null, and prints
# the child's wall time, exit code and peak RSS as JSON. One helper per measurement,
# so RUSAGE_CHILDREN.ru_maxrss (a maximum over all waited-for children) is the
# peak of exactly this child.
_HELPER = """\
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "rc": proc.returncode, "maxrss_kib": usage.ru_maxrss,
                  "stderr": proc.stderr.decode("utf-8", "replace")[-2000:]}))
"""

# The floor: find the same .html files, read their bytes and parse them with lxml.
_PARSE = """\
import os, sys
from lxml import etree
root = sys.argv[1]
paths = sorted(os.path.join(d, n) for d, _, names in os.walk(root) for n in names
               if n.endswith(".html"))
parser = etree.HTMLParser()
for path in paths:
    with open(path, "rb") as handle:
        etree.fromstring(handle.read(), parser)
"""

# -- building the templates ---------------------------------------------------

_WORDS = (
    "offer", "update", "welcome", "summer", "account", "invoice", "reminder", "launch",
    "preview", "weekly", "receipt", "journey", "savings", "members", "digest", "feature",
)  # fmt: skip
_LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit."
_BLOCKED = re.compile(
    r"<(style|script|head|title)\b.*?</\1\s*>|<!--.*?-->|\{\{.*?\}\}|\{%.*?%\}",
    re.IGNORECASE | re.DOTALL,
)
_TEXT_RUN = re.compile(r">([^<>]+)<")
_WORD = re.compile(r"\b[A-Za-z]{4,}\b")
_ALT = re.compile(r"""(<img\b[^>]*?)\s+alt\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def corpus_templates(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.html") if p.is_file())


def mutate(text: str, index: int) -> str:
    """A deterministic variant of a template: one word changed, a paragraph added,
    sometimes an alt attribute removed or "lorem ipsum" added."""
    rng = random.Random(index)
    blocked = [m.span() for m in _BLOCKED.finditer(text)]

    def visible(pos: int) -> bool:
        return not any(start <= pos < end for start, end in blocked)

    words = [
        (run.start(1) + word.start(), run.start(1) + word.end())
        for run in _TEXT_RUN.finditer(text)
        if visible(run.start(1))
        for word in _WORD.finditer(run.group(1))
    ]
    if words:
        start, end = rng.choice(words)
        text = text[:start] + rng.choice(_WORDS) + text[end:]
    if rng.random() < 0.25:
        alts = list(_ALT.finditer(text))
        if alts:
            match = rng.choice(alts)
            text = text[: match.start()] + match.group(1) + text[match.end() :]
    sentence = f"Bench copy {index}: this {rng.choice(_WORDS)} is for you."
    if rng.random() < 0.2:
        sentence += " " + _LOREM
    paragraph = f'<p id="bench-{index:05d}">{sentence}</p>\n'
    ends = list(_BODY_END.finditer(text))
    at = ends[-1].start() if ends else len(text)
    return text[:at] + paragraph + text[at:]


def build(sources: list[Path], count: int, target: Path) -> int:
    """Write ``count`` templates (and their .txt parts) under ``target``; returns bytes."""
    if target.exists():
        shutil.rmtree(target)
    total = 0
    for index in range(count):
        source = sources[index % len(sources)]
        folder = target / f"batch{index // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        html = source.read_bytes().decode("utf-8", "surrogateescape")
        data = mutate(html, index).encode("utf-8", "surrogateescape")
        (folder / f"t{index:05d}.html").write_bytes(data)
        total += len(data)
        part = source.with_suffix(".txt")
        if part.is_file():
            text = part.read_bytes() + f"\nBench copy {index}.\n".encode()
            (folder / f"t{index:05d}.txt").write_bytes(text)
            total += len(text)
    return total


# -- measuring ----------------------------------------------------------------


@dataclass
class Run:
    wall: float
    rc: int
    maxrss_kib: int


def child_env() -> dict[str, str]:
    """The children's environment, with a bytecode cache they may write to.

    Without one (PYTHONDONTWRITEBYTECODE=1, or .pyc files older than the sources in
    an editable install) every start re-compiles the changed modules, which an
    installed preflight never does. The cache lives under bench/out/, so nothing is
    written next to the sources; a user's own PYTHONPYCACHEPREFIX is kept.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(OUT_DIR / "pycache"))
    return env


def measure(
    argv: list[str], cwd: Path, ok: tuple[int, ...] = (0,), env: dict[str, str] | None = None
) -> Run:
    """Run argv in a fresh helper process; wall time and peak RSS of the child."""
    done = subprocess.run(
        [sys.executable, "-c", _HELPER, *argv],
        cwd=cwd,
        env={**child_env(), **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(done.stdout)
    if data["rc"] not in ok:
        sys.exit(f"bench: {' '.join(argv)} exited {data['rc']}:\n{data['stderr']}")
    return Run(data["wall"], data["rc"], data["maxrss_kib"])


def preflight_argv(python: str | None = None) -> list[str]:
    interpreter = python or sys.executable
    script = Path(interpreter).parent / "preflight"
    return [str(script)] if script.is_file() else [interpreter, "-m", "preflight"]


def in_process_check(folder: Path) -> tuple[float, dict[str, int]]:
    """``preflight.check`` plus the JSON rendering, timed after imports."""
    import preflight

    start = time.perf_counter()
    report = preflight.check([folder])
    report.to_json()
    return time.perf_counter() - start, report.summary


def in_process_parse(folder: Path) -> float:
    from lxml import etree

    start = time.perf_counter()
    paths = sorted(
        os.path.join(d, n) for d, _, names in os.walk(folder) for n in names if n.endswith(".html")
    )
    parser = etree.HTMLParser()
    for path in paths:
        with open(path, "rb") as handle:
            etree.fromstring(handle.read(), parser)
    return time.perf_counter() - start


@dataclass
class SizeResult:
    n: int
    mib: float
    check: float
    parse: float
    warm: float
    baseline: float | None
    check_rss: float
    parse_rss: float
    check_in: float | None
    parse_in: float | None
    summary: dict[str, int] | None


def bench_size(
    n: int, folder: Path, cwd: Path, repeat: int, in_process: bool, baseline: str | None
) -> SizeResult:
    check_argv = [*preflight_argv(), "check", str(folder), "--format", "json"]
    parse_argv = [sys.executable, "-c", _PARSE, str(folder)]
    base_argv = [*preflight_argv(baseline), "check", str(folder), "--format", "json"]
    checks, warms, parses, bases = [], [], [], []
    for round_ in range(repeat):  # interleaved, so drift hits all alike
        # A first run: an empty results cache of its own; then the same run again, warm.
        cache = {"PREFLIGHT_CACHE_DIR": str(cwd / f"cache-n{n}-{round_}")}
        checks.append(measure(check_argv, cwd, ok=(0, 1), env=cache))
        warms.append(measure(check_argv, cwd, ok=(0, 1), env=cache))
        parses.append(measure(parse_argv, cwd))
        if baseline:
            bases.append(measure(base_argv, cwd, ok=(0, 1)))
    check_in = parse_in = None
    summary = None
    if in_process:
        timed = [in_process_check(folder) for _ in range(repeat)]
        check_in = statistics.median(t for t, _ in timed)
        summary = timed[0][1]
        parse_in = statistics.median(in_process_parse(folder) for _ in range(repeat))
    return SizeResult(
        n=n,
        mib=0.0,
        check=statistics.median(r.wall for r in checks),
        parse=statistics.median(r.wall for r in parses),
        warm=statistics.median(r.wall for r in warms),
        baseline=statistics.median(r.wall for r in bases) if bases else None,
        check_rss=max(r.maxrss_kib for r in checks) / 1024,
        parse_rss=max(r.maxrss_kib for r in parses) / 1024,
        check_in=check_in,
        parse_in=parse_in,
        summary=summary,
    )


# -- reporting ----------------------------------------------------------------


def machine() -> list[str]:
    from lxml import etree

    import preflight

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    libxml = ".".join(str(v) for v in etree.LIBXML_VERSION)
    return [
        f"- machine: {platform.system()} {platform.release()} {platform.machine()}, "
        f"nproc {usable} (cpu_count {os.cpu_count()})",
        f"- python {platform.python_version()} ({platform.python_implementation()}), "
        f"lxml {etree.__version__}, libxml2 {libxml}, preflight {preflight.__version__}",
    ]


def fmt_rate(n: int, seconds: float | None) -> str:
    return "–" if seconds is None else f"{n / seconds:,.0f}"


def fmt_findings(summary: dict[str, int] | None) -> str:
    if summary is None:
        return "–"
    return f"{summary['errors'] + summary['warnings'] + summary['infos']:,}"


def fmt_ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or b is None else f"{a / b:.1f}x"


def report(
    args: argparse.Namespace,
    sources: int,
    sizes: list[SizeResult],
    single: dict[str, list[float]],
    single_rss: float,
) -> str:
    lines = [
        "# preflight check benchmark",
        "",
        *machine(),
        f"- corpus: {sources} HTML templates from ../shared/corpus, copied and mutated; "
        f"median of {args.repeat} run(s) per cell, peak RSS is the max over runs",
        "",
        "## Throughput and memory",
        "",
        "Fresh process = wall time of a new interpreter (start-up + imports + work); "
        "in-process = the work alone, after imports. "
        "Parse = read bytes + `lxml.etree.fromstring(data, etree.HTMLParser())`, the floor. "
        f"Ratio = check time / parse time (target: within {TARGET_RATIO:.0f}x).",
        "",
        "First run = an empty results cache; warm = the same run again, nothing changed. "
        "Baseline = the preflight installed with `--baseline-python`, measured in the same "
        "run (speed-up = baseline time / first-run time).",
        "",
        "| N | input MiB | check files/s | parse files/s | check/parse | "
        "warm files/s | warm/parse | baseline files/s | speed-up vs baseline | "
        "check files/s (in-process) | parse files/s (in-process) | check/parse (in-process) | "
        "check peak RSS MiB | parse peak RSS MiB | findings |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        speedup = "–" if s.baseline is None else f"{s.baseline / s.check:.2f}x"
        lines.append(
            f"| {s.n:,} | {s.mib:.2f} | {fmt_rate(s.n, s.check)} | {fmt_rate(s.n, s.parse)} | "
            f"{fmt_ratio(s.check, s.parse)} | {fmt_rate(s.n, s.warm)} | "
            f"{fmt_ratio(s.warm, s.parse)} | {fmt_rate(s.n, s.baseline)} | {speedup} | "
            f"{fmt_rate(s.n, s.check_in)} | "
            f"{fmt_rate(s.n, s.parse_in)} | {fmt_ratio(s.check_in, s.parse_in)} | "
            f"{s.check_rss:.1f} | {s.parse_rss:.1f} | {fmt_findings(s.summary)} |"
        )
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        lines += [
            "",
            f"Peak RSS of check at N={last.n:,} is {last.check_rss / first.check_rss:.2f}x "
            f"that at N={first.n:,} (target: flat, ~1.0x) for {last.n / first.n:,.0f}x "
            "the files.",
        ]
        if first.summary is not None and last.summary is not None:
            lines[-1] += (
                f" Findings: {fmt_findings(first.summary)} -> {fmt_findings(last.summary)}."
            )
    for s in sizes:
        if s.summary is not None and s.summary["files"] != s.n:
            files = s.summary["files"]
            lines.append(f"Note: at N={s.n:,} preflight reported {files:,} files, not {s.n:,}.")
    base = statistics.median(single["python -c pass"])
    one = statistics.median(single["preflight check ONE --format json"])
    lines += [
        "",
        f"## One template (median of {args.single_runs} runs, fresh process each)",
        "",
        f"What a pre-commit run on one file costs (target: under {TARGET_SINGLE_S} s).",
        "",
        "| command | median wall s | min wall s | median vs `python -c pass` | "
        "median vs `python -c 'import lxml.etree'` |",
        "|---|---:|---:|---:|---:|",
    ]
    lxml_base = statistics.median(single["python -c 'import lxml.etree'"])
    for name, walls in single.items():
        median = statistics.median(walls)
        lines.append(
            f"| `{name}` | {median:.3f} | {min(walls):.3f} | {median / base:.1f}x | "
            f"{median / lxml_base:.2f}x |"
        )
    lines += [
        "",
        f"preflight's own cost over a bare interpreter: {one - base:.3f} s; "
        f"peak RSS {single_rss:.1f} MiB.",
        "",
    ]
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="100,1000,5000", help="comma-separated template counts (100,1000,5000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument(
        "--single-runs", type=int, default=7, help="runs of the one-template check (median)"
    )
    parser.add_argument(
        "--in-process",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time check and parse inside this process (default: on)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="build the templates in DIR/bench-n<N> and keep them (default: a temporary "
        "directory, removed afterwards)",
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the templates corpus")
    parser.add_argument(
        "--baseline-python",
        help="the interpreter of a second venv with an older preflight installed, measured "
        "in the same run (e.g. the commit an issue started from)",
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes integers, e.g. 100,1000")
    if not args.sizes or min(args.sizes) < 1 or args.repeat < 1 or args.single_runs < 1:
        parser.error("sizes, --repeat and --single-runs must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus: Path = args.corpus
    if not corpus.is_dir():
        sys.exit(
            f"bench: corpus not found at {corpus}\n"
            "It lives next to the repository (repo/../shared/corpus); pass --corpus DIR."
        )
    sources = corpus_templates(corpus)
    if not sources:
        sys.exit(f"bench: no *.html templates under {corpus}")
    try:
        import lxml.etree  # noqa: F401

        import preflight  # noqa: F401
    except ImportError as error:
        sys.exit(f"bench: {error}; run with the project's interpreter: .venv/bin/python {__file__}")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="preflight-bench-") as scratch:
        work = args.workdir.resolve() if args.workdir else Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        ordered = sorted(sources, key=lambda p: p.stat().st_size)
        build([ordered[len(ordered) // 2]], 1, work / "bench-single")
        one = work / "bench-single" / "batch000" / "t00000.html"
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import lxml.etree'": [sys.executable, "-c", "import lxml.etree"],
            "preflight check ONE --format json": [
                *preflight_argv(),
                "check",
                str(one),
                "--format",
                "json",
            ],
        }
        if args.baseline_python:
            commands["baseline preflight check ONE --format json"] = [
                *preflight_argv(args.baseline_python),
                "check",
                str(one),
                "--format",
                "json",
            ]
        # Warm up before timing: the bytecode cache, lazy imports, first-use caches.
        for command in commands.values():
            measure(command, work, ok=(0, 1))
        measure([sys.executable, "-c", _PARSE, str(one.parent)], work)
        if args.in_process:
            in_process_check(one.parent)
            in_process_parse(one.parent)
        results = []
        for n in args.sizes:
            folder = work / f"bench-n{n}"
            log(f"bench: building {n:,} templates in {folder}")
            size = build(sources, n, folder)
            log(f"bench: measuring N={n:,} ({args.repeat} run(s))")
            result = bench_size(n, folder, work, args.repeat, args.in_process, args.baseline_python)
            result.mib = size / 2**20
            results.append(result)

        log(f"bench: one template, {args.single_runs} runs")
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(args.single_runs):  # interleaved
            for name, command in commands.items():
                runs[name].append(measure(command, work, ok=(0, 1)))
        single = {name: [r.wall for r in rs] for name, rs in runs.items()}
        single_rss = max(r.maxrss_kib for r in runs["preflight check ONE --format json"]) / 1024

    text = report(args, len(sources), results, single, single_rss)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "results.md").write_text(text, encoding="utf-8")
    print(text)
    log(f"bench: wrote {OUT_DIR / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
