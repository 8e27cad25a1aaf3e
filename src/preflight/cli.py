"""Click commands only: options -> config -> engine -> reporter -> exit code."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

# first of ours: it keeps the code dataclasses compile between runs (start-up)
import preflight.codecache  # noqa: F401
from preflight.constants import CORRECTION_KINDS as KINDS
from preflight.constants import IMPORT_PLATFORMS
from preflight.constants import VERSION as __version__
from preflight.reporters import FORMATS
from preflight.reporters.safe import printable

if TYPE_CHECKING:
    from preflight.replay import Recorder

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
__all__ = ["IMPORT_PLATFORMS", "main"]


class _Group(click.Group):
    def main(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        try:
            return super().main(*args, **kwargs)  # type: ignore[call-overload]
        except KeyboardInterrupt:  # pragma: no cover - interactive only
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as error:  # a bug: a message and exit 2, never a traceback
            click.echo(
                "preflight: internal error: "
                + printable(f"{type(error).__name__}: {error}; please report it"),
                err=True,
            )
            sys.exit(EXIT_ERROR)


def _fail(message: str) -> None:
    click.echo(f"preflight: error: {printable(message)}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="preflight", message="%(prog)s %(version)s"
)
def main() -> None:
    """Pre-flight checks for email campaigns: merge fields, links, targeting and timing."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: text, or github under GitHub Actions).",
)
@click.option(
    "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to FILE."
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default=None,
    help="Lowest severity that makes the exit code 1 (default: error).",
)
@click.option(
    "--select",
    multiple=True,
    help="Rules to run: ids, names or prefixes (repeat or comma-separate).",
)
@click.option("--ignore", multiple=True, help="Rules to skip: ids, names or prefixes.")
@click.option(
    "--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="Config file."
)
@click.option("--platform", help="Merge dialect of every template (beats metadata and config).")
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Hide findings recorded in FILE.",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Record the current findings in FILE and exit 0.",
)
@click.option(
    "--skip-unknown",
    is_flag=True,
    help="Skip named files that are not inputs (JSON of no known shape, other types) quietly,"
    " as pre-commit needs.",
)
@click.option(
    "--online",
    is_flag=True,
    help="Also request every link and image (LINK001, 002, 005, 006, 011, 012, 013).",
)
@click.option(
    "--spam",
    is_flag=True,
    help="Also score each email with a local SpamAssassin, network tests off (SPAM010).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write the results cache and run records, nor (with --online) the"
    " link cache.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=None,
    help="Worker processes (default: config `jobs`, else one per core; 1: no workers).",
)
@click.option("--refresh", is_flag=True, help="With --online: check every URL again, then cache.")
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Exit 0 when no input is read (scripts that may run on an empty folder);"
    " --skip-unknown implies it.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also list the files skipped, and why, and every file whose platform was detected"
    " with confidence (text output).",
)
@click.option("--quiet", "-q", is_flag=True, help="Only errors and the summary.")
@click.option("--no-color", is_flag=True, help="No colour, even on a terminal.")
def check(
    paths: tuple[Path, ...],
    fmt: str | None,
    output: Path | None,
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    config_path: Path | None,
    platform: str | None,
    baseline: Path | None,
    write_baseline: Path | None,
    skip_unknown: bool,
    online: bool,
    spam: bool,
    no_cache: bool,
    jobs: int | None,
    refresh: bool,
    allow_empty: bool,
    verbose: bool,
    quiet: bool,
    no_color: bool,
) -> None:
    """Check templates and workflows under PATHS (default: the current directory)."""
    from preflight import api, replay

    recorder = replay.start()  # this run's file look-ups and output, for the next run
    from preflight.fsutil import atomic_write
    from preflight.reporters import chunks

    targets = list(paths) or [Path(".")]
    try:
        config = api.configure(
            targets,
            config_path,
            select=select,
            ignore=ignore,
            platform=platform,
            online=online,
            link_cache="refresh" if refresh else None,
            jobs=jobs,
            cache=False if no_cache else None,
        )
        report = api.check(
            targets,
            config,
            baseline=None if write_baseline else baseline,
            skip_unknown=skip_unknown,
            progress=_progress_bar,
            spam=spam,
            views=fmt == "html",  # the emails and workflows the page draws
            json_lines=fmt == "json",  # encoded by the workers, or kept in the results cache
        )
    except (api.ApiError, api.ConfigError) as error:
        _fail(str(error))
        return
    try:
        for written, flag in ((output, "--output"), (write_baseline, "--write-baseline")):
            if written is not None:
                api.check_output(
                    written, targets, report=report, config=config, inputs=[baseline], flag=flag
                )
    except api.ApiError as error:
        _fail(str(error))
    if write_baseline is not None:
        from preflight.baseline import write_baseline as save_baseline

        try:
            save_baseline(write_baseline, report.findings)
        except OSError as error:
            _fail(f"cannot write {write_baseline}: {error}")
        click.echo(
            f"preflight: wrote {len(report.findings)} findings to {printable(str(write_baseline))}",
            err=True,
        )
        sys.exit(EXIT_OK)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    to_file = output is not None
    color = (
        fmt == "text"
        and not to_file
        and not no_color
        and "NO_COLOR" not in os.environ
        and sys.stdout.isatty()
    )
    pieces = chunks(report, fmt, color=color, quiet=quiet, verbose=verbose)
    if output is not None:
        try:
            atomic_write(output, pieces)
        except OSError as error:
            _fail(f"cannot write {output}: {error}")
    else:
        for piece in pieces:
            _say(recorder, piece)
    for warning in report.warnings:
        _say(recorder, f"preflight: warning: {printable(warning)}\n", err=True)
    for problem in report.internal_errors:
        _say(recorder, f"preflight: internal error: {printable(problem)}\n", err=True)
    empty_ok = allow_empty or skip_unknown
    if report.read_nothing and not empty_ok:
        shown = ", ".join(str(t) for t in targets)
        _say(
            recorder,
            f"preflight: error: no input read in {shown} (use --allow-empty if that is expected;"
            " --verbose lists what was skipped)\n",
            err=True,
        )
    code = report.exit_code(fail_on or config.run.fail_on, allow_empty=empty_ok)
    if recorder is not None:
        recorder.finish(code, report)
    sys.exit(code)


def _say(recorder: Recorder | None, text: str, err: bool = False) -> None:
    """Echo ``text``; and keep what the stream received (click strips styles when it is no
    terminal) for a replay of this run."""
    click.echo(text, nl=False, err=err)
    if recorder is not None:
        stream = sys.stderr if err else sys.stdout
        recorder.say(2 if err else 1, text if stream.isatty() else click.unstyle(text))


@contextlib.contextmanager
def _progress_bar(total: int) -> Iterator[Callable[[int], None] | None]:
    """Live link checks: a bar with counts on stderr when it is a terminal, else nothing."""
    if not total or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(
        length=total, label="checking links", file=sys.stderr, show_pos=True
    ) as bar:
        yield bar.update


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
def rules(fmt: str) -> None:
    """List every rule: id, name, default severity and summary (markdown: docs/rules.md)."""
    from preflight.catalogue import load_catalogue

    catalogue = load_catalogue()
    if fmt == "markdown":
        from preflight.explain import rules_markdown

        click.echo(rules_markdown(list(catalogue)), nl=False)
        return
    if fmt == "json":
        rows = [
            {
                "id": rule.id,
                "name": rule.name,
                "family": rule.family,
                "severity": rule.severity.label,
                "runs_on": list(rule.runs_on),
                "summary": rule.summary,
                "options": {
                    name: {"type": o.type, "default": o.default} for name, o in rule.options.items()
                },
            }
            for rule in catalogue
        ]
        click.echo(json.dumps({"rules": rows}, indent=2, ensure_ascii=False))
        return
    for rule in catalogue:
        summary = rule.summary.split(". ")[0].rstrip(".")
        click.echo(f"{rule.id:<11} {rule.name:<26} {rule.severity.label:<8} {summary}")


@main.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Explain a rule (by id or name): what it does, why, an example, options."""
    from preflight.catalogue import load_catalogue
    from preflight.explain import explain_text
    from preflight.suggest import hint as suggestion_hint

    catalogue = load_catalogue()
    spec = catalogue.get(rule)
    if spec is None:
        hint = suggestion_hint(catalogue.suggest(rule))
        _fail(f'unknown rule "{rule}"{hint}')
        return
    click.echo(explain_text(spec))


@main.command(name="import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--from",
    "platform",
    type=click.Choice(IMPORT_PLATFORMS),
    help="The export's platform (default: recognised by its shape).",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the native YAML to FILE (default: stdout).",
)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def import_command(
    file: Path, platform: str | None, output: Path | None, config_path: Path | None
) -> None:
    """Map a HubSpot, Klaviyo, Mautic, n8n or Journey Builder workflow export onto the native YAML
    format.

    What could not be mapped is listed on stderr. Exit 0: all mapped; 1: imported with
    PF003/PF004 findings; 2: unreadable or of no known format.
    """
    from preflight import api
    from preflight.fsutil import atomic_write
    from preflight.model import display_path

    try:
        config = api.configure([file], config_path)
        if output is not None:
            api.check_output(output, [file], config=config, inputs=[config_path])
        base = (output.parent if output is not None else file.parent) or Path(".")
        imported = api.import_workflow(file, config, platform, base)
    except (api.ApiError, api.ConfigError) as error:
        _fail(str(error))
        return
    shown = printable(display_path(file))
    for rule, violation in imported.problems:
        span = violation.location.span
        place = f"{shown}:{span.line}:{span.column}" if span else shown
        pointer = f" [{violation.location.pointer}]" if violation.location.pointer else ""
        click.echo(f"{place}: {rule} {printable(violation.message)}{printable(pointer)}", err=True)
    if imported.yaml is None:
        # the mapped document does not fit the native format: no file would pass `check`
        _fail(
            f"cannot import {file}: the mapped workflow does not fit the native format;"
            " nothing written (please report it)"
        )
        return
    try:
        if output is not None:
            atomic_write(output, imported.yaml)
        else:
            click.echo(imported.yaml, nl=False)
    except OSError as error:
        _fail(f"cannot write {output}: {error}")
    noun = "step" if imported.steps == 1 else "steps"
    click.echo(
        f"preflight: imported {imported.steps} {noun} from {shown} ({imported.platform});"
        f" {imported.unmapped} not mapped",
        err=True,
    )
    sys.exit(EXIT_FINDINGS if imported.unmapped else EXIT_OK)


@main.command(name="render")
@click.argument("template", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Field values: a JSON or YAML mapping, or a CSV whose first row is used.",
)
@click.option("--row", help='Field values as a JSON object, e.g. \'{"FNAME": "Ada"}\'.')
@click.option("--platform", help="Merge dialect (default: declared or detected).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def render_command(
    template: Path,
    data_path: Path | None,
    row: str | None,
    platform: str | None,
    config_path: Path | None,
) -> None:
    """Print the subject, preheader and text part as one recipient would read them."""
    from preflight import api

    try:
        config = api.configure([template], config_path, platform=platform)
        values = _render_values(data_path, row, config.for_path(template).max_file_size)
        rendered = api.render(template, config, values)
    except (api.ApiError, api.ConfigError) as error:
        _fail(str(error))
        return
    origin = {"detected": "detected", "format": "from the export", "config": "from config"}
    click.echo(
        f"Platform: {rendered.platform} ({origin.get(rendered.platform_origin, 'declared')})"
    )
    sidecar = f"{template.stem}.meta.yaml"
    subject = _shown(rendered.subject, rendered.subject_written, sidecar, "subject")
    click.echo(f"Subject: {printable(subject)}")
    preheader = _shown(rendered.preheader, rendered.preheader_written, sidecar, "preheader")
    if rendered.preheader_origin == "html" and rendered.preheader_written:
        preheader += " [from the HTML's hidden preview text]"
    click.echo(f"Preheader: {printable(preheader)}")
    click.echo("")
    text = rendered.text if rendered.text is not None else "(no text part)"
    click.echo(printable(text, keep="\n"))


def _shown(rendered: str, written: str | None, sidecar: str, key: str) -> str:
    """A rendered subject or preheader, or why there is none to show."""
    if written is None or not written.strip():
        return f"(none in the file: add `{key}:` to {sidecar})"
    if not rendered.strip():  # *|MC_PREVIEW_TEXT|*: the platform fills it in at send
        return f"{written} (as written: its merge tags have no value here)"
    return rendered


def _render_values(data_path: Path | None, row: str | None, limit: int) -> dict[str, object]:
    """The field values for `render`, from --row or --data; exits 2 when they cannot be read
    (not a regular file, over the size limit, not a mapping, nested too deeply)."""
    if row is not None:
        try:
            values = json.loads(row)
        except RecursionError:
            _fail(f"--row nests deeper than {_MAX_DEPTH} levels")
        except ValueError as error:
            _fail(f"--row is not JSON: {error}")
        if not isinstance(values, dict):
            _fail("--row must be a JSON object")
        _check_depth(values, "--row")
        return dict(values)
    if data_path is None:
        return {}
    from preflight.formats.decode import UnreadableInput, read_bytes

    try:
        raw = read_bytes(data_path, limit)  # a regular file, within the size limit
        text = raw.decode("utf-8-sig")
    except UnreadableInput as error:
        _fail(f"cannot read {data_path}: {error.reason}")
        return {}
    except UnicodeDecodeError as error:
        _fail(f"cannot read {data_path}: {error}")
        return {}
    if data_path.suffix.lower() == ".csv":
        import csv
        import io

        previous = csv.field_size_limit(max(len(text), 131072))  # one value may be long
        try:
            first = next(csv.DictReader(io.StringIO(text)), None)
        except csv.Error as error:
            _fail(f"{data_path} is not CSV: {error}")
        finally:
            csv.field_size_limit(previous)
        if first is None:
            _fail(f"{data_path} has no data row")
            return {}
        return {str(k): v for k, v in first.items()}
    if data_path.suffix.lower() == ".json":
        try:
            values = json.loads(text)
        except RecursionError:
            _fail(f"{data_path} nests deeper than {_MAX_DEPTH} levels")
        except ValueError as error:
            _fail(f"{data_path} is not JSON: {error}")
    else:
        from preflight.yamlio import YamlError, load_yaml

        try:
            values = load_yaml(text).data
        except YamlError as error:
            _fail(f"{data_path} is not YAML: {error.message}")
    if not isinstance(values, dict):
        _fail(f"{data_path} must hold a mapping of field names to values")
    _check_depth(values, str(data_path))
    return dict(values)


_MAX_DEPTH = 32
"""How deep field values may nest (objects for Liquid or Handlebars paths)."""


def _check_depth(values: object, shown: str) -> None:
    stack = [(values, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            _fail(f"{shown} nests deeper than {_MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


@main.command()
@click.argument("original", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    help="What went wrong (with --from-report: read from the findings when not given).",
)
@click.option(
    "--link",
    "links",
    nargs=2,
    multiple=True,
    metavar="OLD NEW",
    help="wrong-link: the wrong address and the right one (repeatable).",
)
@click.option(
    "--fix",
    "fixes",
    nargs=2,
    multiple=True,
    metavar="WAS IS",
    help="wrong-detail: what the email said and what is right (repeatable).",
)
@click.option(
    "--from-report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Build it from preflight's JSON findings on the sent email (LINK: wrong-link,"
    " MERGE: wrong-name).",
)
@click.option(
    "--audience",
    help="Who to send it to (default: the original's audience); for wrong-list, the audience"
    " that received the original by mistake.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for correction.html, .txt, .eml and .meta.yaml.",
)
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder with correction.html.j2 / correction.txt.j2 to use instead of the built-in ones.",
)
@click.option("--platform", help="Merge dialect of the original (default: declared or detected).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Write it even when preflight finds new errors in it.")
@click.option("--overwrite", is_flag=True, help="Replace correction files already in --output.")
def correct(
    original: Path,
    kind: str | None,
    links: tuple[tuple[str, str], ...],
    fixes: tuple[tuple[str, str], ...],
    report_path: Path | None,
    audience: str | None,
    output: Path,
    templates_dir: Path | None,
    platform: str | None,
    config_path: Path | None,
    force: bool,
    overwrite: bool,
) -> None:
    """Write the short correction email for ORIGINAL (the template or .eml as it was sent)."""
    from preflight import api
    from preflight.model.report import FileInfo, Report
    from preflight.reporters import render as render_report

    request = api.Request(
        kind=kind,
        links=tuple(links),
        fixes=tuple(fixes),
        audience=audience,
        templates=templates_dir,
        report=report_path,
    )
    try:
        config = api.configure([original], config_path, platform=platform)
        result = api.correct(original, request, config, output, force=force, overwrite=overwrite)
    except (api.ApiError, api.ConfigError) as error:
        _fail(str(error))
        return
    if result.blocking:
        shown = Report(
            findings=list(result.blocking),
            files=[FileInfo(output / name, "template") for name in list(result.files)[:3]],
        )
        click.echo(render_report(shown, "text"), nl=False, err=True)
        if result.refused:
            click.echo(
                f"preflight: the correction has {len(result.blocking)} error(s) the original"
                " did not have; nothing written (fix them, or use --force)",
                err=True,
            )
            sys.exit(EXIT_FINDINGS)
    shown_output = str(output)  # as the user wrote it: the next command is copied from here
    article = "an" if result.kind[0] in "aeiou" else "a"
    click.echo(
        printable(
            f"wrote {article} {result.kind} correction of {original}"
            f" ({result.platform_label}, {result.locale}) to {shown_output}:"
        )
    )
    click.echo("  " + ", ".join(result.files))
    click.echo(f"  subject: {printable(result.subject)}")
    if result.blocking:
        click.echo(f"  written with {len(result.blocking)} new error(s) (--force)")
    for finding in result.added:
        if finding not in result.blocking:  # warnings and infos: shown, never a reason to refuse
            where = finding.location.path.name
            label = finding.severity.label
            click.echo(f"  new in {where}: {finding.rule} {label}: {printable(finding.message)}")
    send = _send_to(result.kind, result.audience)
    click.echo(printable(f"next: preflight check {shown_output}, then {send}"))
    for note in result.notes:
        click.echo(f"preflight: note: {printable(note)}", err=True)


def _send_to(kind: str, audience: str | None) -> str:
    if kind == "wrong-list":
        if audience:
            return (
                f'send it only to "{audience}", the audience that received the original by mistake'
            )
        return (
            "send it only to the people who received the original by mistake"
            " (--audience names them)"
        )
    if audience:
        return f'send it to "{audience}", the audience of the original'
    return "send it to everyone who received the original"
