"""MJML, compiled in process by MRML (the Rust port of MJML, through its Python binding
`mrml`): fast (about 1 ms a template), faithful to mjml's output, and installable as a
wheel with no Node.js. Imported only when a run has .mjml inputs.

``<mj-include>`` is resolved from the including file's folder; the compiled email's
findings point back at the .mjml line (or an include's) where their value occurs once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preflight.compose import Composed
from preflight.formats.decode import UnreadableInput, decode, read_bytes
from preflight.fsutil import is_file
from preflight.model import Location, Violation
from preflight.model.source import SourceText, ValueMap

_INCLUDE = re.compile(r"<mj-include\b([^>]*?)/?>", re.IGNORECASE)
_MAX_INCLUDES = 200
_MAX_DEPTH = 256
"""Elements open at once, the files included counted as stacked: real emails stay under 40,
and MRML overflows its stack (a segmentation fault, not an exception) near 2,000."""
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr mj-include".split()
)
# mjml's "ending tags": their content is HTML that mjml copies as it is, unparsed
_ENDING = (
    "mj-text mj-button mj-table mj-raw mj-navbar-link mj-accordion-title mj-accordion-text"
    " mj-social-element"
).split()
_ENDING_CLOSE = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _ENDING}
_MARKUP = re.compile(
    r"<!--|<!\[CDATA\[|<[?!]"
    r"|<(/?)([^\s<>/=\"'!?][^\s<>/=\"']*)(?:[^<>\"']|\"[^\"]*\"|'[^']*')*?(/?)>"
)
_TEXT_UNTIL = {"<!--": "-->", "<![CDATA[": "]]>", "<?": "?>", "<!": ">"}


def _depth(text: str) -> int:
    """The most elements open at once in ``text`` as MRML reads it, or more (one pass).
    MRML parses an ending tag's content too, and nests its unclosed elements: they count,
    and its closing tags close only what the content opened. A closing tag closes the last
    element open if it has its name (MRML refuses the document otherwise); a comment, CDATA
    or a declaration is text."""
    stack: list[str] = []
    floor = deepest = position = 0
    content_end: re.Match[str] | None = None  # where the ending tag being read closes
    unclosed: set[str] = set()
    while True:
        limit = len(text) if content_end is None else content_end.start()
        match = _MARKUP.search(text, position, limit) if position < limit else None
        if match is None:
            if content_end is None:
                return deepest
            del stack[floor - 1 :]  # the ending tag, and what its content left open
            position, floor, content_end = content_end.end(), 0, None
            continue
        position = match.end()
        closing, name, self_closed = match.groups()
        if name is None:  # text up to its end
            until = _TEXT_UNTIL[match.group(0)]
            end = text.find(until, position)
            if end == -1:
                return deepest
            position = end + len(until)
            if content_end is not None and position > content_end.start():
                # the ending tag's closing tag was in the comment: its content goes on
                content_end = _ENDING_CLOSE[stack[floor - 1]].search(text, position)
                if content_end is None:  # never closed: MRML refuses it, after its content
                    unclosed.add(stack[floor - 1])
                    floor = 0
            continue
        name = name.lower()
        if closing:
            if len(stack) > floor and stack[-1] == name:
                stack.pop()
            continue
        if self_closed or name in _VOID:
            continue
        stack.append(name)
        deepest = max(deepest, len(stack))
        if content_end is None and name in _ENDING_CLOSE and name not in unclosed:
            content_end = _ENDING_CLOSE[name].search(text, position)
            if content_end is None:
                unclosed.add(name)  # none after this one either: one search a name
            else:
                floor = len(stack)


def _nesting(
    text: str, key: object, load: Callable[[str], tuple[object, str] | None]
) -> str | None:
    """Why MRML must not be handed ``text`` (named ``key``), or None: its includes, followed
    as ``load`` finds them (written path -> (key, text), None if there is none), form a
    cycle, are more than ``_MAX_INCLUDES`` files, or stack more than ``_MAX_DEPTH`` elements
    (each file's deepest point counted where it is included: an upper bound). MRML follows
    includes and nests elements on its stack; too deep, the process dies (SIGSEGV)."""
    done: dict[object, int] = {}
    on_path = {key}
    frames: list[list[Any]] = [[key, _depth(text), 0, _include_paths(text)]]
    while frames:
        frame = frames[-1]
        for written in frame[3]:
            found = load(written)
            if found is None:
                continue
            child, child_text = found
            if child in on_path:
                return "include-cycle"
            if child in done:
                frame[2] = max(frame[2], done[child])
                continue
            if len(done) + len(on_path) > _MAX_INCLUDES:
                return "too-many-includes"
            on_path.add(child)
            frames.append([child, _depth(child_text), 0, _include_paths(child_text)])
            break
        else:
            frames.pop()
            on_path.discard(frame[0])
            done[frame[0]] = frame[1] + frame[2]
            if frames:
                frames[-1][2] = max(frames[-1][2], done[frame[0]])
    return "too-deep" if done[key] > _MAX_DEPTH else None


def _include_paths(text: str) -> Iterator[str]:
    for match in _INCLUDE.finditer(text):
        written = _attribute(match.group(1), "path")
        if written:
            yield written


class _Unreadable(Exception):
    pass


def _from_folder(
    folder: Path, max_bytes: int, read: Mapping[Path, str]
) -> Callable[[str], tuple[object, str] | None]:
    """Includes as MRML's local loader finds them: each path read from ``folder`` (the root
    document's), whoever includes it (``read``: the files _walk read already); a file
    preflight cannot read is a reason to stop."""

    def load(written: str) -> tuple[object, str] | None:
        target = (folder / written.removeprefix("file://")).resolve()
        if target in read:
            return target, read[target]
        if not target.exists():
            return None
        try:
            return target, decode(read_bytes(target, max_bytes))[0]
        except UnreadableInput:
            raise _Unreadable from None

    return load


@dataclass(frozen=True)
class _Included:
    written: str
    """The path as the including file writes it."""
    path: Path
    text: str
    css: bool
    """A stylesheet (``type="css"``), not MJML."""
    inline: bool = False
    """``css-inline="inline"``."""


def _attribute(attributes: str, name: str) -> str | None:
    match = re.search(
        rf"""(?<![\w-]){name}\s*=\s*(?:"([^"]*)"|'([^']*)')""", attributes, re.IGNORECASE
    )
    return match.group(match.lastindex or 1) if match is not None else None


def _walk(path: Path, text: str, max_bytes: int) -> dict[Path, _Included]:
    """Every file an MJML document includes, recursively (relative to the including file),
    each read once."""
    found: dict[Path, _Included] = {}
    pending = [(path, text)]
    while pending and len(found) < _MAX_INCLUDES:
        current, body = pending.pop()
        for match in _INCLUDE.finditer(body):
            written = _attribute(match.group(1), "path")
            if not written:
                continue
            target = (current.parent / written).resolve()
            if target.suffix == "" and is_file(target.with_suffix(".mjml")):
                target = target.with_suffix(".mjml")
            if target in found or not is_file(target):
                continue
            try:
                included = decode(read_bytes(target, max_bytes))[0]
            except UnreadableInput:
                continue
            css = (_attribute(match.group(1), "type") or "").lower() == "css"
            inline = (_attribute(match.group(1), "css-inline") or "").lower() == "inline"
            found[target] = _Included(written, target, included, css, inline)
            if not css:
                pending.append((target, included))
    return found


def includes(path: Path, text: str, max_bytes: int) -> dict[Path, SourceText]:
    """Every file an MJML document includes, recursively, as sources."""
    return {target: SourceText(i.text) for target, i in _walk(path, text, max_bytes).items()}


def compile_mjml(path: Path, text: str, max_bytes: int) -> Composed:
    """The email an .mjml document compiles to, with a map back to the .mjml (and its
    includes) by value."""
    import mrml

    walked = _walk(path, text, max_bytes)
    files = {path: SourceText(text), **{t: SourceText(i.text) for t, i in walked.items()}}
    composed = Composed(built_from=path, files=files)
    composed.parts = [(included, "partial") for included in files if included != path]
    folder = path.parent.resolve()
    try:
        read = {target: included.text for target, included in walked.items()}
        unsafe = _nesting(text, path.resolve(), _from_folder(folder, max_bytes, read))
    except _Unreadable:
        unsafe = "too-many-includes"
    if unsafe is not None and unsafe != "too-deep":
        composed.problems.append(("PF001", _UNSAFE[unsafe](path)))
        return composed
    error: Exception | None = None
    if unsafe is None:  # MRML recurses on the stack: a deep enough tree kills the process
        try:
            loader = mrml.local_loader(str(folder))
            output = mrml.to_html(text, parser_options=mrml.ParserOptions(include_loader=loader))
        except Exception as refused:  # MRML raises its own exception types for bad MJML
            error = refused
        else:
            composed.html = output.content
            composed.html_map = ValueMap(files)
            return composed
    # too deep as written (unclosed tags in an ending tag's content count), or refused
    retried, unsafe = _lenient_compile(mrml, path, text, walked)
    if retried is not None:
        composed.html = retried
        composed.html_map = ValueMap(files)
        return composed
    if error is None or unsafe is not None:
        composed.problems.append(("PF001", _UNSAFE[unsafe or "too-deep"](path)))
        return composed
    composed.problems.append(
        (
            "PF001",
            Violation(
                "MJML that does not compile: {error}",
                Location(path),
                {"error": str(error).strip()[:300], "reason": "uncompilable"},
                help="fix it so that `mjml` compiles it; preflight checks the compiled email",
            ),
        )
    )
    return composed


_UNSAFE = {
    "too-deep": lambda path: Violation(
        "MJML that nests deeper than {limit} elements (with its includes), which"
        " preflight does not compile",
        Location(path),
        {"limit": _MAX_DEPTH, "reason": "too-deep"},
        help="no real email nests that deep: look for tags that are opened and never closed",
    ),
    "include-cycle": lambda path: Violation(
        "MJML whose <mj-include>s include each other in a cycle, which preflight does not compile",
        Location(path),
        {"reason": "include-cycle"},
        help="an include path is read from the folder of the file checked (MRML), or of the"
        " including file (mjml): make each include a file that does not include it back",
    ),
    "too-many-includes": lambda path: Violation(
        "MJML that includes more than {limit} files, or one preflight cannot read, which"
        " preflight does not compile",
        Location(path),
        {"limit": _MAX_INCLUDES, "reason": "too-many-includes"},
        help="include fewer files, each a regular file of at most the size limit",
    ),
}


def paired_output(output: Path, html: str, source: Path, max_bytes: int) -> Composed:
    """A compiled output checked as the email, mapped back to its source by value."""
    try:
        text = decode(read_bytes(source, max_bytes))[0]
    except UnreadableInput:
        return Composed(built_from=source)
    files = {source: SourceText(text)}
    if source.suffix.lower() == ".mjml":
        files.update(includes(source, text, max_bytes))
    composed = Composed(built_from=source, files=files, html=html)
    composed.html_map = ValueMap(files, keeps_unmapped=True)
    return composed


def _css_inlined(text: str, folder: Path, walked: dict[Path, _Included]) -> str:
    """``text`` with each ``<mj-include type="css">`` replaced by an ``<mj-style>`` holding
    the stylesheet (``css-inline="inline"``: an inlined one), as mjml does."""

    def replaced(match: re.Match[str]) -> str:
        written = _attribute(match.group(1), "path")
        included = walked.get((folder / written).resolve()) if written else None
        if included is None or not included.css:
            return match.group(0)
        opening = '<mj-style inline="inline">' if included.inline else "<mj-style>"
        return f"{opening}{included.text}</mj-style>"

    return _INCLUDE.sub(replaced, text)


_MJ_TAG = re.compile(r"<mj-[\w-]+\b[^<>]*>", re.IGNORECASE)
_UNQUOTED = re.compile(r"""(\s[\w:-]+)=([^\s"'<>=`/]+)(?=[\s/>])""")
_ENDING_OPEN = re.compile(
    rf"<({'|'.join(_ENDING)})\b(?:[^<>\"']|\"[^\"]*\"|'[^']*')*(?<!/)>", re.IGNORECASE
)
# components that never have content, which mjml takes left open (<mj-image src="…">)
_EMPTY = "mj-image|mj-divider|mj-spacer|mj-carousel-image|mj-font|mj-breakpoint|mj-all"
_EMPTY_OPEN = re.compile(
    rf"<({_EMPTY})\b((?:[^<>\"'/]|/(?!>)|\"[^\"]*\"|'[^']*')*)/?>", re.IGNORECASE
)
_EMPTY_CLOSE = re.compile(rf"</(?:{_EMPTY})\s*>", re.IGNORECASE)


def _spans(
    text: str, opening: re.Pattern[str], closing: str
) -> Iterator[tuple[int, int, int, int]]:
    """(start, content start, content end, end) of each ``opening`` … ``closing`` pair (the
    closing tag named by the opening's first group, if it has one), in one pass: an opening
    with no closing after it ends the search for its name, so hostile text costs linear time."""
    position, exhausted = 0, set()
    while (match := opening.search(text, position)) is not None:
        name = (match.group(1) if opening.groups else "").lower()
        if name in exhausted:
            position = match.end()
            continue
        close = re.compile(closing.format(name=re.escape(name)), re.IGNORECASE)
        found = close.search(text, match.end())
        if found is None:
            exhausted.add(name)
            position = match.end()
            continue
        yield match.start(), match.end(), found.start(), found.end()
        position = found.end()


def _rewrite(text: str, spans: Iterable[tuple[int, int, int, int]], how: Any) -> str:
    pieces, last = [], 0
    for start, inner, inner_end, end in spans:
        pieces += [
            text[last:start],
            how(text[start:inner], text[inner:inner_end], text[inner_end:end]),
        ]
        last = end
    return "".join(pieces) + text[last:]


_COMMENT_OPEN = re.compile("<!--")
_ATTRIBUTES_OPEN = re.compile(r"<mj-attributes\b[^<>]*>", re.IGNORECASE)


def _quoted(text: str) -> str:
    """``text`` with the unquoted attribute values of its MJML tags quoted
    (``font-weight=400``): mjml's HTML parser takes them, MRML's refuses them."""
    return _MJ_TAG.sub(lambda tag: _UNQUOTED.sub(r'\1="\2"', tag.group(0)), text)


def _spaced_dashes(comment: str) -> str:
    """A comment's text with no "--" in it, nor a "-" before its closing "-->" (XML forbids
    both; a "------" separator or "--->" is common in email templates)."""
    spaced = re.sub(r"-(?=-)", "- ", comment)
    return spaced + " " if spaced.endswith("-") else spaced


def _drop(opening: str, content: str, closing: str) -> str:
    return ""


class _Lenient:
    """MJML as mjml's forgiving parser reads it, written so that MRML's strict one takes it:
    the content of ending tags (``<mj-text>``…) set aside as tokens and put back in the
    output as it was (mjml copies it unparsed: ``</br>`` or an unclosed ``<p>`` in it is the
    email's HTML, not an MJML error), empty components left open closed, unquoted
    attribute values quoted, ``--`` inside a comment (which XML forbids) spaced, and the
    comments among ``<mj-attributes>`` dropped."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self.raw: dict[str, str] = {}
        # a prefix no text holds, so that restoring puts content back only where it was
        runs = (len(run) for text in texts for run in re.findall(r"pfraw(x*)", text))
        self.prefix = "pfraw" + "x" * (max(runs, default=-1) + 1)

    def __call__(self, text: str) -> str:
        text = _rewrite(text, _spans(text, _ENDING_OPEN, r"</{name}\s*>"), self._set_aside)
        text = _EMPTY_CLOSE.sub("", _EMPTY_OPEN.sub(r"<\1\2/>", text))
        text = _rewrite(
            text,
            _spans(text, _COMMENT_OPEN, "-->"),
            lambda a, inner, b: a + _spaced_dashes(inner) + b,
        )
        # a comment among <mj-attributes> (MRML takes none there; it sets no attribute)
        text = _rewrite(
            text,
            _spans(text, _ATTRIBUTES_OPEN, r"</mj-attributes\s*>"),
            lambda a, inner, b: a + _rewrite(inner, _spans(inner, _COMMENT_OPEN, "-->"), _drop) + b,
        )
        return _quoted(text)

    def _set_aside(self, opening: str, content: str, closing: str) -> str:
        token = f"{self.prefix}{len(self.raw)}q"  # letters and digits: MRML writes it as is
        self.raw[token] = content
        return opening + token + closing

    def restore(self, html: str) -> str:
        if not self.raw:
            return html
        tokens = re.compile("|".join(re.escape(token) for token in self.raw))
        return tokens.sub(lambda m: self.raw[m.group(0)], html)


def _lenient_compile(
    mrml: Any, path: Path, text: str, walked: dict[Path, _Included]
) -> tuple[str | None, str | None]:
    """A second try for MJML that mjml compiles and MRML refuses: a stylesheet included
    (``type="css"``) from a partial that is itself included into ``<mj-head>`` (Mattermost's
    partials/style.mjml), an unquoted attribute value, HTML in ``<mj-text>`` that is not
    XML, an ``<mj-image>`` left open, ``--`` in a comment. The includes already read are
    handed to MRML from memory, their stylesheets put in as ``<mj-style>``, and every file
    is read as mjml reads it (``_Lenient``): (the compiled HTML, or None when that fails
    too; why MRML was not handed it, as ``_nesting`` says, or None)."""
    lenient = _Lenient([text, *(included.text for included in walked.values())])
    memory: dict[str, str] = {}
    for included in walked.values():
        if not included.css:  # the first file a written path names is the one it names
            text_in = lenient(_css_inlined(included.text, included.path.parent, walked))
            memory.setdefault(included.written, text_in)
    source = lenient(_css_inlined(text, path.parent, walked))

    def found(written: str) -> tuple[object, str] | None:  # as MRML's memory loader finds it
        return (written, memory[written]) if written in memory else None

    unsafe = _nesting(source, path, found)
    if unsafe is not None:
        return None, unsafe
    try:
        options = mrml.ParserOptions(include_loader=mrml.memory_loader(memory))
        return lenient.restore(str(mrml.to_html(source, parser_options=options).content)), None
    except Exception:  # still refused: the first error is the one reported
        return None, None
