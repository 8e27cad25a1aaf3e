"""HTML templates, with an optional sibling ``<stem>.txt`` plain part."""

from __future__ import annotations

from pathlib import Path

from preflight.formats import Loaded
from preflight.formats.decode import UnreadableInput, check_companion, decode, read_bytes
from preflight.model import Location, Template, Violation
from preflight.model.source import HtmlDocument, SourceText
from preflight.preheader import hidden_preheader


def load_html(path: Path, max_bytes: int, text: str | None = None) -> Loaded:
    """An HTML template (``text``: its contents, when the caller read them already) and its
    sibling text part."""
    if text is None:
        text, _ = decode(read_bytes(path, max_bytes))
    html = HtmlDocument(SourceText(text))
    sources = {path: html.source}
    preheader = hidden_preheader(html, path)  # the format's own: a sidecar's beats it
    loaded = Loaded(
        Template(path=path, format="html", html=html, sources=sources, preheader=preheader)
    )
    sibling = path.with_suffix(".txt")
    if sibling.is_file():
        try:
            check_companion(sibling)
            plain = SourceText(decode(read_bytes(sibling, max_bytes))[0])
            sources[sibling] = plain
            loaded.template = Template(
                path=path,
                format="html",
                html=html,
                text=plain,
                text_path=sibling,
                sources=sources,
                preheader=preheader,
            )
        except UnreadableInput as error:
            loaded.problems.append(
                (
                    "PF001",
                    Violation(
                        "{detail}", Location(sibling), {**error.data, "detail": error.reason}
                    ),
                )
            )
        loaded.extra_paths = (sibling,)
    return loaded
