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


@pytest.mark.parametrize(
    ("host", "domain", "labels"),
    [
        ("dev.to", "dev.to", []),
        ("test-kitchen.shop.co.uk", "shop.co.uk", ["test-kitchen"]),
        ("www.staging.brightleaf.co.uk", "brightleaf.co.uk", ["www", "staging"]),
        ("staging.brightleaf.example", "brightleaf.example", ["staging"]),  # unlisted TLD
        ("brightleaf-dev.herokuapp.com", "herokuapp.com", ["brightleaf-dev"]),  # ICANN part only
        ("www.city.kawasaki.jp", "city.kawasaki.jp", ["www"]),  # an exception rule
        ("x.y.kawasaki.jp", "x.y.kawasaki.jp", []),  # a wildcard rule
        ("co.uk", None, []),
        ("127.0.0.1", None, []),
        ("[::1]", None, []),
        ("xn--80ak6aa92e.com", "xn--80ak6aa92e.com", []),
    ],
)
def test_registrable_domain_by_the_public_suffix_list(
    host: str, domain: str | None, labels: list[str]
) -> None:
    from preflight.urls import registrable_domain, subdomain_labels

    assert registrable_domain(host) == domain
    assert subdomain_labels(host) == labels


def test_without_the_public_suffix_list_the_last_two_labels_are_the_site(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from preflight import urls

    monkeypatch.setattr(urls, "_public_suffixes", lambda: None)
    assert urls.registrable_domain("staging.brightleaf.co.uk") == "co.uk"
    assert urls.subdomain_labels("dev.to") == []
    assert urls.listed_suffix("seeds.html") is None


def test_the_public_suffix_list_is_read_only_when_a_name_looks_like_staging(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    (tmp_path / "a.html").write_text('<a href="https://brightleaf.example/">x</a>')
    path = str(tmp_path / "a.html")
    code = (
        f"import preflight, preflight.urls as u; preflight.check([{path!r}]);"
        "print(u._public_suffixes.cache_info().currsize)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "0", result.stderr
