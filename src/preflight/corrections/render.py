"""The plan laid out by two jinja2 templates (built in, or the user's), in the sandbox."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)
from jinja2.exceptions import SecurityError

from preflight.corrections.plan import Plan
from preflight.corrections.request import HTML, TEXT, CorrectionError
from preflight.corrections.sandbox import Loader, RenderTimeout, Sandbox, render_page

TEMPLATE_NAMES = {HTML: "correction.html.j2", TEXT: "correction.txt.j2"}
PACKAGED_TEMPLATES = Path(__file__).with_name("templates")


def environment(templates: Path | None) -> Sandbox:
    loaders = [Loader(str(templates))] if templates is not None else []
    loaders.append(Loader(str(PACKAGED_TEMPLATES)))
    return Sandbox(
        loader=ChoiceLoader(loaders),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def check_templates(templates: Path | None) -> None:
    if templates is None:
        return
    if not templates.is_dir():
        raise CorrectionError(f"the templates folder does not exist: {templates}")
    if not any((templates / name).is_file() for name in TEMPLATE_NAMES.values()):
        names = " or ".join(TEMPLATE_NAMES.values())
        raise CorrectionError(f"{templates} has no {names} to override")


def render(the_plan: Plan, templates: Path | None) -> dict[str, str]:
    """correction.html and correction.txt; a template that fails is a CorrectionError."""
    env = environment(templates)
    rendered: dict[str, str] = {}
    for output, name in TEMPLATE_NAMES.items():
        try:
            page = render_page(env, name, the_plan.context(html=output == HTML))
        except TemplateSyntaxError as error:
            where = f"{error.filename or name}:{error.lineno}"
            raise CorrectionError(
                f"template {where}: {_clean(error.message or str(error))}"
            ) from None
        except RenderTimeout as error:
            raise CorrectionError(f"template {name} stopped: {_clean(str(error))}") from None
        except SecurityError as error:
            raise CorrectionError(
                f"template {name} is not allowed to do that: {_clean(str(error))}"
            ) from None
        except TemplateError as error:
            raise CorrectionError(
                f"template {name}: {_clean(error.message or str(error))}"
            ) from None
        except Exception as error:  # a user template may divide by zero, or worse
            raise CorrectionError(
                f"template {name} failed: {type(error).__name__}: {_clean(str(error))}"
            ) from None
        if output == TEXT:
            page = _tidy_text(page)
        rendered[output] = page
    return rendered


def _tidy_text(page: str) -> str:
    """Trailing spaces off (but the "-- " signature line), at most one blank line in a row."""
    lines = [line if line == "-- " else line.rstrip() for line in page.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def _clean(message: str) -> str:
    return " ".join(message.split()).rstrip(".")
