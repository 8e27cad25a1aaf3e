"""`preflight correct`: the short correction email, when a mistake reached recipients.

The generator (``generator.py``) and its jinja2 templates live here; the kinds and the
sidecar's `correction:` keys are in preflight.constants, which the sidecar loader reads
without loading jinja2.
"""

from __future__ import annotations

from preflight.constants import CORRECTION_KEYS, FIX_KEYS
from preflight.constants import CORRECTION_KINDS as KINDS

__all__ = ["CORRECTION_KEYS", "FIX_KEYS", "KINDS"]
