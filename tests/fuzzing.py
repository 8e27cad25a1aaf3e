"""Mutation fuzzing over every input kind and every command.

A project is built from the repository's own fixtures (a campaign with an HTML template,
its text part and sidecar, an .eml, SendGrid, Postmark and Braze exports, native
workflows in YAML and JSON, HubSpot, Klaviyo, Mautic and n8n flows, audiences with a
members CSV, and a preflight.yaml). A case replaces one of those files with a mutation
of it (bytes flipped, tokens that mean something to one of the parsers inserted or
repeated, ranges cut, doubled or swapped, control characters, lone surrogates, huge
numbers) and runs the commands that read that file. Whatever the input:

- ``check --format json`` exits 0 or 1 (2 only when the config itself was fuzzed), and
  its stdout is valid JSON;
- render, correct and import exit 0, 1 or 2 (2: the input cannot be read, as their
  contracts say) with a message, never an internal error;
- no command prints "internal error" or "Traceback".

The test suite runs a seeded, small campaign in process (tests/test_fuzz.py). A longer
one runs each case as a subprocess, with a time and a memory limit:

    python -m tests.fuzzing --cases 5000 --jobs 8 --seed 1 --keep /tmp/fuzz-failures
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CAMPAIGN = REPO / "fixtures" / "campaigns" / "spring-launch"
IMPORTS = REPO / "tests" / "data" / "imports"
MEMBERS = REPO / "fixtures" / "MERGE009" / "bad-blank-first-names" / "exports" / "webinar.csv"
COMPOSE = REPO / "tests" / "data" / "compose"
TWIG = REPO / "fixtures" / "PF005" / "bad-twig-theme"
MAX_CASE_BYTES = 400_000
PYPROJECT = """[project]
name = "newsletters"

[tool.preflight]
platform = "mailchimp"
fail_on = "error"
ignore = ["CONTENT003"]

[tool.preflight.links]
allow_hosts = ["brightleaf.example"]
"""

BRAZE = {
    "dispatch_id": "d-1",
    "campaign_id": "c-1",
    "subject": "Hi {{${first_name} | default: 'there'}}",
    "from_name": "Brightleaf Gardens",
    "from_address": "news@brightleaf.example",
    "html_body": '<html lang="en"><body><p>Hi {{${first_name}}},</p>'
    '<p><a href="https://brightleaf.example/spring?utm_source=braze">Shop</a></p>'
    "<p>{% if ${city} %}In {{${city}}}{% endif %}</p>"
    '<p><a href="{{${unsubscribe_url}}}">Unsubscribe</a> 1 Garden Row, Leeds LS1 2AB</p>'
    "</body></html>",
    "plaintext_body": "Hi {{${first_name}}}, shop at https://brightleaf.example/spring",
}


@dataclass(frozen=True)
class Kind:
    name: str
    path: str
    """The file a case replaces, relative to the project."""
    commands: tuple[tuple[str, ...], ...]
    argument: bool = False
    """True for the config and for files named by an option (a baseline, a report, render's
    data): any command may exit 2 with a message (a broken one is a usage error). For every
    other input file, check exits 0 or 1 with a JSON report whatever the file holds."""


CHECK = ("check", "--format", "json", "-j", "1", "--no-cache")
LAUNCH = "emails/launch.html"


def _render(template: str) -> tuple[str, ...]:
    return ("render", template)


def _correct(template: str) -> tuple[str, ...]:
    return ("correct", template, "--kind", "duplicate-send", "--output", "out", "--force")


KINDS = (
    Kind("html", LAUNCH, ((*CHECK, LAUNCH), _render(LAUNCH), _correct(LAUNCH))),
    Kind("text-part", "emails/launch.txt", ((*CHECK, LAUNCH), _render(LAUNCH))),
    Kind("sidecar", "emails/launch.meta.yaml", ((*CHECK, LAUNCH), _render(LAUNCH))),
    Kind(
        "eml",
        "emails/reminder.eml",
        (
            (*CHECK, "emails/reminder.eml"),
            _render("emails/reminder.eml"),
            _correct("emails/reminder.eml"),
        ),
    ),
    Kind(
        "sendgrid",
        "emails/bulbs.json",
        ((*CHECK, "emails/bulbs.json"), _render("emails/bulbs.json")),
    ),
    Kind(
        "postmark",
        "emails/order-shipped.json",
        ((*CHECK, "emails/order-shipped.json"), _correct("emails/order-shipped.json")),
    ),
    Kind(
        "braze", "emails/braze.json", ((*CHECK, "emails/braze.json"), _correct("emails/braze.json"))
    ),
    Kind("workflow-yaml", "emails/spring-launch.workflow.yaml", ((*CHECK, "emails"),)),
    Kind("workflow-json", "flows/native.workflow.json", ((*CHECK, "flows/native.workflow.json"),)),
    Kind(
        "hubspot",
        "flows/hubspot.json",
        ((*CHECK, "flows/hubspot.json"), ("import", "flows/hubspot.json")),
    ),
    Kind(
        "klaviyo",
        "flows/klaviyo.json",
        ((*CHECK, "flows/klaviyo.json"), ("import", "flows/klaviyo.json")),
    ),
    Kind(
        "mautic",
        "flows/mautic.json",
        ((*CHECK, "flows/mautic.json"), ("import", "flows/mautic.json")),
    ),
    Kind("n8n", "flows/n8n.json", ((*CHECK, "flows/n8n.json"), ("import", "flows/n8n.json"))),
    Kind("audiences", "audiences.yaml", ((*CHECK, "emails"),)),
    Kind("members", "exports/customers.csv", ((*CHECK, "emails"),)),
    Kind("sfmc", "flows/sfmc.json", ((*CHECK, "flows/sfmc.json"), ("import", "flows/sfmc.json"))),
    Kind("twig", "twig/email.html.twig", ((*CHECK, "twig"), _render("twig/email.html.twig"))),
    Kind("twig-sidecar", "twig/email.html.meta.yaml", ((*CHECK, "twig"),)),
    Kind("mjml", "mjml/source/offer.mjml", ((*CHECK, "mjml"), (*CHECK, "mjml/source/offer.mjml"))),
    Kind("mjml-partial", "mjml/source/shared/footer.mjml", ((*CHECK, "mjml"),)),
    Kind("mjml-config", "mjml/preflight.yaml", ((*CHECK, "mjml"),), argument=True),
    Kind("hbs-page", "panini/src/pages/welcome.html", ((*CHECK, "panini"),)),
    Kind("hbs-layout", "panini/src/layouts/default.html", ((*CHECK, "panini"),)),
    Kind("hbs-partial", "panini/src/partials/footer.html", ((*CHECK, "panini"),)),
    Kind("django-email", "django/app/templates/mail/reset.html", ((*CHECK, "django"),)),
    Kind(
        "django-base",
        "django/app/templates/mail/base.html",
        ((*CHECK, "django"), (*CHECK, "django/app/templates/mail/base.html")),
    ),
    Kind("ejs", "ejs/emails/welcome.ejs", ((*CHECK, "ejs"),)),
    Kind("ejs-partial", "ejs/emails/partials/footer.ejs", ((*CHECK, "ejs"),)),
    Kind(
        "magento",
        "magento/app/code/Magento/Customer/view/frontend/email/account_new.html",
        ((*CHECK, "magento"),),
    ),
    Kind(
        "magento-header",
        "magento/app/code/Magento/Email/view/frontend/email/header.html",
        ((*CHECK, "magento"),),
    ),
    Kind("postmark-meta", "postmark/templates/welcome/meta.json", ((*CHECK, "postmark"),)),
    Kind("postmark-layout", "postmark/layouts/basic/content.html", ((*CHECK, "postmark"),)),
    Kind("postmark-text", "postmark/templates/welcome/content.txt", ((*CHECK, "postmark"),)),
    Kind("config", "preflight.yaml", ((*CHECK, "emails"), _render(LAUNCH)), argument=True),
    Kind("pyproject", "pyproj/pyproject.toml", ((*CHECK, "pyproj"),), argument=True),
    Kind(
        "baseline",
        "baseline.json",
        ((*CHECK, "--baseline", "baseline.json", "emails"),),
        argument=True,
    ),
    Kind(
        "report",
        "report.json",
        (("correct", LAUNCH, "--from-report", "report.json", "--output", "out", "--force"),),
        argument=True,
    ),
    Kind("data-csv", "data.csv", (("render", LAUNCH, "--data", "data.csv"),), argument=True),
    Kind("data-json", "data.json", (("render", LAUNCH, "--data", "data.json"),), argument=True),
)

TOKENS = [
    b"*|IF:FNAME|*",
    b"*|END:IF|*",
    b"*|FNAME|*",
    b"*|UNSUB|*",
    b"{{#if a}}",
    b"{{/if}}",
    b"{{ contact.firstname }}",
    b"{% if a %}",
    b"{% endif %}",
    b"{{${first_name}}}",
    b"%%[",
    b"]%%",
    b'<a href="',
    b'">',
    b"http://",
    b"https://127.0.0.1:1/",
    b"http://10.0.0.1/",
    b'<img src="x.png">',
    b"<!--",
    b"-->",
    b"<script>",
    b"</style>",
    b"<p>",
    b"</p>",
    b"\\ud800",
    b"\\u0000",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x00",
    b"\x1b[2J",
    b"\x07",
    b"\r",
    b"\n",
    b"\t",
    b"\x7f",
    b"\xc2\x85",
    b"\xe2\x80\xae",
    b"\xef\xbc\x91",
    b"\xe3\x80\x82",
    b"&a ",
    b"*a ",
    b"<<: *a",
    b"[",
    b"]",
    b"{",
    b"}",
    b'"',
    b"'",
    b": ",
    b"- ",
    b"? ",
    b"!!python/object:os.system",
    b"--=_brightleaf_1\n",
    b"--=_brightleaf_1--\n",
    b"Content-Type: multipart/mixed; boundary=b0\n\n--b0\n",
    b"Content-Transfer-Encoding: base64\n",
    b"=?utf-8?q?abc?=",
    b"1e999",
    b"-1",
    b"0",
    b"99999999999999999999999",
    b"NaN",
    b"null",
    b"true",
    b"[]",
    b"{}",
    b"%",
    b",",
    b";",
    b"..",
    b"../",
    b"/etc/passwd",
    b"2026-02-30",
    b"999999d",
    b"P1Y",
    b"\xf0\x9f\x8e\x89",
]


def build_project(root: Path) -> Path:
    """The seed project: one valid file of every kind (see KINDS)."""
    project = root / "project"
    if project.exists():
        shutil.rmtree(project)
    shutil.copytree(CAMPAIGN, project, ignore=shutil.ignore_patterns("clean"))
    (project / "emails" / "braze.json").write_text(json.dumps(BRAZE, indent=2), "utf-8")
    audiences = (project / "audiences.yaml").read_text(encoding="utf-8")
    audiences = audiences.replace(
        "    fields: [EMAIL, FNAME, LNAME]\n",
        "    fields: [EMAIL, FNAME, LNAME]\n    members: exports/customers.csv\n",
        1,
    )
    (project / "audiences.yaml").write_text(audiences, encoding="utf-8")
    (project / "exports").mkdir()
    members = MEMBERS.read_text(encoding="utf-8").replace(
        "email,firstname,lastname,company", "EMAIL,FNAME,LNAME,COMPANY", 1
    )
    (project / "exports" / "customers.csv").write_text(members, encoding="utf-8")
    flows = project / "flows"
    flows.mkdir()
    import yaml

    workflow = yaml.safe_load((project / "emails" / "spring-launch.workflow.yaml").read_text())
    for step in workflow["steps"]:
        if isinstance(step.get("send"), str):
            step["send"] = "../emails/" + step["send"]
    (flows / "native.workflow.json").write_text(json.dumps(workflow, indent=2), "utf-8")
    for name, source in (
        ("hubspot", "hubspot/delay-then-check.json"),
        ("klaviyo", "klaviyo/delay-then-check.json"),
        ("mautic", "mautic/month-then-check.json"),
        ("n8n", "n8n/wait-then-check.json"),
    ):
        shutil.copyfile(IMPORTS / source, flows / f"{name}.json")
    shutil.copyfile(IMPORTS / "sfmc" / "wait-then-check.json", flows / "sfmc.json")
    # layouts, partials, build sources
    for name in ("mjml", "panini", "postmark", "django", "ejs", "magento"):
        shutil.copytree(COMPOSE / name, project / name)
    shutil.copytree(TWIG, project / "twig", ignore=shutil.ignore_patterns("case.yaml"))
    pyproj = project / "pyproj"
    pyproj.mkdir()
    shutil.copyfile(project / LAUNCH, pyproj / "launch.html")
    (pyproj / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (project / "data.csv").write_text("EMAIL,FNAME,LNAME\nada@example.com,Ada,Lovelace\n", "utf-8")
    (project / "data.json").write_text('{"FNAME": "Ada", "CITY": ["Leeds"]}\n', "utf-8")
    _preflight(project, "check", "emails", "--write-baseline", "baseline.json")
    _preflight(project, "check", "emails", "--format", "json", "--output", "report.json")
    return project


def _preflight(project: Path, *command: str) -> None:
    """Run preflight in this process to make a seed file (a baseline, a report)."""
    from click.testing import CliRunner

    from preflight.cli import main as cli

    cwd = Path.cwd()
    try:
        os.chdir(project)
        result = CliRunner().invoke(cli, [*command, "-j", "1", "--no-cache"])
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1), result.output


def mutate(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    """One to eight mutations of ``data``, kept under MAX_CASE_BYTES."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.random()
        at = rng.randint(0, len(out))
        if choice < 0.30:
            out[at:at] = rng.choice(TOKENS)
        elif choice < 0.40:  # a token many times: nesting, long headers, big documents
            token = rng.choice(TOKENS)
            out[at:at] = token * rng.randint(2, max(2, 60_000 // max(1, len(token))))
        elif choice < 0.55 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif choice < 0.65 and out:
            end = min(len(out), at + rng.randint(1, 64))
            del out[at:end]
        elif choice < 0.75 and out:  # a range doubled
            start = rng.randint(0, len(out) - 1)
            end = min(len(out), start + rng.randint(1, 2000))
            out[at:at] = out[start:end] * rng.randint(1, 20)
        elif choice < 0.82:
            del out[at:]
        elif choice < 0.90 and others:  # a piece of another file
            other = rng.choice(others)
            start = rng.randint(0, max(0, len(other) - 1))
            out[at:at] = other[start : start + rng.randint(1, 500)]
        else:  # printable bytes swapped for control characters
            for _ in range(rng.randint(1, 5)):
                if out:
                    out[rng.randrange(len(out))] = rng.choice(b"\x00\x01\x08\x0b\x0c\x1b\x7f")
        if len(out) > MAX_CASE_BYTES:
            del out[MAX_CASE_BYTES:]
    return bytes(out)


@dataclass(frozen=True)
class Case:
    number: int
    kind: Kind
    data: bytes


def cases(seed: int, count: int, project: Path) -> Iterator[Case]:
    """``count`` cases, the same for the same seed: every kind in turn."""
    rng = random.Random(seed)
    seeds = {kind.name: (project / kind.path).read_bytes() for kind in KINDS}
    others = list(seeds.values())
    for number in range(count):
        kind = KINDS[number % len(KINDS)]
        yield Case(number, kind, mutate(seeds[kind.name], rng, others))


@dataclass(frozen=True)
class Outcome:
    command: tuple[str, ...]
    code: int | None
    stdout: str
    stderr: str


def problems(case: Case, outcome: Outcome) -> list[str]:
    """What is wrong with one command's outcome (nothing, when it behaved)."""
    found = []
    command = " ".join(outcome.command[:2])
    if outcome.code is None:
        return [f"{command}: timed out"]
    for marker in ("internal error", "Traceback", "MemoryError"):
        if marker in outcome.stderr or marker in outcome.stdout:
            found.append(f"{command}: {marker}: {outcome.stderr.strip()[-400:]}")
    if outcome.command[0] == "check":
        allowed = {0, 1, 2} if case.kind.argument else {0, 1}
        if outcome.code not in allowed:
            found.append(f"{command}: exit {outcome.code}: {outcome.stderr.strip()[-400:]}")
        if outcome.code in (0, 1):
            try:
                json.loads(outcome.stdout)
            except ValueError as error:
                found.append(f"{command}: stdout is not JSON ({error})")
    elif outcome.code not in (0, 1, 2):
        found.append(f"{command}: exit {outcome.code}: {outcome.stderr.strip()[-400:]}")
    elif outcome.code == 2 and "preflight: error:" not in outcome.stderr:
        found.append(f"{command}: exit 2 without a message")
    return found


Runner = Callable[[Path, tuple[str, ...]], Outcome]


def run_case(project: Path, case: Case, runner: Runner) -> list[str]:
    """Write the case into a fresh copy of the project and run its commands."""
    target = project / case.kind.path
    original = target.read_bytes()
    target.write_bytes(case.data)
    try:
        found = []
        for command in case.kind.commands:
            shutil.rmtree(project / "out", ignore_errors=True)
            found += problems(case, runner(project, command))
        return found
    finally:
        target.write_bytes(original)
        shutil.rmtree(project / "out", ignore_errors=True)


# -- the long campaign: one subprocess per command, with limits ---------------------------


def _limits(memory: int) -> Callable[[], None]:
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return apply


def subprocess_runner(timeout: float, memory: int) -> Runner:
    executable = Path(sys.executable).parent / "preflight"
    prefix = [str(executable)] if executable.exists() else [sys.executable, "-m", "preflight"]

    def run(project: Path, command: tuple[str, ...]) -> Outcome:
        environment = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
        try:
            done = subprocess.run(
                [*prefix, *command],
                cwd=project,
                capture_output=True,
                timeout=timeout,
                env=environment,
                preexec_fn=_limits(memory),
            )
        except subprocess.TimeoutExpired:
            return Outcome(command, None, "", "")
        decode = lambda raw: raw.decode("utf-8", "replace")  # noqa: E731
        return Outcome(command, done.returncode, decode(done.stdout), decode(done.stderr))

    return run


def in_process_runner(timeout: float) -> Runner:
    """Each command in this process (click's test runner), under a SIGALRM time limit."""
    import signal

    from click.testing import CliRunner

    from preflight.cli import main as cli

    class TimedOut(BaseException):
        pass

    def expire(signum: int, frame: object) -> None:
        raise TimedOut

    def run(project: Path, command: tuple[str, ...]) -> Outcome:
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        cwd = Path.cwd()
        try:
            os.chdir(project)
            result = CliRunner().invoke(cli, list(command), catch_exceptions=False)
            return Outcome(command, result.exit_code, result.stdout, result.stderr)
        except TimedOut:
            return Outcome(command, None, "", "")
        except MemoryError:
            return Outcome(command, 2, "", "MemoryError")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            os.chdir(cwd)

    return run


def _pool_batch(job: tuple[str, int, int, list[int], float, int]) -> list[tuple[int, str, float]]:
    """A worker process's share of an in-process campaign: (case, problem, seconds)."""
    import resource

    work, seed, count, numbers, timeout, memory = job
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    project = build_project(Path(work) / f"worker{os.getpid()}")
    wanted = set(numbers)
    runner = in_process_runner(timeout)
    results = []
    for case in cases(seed, count, project):
        if case.number not in wanted:
            continue
        began = time.monotonic()
        found = run_case(project, case, runner)
        took = time.monotonic() - began
        results += [(case.number, problem, took) for problem in found] or [(case.number, "", took)]
    return results


def campaign(args: argparse.Namespace) -> int:
    if args.in_process:
        return _campaign_in_process(args)
    root = Path(args.work)
    root.mkdir(parents=True, exist_ok=True)
    seeds_project = build_project(root / "seed")
    keep = Path(args.keep) if args.keep else None
    all_cases = list(cases(args.seed, args.cases, seeds_project))
    runner = subprocess_runner(args.timeout, args.memory * 1024**2)
    started = time.monotonic()
    failures: dict[str, list[int]] = {}
    slowest: list[tuple[float, int, str]] = []

    def one(worker: int, batch: list[Case]) -> None:
        project = build_project(root / f"worker{worker}")
        for case in batch:
            began = time.monotonic()
            found = run_case(project, case, runner)
            slowest.append((time.monotonic() - began, case.number, case.kind.name))
            for problem in found:
                key = f"{case.kind.name}: {problem.splitlines()[0][:160]}"
                failures.setdefault(key, []).append(case.number)
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    name = f"{case.number:05d}-{case.kind.name}-{Path(case.kind.path).name}"
                    (keep / name).write_bytes(case.data)
                    (keep / f"{name}.problem.txt").write_text(problem, "utf-8")

    batches = [all_cases[i :: args.jobs] for i in range(args.jobs)]
    with ThreadPoolExecutor(args.jobs) as pool:
        for future in [pool.submit(one, n, batch) for n, batch in enumerate(batches)]:
            future.result()
    elapsed = time.monotonic() - started
    by_kind: dict[str, int] = {}
    for case in all_cases:
        by_kind[case.kind.name] = by_kind.get(case.kind.name, 0) + 1
    commands = sum(len(case.kind.commands) for case in all_cases)
    print(f"{len(all_cases)} inputs, {commands} command runs in {elapsed:.0f} s (seed {args.seed})")
    print("inputs per kind: " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())))
    print("slowest cases: " + ", ".join(f"#{n} {k} {s:.1f} s" for s, n, k in sorted(slowest)[-5:]))
    if not failures:
        print("no failures")
        return 0
    print(f"{sum(len(v) for v in failures.values())} failures, {len(failures)} distinct:")
    for key, numbers in sorted(failures.items(), key=lambda item: -len(item[1])):
        print(f"  {len(numbers):4d}x {key} (cases {', '.join(map(str, numbers[:5]))})")
    return 1


def _campaign_in_process(args: argparse.Namespace) -> int:
    import multiprocessing

    root = Path(args.work)
    root.mkdir(parents=True, exist_ok=True)
    seeds_project = build_project(root / "seed")
    all_cases = {case.number: case for case in cases(args.seed, args.cases, seeds_project)}
    chunks = [list(range(start, min(start + 25, args.cases))) for start in range(0, args.cases, 25)]
    jobs = [
        (str(root), args.seed, args.cases, chunk, args.timeout, args.memory * 1024**2)
        for chunk in chunks
    ]
    started = time.monotonic()
    failures: dict[str, list[int]] = {}
    timings: list[tuple[float, int]] = []
    keep = Path(args.keep) if args.keep else None
    context = multiprocessing.get_context("fork")
    with context.Pool(args.jobs, maxtasksperchild=1) as pool:
        for results in pool.imap_unordered(_pool_batch, jobs):
            for number, problem, took in results:
                timings.append((took, number))
                if not problem:
                    continue
                case = all_cases[number]
                key = f"{case.kind.name}: {problem.splitlines()[0][:160]}"
                failures.setdefault(key, []).append(number)
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    name = f"{number:05d}-{case.kind.name}-{Path(case.kind.path).name}"
                    (keep / name).write_bytes(case.data)
                    (keep / f"{name}.problem.txt").write_text(problem, "utf-8")
    elapsed = time.monotonic() - started
    commands = sum(len(case.kind.commands) for case in all_cases.values())
    print(f"{len(all_cases)} inputs, {commands} command runs in {elapsed:.0f} s (seed {args.seed})")
    slow = sorted(set(timings))[-5:]
    print(
        "slowest cases: " + ", ".join(f"#{n} {all_cases[n].kind.name} {s:.1f} s" for s, n in slow)
    )
    if not failures:
        print("no failures")
        return 0
    print(f"{sum(len(v) for v in failures.values())} failures, {len(failures)} distinct:")
    for key, numbers in sorted(failures.items(), key=lambda item: -len(item[1])):
        print(f"  {len(numbers):4d}x {key} (cases {', '.join(map(str, numbers[:5]))})")
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per command")
    parser.add_argument("--memory", type=int, default=2048, help="MB per command")
    parser.add_argument("--work", default="/tmp/preflight-fuzz")
    parser.add_argument("--keep", help="folder for the inputs that failed")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run commands inside worker processes (fast) instead of one subprocess each",
    )
    return campaign(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
