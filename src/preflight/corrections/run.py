"""`correct` from start to end: read the original, plan, render, check, write.

One Engine serves the whole command: it loads the original as the rules see it, then one
run checks the original and the correction side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from preflight.corrections.files import (
    build_eml,
    build_sidecar,
    check_output,
    fixes,
    refuse_inputs,
    write_all,
)
from preflight.corrections.plan import plan, validate
from preflight.corrections.render import check_templates, render
from preflight.corrections.request import (
    EML,
    HTML,
    META,
    TEXT,
    Correction,
    CorrectionError,
    CorrectionResult,
    Request,
    check_request,
)
from preflight.corrections.selfcheck import errors, new_findings
from preflight.dialects import dialects
from preflight.model import Audience, Template, display_path

if TYPE_CHECKING:
    from preflight.config import Config
    from preflight.engine import Engine


def correct(
    original: Path,
    request: Request,
    config: Config,
    output: Path,
    *,
    force: bool = False,
    overwrite: bool = False,
) -> CorrectionResult:
    """The correction of ``original`` for ``request``, checked, and written to ``output``
    unless it has errors the original did not have (``force`` writes it anyway).

    Raises CorrectionError for what the user can fix (a missing file, a link the original
    does not have, correction files already in ``output`` without ``overwrite``).
    """
    from preflight.engine import Engine

    if not original.is_file():
        raise CorrectionError(f"not a file: {original}")
    check_request(request)
    # the original, its report, its config and audiences file: never a correction file
    named = (original, request.report, config.source, config.audiences)
    check_output(output, overwrite, named)
    if request.templates is None and config.corrections.get("templates"):
        request = _with_templates(request, Path(config.corrections["templates"]))
    judging = _judging(config, original)
    engine = Engine(judging)
    template = _load(engine, original)
    refuse_inputs(output, (*template.sources, judging.audiences))  # its text part, its sidecar
    notes: list[str] = []
    if request.report is not None:
        from preflight.corrections.fromreport import request_from_report

        request, notes = request_from_report(
            request.report,
            original,
            _parts(template, original),
            config.corrections.get("links", {}),
            request,
        )
    link_words = judging.for_file(original).options["CONTENT001"]["link_words"]
    correction = generate(template, request, list(link_words))
    added = new_findings(engine, original, correction.files, output)
    blocking = errors(added)
    written: tuple[Path, ...] = ()
    if not blocking or force:
        written = write_all(output, correction.files)
    platform = correction.platform
    return CorrectionResult(
        kind=correction.kind,
        subject=correction.subject,
        locale=correction.locale,
        platform=platform,
        platform_label=dialects()[platform].label if platform else "no platform",
        audience=correction.audience,
        output=output,
        files=dict(correction.files),
        written=written,
        added=tuple(added),
        blocking=tuple(blocking),
        notes=(*notes, *correction.notes),
    )


def _judging(config: Config, original: Path) -> Config:
    """The original's config for the whole command: the correction, checked in a scratch
    folder, is judged as if it sat beside the original (the same audiences file, named
    outright), and the run writes nothing to the results cache."""
    from dataclasses import replace

    from preflight.config import Configs
    from preflight.discovery import AudiencesFinder

    audiences = AudiencesFinder(Configs.fixed(config)).find(original)
    return replace(config, audiences=audiences, use_cache=False, jobs=1)


def _with_templates(request: Request, templates: Path) -> Request:
    from dataclasses import replace

    return replace(request, templates=templates)


def _load(engine: Engine, original: Path) -> Template:
    from preflight.formats.decode import UnreadableInput

    try:
        template, problems = engine.load_template(original)
    except UnreadableInput as error:
        raise CorrectionError(f"cannot read {original}: {error.reason}") from None
    if template is None:
        reason = problems[0].message if problems else "not a template preflight reads"
        raise CorrectionError(f"cannot read {original}: {reason}")
    return template


def _parts(template: Template, original: Path) -> list[Path]:
    """The files the original was read from beside itself: its text part, its sidecar."""
    return [path for path in template.sources if path != original]


def _audience(
    template: Template, request: Request, notes: list[str]
) -> tuple[str | None, Audience | None]:
    """Who to send it to, and that audience as the audiences file has it (None without a
    file, or when it does not name them). An --audience close to a name of the file is a
    typo: the command stops and says which name it meant."""
    name = request.audience or (template.audience.value if template.audience else None)
    targeting = template.targeting
    if name is None or targeting is None:
        return name, None
    found = targeting.audiences.get(name)
    if found is not None or request.audience is None:
        return name, found  # the original's own `audience:` is judged with the original
    from preflight.suggest import did_you_mean, hint

    where = display_path(targeting.path)
    match = did_you_mean(name, targeting.audiences)
    if match is not None:
        raise CorrectionError(f'--audience "{name}" is not in {where}{hint(match)}')
    notes.append(
        f'audience "{name}" is not in {where}: the sidecar names it under `correction:` only,'
        f" where preflight does not judge it; add it to {where} to have the send checked"
    )
    return name, None


def _locale(
    template: Template, request: Request, audience: Audience | None, notes: list[str]
) -> str | None:
    """A wrong-list correction goes to people the original was not written for: in their
    audience's language when the audiences file gives one preflight has words for."""
    if request.kind != "wrong-list" or audience is None or not audience.locale:
        return None
    from preflight.corrections.words import language_of, phrases
    from preflight.language import primary

    wanted = primary(audience.locale)
    if wanted not in phrases() or wanted == language_of(template)[0]:
        return None
    notes.append(f'written in {audience.locale}, the locale of audience "{audience.name}"')
    return audience.locale


def generate(
    template: Template, request: Request, link_words: list[str] | None = None
) -> Correction:
    """The correction's four files, in memory. ``link_words``: CONTENT001's option for the
    original, what makes a link an unsubscribe link (default: the rule's default)."""
    notes: list[str] = []
    validate(template, request, notes)
    check_templates(request.templates)
    platform = template.platform.value if template.platform else None
    dialect = dialects().get(platform) if platform else None
    if dialect is None:
        notes.append("the original's platform is not known: no merge tags used (give --platform)")
    audience, known = _audience(template, request, notes)
    locale = _locale(template, request, known, notes)
    the_plan = plan(template, request, dialect, notes, locale, link_words)
    pages = render(the_plan, request.templates)
    category = template.category.value if template.category else "marketing"
    if the_plan.kind == "wrong-list":
        category = "transactional"  # "please disregard" sells nothing (LIST007 judges so)
    unknown = request.audience is not None and known is None and template.targeting is not None
    correction = Correction(
        kind=the_plan.kind,
        subject=the_plan.subject.text(),
        language=the_plan.language,
        locale=the_plan.locale,
        platform=platform,
        audience=audience,
        category=category,
        sidecar_audience=None if unknown else audience,
        notes=notes,
    )
    correction.files[HTML] = pages[HTML].encode("utf-8")
    correction.files[TEXT] = pages[TEXT].encode("utf-8")
    unsubscribe = the_plan.footer.unsubscribe_url
    correction.files[EML] = build_eml(
        template,
        correction.subject,
        pages[HTML],
        pages[TEXT],
        correction.locale,
        notes,
        unsubscribe.text() if unsubscribe else None,
    )
    correction.files[META] = build_sidecar(
        template, correction, the_plan.preheader.text(), fixes(request)
    ).encode("utf-8")
    return correction
