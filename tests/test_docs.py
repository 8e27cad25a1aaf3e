"""The docs show what preflight does: every command they show is run, and compared.

Reads README.md, CONTRIBUTING.md, bench/README.md and docs/*.md (fenced blocks only;
prose and inline code are not run).

What is run
  * In ``sh``, ``shell``, ``bash``, ``zsh`` and ``console`` blocks, every command line
    that invokes ``preflight`` or ``python -m preflight`` (``$ `` prompts are removed,
    ``\\`` continuations joined, ``#`` comments dropped). A line that chains commands
    (``pip install . && preflight check x``) runs its preflight part only: ``pip
    install``, ``pytest``, ``apt-get`` and other programs are never run. An optional
    group in brackets (``preflight rules [--format json]``) runs without it and, when it
    holds no placeholder (an upper-case word or ``...``), with it too.
  * ``python`` blocks that import preflight (the library examples) run as scripts.
  * A line that invokes preflight in any other block is an error: mark the block as a
    shell block, or skip it with a reason.

Where it runs
  Never in the repository. The commands of one section (a heading) run in order in a
  fresh temporary folder:
  * when they name files of the repository (``fixtures/campaigns/spring-launch``), as
    from a checkout's root: each named path is copied to the same place (a file with
    its folder, for its text part and sidecar), with the configs and audiences files of
    the folders above it, and nothing else;
  * otherwise they use the example names of the docs (``emails/``, ``report.json``) in
    an example project: a copy of the sample campaign fixtures/campaigns/spring-launch
    (``emails/``, ``clean/``, ``audiences.yaml``, ``preflight.yaml``) with
    ``exports/nurture.json`` (an n8n export from tests/data/imports) and ``ada.yaml``
    (field values for ``render --data``) added;
  * after a ``<!-- docs-test: cwd DIR -->`` comment (for the rest of the file), in a
    copy of the repository's DIR. Every command runs with a ``sitecustomize`` that
  keeps the network on loopback: a name that is not ``localhost`` does not resolve (no
  DNS query leaves the machine) and a connection to an address off 127.0.0.0/8 or ::1 is
  refused, so ``--online`` runs for real and sees every other host as unresolvable.

What is compared
  * No traceback and no "internal error", in any output.
  * The exit code: the one the docs state (an ``[exit N]`` line in a console block, or
    ``<!-- docs-test: output exit=N -->``); else the one the shown summary implies (``No
    problems found`` is 0; ``Found … (N errors`` is 1 when N > 0 and ``--fail-on`` is not
    given); else 0 or 1. Exit 2 passes only where the docs say so.
  * Output: after ``$ cmd`` in a console block, the lines up to the next prompt; a
    console block with no prompt is the output of the command before it; any other block
    is output only when marked ``<!-- docs-test: output -->``. Each paragraph (lines
    between blank lines) of it must appear, whole lines and in order, in stdout followed
    by stderr. ``<!-- docs-test: file PATH -->`` compares a block with a file the
    commands wrote, the same way. Normalised: the sandbox's path, trailing blanks.
  * ``<!-- docs-test: write PATH -->``: the block is a whole file the docs give (a config,
    an audiences file, a workflow). It is written to PATH in the section's folder and
    checked (``preflight check --format json PATH``; a config: ``check .`` with it in
    place): no exit 2, no PF001 or PF003 finding about it (preflight reads it as written).
  * ``<!-- docs-test: skip REASON -->`` leaves the next block out; the reason is required.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import REPO, preflight_command

DOC_FILES = [
    REPO / "README.md",
    REPO / "CONTRIBUTING.md",
    REPO / "bench" / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
]

SHELL_LANGS = {"sh", "shell", "bash", "zsh", "console", "shell-session"}
PYTHON_LANGS = {"python", "py", "python3"}

SAMPLE = "fixtures/campaigns/spring-launch"
EXAMPLE_FILES = {"exports/nurture.json": "tests/data/imports/n8n/wait-then-check.json"}
"""Example names the docs use that the sample campaign does not have: name -> repo file."""
EXAMPLE_TEXTS = {"ada.yaml": "FNAME: Ada\nLNAME: Lovelace\n"}
"""… and the ones written here: name -> content."""

CONFIG_NAMES = ("preflight.yaml", ".preflight.yaml", "audiences.yaml")
CONFIG_FILE_NAMES = ("preflight.yaml", ".preflight.yaml")

INVOKES = re.compile(
    r"^\s*(?:\$ )?(?:\S+=\S+ )*(?:preflight|(?:\S*/)?python3? -m preflight)(?:\s|$)"
)
DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$")
"""A docs-test comment, alone on its line (one quoted in prose is not one)."""
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
HEADING = re.compile(r"^#{1,6} ")
EXIT_LINE = re.compile(r"^\[exit (\d+)\]$")

SITECUSTOMIZE = '''
"""docs-test: the network stays on loopback (see tests/test_docs.py)."""
import ipaddress
import socket

_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _loopback(host):
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]")
    if host.lower() in ("localhost", "localhost.", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def getaddrinfo(host, *args, **kwargs):
    if not _loopback(host):
        raise socket.gaierror(socket.EAI_NONAME, "docs-test: no network beyond loopback")
    return _getaddrinfo(host, *args, **kwargs)


def _check(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
        raise ConnectionRefusedError(111, "docs-test: no network beyond loopback")


def connect(self, address):
    _check(self, address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)


socket.getaddrinfo = getaddrinfo
socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
'''


# -- reading the docs --------------------------------------------------------------------------


@dataclass
class Shown:
    """Something the docs show: output of the command before it, or a file's content."""

    line: int
    paragraphs: list[str]
    file: str | None = None


@dataclass
class Step:
    doc: str
    line: int
    text: str  # the command as the docs write it (or the python code)
    argv: list[str] | None = None  # None: a python block
    program: int = 1  # argv[:program] is preflight itself, argv[program] the subcommand
    stdout_to: str | None = None
    writes: str | None = None  # a file the docs show, written here before the command
    env: dict[str, str] = field(default_factory=dict)
    exit_codes: set[int] | None = None  # None: 0 or 1
    shown: list[Shown] = field(default_factory=list)


@dataclass
class Section:
    doc: str
    title: str
    line: int
    cwd: str | None
    steps: list[Step] = field(default_factory=list)


@dataclass
class Skip:
    doc: str
    line: int
    reason: str


class DocError(Exception):
    """The docs break a convention this test relies on."""


def _relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _blocks(text: str) -> Iterator[tuple[int, str, list[str], list[str], str | None]]:
    """(line, info, lines, directives, heading) for each fenced block; heading: a new section."""
    lines = text.splitlines()
    directives: list[str] = []
    heading: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        match = FENCE.match(line)
        if match is None:
            if HEADING.match(line):
                heading = line.lstrip("#").strip()
                yield (i + 1, "", [], [], heading)  # a section starts
                directives = []
            for directive in DIRECTIVE.findall(line):
                if directive.startswith("cwd "):
                    yield (i + 1, "", [], [directive], None)  # for the rest of the file
                else:
                    directives.append(directive)
            i += 1
            continue
        indent, fence = match.group("indent"), match.group("fence")
        info = match.group("info").strip().split()[0].lower() if match.group("info").strip() else ""
        body: list[str] = []
        start = i + 1
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        yield (start, info or "text", body, directives, None)
        directives = []


def _logical_lines(lines: list[str]) -> Iterator[tuple[int, str]]:
    """Lines with backslash continuations joined: (index of the first, text)."""
    i = 0
    while i < len(lines):
        start, text = i, lines[i]
        while text.endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text[:-1] + " " + lines[i].strip()
        yield start, text
        i += 1


def _placeholder(tokens: list[str]) -> bool:
    return any("..." in t or re.fullmatch(r"[A-Z][A-Z_]*", t.strip("[]")) for t in tokens)


def _variants(tokens: list[str]) -> list[list[str]]:
    """Expand optional `[...]` groups: without each, and with it when it is concrete."""
    variants: list[list[str]] = [[]]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("[") and not token.startswith("[{"):
            j = i
            while not tokens[j].endswith("]") and j + 1 < len(tokens):
                j += 1
            group = [t for t in (tok.strip("[]") for tok in tokens[i : j + 1]) if t]
            if _placeholder(tokens[i : j + 1]) or "|" in group:
                pass  # only without it
            else:
                variants = variants + [v + group for v in variants]
            i = j + 1
            continue
        variants = [[*v, token] for v in variants]
        i += 1
    return variants


def _commands(doc: str, line: int, text: str) -> list[Step]:
    """The preflight invocations of one shell line; other programs are left out."""
    text = text.strip()
    if text.startswith("$ "):
        text = text[2:]
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError as error:
        raise DocError(f"{doc}:{line}: cannot read the command {text!r}: {error}") from None
    segments: list[tuple[str, list[str]]] = [("", [])]
    for token in tokens:
        if token in (";", "&&", "||", "|", "&"):
            segments.append((token, []))
        else:
            segments[-1][1].append(token)
    steps: list[Step] = []
    for separator, segment in segments:
        if separator == "|":
            continue  # a command that reads another's output
        env: dict[str, str] = {}
        while segment and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", segment[0]):
            name, _, value = segment.pop(0).partition("=")
            env[name] = value
        stdout_to = None
        if ">" in segment:
            at = segment.index(">")
            stdout_to = segment[at + 1] if at + 1 < len(segment) else None
            segment = segment[:at]
        if not segment:
            continue
        if segment[0] == "preflight":
            base, rest = preflight_command(), segment[1:]
        elif (
            len(segment) >= 3
            and re.fullmatch(r"(?:\S*/)?python3?", segment[0])
            and segment[1:3] == ["-m", "preflight"]
        ):
            base, rest = [sys.executable, "-m", "preflight"], segment[3:]
        else:
            continue  # pip install, pytest, apt-get, cd …: not run
        for variant in _variants(rest):
            steps.append(
                Step(
                    doc,
                    line,
                    shlex.join(segment),
                    [*base, *variant],
                    len(base),
                    stdout_to=stdout_to,
                    env=env,
                )
            )
    return steps


def _paragraphs(lines: list[str]) -> list[str]:
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]


def _implied_exit(step: Step, shown: list[str]) -> set[int] | None:
    joined = "\n".join(shown)
    if step.argv is None or any(a.startswith("--fail-on") for a in step.argv):
        return None
    if re.search(r"^No problems found", joined, re.M):
        return {0}
    found = re.search(r"^Found \d+ problems? \((\d+) errors?", joined, re.M)
    if found:
        return {1} if int(found.group(1)) else {0}
    return None


def read_doc(path: Path) -> tuple[list[Section], list[Skip]]:
    doc = _relative(path)
    sections = [Section(doc, "(top)", 1, None)]
    skips: list[Skip] = []
    cwd: str | None = None
    last: Step | None = None
    for line, info, body, directives, heading in _blocks(path.read_text(encoding="utf-8")):
        if info == "" and directives and directives[0].startswith("cwd "):
            cwd = directives[0][4:].strip()
            if not sections[-1].steps:
                sections[-1].cwd = cwd
            continue
        if heading is not None:
            sections.append(Section(doc, heading, line, cwd))
            last = None
            continue
        section = sections[-1]
        kinds = [d.split(None, 1)[0] for d in directives if d]
        if "skip" in kinds:
            reason = next(d for d in directives if d.startswith("skip"))[4:].strip()
            if not reason:
                raise DocError(f"{doc}:{line}: a docs-test skip needs a reason")
            skips.append(Skip(doc, line, reason))
            continue
        unknown = set(kinds) - {"output", "file", "write"}
        if unknown:
            raise DocError(f"{doc}:{line}: unknown docs-test directive {sorted(unknown)}")
        shown_file = next((d[5:].strip() for d in directives if d.startswith("file ")), None)
        marked_output = next((d for d in directives if d.startswith("output")), None)
        has_prompt = any(b.startswith("$ ") for b in body)
        written = next((d[6:].strip() for d in directives if d.startswith("write ")), None)

        if written is not None:
            # a file the docs show whole: a user writes it, preflight must accept it
            target = ["."] if Path(written).name in CONFIG_FILE_NAMES else [written]
            step = Step(doc, line, f"(the block written to {written})", writes=written)
            step.argv = [*preflight_command(), "check", "--format", "json", *target]
            step.program = len(preflight_command())
            step.text = "\n".join(body) + "\n"
            section.steps.append(step)
            last = step
            continue
        if info in SHELL_LANGS and has_prompt:
            # a terminal session: `$ cmd`, then its output up to the next prompt
            current: list[Step] = []
            output: list[str] = []

            def close(steps: list[Step], out: list[str], at: int) -> None:
                if not steps:
                    return
                code = None
                rest = []
                for o in out:
                    m = EXIT_LINE.match(o.strip())
                    if m:
                        code = {int(m.group(1))}
                    else:
                        rest.append(o)
                paragraphs = _paragraphs(rest)
                for step in steps:
                    if paragraphs:
                        step.shown.append(Shown(at, paragraphs))
                    step.exit_codes = code or _implied_exit(step, paragraphs)

            for index, text in _logical_lines(body):
                if text.startswith("$ "):
                    close(current, output, line + index)
                    current = _commands(doc, line + index + 1, text)
                    if not current and INVOKES.match(text):
                        raise DocError(f"{doc}:{line + index + 1}: not understood: {text}")
                    section.steps.extend(current)
                    output = []
                else:
                    output.append(text)
            close(current, output, line)
            if current:
                last = current[-1]
        elif info in SHELL_LANGS and not (info == "console" or marked_output or shown_file):
            for index, text in _logical_lines(body):
                steps = _commands(doc, line + index + 1, text)
                if not steps and INVOKES.match(text.split("&&")[-1].strip()):
                    raise DocError(f"{doc}:{line + index + 1}: not understood: {text}")
                section.steps.extend(steps)
                if steps:
                    last = steps[-1]
        elif info in SHELL_LANGS or marked_output or shown_file:
            # output of the command above, or the content of a file it wrote
            if last is None:
                raise DocError(f"{doc}:{line}: an output block with no command before it")
            shown = Shown(line, _paragraphs(body), shown_file)
            last.shown.append(shown)
            exit_code = re.search(r"exit=(\d+)", marked_output or "")
            if exit_code:
                last.exit_codes = {int(exit_code.group(1))}
            elif shown_file is None and last.exit_codes is None:
                last.exit_codes = _implied_exit(last, shown.paragraphs)
        elif info in PYTHON_LANGS and re.search(
            r"^\s*(import|from) preflight\b", "\n".join(body), re.M
        ):
            step = Step(doc, line, "\n".join(body))
            section.steps.append(step)
            last = step
        else:
            for index, text in enumerate(body):
                if INVOKES.match(text):
                    raise DocError(
                        f"{doc}:{line + index + 1}: a preflight command in a `{info}` block: "
                        "make it a shell block, or mark it <!-- docs-test: skip REASON -->"
                    )
    return [s for s in sections if s.steps], skips


def _all() -> tuple[list[Section], list[Skip]]:
    sections: list[Section] = []
    skips: list[Skip] = []
    for path in DOC_FILES:
        if path.is_file():
            found, skipped = read_doc(path)
            sections.extend(found)
            skips.extend(skipped)
    return sections, skips


SECTIONS, SKIPS = _all()


# -- running them ------------------------------------------------------------------------------


def _copy(source: Path, target: Path) -> None:
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".preflight_cache"))
    else:
        shutil.copy2(source, target)


def _repository_paths(step: Step) -> list[Path]:
    """The repository's files and folders a command names (relative to the checkout)."""
    if step.argv is None:
        return []
    found = []
    for arg in step.argv[step.program + 1 :]:  # after the subcommand
        value = arg.split("=", 1)[-1]
        if not value or value.startswith(("-", "/", "..")) or "\n" in value:
            continue
        if "/" not in value and "." not in value:
            continue  # a word (a rule id, a kind), not a path
        relative = Path(value)
        source = REPO / relative
        if relative != Path(".") and source.exists() and source.resolve().is_relative_to(REPO):
            found.append(relative)
    return found


def _sandbox(root: Path, section: Section) -> Path:
    work = root / "work"
    if section.cwd is not None:
        _copy(REPO / section.cwd, work)
    elif any(_repository_paths(step) for step in section.steps):
        work.mkdir()
    else:
        _copy(REPO / SAMPLE, work)
        for name, source in EXAMPLE_FILES.items():
            _copy(REPO / source, work / name)
        for name, content in EXAMPLE_TEXTS.items():
            (work / name).write_text(content, encoding="utf-8")
    return work


def _bring(work: Path, step: Step) -> None:
    """Copy the repository paths a command names into the sandbox, with the configs above."""
    for relative in _repository_paths(step):
        if (work / relative).exists():
            continue
        if (REPO / relative).is_file():  # with its parts: text part, sidecar, members files
            relative = relative.parent
            if (work / relative).exists() or relative == Path("."):
                continue
        _copy(REPO / relative, work / relative)
        for parent in relative.parents:
            if parent == Path("."):
                break
            for name in CONFIG_NAMES:
                if (REPO / parent / name).is_file():
                    _copy(REPO / parent / name, work / parent / name)
            for extra in (REPO / parent).glob("*.audiences.yaml"):
                _copy(extra, work / parent / extra.name)


@pytest.fixture(scope="module")
def jail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs-test-network")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return folder


def _environment(jail: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(jail), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def _normalise(text: str, work: Path) -> str:
    for form in {str(work.resolve()), str(work)}:
        text = text.replace(form + os.sep, "").replace(form, ".")
    return "\n".join(line.rstrip() for line in text.splitlines())


def _missing(paragraphs: list[str], actual: str) -> str | None:
    """The first paragraph not found (whole lines, in order after the one before)."""
    haystack = "\n" + actual + "\n"
    at = 0
    for paragraph in paragraphs:
        found = haystack.find("\n" + paragraph + "\n", at)
        if found < 0:
            return paragraph
        at = found + len(paragraph) + 1
    return None


def _run(step: Step, work: Path, jail: Path) -> tuple[int, str, str]:
    env = _environment(jail, step.env)
    if step.argv is None:
        argv = [sys.executable, "-c", step.text]
    else:
        if step.writes is not None:
            (work / step.writes).parent.mkdir(parents=True, exist_ok=True)
            (work / step.writes).write_text(step.text, encoding="utf-8")
        else:
            _bring(work, step)
        argv = step.argv
    result = subprocess.run(
        argv, cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if step.stdout_to:
        (work / step.stdout_to).write_text(result.stdout, encoding="utf-8")
    return result.returncode, result.stdout, result.stderr


def _check_step(step: Step, work: Path, jail: Path) -> list[str]:
    where = f"{step.doc}:{step.line}: {step.text.splitlines()[0]}"
    if step.writes is not None:
        where = f"{step.doc}:{step.line}: the block written to {step.writes}"
    code, stdout, stderr = _run(step, work, jail)
    problems = []
    if step.writes is not None and code in (0, 1):
        unread = [
            f"{f['rule']} {f['message']} ({f['line']}:{f['column']})"
            for f in json.loads(stdout)["findings"]
            if f["rule"] in ("PF001", "PF003") and f["path"] == step.writes
        ]
        if unread:
            problems.append(
                f"{where}\n  preflight does not read it as written:\n    " + "\n    ".join(unread)
            )
    both = _normalise(stdout.rstrip("\n") + "\n" + stderr, work)
    if "Traceback (most recent call last)" in both or "internal error" in both.lower():
        problems.append(f"{where}\n  crashed (exit {code}):\n{textwrap.indent(both, '    ')}")
        return problems
    expected = step.exit_codes or {0, 1}
    if code not in expected:
        problems.append(
            f"{where}\n  exit {code}, the docs say {sorted(expected)}:\n"
            + textwrap.indent(both[-3000:], "    ")
        )
    for shown in step.shown:
        if shown.file is not None:
            target = work / shown.file
            if not target.is_file():
                problems.append(f"{where}\n  {shown.file} (shown at line {shown.line}) not written")
                continue
            actual = _normalise(target.read_text(encoding="utf-8"), work)
            what = f"{shown.file} as shown at line {shown.line}"
        else:
            actual, what = both, f"the output shown at line {shown.line}"
        missing = _missing(shown.paragraphs, actual)
        if missing is not None:
            problems.append(
                f"{where}\n  {what} differs; this paragraph is not in it (in order):\n"
                + textwrap.indent(missing, "    ")
                + "\n  actual:\n"
                + textwrap.indent(actual, "    ")
            )
    return problems


@pytest.mark.parametrize(
    "section", SECTIONS, ids=[f"{s.doc}:{s.line}:{s.title[:40]}" for s in SECTIONS]
)
def test_the_commands_the_docs_show(section: Section, tmp_path: Path, jail: Path) -> None:
    work = _sandbox(tmp_path, section)
    problems: list[str] = []
    for step in section.steps:
        problems.extend(_check_step(step, work, jail))
    assert not problems, "\n\n".join(problems)


# -- the test itself ---------------------------------------------------------------------------


def test_the_docs_show_commands_and_every_skip_has_a_reason() -> None:
    counts: dict[str, int] = {}
    for section in SECTIONS:
        counts[section.doc] = counts.get(section.doc, 0) + len(section.steps)
    assert counts.get("README.md", 0) >= 10, counts
    assert counts.get("docs/importing.md", 0) >= 6, counts
    assert all(skip.reason for skip in SKIPS)
    assert len(SKIPS) <= 3, [f"{s.doc}:{s.line}: {s.reason}" for s in SKIPS]


def _parse(tmp_path: Path, markdown: str) -> tuple[list[Section], list[Skip]]:
    path = tmp_path / "doc.md"
    path.write_text(textwrap.dedent(markdown), encoding="utf-8")
    return read_doc(path)


def test_the_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    sections, skips = _parse(
        tmp_path,
        """\
        # A
        ```sh
        pip install . && preflight check x \\
          --select CONTENT   # a comment
        pytest
        preflight rules [--format json]
        preflight check [PATHS...]
        python -m preflight --version
        ```

        <!-- docs-test: output exit=1 -->
        ```text
        one

        two
        ```

        ## B
        Prose that quotes `<!-- docs-test: skip quoted -->` marks nothing.
        ```console
        $ preflight import a.json
        name: x
        [exit 2]
        $ preflight check y
        Found 2 problems (1 error, 1 warning, 0 infos) in 1 file.
        ```
        <!-- docs-test: skip illustrative -->
        ```sh
        preflight check nothing-here
        ```
        """,
    )
    a, b = sections
    assert [s.argv[-4:] if s.argv else None for s in a.steps][:1] == [
        ["check", "x", "--select", "CONTENT"]
    ]
    tails = [s.argv[len(preflight_command()) :] for s in a.steps[1:4] if s.argv]
    assert tails == [["rules"], ["rules", "--format", "json"], ["check"]]
    assert a.steps[4].argv == [sys.executable, "-m", "preflight", "--version"]
    assert a.steps[4].exit_codes == {1}
    assert a.steps[4].shown[0].paragraphs == ["one", "two"]
    assert [s.exit_codes for s in b.steps] == [{2}, {1}]
    assert b.steps[0].shown[0].paragraphs == ["name: x"]
    assert [s.reason for s in skips] == ["illustrative"]
    with pytest.raises(DocError, match="needs a reason"):
        _parse(tmp_path, "<!-- docs-test: skip -->\n```sh\npreflight check\n```\n")
    with pytest.raises(DocError, match="make it a shell block"):
        _parse(tmp_path, "```text\npreflight check emails/\n```\n")


def test_the_network_stays_on_loopback(jail: Path) -> None:
    code = (
        "import socket\n"
        "try:\n"
        "    socket.getaddrinfo('example.com', 443)\n"
        "except socket.gaierror:\n"
        "    print('refused')\n"
        "s = socket.socket()\n"
        "try:\n"
        "    s.connect(('192.0.2.1', 80))\n"
        "except ConnectionRefusedError:\n"
        "    print('refused')\n"
        "print(len(socket.getaddrinfo('localhost', 80)) > 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=_environment(jail, {}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == ["refused", "refused", "True"], result.stderr


# -- what the docs describe without a command to run -------------------------------------------


def test_json_output_doc_names_every_field_and_file_kind(tmp_path: Path, run_cli) -> None:
    """docs/json-output.md: its example has the real keys; its table every `files[].kind`."""
    doc = (REPO / "docs" / "json-output.md").read_text(encoding="utf-8")
    example = json.loads(re.sub(r"//[^\n]*", "", doc.split("```jsonc\n", 1)[1].split("```", 1)[0]))
    project = tmp_path / "project"
    _copy(REPO / SAMPLE, project)
    _copy(REPO / "tests" / "data" / "compose", project / "compose")
    (project / "binary.html").write_bytes(b"\x00\x01\x02")
    (project / "notes.xyz").write_text("not an email\n", encoding="utf-8")
    result = run_cli("check", ".", "binary.html", "notes.xyz", "--format", "json", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    real = json.loads(result.stdout)
    assert set(example) == set(real)
    optional = {"candidates"}  # only when detection was ambiguous
    assert {k for f in example["files"] for k in f} == {
        k for f in real["files"] for k in f
    } - optional
    assert {k for f in example["findings"] for k in f} == {k for f in real["findings"] for k in f}
    assert set(example["summary"]) == set(real["summary"])
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("| `")}
    for key in {k for f in real["files"] for k in f} - {"path"}:
        assert f"`files[].{key}`" in rows, f"docs/json-output.md does not describe files[].{key}"
    kinds = {f["kind"] for f in real["files"]}
    assert kinds >= {"template", "workflow", "audiences", "layout", "partial", "source"}
    assert kinds >= {"unreadable", "unknown"}
    undocumented = {k for k in kinds if f"`{k}`" not in rows["`files[].kind`"]}
    assert not undocumented, f"files[].kind values missing from docs/json-output.md: {undocumented}"


def test_user_docs_cite_nothing_users_do_not_have() -> None:
    """The design notes and the research folder are not shipped: users cannot follow them."""
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for cited in ("DESIGN.md", "STYLE.md", "shared/research"):
            assert cited not in text, f"{_relative(path)} cites {cited}"


OTHER_PROGRAMS_OPTIONS = {
    "--check": "ruff format --check (README: Run the tests)",
    "--all-files": "pre-commit try-repo … --all-files (README: pre-commit)",
    "--json-only": "Mautic's console export (docs/importing.md)",
    "--count": "bench/bench_spam.py (docs/inbox-and-spam.md)",
    "--whole-corpus": "bench/bench_spam.py (docs/inbox-and-spam.md)",
}
"""Options the user docs name that belong to other programs."""


def test_every_option_is_documented_and_every_documented_option_exists(run_cli) -> None:
    """Each subcommand's options (from --help) are named in README.md or docs/*.md, and
    every option these name exists."""
    overview = run_cli("--help")
    assert overview.returncode == 0, overview.stderr
    commands = re.findall(r"^  ([a-z]+)  ", overview.stdout.split("Commands:", 1)[1], re.M)
    assert {"check", "render", "correct", "import", "rules", "explain"} <= set(commands)
    options = {"--version"}
    undocumented = []
    docs = "\n".join(
        p.read_text(encoding="utf-8") for p in [REPO / "README.md", *(REPO / "docs").glob("*.md")]
    )
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", docs))
    for command in commands:
        result = run_cli(command, "--help")
        assert result.returncode == 0, result.stderr
        found = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", result.stdout)) - {"--help"}
        options |= found
        undocumented += [f"{command} {o}" for o in sorted(found - named)]
    assert not undocumented, f"options no user doc names: {undocumented}"
    unknown = named - options - set(OTHER_PROGRAMS_OPTIONS)
    assert not unknown, f"the docs name options preflight does not have: {sorted(unknown)}"


def test_what_a_drifted_doc_looks_like(
    tmp_path: Path, jail: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks above fail on drift: a wrong exit, a paragraph not printed, a config
    preflight refuses, a workflow it does not read as written."""
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    sections, _ = _parse(
        tmp_path,
        """\
        # A
        ```console
        $ preflight explain CONTENT006
        No such rule.
        [exit 1]
        ```
        # B
        <!-- docs-test: write preflight.yaml -->
        ```yaml
        selcet: [CONTENT]
        ```
        # C
        <!-- docs-test: write emails/x.workflow.yaml -->
        ```yaml
        name: x
        steps:
          - id: a
            wiat: 3 days
        ```
        """,
    )
    monkeypatch.undo()
    found = []
    for section in sections:
        work = _sandbox(tmp_path / section.title, section)
        found.append([p for step in section.steps for p in _check_step(step, work, jail)])
    explain, config, workflow = found
    assert len(explain) == 2 and "exit 0, the docs say [1]" in explain[0]
    assert "No such rule." in explain[1]
    assert len(config) == 1 and 'unknown key "selcet"' in config[0]
    assert len(workflow) == 1 and 'PF003 steps/0: unknown key "wiat"' in workflow[0]


def test_every_config_key_is_documented() -> None:
    """Each key preflight.yaml accepts is named in README.md or docs/*.md."""
    from preflight import config

    docs = "\n".join(
        p.read_text(encoding="utf-8") for p in [REPO / "README.md", *(REPO / "docs").glob("*.md")]
    )
    groups = {
        "": config.TOP_KEYS,
        "links": config.LINK_KEYS,
        "overrides": config.OVERRIDE_KEYS,
        "corrections": config.CORRECTION_KEYS,
        "defaults": config.DEFAULT_KEYS,
    }
    missing = []
    for group, keys in groups.items():
        for key in keys:
            forms = [rf"(?<![\w.-]){re.escape(key)}:", rf"`{re.escape(key)}`"]
            if group:
                forms.append(rf"{group}\.{re.escape(key)}\b")
            if not any(re.search(form, docs) for form in forms):
                missing.append(f"{group}.{key}".lstrip("."))
    assert not missing, f"config keys no user doc names: {missing}"
