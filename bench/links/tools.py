"""How the link benchmark runs each checker, and how it reads what each one flags.

Every tool gets the same settings as far as it can take them (``Settings``); the
``mapping`` of each tool says which flag carries which setting, and what it cannot
set. ``flagged()`` turns a tool's report into ``{url as reported: reason}`` for the
URLs the tool calls broken (not merely redirected, rate limited or unverifiable).
"""

from __future__ import annotations

import csv
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# The rules whose findings mean "this link is bad". LINK011 (redirect chain,
# advice) and LINK012 (unverifiable, info) are deliberately not in this list.
PREFLIGHT_BAD_RULES = {"LINK001", "LINK002", "LINK005", "LINK006", "LINK013"}
PREFLIGHT_SELECT = "LINK001,LINK002,LINK005,LINK006,LINK011,LINK012,LINK013"


@dataclass(frozen=True)
class Settings:
    timeout_s: int = 2
    retries: int = 2
    total: int = 32
    per_host: int = 4


@dataclass
class Tool:
    name: str
    exe: str  # path of the executable
    mapping: list[str] = field(default_factory=list)  # setting -> flag, for the README
    fragments: str = ""  # how (or whether) it checks #fragments

    def installed(self) -> bool:
        return bool(self.exe) and Path(self.exe).exists()

    def version(self) -> str:
        raise NotImplementedError

    def prepare(self, folder: Path, files: list[Path], s: Settings, hosts: list[str]) -> None:
        """Write any config file the tool needs into ``folder``."""

    def argv(self, folder: Path, files: list[Path], s: Settings) -> list[str]:
        raise NotImplementedError

    def flagged(self, stdout: str, folder: Path) -> dict[str, str]:
        raise NotImplementedError


def _first_line(argv: list[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unknown ({exc})"
    lines = [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.strip() and "dropping privileges" not in line
    ]
    return lines[0].strip() if lines else "unknown"


class Preflight(Tool):
    def __init__(self, exe: str) -> None:
        super().__init__(
            "preflight",
            exe,
            mapping=[
                "timeout: `links.timeout: 2s`",
                "retries: `links.retries: 2`",
                "concurrency: `links.concurrency: {total: 32, per_host: 4}`",
                "cache: `--no-cache`",
            ],
            fragments="yes (LINK005)",
        )

    def version(self) -> str:
        return _first_line([self.exe, "--version"])

    def ready(self) -> bool:
        """True once ``preflight check`` has the ``--online`` flag."""
        if not self.installed():
            return False
        proc = subprocess.run([self.exe, "check", "--help"], capture_output=True, text=True)
        return "--online" in proc.stdout

    def prepare(self, folder: Path, files: list[Path], s: Settings, hosts: list[str]) -> None:
        (folder / "preflight.yaml").write_text(
            "links:\n"
            "  online: true\n"
            f"  allow_hosts: [{', '.join(hosts)}]\n"
            f"  timeout: {s.timeout_s}s\n"
            f"  retries: {s.retries}\n"
            f"  concurrency: {{total: {s.total}, per_host: {s.per_host}}}\n",
            encoding="utf-8",
        )

    def argv(self, folder: Path, files: list[Path], s: Settings) -> list[str]:
        return [
            self.exe,
            "check",
            str(folder),
            "--config",
            str(folder / "preflight.yaml"),
            "--online",
            "--no-cache",
            "--format",
            "json",
            "--select",
            PREFLIGHT_SELECT,
        ]

    def flagged(self, stdout: str, folder: Path) -> dict[str, str]:
        report = json.loads(stdout)
        out: dict[str, str] = {}
        for finding in report.get("findings", []):
            rule = finding.get("rule", "")
            data = finding.get("data") or {}
            if rule in PREFLIGHT_BAD_RULES and data.get("url"):
                out[data["url"]] = f"{rule} {data.get('status', '')} {data.get('code', '')}"
        return out


class Lychee(Tool):
    def __init__(self, exe: str) -> None:
        super().__init__(
            "lychee",
            exe,
            mapping=[
                "timeout: `--timeout 2`",
                "retries: `--max-retries 2` (at least `--retry-wait-time`, 1 s, between tries)",
                "concurrency: `--max-concurrency 32 --host-concurrency 4`",
                "pacing: `--host-request-interval 0ms` (default 50 ms between requests"
                " to one host; turned off, as no other tool paces)",
                "cache: off by default (`--cache` not given)",
            ],
            fragments="yes (`--include-fragments`)",
        )

    def version(self) -> str:
        return _first_line([self.exe, "--version"])

    def argv(self, folder: Path, files: list[Path], s: Settings) -> list[str]:
        return [
            self.exe,
            "--format",
            "json",
            "--no-progress",
            "--timeout",
            str(s.timeout_s),
            "--max-retries",
            str(s.retries),
            "--max-concurrency",
            str(s.total),
            "--host-concurrency",
            str(s.per_host),
            "--host-request-interval",
            "0ms",
            "--include-fragments",
            "--",
            f"{folder}/**/*.html",
        ]

    def flagged(self, stdout: str, folder: Path) -> dict[str, str]:
        report = json.loads(stdout)
        out: dict[str, str] = {}
        for section in ("error_map", "timeout_map"):
            for entries in (report.get(section) or {}).values():
                for entry in entries:
                    status = entry.get("status") or {}
                    text = status.get("text", "") if isinstance(status, dict) else str(status)
                    code = status.get("code", "") if isinstance(status, dict) else ""
                    reason = f"{section[:-4]} {code} {text}".strip()
                    # a "cached" repeat carries less detail than the first report
                    if entry["url"] not in out or "cached" in out[entry["url"]]:
                        out[entry["url"]] = reason
        return out


class LinkChecker(Tool):
    def __init__(self, exe: str) -> None:
        super().__init__(
            "LinkChecker",
            exe,
            mapping=[
                "timeout: `timeout=2` (config file; per connect and per read)",
                "retries: none (LinkChecker has no retry setting)",
                "concurrency: `threads=32`; no per-host limit",
                "pacing: `maxrequestspersecond=10000` plus a `LinkChecker:` response header"
                " from the server (without the header LinkChecker waits 0.1-0.6 s between"
                " requests to one host whatever the setting)",
                "scope: `checkextern=1`, `recursionlevel=1` (check the files' links,"
                " do not crawl the linked pages)",
            ],
            fragments="yes (`[AnchorCheck]` plugin; a missing anchor is a *warning*,"
            " counted here as flagged)",
        )

    def version(self) -> str:
        return _first_line([self.exe, "--version"])

    def prepare(self, folder: Path, files: list[Path], s: Settings, hosts: list[str]) -> None:
        (folder / "linkcheckerrc").write_text(
            "[checking]\n"
            f"threads={s.total}\n"
            f"timeout={s.timeout_s}\n"
            "maxrequestspersecond=10000\n"
            "recursionlevel=1\n\n"
            "[filtering]\n"
            "checkextern=1\n\n"
            "[AnchorCheck]\n\n"
            "[output]\n"
            "status=0\n",
            encoding="utf-8",
        )

    def argv(self, folder: Path, files: list[Path], s: Settings) -> list[str]:
        conf = str(folder / "linkcheckerrc")
        return [self.exe, "-f", conf, "--no-status", "-o", "csv", *map(str, files)]

    def flagged(self, stdout: str, folder: Path) -> dict[str, str]:
        rows = [line for line in stdout.splitlines() if line and not line.startswith("#")]
        out: dict[str, str] = {}
        for row in csv.DictReader(rows, delimiter=";"):
            url = row.get("urlname") or ""
            if not url.startswith("http"):
                continue
            warning = row.get("warningstring") or ""
            if row.get("valid") == "False":
                out[url] = row.get("result") or "invalid"
            elif warning.startswith("Anchor ") and "not found" in warning:
                out[url] = "anchor not found (warning)"
        return out


class Linkinator(Tool):
    def __init__(self, exe: str) -> None:
        super().__init__(
            "linkinator",
            exe,
            mapping=[
                "timeout: `--timeout 2000`",
                "retries: `--retry` (429 with Retry-After) and"
                " `--retry-errors --retry-errors-count 2` (5xx and network errors)",
                "concurrency: `--concurrency 32`; no per-host limit",
                "inputs: a glob of the files; linkinator serves them itself on its own"
                " local port (those requests are not counted)",
            ],
            fragments="yes (`--check-fragments`)",
        )

    def version(self) -> str:
        return _first_line([self.exe, "--version"])

    def argv(self, folder: Path, files: list[Path], s: Settings) -> list[str]:
        return [
            self.exe,
            f"{folder.name}/*.html",  # relative to the run's cwd: an absolute glob breaks it
            "--format",
            "json",
            "--timeout",
            str(s.timeout_s * 1000),
            "--concurrency",
            str(s.total),
            "--retry",
            "--retry-errors",
            "--retry-errors-count",
            str(s.retries),
            "--check-fragments",
            "--verbosity",
            "error",
        ]

    def flagged(self, stdout: str, folder: Path) -> dict[str, str]:
        start = stdout.find("{")
        report = json.loads(stdout[start:]) if start >= 0 else {}
        out: dict[str, str] = {}
        for link in report.get("links", []):
            url = link.get("url", "")
            if link.get("state") != "BROKEN":
                continue
            if not url.startswith("http"):
                raise ValueError(f"its own input {url} is broken ({link.get('status')})")
            out[url] = f"{link.get('status')}"
        return out


def default_paths() -> dict[str, str]:
    return {
        "preflight": str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "preflight"),
        "lychee": "/work/bench-venv/bin/lychee",
        "linkchecker": "/work/bench-venv/bin/linkchecker",
        "linkinator": "/work/bench-node/node_modules/.bin/linkinator",
    }
