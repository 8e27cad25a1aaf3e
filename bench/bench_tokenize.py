"""Merge-tag tokenizing: tags per second, and its cost next to the HTML parse.

For every HTML template in ``../shared/corpus`` (and a tag-dense synthetic one per
platform), measured in one run, in process:

* the lxml parse of the file as preflight does it (``HtmlDocument``), the baseline;
* ``tokenize`` of the raw source with the platform's dialect (tags found, tags/s);
* ``tag_sites``: tokenize plus each tag's context, attribute and position, which is
  what the MERGE rules read;
* ``detect``: the per-file platform detection that runs when none is declared.

Each figure is the median of ``--repeat`` timings. Nothing is asserted. It prints a
markdown report and writes it to ``bench/out/tokenize.md``::

    .venv/bin/python bench/bench_tokenize.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from preflight.dialects import detect, dialects, tokenize
from preflight.model import Sourced, Template
from preflight.model.source import HtmlDocument, SourceText
from preflight.tagscan import tag_sites

BENCH_DIR = Path(__file__).resolve().parent
CORPUS = BENCH_DIR.parent.parent / "shared" / "corpus"
OUT = BENCH_DIR / "out" / "tokenize.md"

FOLDERS = {
    "postmark-templates": "postmark",
    "sendgrid-email-templates": "sendgrid",
    "customerio-layouts": "customerio",
    "mailchimp-caffeine-theme": "mailchimp",
}
SYNTHETIC = {
    "mailchimp": '<p>Hi *|FNAME|*, <a href="https://x.example/?n=*|URL:FNAME|*">x</a> *|IF:CITY|*'
    "in *|CITY|**|END:IF|*</p>\n",
    "hubspot": '<p>Hi {{ personalization_token("contact.firstname", "there") }} of'
    " {{ contact.company }} {% if contact.city %}{{ contact.city }}{% endif %}</p>\n",
    "braze": "<p>Hi {{${first_name} | default: 'there'}} {% if ${city} %}{{${city}}}"
    "{% endif %}</p>\n",
    "sfmc": "<p>Dear %%FirstName%%, %%=v(@x)=%% order %%OrderId%%</p>\n",
}


def _median(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _measure(text: str, platform: str, repeat: int) -> dict[str, float]:
    source = SourceText(text)
    parse = _median(lambda: HtmlDocument(SourceText(text)), repeat)
    tags = len(tokenize(text, platform))
    tokenize_s = _median(lambda: tokenize(text, platform), repeat)

    def sites() -> None:
        template = Template(Path("bench.html"), "html", html=HtmlDocument(source))
        template.platform = Sourced(platform, "sidecar")
        tag_sites(template)

    # tag_sites includes a parse (a template needs its document): subtract it
    sites_s = max(0.0, _median(sites, repeat) - parse)
    detect_s = _median(lambda: detect(text), repeat)
    return {
        "bytes": len(text.encode("utf-8")),
        "tags": tags,
        "parse": parse,
        "tokenize": tokenize_s,
        "sites": sites_s,
        "detect": detect_s,
    }


def _row(label: str, m: dict[str, float]) -> str:
    rate = m["tags"] / m["tokenize"] if m["tokenize"] and m["tags"] else 0.0
    return (
        f"| {label} | {m['bytes'] / 1024:.0f} | {m['tags']:.0f} | {m['parse'] * 1000:.2f} |"
        f" {m['tokenize'] * 1000:.3f} | {rate:,.0f} | {m['tokenize'] / m['parse']:.1%} |"
        f" {m['sites'] / m['parse']:.1%} | {m['detect'] / m['parse']:.1%} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"the corpus is not at {args.corpus}", file=sys.stderr)
        return 2
    dialects()  # load the dialect files before timing
    header = (
        "| input | KiB | tags | parse ms | tokenize ms | tags/s | tokenize/parse |"
        " tag_sites/parse | detect/parse |\n|---|---|---|---|---|---|---|---|---|"
    )
    lines = ["# Merge-tag tokenizing against the HTML parse", "", header]
    totals = {"bytes": 0.0, "tags": 0.0, "parse": 0.0, "tokenize": 0.0, "sites": 0.0, "detect": 0.0}
    for folder, platform in FOLDERS.items():
        files = sorted((args.corpus / folder).rglob("*.html"))
        folder_totals = dict.fromkeys(totals, 0.0)
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            measured = _measure(text, platform, args.repeat)
            for key, value in measured.items():
                folder_totals[key] += value
                totals[key] += value
        lines.append(_row(f"{folder} ({len(files)} files, {platform})", folder_totals))
    lines.append(_row("**all corpus templates**", totals))
    for platform, snippet in SYNTHETIC.items():
        text = "<html><body>\n" + snippet * 2000 + "</body></html>"
        lines.append(
            _row(
                f"synthetic {platform} (2,000 lines of tags)", _measure(text, platform, args.repeat)
            )
        )
    lines += [
        "",
        "tokenize/parse, tag_sites/parse and detect/parse are that step's time as a share of"
        " the lxml parse of the same file, measured in the same run (median of"
        f" {args.repeat}). tag_sites = tokenize + context, attribute and position of each tag.",
    ]
    report = "\n".join(lines) + "\n"
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
