"""HTML templates, with an optional sibling ``<stem>.txt`` plain part."""

from __future__ import annotations

from pathlib import Path

from preflight.formats import Loaded
from preflight.formats.decode import UnreadableInput, check_companion, decode, read_bytes
from preflight.model import Location, Template, Violation
from preflight.model.source import HtmlDocument, SourceText


def load_html(path: Path, max_bytes: int) -> Loaded:
    text, _ = decode(read_bytes(path, max_bytes))
    template = Template(path=path, format="html", html=HtmlDocument(SourceText(text)))
    loaded = Loaded(template)
    sibling = path.with_suffix(".txt")
    if sibling.is_file():
        try:
            check_companion(sibling)
            template.text = SourceText(decode(read_bytes(sibling, max_bytes))[0])
            template.text_path = sibling
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
