"""`preflight correct`: the short correction email, when a mistake reached recipients.

The generator (``generator.py``) and its jinja2 templates live here; this module
holds only what the rest of preflight needs without loading jinja2 (the kinds,
for the sidecar schema and the command's options).
"""

from __future__ import annotations

KINDS = ("wrong-link", "wrong-detail", "wrong-name", "wrong-list", "early-send", "duplicate-send")
"""What went wrong, as `--kind` and a sidecar's `correction: {kind: …}` name it."""

CORRECTION_KEYS = ("kind", "audience", "fixes")
"""The keys of a sidecar's `correction:` block."""

FIX_KEYS = ("was", "is", "rule", "field")
"""The keys of one entry of `correction: {fixes: […]}`."""
