"""preflight side by side with Emailens (npm ``@emailens/cli``, pinned in bench/emailens/).

Both tools check the same fixed sample of 50 complete HTML emails from ``../shared/corpus``
(``SAMPLE`` below, in this order). Emailens runs as ``emailens audit --json FILE``, one file
per process, in a network namespace of its own with only loopback (``unshare --net``, as
root) so it cannot reach the network; preflight runs once as
``preflight check --config bench/emailens/preflight.yaml --format json --spam FILES``
(strict preset, ``clients: major``; ``--spam`` when SpamAssassin is installed).

The raw outputs are committed in ``bench/emailens/results/`` (gzip, written without a
timestamp, so a rerun with the same versions writes the same bytes):

* ``emailens/NN.json.gz``: Emailens' audit JSON for sample file NN (1-based);
* ``preflight.json.gz``: preflight's JSON report for the whole sample;
* ``run.json``: the versions, the sample and how each tool was run.

Without options the script only reads the committed results and prints the comparison
table (also written to ``bench/out/emailens.md``); the test suite does the same, without
npm. ``--run`` reruns both tools first and rewrites the results; ``--diff`` also lists, per
row, the files where only one tool reports::

    .venv/bin/python bench/bench_emailens.py            # table from the committed results
    .venv/bin/python bench/bench_emailens.py --run      # needs npm ci in bench/emailens/

The rows are the comparison: each Emailens check in its category (compatibility,
accessibility, spam, inbox display, images; links, size and template variables after
them), the preflight rules that judge the same thing, how many of the 50 emails each
tool flags, how many only one does, and the judgement of who is right where they differ
(``Row.verdict``, written after reading the differing findings).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
CORPUS = ROOT.parent / "shared" / "corpus"
EMAILENS_DIR = BENCH_DIR / "emailens"
RESULTS = EMAILENS_DIR / "results"
CONFIG = EMAILENS_DIR / "preflight.yaml"
OUT = BENCH_DIR / "out" / "emailens.md"

# The sample: every complete HTML email of four corpus projects (no layouts, partials or
# build sources, which preflight composes and Emailens would read as broken emails).
SAMPLE_GLOBS = (
    "postmark-templates/templates-inlined/basic/*/content.html",  # 11, inlined CSS
    "saleor-email-templates/templated_email/compiled/*.html",  # 19, MJML output
    "sendgrid-email-templates/**/*.html",  # 19, hand-written and editor output
    "mailchimp-caffeine-theme/*.html",  # 1, a Mailchimp theme
)

Finding = dict[str, Any]


def sample(corpus: Path = CORPUS) -> list[str]:
    """The sample's paths, relative to the corpus, in a fixed order."""
    files: list[str] = []
    for pattern in SAMPLE_GLOBS:
        files.extend(sorted(p.relative_to(corpus).as_posix() for p in corpus.glob(pattern)))
    return files


# -- running the tools -----------------------------------------------------------------------


def _write_gz(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def _offline_prefix() -> list[str]:
    """``unshare --net``: a new network namespace whose only interface is loopback."""
    unshare = shutil.which("unshare")
    if unshare is None:
        sys.exit("unshare not found: Emailens must run without network (see the docstring)")
    probe = subprocess.run([unshare, "--net", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        sys.exit("unshare --net failed (it needs root or user namespaces): " + probe.stderr.decode())
    return [unshare, "--net"]


def run_tools(corpus: Path) -> None:
    files = sample(corpus)
    cli = EMAILENS_DIR / "node_modules" / "@emailens" / "cli" / "dist" / "index.js"
    if not cli.is_file():
        sys.exit("run `npm ci` in bench/emailens/ first")
    node = shutil.which("node") or sys.exit("node not found")
    prefix = _offline_prefix()
    out_dir = RESULTS / "emailens"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    for number, name in enumerate(files, 1):
        done = subprocess.run(
            [*prefix, node, str(cli), "audit", "--json", name],
            cwd=corpus,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0 or not done.stdout.lstrip().startswith(b"{"):
            sys.exit(f"emailens failed on {name}: {done.stderr.decode()[-500:]}")
        _write_gz(out_dir / f"{number:02d}.json.gz", done.stdout)
    spam = shutil.which("spamassassin") is not None
    command = [sys.executable, "-m", "preflight", "check", "--config", str(CONFIG)]
    command += ["--format", "json", "--no-cache", *(["--spam"] if spam else []), *files]
    done = subprocess.run(command, cwd=corpus, capture_output=True, check=False)
    if done.returncode not in (0, 1):
        sys.exit(f"preflight failed: {done.stderr.decode()[-500:]}")
    _write_gz(RESULTS / "preflight.json.gz", done.stdout)
    package = json.loads((EMAILENS_DIR / "package-lock.json").read_text())["packages"]
    version = subprocess.run(
        [sys.executable, "-m", "preflight", "--version"], capture_output=True, text=True
    ).stdout.strip()
    run = {
        "emailens_cli": package["node_modules/@emailens/cli"]["version"],
        "emailens_engine": package["node_modules/@emailens/engine"]["version"],
        "emailens_command": "unshare --net node node_modules/@emailens/cli/dist/index.js "
        "audit --json FILE  (cwd: the corpus; one process per file)",
        "preflight": version,
        "preflight_command": "preflight check --config bench/emailens/preflight.yaml "
        f"--format json --no-cache{' --spam' if spam else ''} FILES  (cwd: the corpus)",
        "node": subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip(),
        "sample": files,
    }
    (RESULTS / "run.json").write_text(json.dumps(run, indent=2) + "\n")


# -- reading the results ---------------------------------------------------------------------


def load(results: Path = RESULTS) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """The sample, Emailens' audit per file, and preflight's report."""
    files: list[str] = json.loads((results / "run.json").read_text())["sample"]
    emailens = {
        name: json.loads(gzip.decompress((results / "emailens" / f"{n:02d}.json.gz").read_bytes()))
        for n, name in enumerate(files, 1)
    }
    preflight = json.loads(gzip.decompress((results / "preflight.json.gz").read_bytes()))
    return files, emailens, preflight


def emailens_findings(audit: dict[str, Any]) -> list[Finding]:
    """Every Emailens finding as {category, rule, severity, ...}; compatibility ones get
    ``rule`` = the feature as caniemail names it (``css-opacity``, ``html-link``)."""
    found: list[Finding] = []
    for warning in audit.get("compatibility", {}).get("warnings", []):
        found.append({**warning, "category": "compatibility", "rule": _feature(warning)})
    for category in ("accessibility", "spam", "images", "inboxPreview", "links", "size"):
        for issue in audit.get(category, {}).get("issues", []):
            found.append({**issue, "category": category})
    for issue in audit.get("templateVariables", {}).get("issues", []):
        found.append({**issue, "category": "templateVariables"})
    return found


def _feature(warning: Finding) -> str:
    name = str(warning.get("property", ""))
    if name.startswith("<") and name.endswith(">"):
        return "html-" + name[1:-1]
    if name.startswith("@"):
        return "css-at-" + name[1:]
    if name == "display:none":
        return "css-display-none"
    return "css-" + name.replace(":", "-")


# -- the rows --------------------------------------------------------------------------------

Match = Callable[[Finding], bool]


def _emailens(category: str, *rules: str, severities: Iterable[str] = ()) -> Match:
    wanted = set(severities)

    def match(f: Finding) -> bool:
        return (
            f["category"] == category
            and (not rules or f["rule"] in rules)
            and (not wanted or f["severity"] in wanted)
        )

    return match


def _preflight(*rules: str, features: Iterable[str] = (), data: dict[str, Any] | None = None) -> Match:
    wanted = set(features)

    def match(f: Finding) -> bool:
        if f["rule"] not in rules:
            return False
        if wanted and f.get("data", {}).get("feature") not in wanted:
            return False
        return all(f.get("data", {}).get(k) == v for k, v in (data or {}).items())

    return match


def _never(f: Finding) -> bool:
    return False


@dataclass
class Row:
    category: str
    check: str  # what is judged, as a reader would name it
    emailens: str  # Emailens' rule(s)
    preflight: str  # preflight's rule(s)
    match_e: Match
    match_p: Match
    verdict: str  # who is right where they differ
    real: str = ""  # "yes", "no", "partly": whether Emailens' finding is real on this sample
    counts: dict[str, int] = field(default_factory=dict)
    only_e: list[str] = field(default_factory=list)
    only_p: list[str] = field(default_factory=list)


COMPAT = "compatibility"
A11Y = "accessibility"
SPAM = "spam"
INBOX = "inbox display"
IMAGES = "images"
OTHER = "links, size, merge tags"

GRACEFUL = (
    "preflight leaves it out on purpose (rules/clients/features.yaml `judge: never`): "
    "the email degrades gracefully without it"
)
NEW_OUTLOOK = (
    "Emailens also blames Outlook (New), which caniemail tests as Outlook.com (supported)"
)


def rows() -> list[Row]:
    """Every row of the table, in order. Verdicts are written from the --diff listing."""
    r: list[Row] = []

    def add(
        category: str,
        check: str,
        e_rules: str,
        p_rules: str,
        match_e: Match,
        match_p: Match,
        real: str,
        verdict: str,
    ) -> None:
        r.append(Row(category, check, e_rules, p_rules, match_e, match_p, verdict, real))

    def compat(feature: str, real: str, verdict: str, severities: Iterable[str] = ()) -> None:
        sev = tuple(severities) or ("error", "warning")
        add(
            COMPAT,
            f"`{feature}`",
            "compatibility " + "/".join(sev),
            "CLIENT001",
            lambda f: f["category"] == "compatibility"
            and f["rule"] == feature
            and f["severity"] in sev,
            _preflight("CLIENT001", features=[feature]),
            real,
            verdict,
        )

    return r


# -- comparing -------------------------------------------------------------------------------


def compare(
    files: list[str], emailens: dict[str, Any], preflight: dict[str, Any], table: list[Row]
) -> list[Row]:
    by_file: dict[str, list[Finding]] = {name: [] for name in files}
    for finding in preflight["findings"]:
        by_file.setdefault(finding["path"], []).append(finding)
    e_found = {name: emailens_findings(emailens[name]) for name in files}
    for row in table:
        e_files = {n for n in files if any(row.match_e(f) for f in e_found[n])}
        p_files = {n for n in files if any(row.match_p(f) for f in by_file[n])}
        row.counts = {
            "e_findings": sum(1 for n in files for f in e_found[n] if row.match_e(f)),
            "p_findings": sum(1 for n in files for f in by_file[n] if row.match_p(f)),
            "e_files": len(e_files),
            "p_files": len(p_files),
            "both": len(e_files & p_files),
        }
        row.only_e = sorted(e_files - p_files, key=files.index)
        row.only_p = sorted(p_files - e_files, key=files.index)
    return table


def unmatched(
    files: list[str], emailens: dict[str, Any], preflight: dict[str, Any], table: list[Row]
) -> tuple[set[tuple[str, str, str]], set[str]]:
    """Emailens (category, rule, severity) and preflight rules no row covers."""
    e_left = {
        (f["category"], f["rule"], f["severity"])
        for n in files
        for f in emailens_findings(emailens[n])
        if not any(row.match_e(f) for row in table)
    }
    p_left = {
        f["rule"] for f in preflight["findings"] if not any(row.match_p(f) for row in table)
    }
    return e_left, p_left


def markdown(table: list[Row], total: int) -> str:
    head = (
        "| category | check | Emailens rule | preflight rule | Emailens: findings (emails) "
        "| preflight: findings (emails) | emails both | only Emailens | only preflight "
        "| Emailens' finding real? | who is right where they differ |\n"
        "|---|---|---|---|---:|---:|---:|---:|---:|---|---|\n"
    )
    lines = []
    for row in table:
        c = row.counts
        lines.append(
            f"| {row.category} | {row.check} | {row.emailens} | {row.preflight} "
            f"| {c['e_findings']} ({c['e_files']}) | {c['p_findings']} ({c['p_files']}) "
            f"| {c['both']} | {len(row.only_e)} | {len(row.only_p)} | {row.real or '–'} "
            f"| {row.verdict} |"
        )
    return f"Sample: {total} emails.\n\n" + head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="rerun both tools first")
    parser.add_argument("--diff", action="store_true", help="list the differing emails")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    if args.run:
        if not args.corpus.is_dir():
            sys.exit(f"corpus not found: {args.corpus}")
        run_tools(args.corpus)
    files, emailens, preflight = load()
    table = compare(files, emailens, preflight, rows())
    report = markdown(table, len(files))
    e_left, p_left = unmatched(files, emailens, preflight, table)
    if args.diff:
        for row in table:
            if row.only_e or row.only_p:
                print(f"## {row.category} {row.check}")
                print("  only Emailens:", ", ".join(row.only_e) or "-")
                print("  only preflight:", ", ".join(row.only_p) or "-")
        print("Emailens findings in no row:", sorted(e_left))
        print("preflight rules in no row:", sorted(p_left))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
