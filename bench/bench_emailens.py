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
        sys.exit(
            "unshare --net failed (it needs root or user namespaces): " + probe.stderr.decode()
        )
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
        "preflight_source": os.environ.get("BENCH_PREFLIGHT_SOURCE")
        or "commit "
        + subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
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


def _preflight(*rules: str, features: Iterable[str] = (), severities: Iterable[str] = ()) -> Match:
    wanted = set(features)
    levels = set(severities)

    def match(f: Finding) -> bool:
        if f["rule"] not in rules or (levels and f["severity"] not in levels):
            return False
        return not wanted or f.get("data", {}).get("feature") in wanted

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
NEW_OUTLOOK = "Emailens also blames Outlook (New), which caniemail tests as Outlook.com (supported)"


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
            lambda f: (
                f["category"] == "compatibility" and f["rule"] == feature and f["severity"] in sev
            ),
            _preflight("CLIENT001", features=[feature]),
            real,
            verdict,
        )

    # -- compatibility: Emailens' errors and warnings, feature by feature ----------------------
    compat(
        "html-link",
        "no",
        "the 19 Saleor emails' `<link>` loads Google Fonts inside `<!--[if !mso]>`: Gmail drops"
        " it and the font stack's fallback shows; preflight skips web-font stylesheets on"
        " purpose (a remote non-font stylesheet is reported). preflight right",
    )
    compat(
        "html-style",
        "no",
        "a `<style>` in `<head>` that Gmail keeps (caniemail: partial, with notes); every sample"
        " email inlines its styles and uses `<style>` for extras. "
        + GRACEFUL
        + ". preflight right",
    )
    for feature in ("css-at-import", "css-at-font-face"):
        compat(
            feature,
            "no",
            "web fonts (Google Fonts `@import`, `@font-face`): unsupported clients show the"
            " fallback font; preflight skips web-font imports on purpose. preflight right",
        )
    compat(
        "css-at-media",
        "no",
        "responsive `@media` rules are progressive enhancement: clients without them show the"
        " desktop layout. " + GRACEFUL + ". preflight right",
    )
    for feature in ("css-max-height", "css-visibility"):
        compat(
            feature,
            "no",
            "used only in the hidden preheader (`display:none; visibility:hidden; max-height:0;"
            " mso-hide:all`), which no reader sees and which `display:none` already hides;"
            " preflight skips hidden elements. preflight right",
        )
    for feature in (
        "css-border-radius",
        "css-box-shadow",
        "css-text-shadow",
        "css-opacity",
        "css-outline",
        "css-word-break",
        "css-word-spacing",
        "css-box-sizing",
        "css-min-width",
        "css-table-layout",
        "css-border-spacing",
        "css-background-position",
        "css-clear",
        "css-overflow",
        "css-height",
    ):
        compat(
            feature,
            "no",
            GRACEFUL + "; caniemail's \"n\" is Outlook classic's (and Yahoo's for `height`,"
            " `box-sizing`, `word-break`). " + NEW_OUTLOOK + ". preflight right",
        )
    compat(
        "css-color-scheme",
        "no",
        "declaring `color-scheme` is what dark mode asks for (CLIENT002); clients that ignore"
        " it lose nothing. Emailens warns against the fix. preflight right",
    )
    add(
        COMPAT,
        "partial support notes (every feature)",
        "compatibility info",
        "CLIENT001 (partly supported)",
        _emailens("compatibility", severities=["info"]),
        lambda f: f["rule"] == "CLIENT001" and f["severity"] == "warning",
        "no",
        "Emailens lists caniemail's partial notes for every property used (margin, padding,"
        " font-size…), 8,765 of them; preflight reports partial support only where the note"
        " can matter (`judge: all`), and none did here. preflight right (noise)",
    )
    for feature, why in (
        ("css-selector-chaining", "`.a.b` selectors that Outlook classic and Outlook.com ignore"),
        ("css-rgba", "an `rgba()` colour with no fallback, lost in Outlook classic"),
    ):
        add(
            COMPAT,
            f"`{feature}`",
            "–",
            "CLIENT001",
            _never,
            _preflight("CLIENT001", features=[feature]),
            "–",
            f"preflight only: {why} (real); Emailens does not check it",
        )
    add(
        COMPAT,
        "dark mode",
        "–",
        "CLIENT002",
        _never,
        _preflight("CLIENT002"),
        "–",
        "preflight only: hard-coded light backgrounds with no `color-scheme` (real, a warning)",
    )

    # -- accessibility --------------------------------------------------------------------------
    add(
        A11Y,
        "no `lang`",
        "missing-lang",
        "A11Y001",
        _emailens("accessibility", "missing-lang"),
        _preflight("A11Y001"),
        "yes",
        "agree",
    )
    add(
        A11Y,
        "no `<title>`",
        "missing-title",
        "A11Y008",
        _emailens("accessibility", "missing-title"),
        _preflight("A11Y008"),
        "yes (minor)",
        "agree: an empty or missing `<title>` (read out when the email opens in a browser"
        " view, WCAG 2.4.2); preflight's A11Y008 was added after this comparison found it",
    )
    add(
        A11Y,
        "low contrast",
        "low-contrast",
        "A11Y004",
        _emailens("accessibility", "low-contrast"),
        _preflight("A11Y004"),
        "yes",
        "agree on the emails; both read inline colours and `bgcolor`",
    )
    add(
        A11Y,
        "small text",
        "small-text, small-text-multiple",
        "A11Y006",
        _emailens("accessibility", "small-text", "small-text-multiple"),
        _preflight("A11Y006"),
        "partly",
        "where they differ Emailens reports the hidden preheader (`font-size:1px`, unseen) and,"
        " in SendGrid's design-editor emails, an image's cell (6px) and a 3px divider that hold"
        " no text: false alarms. preflight measures visible text only; both flag the 11px"
        " footers of SendGrid's dynamic templates. preflight right",
    )
    add(
        A11Y,
        "heading levels",
        "heading-skip",
        "A11Y005",
        _emailens("accessibility", "heading-skip"),
        _preflight("A11Y005"),
        "yes",
        "agree on skipped levels; preflight also reports emails with no heading at all (real,"
        " an info). preflight finds more",
    )
    add(
        A11Y,
        "layout tables",
        "table-missing-role",
        "A11Y002",
        _emailens("accessibility", "table-missing-role"),
        _preflight("A11Y002"),
        "yes",
        "agree; preflight also reports the Postmark invoice's outer `purchase` table, a layout"
        " table around the item table (which has `<th>`, and which both leave alone); Emailens"
        " skips it because of the nested headers. preflight finds more",
    )
    add(
        A11Y,
        "image without alt",
        "img-missing-alt",
        "CONTENT004, A11Y007",
        _emailens("accessibility", "img-missing-alt"),
        _preflight("CONTENT004", "A11Y007"),
        "yes",
        "agree",
    )
    add(
        A11Y,
        "image with empty alt",
        "img-empty-alt (info)",
        "–",
        _emailens("accessibility", "img-empty-alt"),
        _never,
        "no",
        '`alt=""` is right for a decorative image; Emailens asks to verify it (info), preflight'
        " reports it only on a linked image with no text (A11Y007), none here",
    )
    add(
        A11Y,
        "vague link text",
        "link-generic-text",
        "A11Y003",
        _emailens("accessibility", "link-generic-text"),
        _preflight("A11Y003"),
        "yes",
        "agree",
    )

    # -- spam --------------------------------------------------------------------------------
    add(
        SPAM,
        "no unsubscribe link",
        "missing-unsubscribe",
        "CONTENT001",
        _emailens("spam", "missing-unsubscribe", severities=["error", "warning"]),
        _preflight("CONTENT001", severities=["error", "warning"]),
        "partly",
        "agree on Postmark's marketing example. Only Emailens: receipts, invoices, order"
        " updates, invitations, dunning: transactional, so no unsubscribe link is required;"
        " preflight infers that from their copy and says it as an info (next row). Only"
        " preflight: SendGrid's \"unsubscribe\" links that go to sendgrid.com's home page, no"
        " unsubscribe address (real). preflight right, and finds more",
    )
    add(
        SPAM,
        "no unsubscribe, but transactional (info)",
        "missing-unsubscribe (info)",
        "CONTENT001 (info)",
        _emailens("spam", "missing-unsubscribe", severities=["info"]),
        _preflight("CONTENT001", severities=["info"]),
        "yes",
        "agree on the password resets; preflight recognises the other transactional emails"
        " too (with the phrases it read as evidence). preflight finds more",
    )
    add(
        SPAM,
        "no postal address",
        "missing-physical-address",
        "CONTENT002",
        _emailens("spam", "missing-physical-address"),
        _preflight("CONTENT002", severities=["error", "warning"]),
        "partly",
        "agree on the Mailchimp theme. Only Emailens: Postmark and SendGrid emails that have an"
        ' address ("[Company Name, LLC] 1234 Street Rd.", "1234 S. Broadway St. City,'
        " State 12345\"), which Emailens does not recognise, and Saleor's transactional"
        " emails, which need none (preflight: info). preflight right",
    )
    add(
        SPAM,
        "no postal address, but transactional (info)",
        "–",
        "CONTENT002 (info)",
        _never,
        _preflight("CONTENT002", severities=["info"]),
        "–",
        "preflight only: Saleor's transactional emails, where no address is required, as"
        " infos with the evidence (Emailens reports them as marketing, row above)",
    )
    add(
        SPAM,
        "hidden text",
        "hidden-text",
        "SPAM004",
        _emailens("spam", "hidden-text"),
        _preflight("SPAM004"),
        "no",
        "Emailens flags the hidden preheader (`visibility:hidden`) and MJML's `font-size:0`"
        " column gaps (whitespace only): both are standard and not what filters punish."
        " preflight right (silent)",
    )
    add(
        SPAM,
        "link text shows another URL",
        "deceptive-link",
        "LINK010",
        _emailens("spam", "deceptive-link"),
        _preflight("LINK010"),
        "yes",
        "agree",
    )
    add(
        SPAM,
        "image-heavy",
        "high-image-ratio",
        "SPAM002",
        _emailens("spam", "high-image-ratio"),
        _preflight("SPAM002"),
        "debatable",
        "SendGrid's dynamic templates: images and text come from `{{#each}}` loops, so the"
        " ratio of the template says little about the sent email (Emailens: 6 images for"
        ' 1,043 characters is "high", 174 a picture). preflight\'s threshold (40 characters'
        " an image) is not met. Neither clearly right; not counted as a miss",
    )
    add(
        SPAM,
        "capitals",
        "caps-ratio",
        "SPAM001, INBOX003",
        _emailens("spam", "caps-ratio"),
        _preflight("SPAM001", "INBOX003"),
        "no",
        "the Mailchimp theme's capitals are merge tags (`*|MC:SUBJECT|*`, `*|LIST:COMPANY|*`),"
        " not shouting. preflight right (silent)",
    )
    add(
        SPAM,
        "spam phrases, shorteners, SpamAssassin",
        "–",
        "SPAM001, SPAM003, SPAM010",
        _never,
        _preflight("SPAM001", "SPAM003", "SPAM010"),
        "–",
        "neither reports anything on this sample (SpamAssassin, run locally with --spam,"
        " scored every email under the threshold)",
    )

    # -- inbox display --------------------------------------------------------------------------
    add(
        INBOX,
        "subject",
        "missing-subject",
        "CONTENT003 (info), INBOX001",
        _emailens("inboxPreview", "missing-subject"),
        _preflight("CONTENT003", "INBOX001"),
        "no",
        "no sample email has a subject (none has a sidecar). Emailens takes `<title>` for"
        " the subject, which no inbox shows; preflight says it cannot check a subject it does"
        " not know (info). preflight right",
    )
    add(
        INBOX,
        "preheader too short",
        "preheader-too-short",
        "CONTENT009, INBOX002",
        _emailens("inboxPreview", "preheader-too-short"),
        lambda f: f["rule"] == "CONTENT009" or (f["rule"] == "INBOX002" and "only" in f["message"]),
        "yes (as no preheader)",
        'what Emailens takes for a short preheader is the first text ("[Product Name]",'
        ' "{{header}}", "View in browser"): these emails have no preheader, and preflight'
        " says so (CONTENT009). Same problem, preflight names it right",
    )
    add(
        INBOX,
        "preheader too long",
        "preheader-too-long (info)",
        "INBOX002",
        _emailens("inboxPreview", "preheader-too-long"),
        lambda f: f["rule"] == "INBOX002" and "more than any inbox" in f["message"],
        "no",
        "103-127 characters: more than a phone shows, but the end is simply not shown (Apple"
        " Mail on macOS shows about 140); preflight reports from 140 up. Not a fault;"
        " preflight right (silent)",
    )
    add(
        INBOX,
        "body leaks into the preview",
        "–",
        "INBOX002",
        _never,
        lambda f: f["rule"] == "INBOX002" and "leak" in f.get("data", {}),
        "–",
        "preflight only: a short preheader with no spacer, so the body's first words follow it"
        " in the preview (real)",
    )
    add(
        INBOX,
        "no preheader",
        "–",
        "CONTENT009",
        _never,
        _preflight("CONTENT009"),
        "–",
        "preflight only (beyond the emails of the row above): the body's first words become"
        " the preview (real, a warning)",
    )

    # -- images -------------------------------------------------------------------------------
    add(
        IMAGES,
        "image without alt",
        "missing-alt",
        "CONTENT004",
        _emailens("images", "missing-alt"),
        _preflight("CONTENT004"),
        "yes",
        "agree",
    )
    add(
        IMAGES,
        "image without size",
        "missing-dimensions",
        "CONTENT010",
        _emailens("images", "missing-dimensions"),
        _preflight("CONTENT010"),
        "yes",
        "agree",
    )
    add(
        IMAGES,
        "image without display:block",
        "missing-display-block (info)",
        "–",
        _emailens("images", "missing-display-block"),
        _never,
        "no",
        "a gap under an inline image shows only in some layouts (an image alone in a cell);"
        " Emailens says so for every image, as an info. Not a fault as such",
    )
    add(
        IMAGES,
        "many images",
        "high-image-count (info)",
        "–",
        _emailens("images", "high-image-count"),
        _never,
        "no",
        "13 images (info): a count, not a fault; clipping is by size (Emailens' size check,"
        " silent here)",
    )
    add(
        IMAGES,
        "placeholder image",
        "–",
        "CONTENT012",
        _never,
        _preflight("CONTENT012"),
        "–",
        "preflight only: `via.placeholder.com` images left in (real)",
    )

    # -- links, size, merge tags ------------------------------------------------------------------
    add(
        OTHER,
        "http link",
        "insecure-link",
        "LINK004",
        _emailens("links", "insecure-link"),
        _preflight("LINK004"),
        "yes",
        "agree on links; preflight also reports `http://` image sources (mixed-content"
        " warnings, blocked images), which Emailens does not. preflight finds more",
    )
    add(
        OTHER,
        "vague link text (links)",
        "generic-link-text",
        "A11Y003",
        _emailens("links", "generic-link-text"),
        _preflight("A11Y003"),
        "yes",
        "agree",
    )
    add(
        OTHER,
        "empty or placeholder link",
        "empty-href, empty-mailto, placeholder-href",
        "LINK007, LINK008",
        _emailens("links", "empty-href", "empty-mailto", "placeholder-href"),
        _preflight("LINK007", "LINK008"),
        "yes",
        "agree; preflight also reports links to example.com, relative image paths"
        " (`./img/…`) and links with no scheme (`facebook.com`), all real. preflight finds more",
    )
    add(
        OTHER,
        "no links",
        "no-links (info)",
        "–",
        _emailens("links", "no-links"),
        _never,
        "no",
        "Saleor's notices with no link (info): not a fault",
    )
    add(
        OTHER,
        "merge tags",
        "unresolved-variable",
        "MERGE*, CONTENT006",
        _emailens("templateVariables", "unresolved-variable"),
        lambda f: f["rule"].startswith("MERGE") or f["rule"] == "CONTENT006",
        "no",
        "Emailens calls every `{{field}}` of a template unresolved (502 errors); they are the"
        " platform's merge fields, filled at send time. preflight reads them in the platform's"
        " language (MERGE rules, silent here) and reports leftover placeholder copy instead"
        " (CONTENT006: `[Product Name]`, SendGrid's sample preheader, lorem ipsum; real)."
        " preflight right",
    )
    add(
        OTHER,
        "other preflight rules",
        "–",
        "CONTENT005",
        _never,
        _preflight("CONTENT005"),
        "–",
        "preflight only: no text part (info)",
    )

    return r


# -- comparing -------------------------------------------------------------------------------


def compare(
    files: list[str], emailens: dict[str, Any], preflight: dict[str, Any], table: list[Row]
) -> list[Row]:
    by_file: dict[str, list[Finding]] = {name: [] for name in files}
    for finding in preflight["findings"]:
        # a finding in an email's text part (content.txt beside content.html) is the email's
        path = str(finding["path"])
        email = path[: -len(".txt")] + ".html" if path.endswith(".txt") else path
        by_file.setdefault(email if email in by_file else path, []).append(finding)
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
    p_left = {f["rule"] for f in preflight["findings"] if not any(row.match_p(f) for row in table)}
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
