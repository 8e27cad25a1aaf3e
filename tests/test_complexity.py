"""Work that must grow linearly with the input, measured by counting function calls.

Tests never time anything (DESIGN.md: speed is shown in bench/): each case runs the same
work on an input and on one twice its size and compares how many Python function calls
each made, which is deterministic. Linear work doubles (a ratio near 2); the quadratic
block matching and header parsing these tests hold down made it about 4.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def calls(work: Callable[[], Any]) -> int:
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    work()  # once unmeasured: imports and caches are not the input's cost
    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


def growth(make: Callable[[int], Callable[[], Any]], size: int) -> float:
    return calls(make(2 * size)) / calls(make(size))


NESTED = {
    "mailchimp": ("*|IF:A|*", "*|END:IF|*"),
    "postmark": ("{{#if a}}", "{{/if}}"),
    "braze": ("{% if a %}", "{% endif %}"),
}


def _nested(platform: str, depth: int) -> str:
    opener, closer = NESTED[platform]
    return "<p>" + opener * depth + "x" + closer * depth + "</p>"


@pytest.mark.parametrize("platform", sorted(NESTED))
def test_checking_nested_blocks_is_linear(tmp_path: Path, platform: str) -> None:
    from preflight.api import check

    def make(depth: int) -> Callable[[], Any]:
        path = tmp_path / f"nested{depth}.html"
        path.write_text(_nested(platform, depth), encoding="utf-8")
        config = {"platform": platform, "select": ["MERGE"], "jobs": 1}
        return lambda: check([path], config=config, cache=False)  # a cache hit measures nothing

    assert growth(make, 1500) < 2.6


@pytest.mark.parametrize("platform", sorted(NESTED))
def test_rendering_nested_blocks_is_linear(platform: str) -> None:
    from preflight.dialects import render

    def make(depth: int) -> Callable[[], Any]:
        text = _nested(platform, depth)
        return lambda: render(text, platform, {"a": "yes", "A": "yes"})

    assert growth(make, 1500) < 2.6


@pytest.mark.parametrize(
    "value",
    [
        " ".join("=?utf-8?q?abc?=" for _ in range(60_000)),
        " ".join("word" for _ in range(200_000)),
        ", ".join(f"<https://brightleaf.example/u{i}>" for i in range(40_000)),
        "\n ".join(f"<https://brightleaf.example/u{i}>," for i in range(40_000)),
    ],
    ids=["encoded-words", "words", "uris", "folded"],
)
@pytest.mark.parametrize("header", ["List-Unsubscribe", "From", "Content-Type"])
def test_a_long_header_never_reaches_the_quadratic_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, header: str
) -> None:
    """The standard library's header parser is quadratic or worse in a value's length (a
    1 MB List-Unsubscribe took 35 to 100 s and up to 11 GB): values over 8 kB are read as
    written instead. The parser is replaced by one that refuses long values, so the test
    fails at once where a long value would be parsed."""
    import email.headerregistry

    from preflight.formats.eml import MAX_PARSED_HEADER, load_eml

    parse = email.headerregistry.HeaderRegistry.__call__

    def guarded(self: Any, name: str, text: str) -> Any:
        assert len(text) <= MAX_PARSED_HEADER + 100, f"{name}: {len(text):,} characters parsed"
        return parse(self, name, text)

    monkeypatch.setattr(email.headerregistry.HeaderRegistry, "__call__", guarded)
    content_type = value if header == "Content-Type" else "text/html"
    headers = {"From": "news@brightleaf.example", "List-Unsubscribe": "<https://a.example/u>"}
    headers[header] = value
    if header == "Content-Type":
        headers[header] = "text/html; charset=utf-8; " + value.replace(",", ";")
    path = tmp_path / "long.eml"
    path.write_text(
        "".join(f"{name}: {text}\n" for name, text in headers.items())
        + ("" if header == "Content-Type" else f"Content-Type: {content_type}\n")
        + "Subject: Hi\n\n<html><body><p>Hi</p></body></html>\n",
        encoding="utf-8",
    )
    loaded = load_eml(path, 10_000_000)
    assert loaded.template is not None and loaded.template.html is not None
    assert "Hi" in loaded.template.html.source.text


def lines(work: Callable[[], Any]) -> int:
    """Python lines run (deterministic): loops written in Python count per turn."""
    count = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return trace

    work()
    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def test_looking_up_positions_in_a_large_yaml_is_linear() -> None:
    """Every audience's and every override's position was a search of all their keys."""
    from preflight.yamlio import load_yaml

    def make(n: int) -> Callable[[], Any]:
        document = load_yaml(
            "audiences:\n" + "".join(f"  a{i}: {{kind: test}}\n" for i in range(n))
        )
        return lambda: [document.position("audiences", f"a{i}", "kind") for i in range(n)]

    assert lines(make(1000)) and lines(make(2000)) / lines(make(1000)) < 2.6


def test_a_long_word_of_tags_in_the_text_part_is_linear(tmp_path: Path) -> None:
    """Found by the fuzz test: for each tag in the text part, MERGE's URL reading scanned
    to the end of the tag's word, one character at a time: a 40 kB word of tags, 20 s."""
    from preflight.api import configure, load_template
    from preflight.checks.merge.urls import _url_sites
    from preflight.dialects import dialects

    def make(n: int) -> Callable[[], Any]:
        folder = tmp_path / str(n)
        folder.mkdir()
        (folder / "a.html").write_text("<html><body><p>Hi</p></body></html>\n", "utf-8")
        (folder / "a.txt").write_text(
            "Hi\nhttps://brightleaf.example/?n=" + "*|FNAME|*" * n + "\n", "utf-8"
        )
        template, _ = load_template(
            folder / "a.html", configure([folder], {"platform": "mailchimp"})
        )
        dialect = dialects()["mailchimp"]
        return lambda: list(_url_sites(template, dialect))

    assert growth(make, 1500) < 2.6
