"""Static link rules: what the fixtures do not show (tags in URLs, odd hosts, odd input)."""

from __future__ import annotations

from pathlib import Path

import pytest

import preflight
from preflight.linkscan import _opaque
from preflight.model import TAG_MARK


@pytest.mark.parametrize(
    ("url", "platform", "expected"),
    [
        ("https://x.example/?n=*|URL:FNAME|*", "mailchimp", f"https://x.example/?n={TAG_MARK}"),
        ("{{ event.shop_url }}/cart", "customerio", f"{TAG_MARK}/cart"),
        ("<%asm_group_unsubscribe_raw_url%>", "sendgrid", TAG_MARK),
        ("[Unsubscribe]", None, TAG_MARK),
        ("https://x.example/{contactfield=city}", None, f"https://x.example/{TAG_MARK}"),
        ("https://x.example/?e=%%emailaddr%%", "sfmc", f"https://x.example/?e={TAG_MARK}"),
    ],
)
def test_merge_tags_in_urls_become_one_mark(url: str, platform: str | None, expected: str) -> None:
    assert _opaque(url, platform) == expected


def test_odd_urls_are_findings_not_tracebacks(tmp_path: Path) -> None:
    hrefs = [
        "https://[::1]/x",
        "https://[zz/",
        "https://xn--bcher-kva.example/",
        "https://bücher.example/",
        "http://" + "a" * 5000 + ".example/",
        "mailto:",
        "mailto:?subject=hi",
        "tel:",
        "https://x.example:99999/",
        "\u202ehttps://x.example/",
        "https://x.example/%zz",
    ]
    body = "".join(f'<a href="{h}">x</a>\n' for h in hrefs)
    (tmp_path / "email.html").write_text(f"<p>{body}</p>", encoding="utf-8")
    report = preflight.check([tmp_path], config={"select": ["LINK"]})
    assert not report.internal_errors
    rules = {f.rule for f in report.findings}
    assert "LINK003" in rules  # [::1] is loopback
    assert "LINK008" in rules  # [zz, the port, the empty mailto:


def test_allow_hosts_exempts_from_003_and_004(tmp_path: Path) -> None:
    (tmp_path / "email.html").write_text(
        '<p><a href="http://127.0.0.1:8000/">a</a> <a href="http://qa.brightleaf.example/">b</a>'
        "</p>",
        encoding="utf-8",
    )
    config = {"select": ["LINK"], "links": {"allow_hosts": ["127.0.0.1", "qa.brightleaf.example"]}}
    assert preflight.check([tmp_path], config=config).findings == []
