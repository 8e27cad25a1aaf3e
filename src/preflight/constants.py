"""Small shared tables: cheap to import (the CLI reads them before any command runs), so
this module imports nothing."""

from __future__ import annotations

VERSION = "0.1.0"
"""preflight's version (the package's `__version__`; pyproject.toml holds the same text)."""

SETTLED_NS = 2_000_000_000
"""A file whose last change is older than this when it is hashed has its stat() kept, by
the results cache and by a run record: a later write changes its ctime (file times tick
coarsely, so a younger file could change again within the same tick and keep its stat)."""

IMPORT_PLATFORMS = ("hubspot", "klaviyo", "mautic", "n8n", "sfmc")
"""Platforms whose workflow exports `preflight import` reads (one module each in
preflight.importers), and whose email references `templates.resolve` maps."""
PLATFORM_LABELS = {
    "hubspot": "HubSpot",
    "klaviyo": "Klaviyo",
    "mautic": "Mautic",
    "n8n": "n8n",
    "sfmc": "Journey Builder",
}

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""In ISO order: ``WEEKDAYS[date.weekday()]``. The native format writes them in lower case."""

CLOCK = r"^(?:[01]?[0-9]|2[0-3]):[0-5][0-9]$"
"""A time of day, 00:00 to 23:59 (the hour may have one digit). The workflow schema's
`clock` pattern and catalogue options of type clock hold the same text (a test says so)."""

CORRECTION_KINDS = (
    "wrong-link",
    "wrong-detail",
    "wrong-name",
    "wrong-list",
    "early-send",
    "duplicate-send",
)
"""What went wrong, as `preflight correct --kind` and a sidecar's `correction: {kind: …}`
name it."""

CORRECTION_KEYS = ("kind", "audience", "fixes")
"""The keys of a sidecar's `correction:` block."""

FIX_KEYS = ("was", "is", "rule", "field")
"""The keys of one entry of `correction: {fixes: […]}`."""
