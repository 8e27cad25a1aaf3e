"""`preflight correct`: the short correction email, when a mistake reached recipients.

The modules, in the order a correction goes through them:

- ``request``: what is asked (Request) and what comes back (CorrectionResult); no jinja2
- ``fromreport``: a Request from preflight's JSON report on the original
- ``words``: phrases.yaml per language, and text whose merge tags stay whole (Words)
- ``footer``: the original's postal address and unsubscribe, kept
- ``plan``: every piece of the email as Words
- ``sandbox`` and ``render``: the two jinja2 templates (built in or the user's), bounded
- ``files``: the .eml, the sidecar, and writing all four or none
- ``selfcheck``: what preflight finds in the correction that the original did not have
- ``run``: ``correct``, the whole of it, with one Engine

The kinds and the sidecar's `correction:` keys are in preflight.constants, which the
sidecar loader reads without loading jinja2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from preflight.constants import CORRECTION_KEYS, FIX_KEYS
from preflight.constants import CORRECTION_KINDS as KINDS
from preflight.corrections.request import (
    OUTPUT_NAMES,
    CorrectionError,
    CorrectionResult,
    Request,
)

if TYPE_CHECKING:
    from preflight.config import Config

__all__ = [
    "CORRECTION_KEYS",
    "FIX_KEYS",
    "KINDS",
    "OUTPUT_NAMES",
    "CorrectionError",
    "CorrectionResult",
    "Request",
    "correct",
]


def correct(
    original: Path,
    request: Request,
    config: Config,
    output: Path,
    *,
    force: bool = False,
    overwrite: bool = False,
) -> CorrectionResult:
    """Write the correction of ``original`` (see ``preflight.corrections.run.correct``)."""
    from preflight.corrections.run import correct as run

    return run(original, request, config, output, force=force, overwrite=overwrite)
