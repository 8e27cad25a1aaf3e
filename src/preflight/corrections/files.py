"""The four files: the .eml, the sidecar, and writing them all (or none of the new ones)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from email import errors as email_errors
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml

from preflight.corrections.request import (
    EML,
    HTML,
    OUTPUT_NAMES,
    Correction,
    CorrectionError,
    Request,
)
from preflight.corrections.words import article
from preflight.model import Template, display_path

_MAX_LINE = 998
"""RFC 5322's line limit: longer lines make a part quoted-printable instead of 8bit."""


def build_eml(
    template: Template,
    subject: str,
    html: str,
    text: str,
    locale: str,
    notes: list[str],
    unsubscribe: str | None = None,
) -> bytes:
    """The correction as a message. ``unsubscribe`` is the footer's unsubscribe address (a
    platform tag or an https URL); an original without List-Unsubscribe headers gets them
    from it, so the message offers one-click unsubscribe (RFC 8058) as CONTENT007 asks."""
    message = EmailMessage(policy=policy.default)
    for header, sourced in (("From", template.sender), ("Reply-To", template.reply_to)):
        if sourced is None or not sourced.value.strip():
            continue
        value = _address_header(" ".join(sourced.value.split()))
        if value is None:
            notes.append(
                f'the original\'s {header} "{sourced.value}" is not an address: left out of {EML}'
            )
        else:
            message[header] = value
    if template.sender is None:
        notes.append(f"the original has no From: {EML} has none (set it where you send)")
    message["Subject"] = subject
    if "list-unsubscribe" in template.headers:  # an .eml original: its headers stay
        for header in ("list-unsubscribe", "list-unsubscribe-post"):
            if header in template.headers:
                message["-".join(w.capitalize() for w in header.split("-"))] = " ".join(
                    template.headers[header][0].split()
                )
    elif unsubscribe is not None and not template.is_transactional:
        address = " ".join(unsubscribe.split())
        if address.lower().startswith("https://") or not address.lower().startswith("http"):
            message["List-Unsubscribe"] = f"<{address}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8", cte=_transfer_encoding(text))
    message.add_alternative(html, subtype="html", charset="utf-8", cte=_transfer_encoding(html))
    message["Content-Language"] = locale  # after the content: set_content drops Content-* headers
    return message.as_bytes()


def _address_header(value: str) -> str | None:
    """``value`` as the email package accepts it in From or Reply-To, the display name
    quoted when it has to be ("../x" <news@…>, from a Braze export); None when it is no
    address at all."""
    from email.utils import formataddr, parseaddr

    name, address = parseaddr(value)
    for candidate in (value, formataddr((name, address)) if address else None):
        if candidate is None:
            continue
        try:  # the header parser raises more than its documented errors on odd names
            EmailMessage(policy=policy.default)["From"] = candidate
        except (ValueError, TypeError, IndexError, AttributeError, email_errors.MessageError):
            continue
        return candidate
    return None


def _transfer_encoding(body: str) -> str:
    return (
        "8bit"
        if all(len(line.encode()) <= _MAX_LINE for line in body.splitlines())
        else "quoted-printable"
    )


def build_sidecar(
    template: Template, correction: Correction, preheader: str, fixes: list[dict[str, str | None]]
) -> str:
    meta: dict[str, Any] = {"subject": correction.subject, "preheader": preheader}
    if template.sender is not None:
        meta["from"] = template.sender.value
    if template.reply_to is not None:
        meta["reply_to"] = template.reply_to.value
    if correction.platform is not None:
        meta["platform"] = correction.platform
    meta["locale"] = correction.locale
    meta["category"] = correction.category
    if template.campaign is not None:
        meta["campaign"] = template.campaign.value
    if correction.sidecar_audience is not None:
        meta["audience"] = correction.sidecar_audience
    if template.audience_tags and correction.kind != "wrong-list":
        meta["audience_tags"] = list(template.audience_tags)
    meta["correction"] = {"kind": correction.kind, "audience": correction.audience, "fixes": fixes}
    header = (
        f"# The sidecar of {HTML}: {article(correction.kind)} {correction.kind} correction of"
        f" {display_path(template.path)}, written by `preflight correct`.\n"
        "# correction.audience: who to send it to (null: everyone who received the original).\n"
    )
    if correction.kind == "wrong-list" and correction.category != _category(template):
        header += (
            "# category: transactional: a note asking people to disregard an email they should"
            " not have had\n# sells nothing, so it may go to people who agreed to"
            " transactional email only.\n"
        )
    body = yaml.safe_dump(
        meta, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False
    )
    return header + body


def _category(template: Template) -> str:
    return template.category.value if template.category else "marketing"


def fixes(request: Request) -> list[dict[str, str | None]]:
    if request.links:
        return [{"was": old, "is": new} for old, new in request.links]
    if request.fixes:
        return [{"was": was, "is": right} for was, right in request.fixes]
    return [{"rule": rule, "field": name} for rule, name in request.rules]


def check_output(output: Path, overwrite: bool, inputs: Iterable[Path | None] = ()) -> None:
    """The output folder can take the four files (before anything is planned), and none of
    them is one of ``inputs`` (the original, the report, the config): --overwrite replaces
    earlier corrections, never an input."""
    if output.exists() and not output.is_dir():
        raise CorrectionError(f"--output must be a folder: {output} is a file")
    refuse_inputs(output, inputs)
    existing = [output / name for name in OUTPUT_NAMES if (output / name).exists()]
    if existing and not overwrite:
        shown = ", ".join(str(path) for path in existing)
        raise CorrectionError(
            f"{shown} already exist{'s' if len(existing) == 1 else ''}: use --overwrite to replace"
        )


def refuse_inputs(output: Path, inputs: Iterable[Path | None]) -> None:
    """CorrectionError when a correction file in ``output`` would replace one of ``inputs``
    (the same file, through links or hard links)."""
    from preflight.fsutil import same_file

    named = [path for path in inputs if path is not None and path.is_file()]
    for name in OUTPUT_NAMES:
        target = output / name
        if target.exists() and any(same_file(target, path) for path in named):
            raise CorrectionError(
                f"refusing to write over {target} (--output): it is an input of this run;"
                " choose another folder"
            )


def write_all(output: Path, files: Mapping[str, bytes]) -> tuple[Path, ...]:
    """Each file atomically, all four or none: when one fails, the files this call created
    are removed again and the ones it replaced (--overwrite) get their previous bytes back."""
    from preflight import fsutil

    written: list[Path] = []
    previous: dict[Path, bytes | None] = {}
    try:
        for name in OUTPUT_NAMES:
            target = output / name
            previous[target] = target.read_bytes() if target.is_file() else None
            fsutil.atomic_write(target, files[name])
            written.append(target)
    except OSError as error:
        for path in written:
            before = previous[path]
            try:
                if before is None:
                    path.unlink(missing_ok=True)
                else:
                    fsutil.atomic_write(path, before)
            except OSError:
                pass  # the first error is the one to report
        raise CorrectionError(f"cannot write {output}: {error}") from None
    return tuple(written)
