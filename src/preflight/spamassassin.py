"""`check --spam`: each email as a MIME message, scored by a local SpamAssassin.

The engine hands every template of the run to a :class:`SpamRun` as it checks it; the
message is assembled at once (subject, sender, text and HTML parts) and written to a
private temporary folder, so nothing of the template is kept. When every file has been
read, :meth:`SpamRun.run` starts ``spamassassin`` once per batch of messages — loading its
rules costs about a second, scoring one message a few hundredths — with network tests off
(``-L``: no DNS, no blocklists, no Razor/Pyzor/DCC), Bayes and auto-learning off, no user
preferences read or written (``-x``, ``HOME`` in the temporary folder), and a bounded
timeout. Its report of each message is read between markers that carry a nonce of the
run, so no text in an email can pass for a verdict.

Without SpamAssassin on the PATH, :meth:`SpamRun.run` says so (``Scored.problem``), and
SPAM010 turns that into one info finding that tells how to install it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from preflight.model import Location, Part, Template

MAX_BATCH = 200
"""At most this many messages per spamassassin process. The run is split in one batch per
core (at least MIN_BATCH messages each), run side by side: loading the rules costs each
process about 0.9 CPU-seconds, a message about 0.06 (bench/README.md)."""
MIN_BATCH = 20
STARTUP_SECONDS = 60.0
PER_MESSAGE_SECONDS = 5.0
"""A batch may take STARTUP_SECONDS plus this much per message before it is stopped."""
INSTALL_HELP = (
    "install SpamAssassin to score emails locally: `apt-get install spamassassin` (Debian,"
    " Ubuntu), `dnf install spamassassin` (Fedora), `brew install spamassassin` (macOS);"
    " then run `preflight check --spam` again"
)
_FALLBACK_SENDER = "Sender <sender@example.com>"
_COPIED_HEADERS = ("list-unsubscribe", "list-unsubscribe-post", "list-id", "precedence")
_HIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$")


@dataclass(frozen=True)
class Hit:
    """One SpamAssassin rule an email hit."""

    name: str
    score: float
    description: str


@dataclass(frozen=True)
class Verdict:
    score: float
    required: float
    """SpamAssassin's own threshold (required_score, 5.0 unless configured)."""
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class Scored:
    """What SPAM010 reads (``runs_on: spam-score``): one email and SpamAssassin's verdict,
    or why there is none."""

    path: Path
    location: Location
    verdict: Verdict | None = None
    problem: str | None = None
    """not-installed | timeout | failed | unreadable (the message could not be assembled)"""
    detail: str | None = None


def available() -> str | None:
    """The spamassassin program on the PATH, or None."""
    import shutil

    return shutil.which("spamassassin")


def _clean(value: str) -> str:
    """A header value on one line, without characters a header cannot carry."""
    value = value.encode("utf-8", "replace").decode("utf-8")
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())[:900]


def _body(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


def assemble(template: Template, key: str) -> bytes:
    """The email as a MIME message: the template's subject, From, Reply-To, and its text and
    HTML parts as multipart/alternative. ``key`` goes in X-Preflight-Id. Raises ValueError
    when a header cannot be written."""
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    message = EmailMessage()
    sender = _clean(template.sender.value) if template.sender is not None else ""
    message["From"] = sender or _FALLBACK_SENDER
    message["To"] = "Reader <reader@example.com>"
    if template.reply_to is not None and _clean(template.reply_to.value):
        message["Reply-To"] = _clean(template.reply_to.value)
    message["Subject"] = (
        _clean(template.subject.value) if template.subject is not None else _title(template)
    )
    message["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].strip("<> ") or "example.com"
    message["Message-ID"] = make_msgid(domain=re.sub(r"[^A-Za-z0-9.-]", "", domain) or None)
    for name in _COPIED_HEADERS:
        if name in template.headers:
            message[name.title()] = _clean(template.headers[name][0])
    message["X-Preflight-Id"] = key
    html = _body(template.html.source.text) if template.html is not None else None
    text = _body(template.text.text) if template.text is not None else None
    if text is not None and html is not None:
        message.set_content(text)
        message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(text or "")
    return message.as_bytes()


def _title(template: Template) -> str:
    """With no subject known, the HTML's <title> stands in (templates title themselves with
    their subject; an empty Subject would cost points the sent email will not)."""
    if template.html is None or template.html.root is None:
        return ""
    title = template.html.root.find(".//title")
    return _clean(title.text or "") if title is not None else ""


def _location(template: Template) -> Location:
    return Location(template.path, None, Part.HTML if template.html is not None else Part.TEXT)


class SpamRun:
    """The run's SpamAssassin check: templates in (``add``), one Scored each out (``run``)."""

    def __init__(self) -> None:
        self.program = available()
        self._folder: Path | None = None
        self._waiting: list[tuple[str, Path | None, Scored]] = []
        self.seconds = 0.0

    def add(self, template: Template) -> str:
        """Queue one email; returns its key in the answer of :meth:`run`."""
        key = f"m{len(self._waiting)}"
        scored = Scored(template.path, _location(template))
        if self.program is None:
            self._waiting.append((key, None, scored))
            return key
        if self._folder is None:
            import tempfile

            self._folder = Path(tempfile.mkdtemp(prefix="preflight-spam-"))
        path = self._folder / f"{key}.eml"
        try:
            path.write_bytes(assemble(template, key))
        except (ValueError, TypeError, LookupError) as error:
            problem = Scored(scored.path, scored.location, None, "unreadable", str(error))
            self._waiting.append((key, None, problem))
            return key
        self._waiting.append((key, path, scored))
        return key

    def run(self) -> dict[str, Scored]:
        """Score every queued email (a few processes, side by side); then forget them."""
        import time

        started = time.monotonic()
        try:
            return dict(self._run())
        finally:
            self.seconds = time.monotonic() - started
            self._waiting.clear()
            if self._folder is not None:
                import shutil

                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _run(self) -> Iterator[tuple[str, Scored]]:
        if self.program is None:
            first = True
            for key, _, scored in self._waiting:
                if first:  # one info for the run, on its first email
                    yield key, Scored(scored.path, scored.location, None, "not-installed")
                    first = False
            return
        ready = [(key, path, scored) for key, path, scored in self._waiting if path is not None]
        for key, path, scored in self._waiting:
            if path is None:
                yield key, scored
        cores = os.cpu_count() or 1
        size = min(MAX_BATCH, max(MIN_BATCH, -(-len(ready) // cores)))
        batches = [ready[i : i + size] for i in range(0, len(ready), size)]
        if not batches:
            return
        workers = max(1, min(len(batches), cores))
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for answers in pool.map(self._batch, batches):
                yield from answers

    def _batch(self, batch: list[tuple[str, Path | None, Scored]]) -> list[tuple[str, Scored]]:
        import secrets
        import subprocess

        assert self.program is not None and self._folder is not None
        nonce = secrets.token_hex(8)
        begin, end = f"PREFLIGHT-{nonce}-BEGIN", f"PREFLIGHT-{nonce}-END"
        command = [
            self.program,
            "-L",  # local tests only: no DNS, no network
            "-t",  # test mode: the report after each message
            "-x",  # never create a preferences file
            "--cf=use_bayes 0",
            "--cf=bayes_auto_learn 0",
            "--cf=use_auto_welcomelist 0",
            "--cf=clear_report_template",
            f"--cf=report {begin} _HEADER(X-Preflight-Id)_ _SCORE_ _REQD_",
            "--cf=report _SUMMARY_",
            f"--cf=report {end}",
            *(str(path) for _, path, _ in batch),
        ]
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self._folder),
            "LANG": "C",
            "LC_ALL": "C",
        }
        timeout = STARTUP_SECONDS + PER_MESSAGE_SECONDS * len(batch)
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                timeout=timeout,
                env=environment,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            detail = f"SpamAssassin did not finish within {timeout:g} s"
            return [(k, _failed(s, "timeout", detail)) for k, _, s in batch]
        except OSError as error:
            return [(k, _failed(s, "failed", str(error))) for k, _, s in batch]
        verdicts = parse(done.stdout.decode("utf-8", "replace"), begin, end)
        answers = []
        for key, _, scored in batch:
            verdict = verdicts.get(key)
            if verdict is None:
                said = done.stderr.decode("utf-8", "replace").strip().splitlines()
                detail = said[-1] if said else f"exit status {done.returncode}, no report"
                answers.append((key, _failed(scored, "failed", detail)))
            else:
                answers.append((key, Scored(scored.path, scored.location, verdict)))
        return answers


def _failed(scored: Scored, problem: str, detail: str) -> Scored:
    return Scored(scored.path, scored.location, None, problem, detail)


def parse(output: str, begin: str, end: str) -> dict[str, Verdict]:
    """Each report between the run's markers: the message's key, score, required score and
    the rules hit (name, points, description, continuation lines joined)."""
    verdicts: dict[str, Verdict] = {}
    position = 0
    while True:
        start = output.find(begin, position)
        if start == -1:
            break
        stop = output.find(end, start)
        if stop == -1:
            break
        block = output[start + len(begin) : stop].split()
        position = stop + len(end)
        text = output[start + len(begin) : stop]
        if len(block) < 3:
            continue
        key, score, required = block[0], block[1], block[2]
        try:
            verdict_score, verdict_required = float(score), float(required)
        except ValueError:
            continue
        hits: list[Hit] = []
        lines = text.splitlines()[1:]
        for line in lines:
            match = _HIT.match(line)
            if match is not None:
                name = match.group(2)
                if name in (key, "pts"):
                    continue
                hits.append(Hit(name, float(match.group(1)), match.group(3).strip()))
            elif hits and line.startswith(" " * 10) and line.strip():
                last = hits[-1]
                hits[-1] = Hit(last.name, last.score, f"{last.description} {line.strip()}")
        verdicts[key] = Verdict(verdict_score, verdict_required, tuple(hits))
    return verdicts
