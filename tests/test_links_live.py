"""The live link checker against the tests' own loopback servers (127.0.0.1 and 127.0.0.2).

Each fault case asserts the exact classification; the servers' request logs show
what was asked, how often and how many at once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from preflight.api import check
from preflight.links.checker import Settings, Target, check_urls
from preflight.links.results import Status

from .linkserver import LinkServer

ALLOW = ("127.0.0.1", "127.0.0.2")
FAST = Settings(timeout=1.0, retries=2, backoff=0.05, allow_hosts=ALLOW, not_found=("not found",))


@pytest.fixture
def servers(link_servers: list[LinkServer]) -> list[LinkServer]:
    for server in link_servers:
        server.reset_counts()
    return link_servers


def _one(url: str, page: bool = True, anchors: bool = False, settings: Settings = FAST):
    results, _ = check_urls([Target(url, page, anchors)], settings)
    return results[url]


CASES = [
    # path, page, expected status, code, reason
    ("/page/1", True, Status.OK, 200, None),
    ("/404", True, Status.BROKEN, 404, "http-404"),
    ("/410", True, Status.BROKEN, 410, "http-410"),
    ("/500", True, Status.BROKEN, 500, "http-500"),
    ("/hop/301/1", True, Status.REDIRECTED, 200, None),
    ("/hop/302/2", True, Status.REDIRECTED, 200, None),
    ("/hop/307/1", True, Status.REDIRECTED, 200, None),
    ("/hop/308/3", True, Status.REDIRECTED, 200, None),
    ("/loop/a", True, Status.BROKEN, 302, "redirect-loop"),
    ("/hop/302/12", True, Status.BROKEN, 302, "too-many-redirects"),
    ("/offer/spring", True, Status.SOFT_404, 200, "home-page"),
    ("/not-found-title", True, Status.SOFT_404, 200, "not-found-page"),
    ("/head405/a.png", False, Status.OK, 200, None),
    ("/head404/a.png", False, Status.OK, 200, None),
    ("/always429", True, Status.UNVERIFIABLE, 429, "rate-limited"),
    ("/slow/3", True, Status.TIMEOUT, None, "timeout"),
    ("/reset", True, Status.UNREACHABLE, None, "reset"),
    ("/reset-once/x", True, Status.OK, 200, None),
    ("/huge", True, Status.OK, 200, None),
    ("/bot", True, Status.UNVERIFIABLE, 999, "bot-wall"),
    ("/challenge", True, Status.UNVERIFIABLE, 403, "bot-wall"),
    ("/login", True, Status.UNVERIFIABLE, 401, "auth-wall"),
    ("/img/hero.png", False, Status.OK, 200, None),
    ("/img/missing-hero.png", False, Status.BROKEN, 404, "http-404"),
]


def test_every_fault_case_is_classified_exactly(servers: list[LinkServer]) -> None:
    targets = []
    expected = {}
    for index, (path, page, status, code, reason) in enumerate(CASES):
        server = servers[index % 2]  # both hosts
        url = server.base + path
        targets.append(Target(url, page))
        expected[url] = (status, code, reason)
    results, counters = check_urls(targets, FAST)
    actual = {url: (r.status, r.code, r.reason) for url, r in results.items()}
    assert actual == expected
    assert counters.requests >= len(targets)


def test_a_404_is_asked_once_and_never_retried(servers: list[LinkServer]) -> None:
    result = _one(servers[0].base + "/404")
    assert result.status is Status.BROKEN
    assert servers[0].requests("/404") == 1


def test_redirects_are_recorded_hop_by_hop(servers: list[LinkServer]) -> None:
    base = servers[1].base
    result = _one(base + "/hop/301/2")
    assert [(hop.code, hop.url) for hop in result.chain] == [
        (301, base + "/hop/301/1"),
        (301, base + "/hop/301/0"),
    ]
    assert result.permanent and result.final_url == base + "/hop/301/0"


def test_head_refused_falls_back_to_get(servers: list[LinkServer]) -> None:
    result = _one(servers[0].base + "/head405/logo.png", page=False)
    assert result.status is Status.OK
    assert servers[0].requests("/head405/logo.png", "HEAD") == 1
    assert servers[0].requests("/head405/logo.png", "GET") == 1


def test_images_are_asked_with_head_only(servers: list[LinkServer]) -> None:
    _one(servers[0].base + "/img/hero.png", page=False)
    assert servers[0].requests("/img/hero.png", "HEAD") == 1
    assert servers[0].requests("/img/hero.png", "GET") == 0


@pytest.mark.parametrize("code", [429, 503])
def test_retry_after_in_seconds_is_honoured(servers: list[LinkServer], code: int) -> None:
    path = f"/flaky/{code}/1/seconds-{code}?after=1"
    result = _one(servers[0].base + path)
    assert result.status is Status.OK
    first, second = servers[0].times[path]
    assert second - first >= 0.9  # the server asked for one second
    assert servers[0].requests(path) == 2


def test_retry_after_as_http_date_is_honoured(servers: list[LinkServer]) -> None:
    path = "/flaky/429/1/date?date=2"
    result = _one(servers[1].base + path)
    assert result.status is Status.OK
    first, second = servers[1].times[path]
    assert second - first >= 0.9  # an HTTP date has whole seconds: at least one of the two


def test_429_without_retry_after_backs_off_and_succeeds(servers: list[LinkServer]) -> None:
    path = "/flaky/429/2/bare"
    result = _one(servers[0].base + path)
    assert result.status is Status.OK
    assert servers[0].requests(path) == 3  # two 429s, then the page


def test_retries_stop_at_the_budget(servers: list[LinkServer]) -> None:
    path = "/flaky/503/9/budget"
    result = _one(servers[0].base + path)
    assert (result.status, result.code) == (Status.BROKEN, 503)
    assert servers[0].requests(path) == 1 + FAST.retries


def test_retry_after_beyond_the_cap_is_not_waited_for(servers: list[LinkServer]) -> None:
    path = "/flaky/503/1/long?after=3600"
    result = _one(servers[0].base + path)
    assert (result.status, result.code) == (Status.BROKEN, 503)
    assert servers[0].requests(path) == 1


def test_a_reset_is_retried(servers: list[LinkServer]) -> None:
    assert _one(servers[1].base + "/reset").status is Status.UNREACHABLE
    assert servers[1].requests("/reset") == 1 + FAST.retries


def test_a_huge_page_is_not_downloaded(servers: list[LinkServer]) -> None:
    result = _one(servers[0].base + "/huge")
    assert result.status is Status.OK
    time.sleep(0.2)
    assert servers[0].huge_sent < 16 * 1024 * 1024  # of 200 MB: read 256 KiB, then closed


def test_fragments_are_read_from_the_page(servers: list[LinkServer]) -> None:
    result = _one(servers[0].base + "/page/7", anchors=True)
    assert result.anchors is not None and {"top", "section-2", "named"} <= result.anchors


def test_per_host_and_total_limits_hold(servers: list[LinkServer]) -> None:
    settings = Settings(timeout=5.0, total=3, per_host=2, allow_hosts=ALLOW)
    targets = [Target(f"{s.base}/slow/0.2?n={n}", True) for n in range(8) for s in servers]
    results, _ = check_urls(targets, settings)
    assert all(r.status is Status.OK for r in results.values())
    assert all(1 <= s.max_in_flight <= 2 for s in servers)
    assert sum(s.max_in_flight for s in servers) >= 3  # both hosts were asked at once


def test_the_deadline_ends_the_run(servers: list[LinkServer]) -> None:
    settings = Settings(timeout=5.0, deadline=0.5, allow_hosts=ALLOW)
    result = _one(servers[0].base + "/slow/2?deadline", settings=settings)
    assert (result.status, result.reason) == (Status.TIMEOUT, "deadline")


def test_tls_failure_is_named(servers: list[LinkServer]) -> None:
    url = servers[0].base.replace("http://", "https://") + "/page/1"  # plain HTTP port
    result = _one(url)
    assert (result.status, result.reason) == (Status.UNREACHABLE, "tls")


def test_refused_connection_is_named() -> None:
    result = _one("http://127.0.0.1:1/page")
    assert (result.status, result.reason) == (Status.UNREACHABLE, "refused")


# -- the address guard ------------------------------------------------------------------


def test_guard_refuses_loopback_not_allowed(servers: list[LinkServer]) -> None:
    only_first = Settings(timeout=1.0, allow_hosts=("127.0.0.1",))
    result = _one(servers[1].base + "/page/1", settings=only_first)
    assert (result.status, result.reason) == (Status.SKIPPED, "refused-address")
    assert servers[1].log == []  # never connected


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://10.1.2.3/", "a private address"),
        ("http://[::1]/", "a loopback address"),
        ("http://224.0.0.1/", "a multicast address"),
    ],
)
def test_guard_refuses_a_redirect_into_the_network(
    servers: list[LinkServer], where: str, says: str
) -> None:
    from urllib.parse import quote

    only_first = Settings(timeout=1.0, allow_hosts=("127.0.0.1",))
    result = _one(servers[0].base + "/to/" + quote(where, safe=""), settings=only_first)
    assert (result.status, result.reason) == (Status.SKIPPED, "refused-address")
    assert says in (result.detail or "")


# -- the run: findings, dedup, cache ------------------------------------------------------


def _campaign(tmp_path: Path, servers: list[LinkServer], copies: int = 3) -> Path:
    a, b = servers[0].base, servers[1].base
    for n in range(copies):
        (tmp_path / f"email{n}.html").write_text(
            "<html><body>"
            f'<a href="{a}/page/1?utm_source=x&id=*|UNIQID|*">Shop</a>'
            f'<a href="{b}/404">Old offer</a>'
            f'<a href="{a}/page/2#missing">Delivery</a>'
            f'<img src="{b}/img/missing-logo.png" alt="Logo">'
            f'<a href="{a}/bot">Follow</a>'
            '<a href="*|ARCHIVE|*">View online</a>'
            "</body></html>",
            encoding="utf-8",
        )
    (tmp_path / "preflight.yaml").write_text(
        "platform: mailchimp\n"
        "select: [LINK001, LINK002, LINK005, LINK006, LINK011, LINK012, LINK013]\n"
        "links:\n  online: true\n  allow_hosts: [127.0.0.1, 127.0.0.2]\n  timeout: 2s\n",
        encoding="utf-8",
    )
    return tmp_path


def test_a_run_dedups_urls_across_files_and_reports_each_link(
    tmp_path: Path, servers: list[LinkServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_campaign(tmp_path, servers))
    report = check(["."])
    rules = sorted({(f.location.path.name, f.rule) for f in report.findings})
    for n in range(3):
        for rule in ("LINK001", "LINK005", "LINK012", "LINK013"):
            assert (f"email{n}.html", rule) in rules
    assert len(report.findings) == 12
    assert servers[1].requests("/404") == 1  # three files, one request
    assert servers[0].requests("/page/1?utm_source=x") == 1  # the merge-tag parameter dropped
    assert report.links is not None
    assert report.links["urls"] == 5 and report.links["cached"] == 0
    finding = next(f for f in report.findings if f.rule == "LINK001")
    assert finding.data["status"] == "broken" and finding.data["code"] == 404


def test_the_cache_answers_the_second_run(
    tmp_path: Path, servers: list[LinkServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_campaign(tmp_path, servers, copies=1))
    first = check(["."])
    cache = tmp_path / ".preflight_cache" / "links.json"
    assert json.loads(cache.read_text(encoding="utf-8"))["version"] == 1
    servers[1].reset_counts()
    second = check(["."])
    assert second.links is not None and second.links["requests"] == 0
    assert second.links["cached"] == 5
    assert [f.message for f in second.findings] == [f.message for f in first.findings]
    assert all(f.data["cached"] for f in second.findings)
    assert not [p for p in cache.parent.iterdir() if p.name.endswith(".tmp")]


def test_refresh_and_no_cache(
    tmp_path: Path, servers: list[LinkServer], run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _campaign(tmp_path, servers, copies=1)
    done = run_cli("check", ".", "--no-cache", "--format", "json", cwd=folder)
    assert done.returncode == 1, done.stderr
    assert not (folder / ".preflight_cache").exists()
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    assert json.loads(done.stdout)["links"]["requests"] >= 5
    run_cli("check", ".", cwd=folder)
    servers[1].reset_counts()
    refreshed = run_cli("check", ".", "--refresh", "--format", "json", cwd=folder)
    assert json.loads(refreshed.stdout)["links"]["cached"] == 0
    assert servers[1].requests("/404") == 1


def test_a_corrupt_cache_is_a_warning_not_a_crash(
    tmp_path: Path, servers: list[LinkServer], run_cli
) -> None:
    folder = _campaign(tmp_path, servers, copies=1)
    (folder / ".preflight_cache").mkdir()
    (folder / ".preflight_cache" / "links.json").write_text("{not json", encoding="utf-8")
    done = run_cli("check", ".", "--format", "json", cwd=folder)
    assert done.returncode == 1
    assert "preflight: warning: the link cache" in done.stderr
    assert "Traceback" not in done.stderr
    data = json.loads((folder / ".preflight_cache" / "links.json").read_text(encoding="utf-8"))
    assert len(data["entries"]) == 5


def test_offline_by_default(tmp_path: Path, servers: list[LinkServer]) -> None:
    folder = _campaign(tmp_path, servers, copies=1)
    (folder / "preflight.yaml").write_text(
        "select: [LINK001, LINK013]\nlinks:\n  allow_hosts: [127.0.0.1, 127.0.0.2]\n",
        encoding="utf-8",
    )
    report = check([folder])
    assert report.findings == [] and report.links is None
    assert servers[0].log == [] and servers[1].log == []


def test_suppressions_cover_live_findings(tmp_path: Path, servers: list[LinkServer]) -> None:
    (tmp_path / "email.html").write_text(
        "<html><body><!-- preflight: ignore[LINK001] -->\n"
        f'<a href="{servers[0].base}/404">Old</a>\n'
        "<!-- preflight: ignore[LINK012] -->\n"
        f'<a href="{servers[0].base}/page/1">Fine</a>\n'
        "</body></html>",
        encoding="utf-8",
    )
    config = {"links": {"online": True, "allow_hosts": list(ALLOW)}, "select": ["LINK", "PF002"]}
    report = check([tmp_path / "email.html"], config=config)
    assert [
        (f.rule, f.location.span.line if f.location.span else None) for f in report.findings
    ] == [("PF002", 3)]


def test_progress_shows_on_a_terminal(tmp_path: Path, servers: list[LinkServer]) -> None:
    import os
    import pty
    import subprocess

    from .conftest import preflight_command

    folder = _campaign(tmp_path, servers, copies=1)
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [*preflight_command(), "check", ".", "--no-cache", "-q"],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=120,
            check=False,
        )
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal's other end is closed: all is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
    assert done.returncode == 1
    assert b"checking links" in shown and b"5/5" in shown


@pytest.mark.parametrize(
    ("status", "code", "reason", "advice"),
    [
        ("broken", 404, None, "upload the image again and use its new address"),
        ("broken", 410, None, "upload the image again"),
        ("unreachable", None, "dns", "the name cdn.brightleaf.example does not resolve"),
        ("unreachable", None, "refused", "nothing answers at cdn.brightleaf.example"),
        ("unreachable", None, "tls", "no valid https certificate"),
        ("timeout", None, "timeout", "did not answer in time"),
        ("broken", 403, None, "refuses to serve the image (403): make it public"),
        ("broken", 503, None, "cdn.brightleaf.example failed (503)"),
    ],
)
def test_broken_image_help_fits_the_failure(
    status: str, code: int | None, reason: str | None, advice: str
) -> None:
    """An offline DNS failure is no reason to upload the image again (issue 16)."""
    from preflight.checks.live import broken_image
    from preflight.links.results import Checked, Occurrence, Result, Status
    from preflight.model import Location

    url = "https://cdn.brightleaf.example/img/hero.png"
    occurrence = Occurrence(url, url, None, "image", Location(Path("email.html")))
    result = Result(url, Status(status), code, reason)
    [violation] = list(broken_image(Checked(occurrence, result), {}))
    assert violation.help is not None and advice in violation.help, violation.help
    if reason == "dns":
        assert "upload" not in violation.help and "offline" in violation.help
