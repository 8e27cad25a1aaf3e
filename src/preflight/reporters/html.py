"""One self-contained HTML page: the summary, each email as an inbox and a preview shows it,
each workflow drawn, every finding beside what it is about, and the rules explained.

Nothing is fetched when the page opens. Its Content-Security-Policy admits only its own
script and style, by hash; images are ``data:`` only until the reader asks for remote ones
(the first script adds ``img-src data:`` unless the address ends in ``#remote-images``).
Previews are the templates as written, in iframes with ``sandbox="allow-same-origin"`` (no
scripts), built from an inert JSON block when their part of the page is shown; the email's
own styles, which the policy blocks, are applied by the page's script through the CSSOM.

Emails and workflows are drawn from ``FileInfo.view``, which ``check(..., views=True)``
attaches (the CLI asks for it with ``--format html``); without it a file's findings are
listed alone.
"""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preflight.catalogue import Catalogue, load_catalogue
from preflight.constants import VERSION
from preflight.model import Finding, Part, Severity, display_path
from preflight.model.report import EmailView, FileInfo, WorkflowView

# text from inputs is shown with its control and bidi characters as visible escapes
from preflight.reporters.safe import html_text as escape
from preflight.reporters.safe import pictured

if TYPE_CHECKING:
    from preflight.model.report import Report

ASSETS = Path(__file__).resolve().parent / "assets"
BOOT = (
    'if(location.hash!=="#remote-images"){document.write('
    '\'<meta http-equiv="Content-Security-Policy" content="img-src data:">\')}'
)
"""Runs first: until the reader asks for remote images, images may be data: only."""
NO_SCRIPT = "section.file.later{display:block!important}"
"""Without scripts the sections after the first screen are shown all the same."""
OPEN_FILES = 40
"""Past this many files the table of problems by file starts folded: 5,000 rows on the first
screen push the first email far down, and laying them out again made the first jump to it
take 7 s (bench/bench_report.py)."""
FIRST_SCREEN = 3
"""Sections parsed before the page's script runs; the rest wait out of layout until the
page is read whole (the page marks itself ``data-ready`` then)."""
KIND_LABELS = {
    "template": "Email",
    "workflow": "Workflow",
    "source": "Build source",
    "audiences": "Audiences",
}
ICON = {Severity.ERROR: "✖", Severity.WARNING: "▲", Severity.INFO: "ℹ"}
SOURCE_WORDS = {
    "declared": "declared",
    "detected": "detected from its merge tags",
    "format": "from the export",
    "config": "from the config",
}
_STEP_POINTER = re.compile(r"^/steps/(\d+)(?:/|$)")
_MAX_SOURCE = 240


@functools.cache
def _assets() -> tuple[str, str]:
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    script = (ASSETS / "report.js").read_text(encoding="utf-8")
    return css, script


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def policy(css: str, script: str) -> str:
    return (
        "default-src 'none'; "
        f"script-src {_hash(BOOT)} {_hash(script)}; "
        f"style-src {_hash(css)} {_hash(NO_SCRIPT)}; "
        "img-src data: http: https:; "
        "base-uri 'none'; form-action 'none'"
    )


def _json_block(value: Any) -> str:
    """JSON that a <script type="application/json"> holds safely: no "</" and no "<!"."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("</", "\\u003c/").replace("<!", "\\u003c!")


def _family(finding: Finding, catalogue: Catalogue) -> str:
    rule = catalogue.rules.get(finding.rule)
    if rule is not None:
        return rule.family
    match = re.match(r"[A-Z]+", finding.rule)
    return match.group() if match else finding.rule


# -- grouping findings into sections -------------------------------------------------------


class _Section:
    __slots__ = ("findings", "info", "number", "path")

    def __init__(self, number: int, path: str, info: FileInfo | None) -> None:
        self.number = number
        self.path = path
        self.info = info
        self.findings: list[Finding] = []


def _sections(report: Report) -> list[_Section]:
    sections: list[_Section] = []
    owner: dict[str, _Section] = {}
    for info in report.files:
        shown = display_path(info.path)
        if shown in owner:
            continue
        section = _Section(len(sections), shown, info)
        sections.append(section)
        owner[shown] = section
    for section in sections:  # a template's sidecar and text part belong to its email
        view = section.info.view if section.info is not None else None
        if isinstance(view, EmailView):
            for source in view.sources:
                owner.setdefault(display_path(source), section)
    loose: dict[str, _Section] = {}
    for finding in report.findings:
        shown = display_path(finding.location.path)
        home = owner.get(shown) or loose.get(shown)
        if home is None:
            home = loose[shown] = _Section(0, shown, None)
        home.findings.append(finding)
    for shown in sorted(loose):
        section = loose[shown]
        section.number = len(sections)
        sections.append(section)
    for section in sections:
        main = section.path
        section.findings.sort(key=lambda f: _order(f, main))
    return sections


def _order(finding: Finding, main: str) -> tuple[int, str, int, int, str]:
    shown = display_path(finding.location.path)
    span = finding.location.span
    return (
        0 if shown == main else 1,
        shown,
        span.line if span else 0,
        span.column if span else 0,
        finding.rule,
    )


# -- what a finding points at ------------------------------------------------------------


def element_index(view: EmailView, line: int, column: int) -> int | None:
    """The innermost element of the preview whose extent holds the position."""
    elements = view.elements
    if not elements:
        return None
    at = (line, column)
    index = bisect.bisect_right(elements, (line, column, 1 << 30, 1 << 30)) - 1
    while index >= 0:
        start_line, start_column, end_line, end_column = elements[index]
        if (start_line, start_column) <= at < (end_line, end_column):
            return index
        index -= 1
    return None


def named_steps(
    finding: Finding, view: WorkflowView, shown: str
) -> tuple[list[str], list[tuple[str, str]]]:
    """The steps a workflow finding names, and the path (pairs of steps) it measured."""
    ids = [step.id for step in view.steps]
    known = set(ids)
    named: list[str] = []

    def add(step: Any) -> None:
        if isinstance(step, str) and step in known and step not in named:
            named.append(step)

    pointer = finding.location.pointer
    match = _STEP_POINTER.match(pointer or "")
    if match and shown.endswith((".yaml", ".yml")) and int(match.group(1)) < len(ids):
        add(ids[int(match.group(1))])
    data = finding.data
    path: list[tuple[str, str]] = []
    walked = data.get("path_steps")
    if isinstance(walked, (list, tuple)):
        for step in walked:
            add(step)
        path = [(a, b) for a, b in itertools.pairwise(walked) if isinstance(a, str)]
    loop = data.get("steps")
    if isinstance(loop, (list, tuple)) and loop:
        for step in loop:
            add(step)
        path = [(a, b) for a, b in itertools.pairwise([*loop, loop[0]]) if isinstance(a, str)]
    for key in ("step", "send", "target"):
        add(data.get(key))
    lines = sorted((step.line, step.id) for step in view.steps if step.line is not None)
    places = [finding.location] + [r.location for r in finding.related]
    for location in places:
        if location.span is None or display_path(location.path) != shown or not lines:
            continue
        index = bisect.bisect_right(lines, (location.span.line, "\uffff")) - 1
        if index >= 0:
            add(lines[index][1])
    return named, path


# -- the page ------------------------------------------------------------------------------


def chunks(report: Report) -> Iterator[str]:
    css, script = _assets()
    catalogue = load_catalogue()
    sections = _sections(report)
    families = Counter(_family(f, catalogue) for f in report.findings)
    severities = Counter(f.severity for f in report.findings)
    summary = report.summary
    total = len(report.findings)
    remote = sum(
        s.info.view.remote_images
        for s in sections
        if s.info is not None and isinstance(s.info.view, EmailView)
    )
    yield (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(policy(css, script))}">\n'
        f"<script>{BOOT}</script>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>preflight report: {total} problem{'s' if total != 1 else ''}"
        f" in {summary['files']} file{'s' if summary['files'] != 1 else ''}</title>\n"
        f"<style>{css}</style>\n<noscript><style>{NO_SCRIPT}</style></noscript>\n"
        "</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to the report</a>\n'
    )
    yield _header(report, total)
    yield _controls(severities, families, remote)
    yield '<main id="main">\n<p id="status" role="status" aria-live="polite"></p>\n'
    yield _summary(report, sections, catalogue, severities, families)
    # The script runs once the first screen is parsed, so it is usable at once; the sections
    # after it stay out of layout until the whole page is read (each frame of a long parse
    # would lay out everything parsed so far again: 98 s instead of 12 s for 5,000 emails).
    for section in sections[:FIRST_SCREEN]:
        yield _section(section, catalogue)
    yield f"<script>{script}</script>\n"
    for section in sections[FIRST_SCREEN:]:
        yield _section(section, catalogue, later=True)
    yield _rules(report, catalogue)
    yield "</main>\n</body>\n</html>\n"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _header(report: Report, total: int) -> str:
    summary = report.summary
    if report.read_nothing:  # not a clean pass: nothing was checked
        said = "No input read: nothing here is an email, workflow or audiences file preflight knows"
    elif total:
        said = (
            f"{_plural(total, 'problem')} ({_plural(summary['errors'], 'error')},"
            f" {_plural(summary['warnings'], 'warning')}, {_plural(summary['infos'], 'info')})"
            f" in {_plural(summary['files'], 'file')}"
        )
    else:
        said = f"No problems found in {_plural(summary['files'], 'file')}"
    extra = ""
    if report.baselined:
        extra += f"; {report.baselined} known in the baseline, not shown"
    if report.internal_errors:
        extra += f"; {_plural(len(report.internal_errors), 'internal error')}"
    return (
        '<header class="top">\n<h1>preflight report</h1>\n'
        f"<p>{escape(said + extra)}. Made by preflight {escape(VERSION)}.</p>\n</header>\n"
    )


def _controls(severities: Counter[Severity], families: Counter[str], remote: int) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" checked data-sev="{severity.label}">'
        f' <span aria-hidden="true">{ICON[severity]}</span> {severity.label}s'
        f" ({severities.get(severity, 0)})</label>"
        for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    )
    family_boxes = "".join(
        f'<label><input type="checkbox" checked data-fam="{escape(family)}">'
        f" {escape(family)} ({count})</label>"
        for family, count in sorted(families.items())
    )
    remote_button = (
        f'<span class="remote-all">{_plural(remote, "remote image")} held back'
        ' <button type="button" class="btn remote-toggle">Show remote images</button></span>'
        if remote
        else ""
    )
    return (
        '<nav class="controls" aria-label="Filters">\n'
        f"<fieldset><legend>Severity</legend>{boxes}</fieldset>\n"
        + (f"<fieldset><legend>Family</legend>{family_boxes}</fieldset>\n" if families else "")
        + '<label>Search <input type="search" id="q" placeholder="rule, message, file…"'
        ' autocomplete="off"></label>\n'
        f"{remote_button}\n"
        '<span class="keys"><kbd>/</kbd> search · <kbd>j</kbd> <kbd>k</kbd> next and'
        " previous problem · <kbd>Enter</kbd> mark it</span>\n</nav>\n"
    )


def _counts_row(counts: Counter[Severity]) -> str:
    return "".join(
        f'<td class="num">{counts.get(s, 0)}</td>'
        for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    )


def _summary(
    report: Report,
    sections: list[_Section],
    catalogue: Catalogue,
    severities: Counter[Severity],
    families: Counter[str],
) -> str:
    head = (
        '<th scope="col" class="num">✖ errors</th><th scope="col" class="num">▲ warnings</th>'
        '<th scope="col" class="num">ℹ infos</th>'
    )
    by_family: dict[str, Counter[Severity]] = {}
    for finding in report.findings:
        by_family.setdefault(_family(finding, catalogue), Counter())[finding.severity] += 1
    family_rows = "".join(
        f'<tr><th scope="row">{escape(family)}</th>{_counts_row(counts)}</tr>'
        for family, counts in sorted(by_family.items())
    )
    kinds = Counter(info.kind for info in report.files)
    read = ", ".join(f"{_plural(count, kind)}" for kind, count in sorted(kinds.items()))
    platforms: Counter[str] = Counter()
    for info in report.files:
        if info.platform:
            platforms[f"{info.platform} ({SOURCE_WORDS.get(info.platform_source or '', '?')})"] += 1
        elif info.candidates:
            platforms["ambiguous: " + " or ".join(info.candidates)] += 1
    platform_text = ", ".join(
        f"{escape(name)} × {count}" if count > 1 else escape(name)
        for name, count in sorted(platforms.items())
    )
    file_rows = []
    for section in sections:
        counts = Counter(f.severity for f in section.findings)
        entry = section.info
        kind = entry.kind if entry is not None else "other"
        platform = (
            f"{entry.platform} ({SOURCE_WORDS.get(entry.platform_source or '', '?')})"
            if entry is not None and entry.platform
            else ""
        )
        file_rows.append(
            f'<tr><th scope="row"><a href="#s{section.number}">{escape(section.path)}</a></th>'
            f"<td>{escape(kind)}</td><td>{escape(platform)}</td>{_counts_row(counts)}</tr>"
        )
    total = _counts_row(severities)
    by_file = f"Problems by file ({_plural(len(sections), 'file')})"
    return (
        '<section class="summary" aria-labelledby="summary-h">\n<h2 id="summary-h">Summary</h2>\n'
        f"<p>Read {escape(read or 'no files')}."
        + (f" Platforms: {platform_text}." if platform_text else "")
        + "</p>\n"
        '<div class="summary-grid">\n'
        f"<table><caption>Problems by severity</caption><tr>{head}</tr><tr>{total}</tr></table>\n"
        + (
            "<table><caption>Problems by family</caption>"
            f'<tr><th scope="col">family</th>{head}</tr>{family_rows}</table>\n'
            if family_rows
            else ""
        )
        + "</div>\n"
        + ("" if len(sections) <= OPEN_FILES else f"<details><summary>{by_file}</summary>")
        + "<table><caption>Problems by file</caption>"
        f'<tr><th scope="col">file</th><th scope="col">kind</th><th scope="col">platform</th>'
        f"{head}</tr>{''.join(file_rows)}</table>"
        + ("" if len(sections) <= OPEN_FILES else "</details>")
        + "\n</section>\n"
    )


def _section(section: _Section, catalogue: Catalogue, later: bool = False) -> str:
    info = section.info
    view = info.view if info is not None else None
    number = section.number
    kind = info.kind if info is not None else "file"
    label = KIND_LABELS.get(kind, kind.capitalize())
    counts = Counter(f.severity for f in section.findings)
    said = (
        ", ".join(
            _plural(counts[s], s.label)
            for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
            if counts[s]
        )
        or "no problems"
    )
    meta = [said]
    if info is not None and info.platform:
        source = SOURCE_WORDS.get(info.platform_source or "", "?")
        meta.append(f"platform: {info.platform} ({source})")
    elif info is not None and info.candidates:
        meta.append("platform: ambiguous (" + " or ".join(info.candidates) + ")")
    built_from = info.built_from if info is not None else None
    if built_from is not None and info is not None and built_from != info.path:
        meta.append(f"built from {display_path(built_from)}")
    parts = [
        f'<section class="file{" later" if later else ""}" id="s{number}"'
        f' aria-labelledby="s{number}-h">\n'
        f'<h2 id="s{number}-h"><span class="kind">{escape(label)}</span>'
        f"{escape(section.path)}</h2>\n"
        f'<p class="meta">{escape(" · ".join(meta))}</p>\n'
    ]
    if isinstance(view, EmailView):
        parts.append(_email(section, view, catalogue))
    elif isinstance(view, WorkflowView):
        parts.append(_workflow(section, view, catalogue))
    else:
        parts.append(_findings(section, catalogue, None))
    parts.append("</section>\n")
    return "".join(parts)


def _email(section: _Section, view: EmailView, catalogue: Catalogue) -> str:
    number = section.number
    subject = (
        f'<span class="v">{escape(view.subject)}</span>'
        if view.subject
        else '<span class="v note">(no subject)</span>'
    )
    if view.preheader:
        preheader = f'<span class="v">{escape(view.preheader)}</span>' + (
            ""
            if view.preheader_declared
            else ' <span class="note">(no preheader set: the start of the body shows)</span>'
        )
    else:
        preheader = '<span class="v note">(none)</span>'
    parts = [
        '<div class="cols">\n<div class="pane">\n'
        f'<div class="inbox" role="group" aria-label="As an inbox lists it">'
        f'<p class="subj"><span class="k">Subject</span> {subject}</p>'
        f'<p class="pre"><span class="k">Preheader</span> {preheader}</p></div>\n'
    ]
    if view.html is not None:
        title = f"Preview of {section.path}"
        parts.append(
            f'<div class="preview" data-pv="pv{number}" data-title="{escape(title)}">'
            '<p class="ph">The preview opens when it scrolls into view.'
            ' <button type="button" class="btn show">Show the preview</button></p></div>\n'
        )
        if view.remote_images:
            parts.append(
                f'<p class="remote">{_plural(view.remote_images, "remote image")} held back'
                ' until you ask. <button type="button" class="btn remote-toggle">'
                "Show remote images</button></p>\n"
            )
    else:
        parts.append('<p class="note">No HTML part.</p>\n')
    if view.text is not None:
        plain = escape(view.text.replace("\r\n", "\n"), keep="\n")
        parts.append(
            '<details class="textpart"><summary>Plain-text part</summary>'
            f"<pre>{plain}</pre></details>\n"
        )
    parts.append("</div>\n")
    parts.append(_findings(section, catalogue, view))
    parts.append("</div>\n")
    if view.html is not None:
        parts.append(
            f'<script type="application/json" id="pv{number}">{_json_block(view.html)}</script>\n'
        )
    return "".join(parts)


def _workflow(section: _Section, view: WorkflowView, catalogue: Catalogue) -> str:
    from preflight.reporters.drawing import svg

    marks: dict[int, tuple[list[str], list[tuple[str, str]]]] = {}
    named: Counter[str] = Counter()
    for index, finding in enumerate(section.findings):
        if display_path(finding.location.path) != section.path:
            continue
        steps, path = named_steps(finding, view, section.path)
        marks[index] = (steps, path)
        named.update(steps)
    drawing = svg(view, f"wf{section.number}", dict(named), f"Workflow {view.name}: drawing")
    listed = "".join(
        f"<li><strong>{escape(step.id)}</strong> ({escape(step.kind)}: {escape(step.label)})"
        + (
            ": "
            + ", ".join(
                f"{escape(label)} → {escape(target)}" if label != "next" else f"→ {escape(target)}"
                for target, label in step.edges
            )
            if step.edges
            else ""
        )
        + "</li>"
        for step in view.steps
    )
    return (
        '<div class="cols">\n<div class="pane">\n<figure>'
        '<div class="drawing" tabindex="0" role="group"'
        f' aria-label="Drawing of {escape(view.name)}">'
        f"{drawing}</div>"
        "<figcaption>Steps marked <strong>⚠ n</strong> (dashed outline) are named by n problems;"
        " choose a problem to outline its steps and the path it measured.</figcaption>"
        "</figure>\n"
        f"<details><summary>The steps as a list ({len(view.steps)})</summary>"
        f"<ol>{listed}</ol></details>\n</div>\n"
        + _findings(section, catalogue, view, marks)
        + "</div>\n"
    )


def _findings(
    section: _Section,
    catalogue: Catalogue,
    view: EmailView | WorkflowView | None,
    marks: dict[int, tuple[list[str], list[tuple[str, str]]]] | None = None,
) -> str:
    if not section.findings:
        return '<div class="findings-pane"><p class="ok">No problems found.</p></div>\n'
    items = [
        f'<div class="findings-pane"><h3>Problems ({len(section.findings)})</h3>'
        '<p class="say" role="status" aria-live="polite"></p><ol class="findings">'
    ]
    for index, finding in enumerate(section.findings):
        items.append(_finding(finding, section, catalogue, view, (marks or {}).get(index)))
    items.append("</ol></div>\n")
    return "".join(items)


def _finding(
    finding: Finding,
    section: _Section,
    catalogue: Catalogue,
    view: EmailView | WorkflowView | None,
    marks: tuple[list[str], list[tuple[str, str]]] | None,
) -> str:
    location = finding.location
    span = location.span
    shown = display_path(location.path)
    where = shown + (f":{span.line}:{span.column}" if span else "")
    if location.part is not None:
        where += f" · {location.part.value} part" if location.part is not Part.WORKFLOW else ""
    if location.pointer:
        where += f" · {location.pointer}"
    attributes = [
        f'data-sev="{finding.severity.label}"',
        f'data-fam="{escape(_family(finding, catalogue))}"',
        f'data-rule="{escape(finding.rule)}"',
    ]
    if location.part is not None:
        attributes.append(f'data-part="{location.part.value}"')
    if (
        isinstance(view, EmailView)
        and span is not None
        and location.part is Part.HTML
        and shown == section.path
    ):
        element = element_index(view, span.line, span.column)
        if element is not None:
            attributes.append(f'data-el="{element}"')
    if marks is not None and marks[0]:
        attributes.append(f'data-steps="{escape(json.dumps(marks[0]))}"')
        if marks[1]:
            attributes.append(f'data-path="{escape(json.dumps(marks[1]))}"')
    rule = catalogue.rules.get(finding.rule)
    name = escape(finding.name)
    icon = ICON[finding.severity]
    parts = [
        f'<li class="f sev-{finding.severity.label}" {" ".join(attributes)}>'
        f'<button type="button" class="f-head"><span class="sev"><span aria-hidden="true">'
        f"{icon}</span> {finding.severity.label}</span>"
        f'<code class="rule">{escape(finding.rule)}</code>'
        f'<span class="msg">{escape(finding.message)}</span></button>'
        f'<p class="where">{escape(where)}</p>'
    ]
    if span is not None and finding.source_line is not None:
        offset = finding.source_offset  # source_line may be a window of a long line
        parts.append(
            _excerpt(
                finding.source_line,
                span.line,
                span.column - offset,
                span.end_line,
                span.end_column - offset,
                cut=offset > 0,
            )
        )
    if finding.help:
        parts.append(f'<p class="help"><strong>help:</strong> {escape(finding.help)}</p>')
    if finding.related:
        related = "".join(
            f"<li>note: {escape(r.message)} ({escape(_where(r.location))})</li>"
            for r in finding.related
        )
        parts.append(f'<ul class="related">{related}</ul>')
    if rule is not None:
        parts.append(
            f'<p><a href="#rule-{escape(rule.id)}">{escape(rule.id)} {name}: what it checks'
            " and why</a></p>"
        )
    parts.append("</li>")
    return "".join(parts)


def _where(location: Any) -> str:
    span = location.span
    return display_path(location.path) + (f":{span.line}:{span.column}" if span else "")


def _excerpt(
    source: str, line: int, column: int, end_line: int, end_column: int, cut: bool = False
) -> str:
    """The finding's first line with its span marked (to the line's end when it goes on);
    ``cut``: ``source`` is a window that starts inside the line, columns counted in it."""
    text = pictured(source)  # one visible character each: the mark stays where it was
    start = max(0, column - 1)
    end = end_column - 1 if end_line == line else len(text)
    end = max(start + 1, min(end, len(text)))
    prefix, suffix = "", ""
    if len(text) > _MAX_SOURCE:  # a minified line: a window around the span
        begin = max(0, start - _MAX_SOURCE // 3)
        stop = max(begin + _MAX_SOURCE, min(end, begin + 2 * _MAX_SOURCE))
        prefix = "…" if begin or cut else ""
        suffix = "…" if stop < len(text) else ""
        text, start, end = text[begin:stop], start - begin, min(end, stop) - begin
    prefix = prefix or ("…" if cut else "")
    more = f" (continues to line {end_line})" if end_line > line else ""
    return (
        f'<pre class="src"><span class="ln">{line} | </span>{prefix}{escape(text[:start])}'
        f"<mark>{escape(text[start:end])}</mark>{escape(text[end:])}{suffix}</pre>"
        + (f'<p class="where">{escape(more.strip())}</p>' if more else "")
    )


def _rules(report: Report, catalogue: Catalogue) -> str:
    from preflight.explain import sections as explain

    used = sorted({f.rule for f in report.findings if f.rule in catalogue.rules})
    if not used:
        return ""
    parts = ['<section class="rules" aria-labelledby="rules-h">\n<h2 id="rules-h">Rules</h2>\n']
    for rule_id in used:
        rule = catalogue.rules[rule_id]
        body: list[str] = []
        for title, text in explain(rule):
            if title in ("Example", "Use instead", "Options"):
                shown = f'<pre class="ex">{escape(_dedent(text))}</pre>'
            else:
                shown = escape(" ".join(text.split()))
            body.append(f"<dt>{escape(title)}</dt><dd>{shown}</dd>")
        parts.append(
            f'<section id="rule-{escape(rule.id)}" aria-labelledby="rule-{escape(rule.id)}-h">'
            f'<h3 id="rule-{escape(rule.id)}-h">{escape(rule.id)} {escape(rule.name)}'
            f" (default: {rule.severity.label})</h3><dl>{''.join(body)}</dl></section>\n"
        )
    parts.append("</section>\n")
    return "".join(parts)


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")
