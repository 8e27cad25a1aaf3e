"""No input makes preflight crash: each odd file is a finding or nothing, never an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest

import preflight

NASTY: dict[str, bytes | str] = {
    "deep.html": "<div>" * 5000 + "x" + "</div>" * 5000,
    "unclosed.html": "<html><body><p>Hi <a href='https://x.example/'>x <img src=y><!-- preflight: ignore[",
    "attrs.html": '<a href="{{ url }}" href=\'again\' data-x="' + "q" * 100000 + '">x</a>',
    "only-comment.html": "<!-- preflight: ignore-file -->",
    "xml-decl.html": '<?xml version="1.0" encoding="UTF-8"?><html><body><p>Hi</p></body></html>',
    "nul.htm": b"<p>a\x00b</p>",
    "bad-utf16.html": b"\xff\xfe\x00",
    "cp1252.html": b'<meta charset="windows-1252"><p>\x93quoted\x94 \x80</p>',
    "bogus-charset.html": b'<meta charset="no-such-charset"><p>\xe9</p>',
    "headers-only.eml": "Subject: hi\nFrom: a@b\n",
    "garbage.eml": "\x01\x02 not a message at all\n\n\n",
    "bad-charset.eml": (
        "Subject: =?x-unknown?q?hi?=\nContent-Type: text/html; charset=x-unknown\n\n<p>\xe9</p>\n"
    ),
    "base64.eml": (
        "Subject: b64\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: base64\n\nPHA+bG9yZW0gaXBzdW08L3A+\n"
    ),
    "broken-multipart.eml": (
        'Subject: x\nContent-Type: multipart/alternative; boundary="b"\n\n--b\nContent-Type: text/html\n\n<p>x'
    ),
    "wrong-types.json": '{"Subject": 5, "HtmlBody": ["not", "html"], "TextBody": null, "Name": "x"}',
    "sendgrid-versions.json": '{"generation": "dynamic", "versions": [1, {"active": 1, "subject": null}]}',
    "list.json": "[1, 2, 3]",
    "deep.json": "[" * 100000 + "]" * 100000,
    "big-number.json": '{"HtmlBody": "<p>x</p>", "Subject": 1e999999, "Name": "n"}',
    "sidecar.html": "<p>x</p>",
    "sidecar.meta.yaml": "- just\n- a list\n",
    "alias.html": "<p>x</p>",
    "alias.meta.yaml": "a: &a [x]\n" + "".join(f"b{i}: &b{i} [*a, *a]\n" for i in range(200)),
    "tabs.html": "<p>\tTODO\tthing</p>",
    "comment-tail.html": "<p>x<!-- note --> lorem ipsum <b>y</b></p><script>s</script> TODO <br> XXX",
    "weird.meta.yaml": "subject: !!python/object/apply:os.system ['echo hi']\n",
    "weird.html": "<p>y</p>",
}


@pytest.fixture(scope="module")
def nasty_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nasty")
    for name, content in NASTY.items():
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogateescape")
    return root


def test_walked_nasty_inputs_never_crash(nasty_dir: Path) -> None:
    report = preflight.check([nasty_dir])
    assert report.internal_errors == []
    assert report.exit_code() in (0, 1)


@pytest.mark.parametrize("name", sorted(NASTY))
def test_named_nasty_input_never_crashes(nasty_dir: Path, name: str) -> None:
    report = preflight.check([nasty_dir / name])
    assert report.internal_errors == [], report.internal_errors


def test_yaml_tags_are_not_executed(nasty_dir: Path) -> None:
    report = preflight.check([nasty_dir / "weird.html"])
    assert [f.rule for f in report.findings if f.rule.startswith("PF")] == ["PF001"]
