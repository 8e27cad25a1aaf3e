"""Correction templates (`--templates`) cannot take the machine's time or memory.

Each case ran for minutes or took gigabytes before the sandbox was bounded (issue 16,
Reliability). Every case renders in a child process with a memory ceiling and a timeout,
so a regression fails the test instead of the test run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .test_correct import _original

DRIVER = """
import sys
from pathlib import Path
from preflight.corrections import sandbox
from preflight.corrections.footer import Footer
from preflight.corrections.plan import Plan
from preflight.corrections.render import render
from preflight.corrections.request import CorrectionError
from preflight.corrections.words import Words

sandbox.MAX_SECONDS = 1.0  # the time bound itself is tested, not its length
words = Words.plain
plan = Plan(
    kind="early-send", language="en", locale="en", subject=words("Correction: Seeds"),
    original_subject=words("Seeds"), preheader=words("We sent it early."),
    greeting=words("Hello,"), intro=words("We sent it early."), items=[], action=None,
    apology=words("Sorry."), sign_off=words("Best,"), sender_name=None, footer=Footer(),
    unsubscribe_label="Unsubscribe",
)
try:
    pages = render(plan, Path(sys.argv[1]))
except CorrectionError as error:
    print("refused:", error)
else:
    print("rendered:", len(pages["correction.html"]))
"""


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    ceiling = 1536 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def _render(tmp_path: Path, source: str) -> str:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "correction.html.j2").write_text(source, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory if sys.platform.startswith("linux") else None,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout.strip()


HOSTILE = {
    # the issue's four reproductions
    "nested-ranges": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
    "{% endfor %}",
    "power-tower": "{{ ((9**64)**64)**64 }}",
    "center-filter": "{{ 'x'|center(10**9) }}",
    "format-width": "{{ '{:>1000000000}'.format(1) }}",
    # the same ideas by other routes
    "ranges-within-limit-multiply": "{% for i in range(10000) %}{% for j in range(10000) %}"
    "{% endfor %}{% endfor %}",
    "format-nested-width": "{{ '{:>{}}'.format(1, 10**9) }}",
    "format-map-width": "{{ '{a:>{w}}'.format_map({'a': 1, 'w': 10**9}) }}",
    "printf-width": "{{ '%0999999999d' % 1 }}",
    "printf-star": "{{ '%*d' % (999999999, 1) }}",
    "format-filter": "{{ '%0999999999d'|format(1) }}",
    "ljust-method": "{{ 'x'.ljust(10**9) }}",
    "zfill-method": "{{ '1'.zfill(10**9) }}",
    "expandtabs": "{{ ('\\t' * 100000).expandtabs(100000) }}",
    "replace-expands": "{{ ('x' * 100000)|replace('x', 'x' * 100000) }}",
    "indent-expands": "{{ ('a\\n' * 50000)|indent('x' * 100000) }}",
    "string-repeat": "{{ 'x' * 100000000 }}",
    "nested-list-repeat": "{{ [[1] * 100000] * 100000 }}",
    "integer-products": "{% set n = 10**1000 %}{{ n * n * n * n * n }}",
    "macro-doubling": "{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('x') }}",
    "namespace-doubling": "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "buffered-macro": "{% macro m() %}{% for i in range(10000) %}"
    + "y" * 20_000
    + "{% endfor %}{% endmacro %}{{ m()|length }}",
    "long-page": "{% for i in range(10000) %}{{ 'x' * 100000 }}{% endfor %}",
    "time": "{% set s = 'x' * 100000 %}{% for i in range(10000) %}{% for c in s %}"
    "{% endfor %}{% endfor %}",
    "lorem-ipsum": "{{ lipsum(100000) }}",
    "huge-template-file": "x" * 300_000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_template_is_refused(tmp_path: Path, name: str) -> None:
    said = _render(tmp_path, HOSTILE[name])
    assert said.startswith("refused: template correction.html.j2"), said


def test_what_is_refused_says_why(tmp_path: Path) -> None:
    assert "over the limit of 10,000" in _render(tmp_path, HOSTILE["nested-ranges"])
    assert "4,096 bits" in _render(tmp_path, HOSTILE["power-tower"])
    assert "stopped: it ran for more than 1 seconds" in _render(tmp_path, HOSTILE["time"])
    assert "'lipsum' is undefined" in _render(tmp_path, HOSTILE["lorem-ipsum"])
    assert "over the limit of 262,144" in _render(tmp_path, HOSTILE["huge-template-file"])


def test_ordinary_templates_still_render(tmp_path: Path) -> None:
    source = (
        "{% macro line(text, n) %}{{ text }} {{ n }}{% endmacro %}"
        "<p>{{ greeting }}</p>{% for i in range(3) %}{{ line(intro, i) }}{% endfor %}"
        "{{ '%05.1f' % 3.14159 }} {{ '{:>8}'.format('x') }} {{ 'ab'|center(10) }}"
        "{{ ([1, 2] * 3)|join(',') }} {{ (2 ** 64) * 3 }} {{ 'a' ~ 'b' }}"
        "{% set ns = namespace(n=0) %}{% for i in range(5) %}{% set ns.n = ns.n + i %}"
        "{% endfor %}{{ ns.n }}{{ ('x' * 1000)|wordwrap(80)|length }}"
    )
    assert _render(tmp_path, source).startswith("rendered:")


def test_hostile_template_through_the_command(tmp_path: Path, run_cli) -> None:
    original = _original(tmp_path / "sent", "mailchimp")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "correction.txt.j2").write_text(HOSTILE["center-filter"], encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli(
        "correct", str(original), "--kind", "early-send", "--templates", str(templates),
        "--output", str(out),
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(
        "preflight: error: template correction.txt.j2 is not allowed to do that"
    )
    assert not out.exists()
