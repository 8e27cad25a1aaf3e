"""MERGE: merge-field mix-ups, read through the platform's own merge language.

Every rule works on the tags preflight.tagscan finds (tokenized with the
dialect of the template's platform, with part, context and position). What a
field means (first name, email, company) comes from rules/fields.yaml.

The rules live in one module per concern; this package names them for the registry.
"""

from __future__ import annotations

from preflight.checks.merge.blanks import blank_for_recipients
from preflight.checks.merge.fields import unknown_field
from preflight.checks.merge.foreign import foreign_dialect, mixed_dialects
from preflight.checks.merge.greetings import (
    greeting,
    missing_fallback,
    parts_disagree,
    wrong_name_field,
)
from preflight.checks.merge.malformed import invalid_tag_for_platform, malformed_tag
from preflight.checks.merge.urls import personal_data_in_url, unencoded_tag_in_url

__all__ = [
    "blank_for_recipients",
    "foreign_dialect",
    "greeting",
    "invalid_tag_for_platform",
    "malformed_tag",
    "missing_fallback",
    "mixed_dialects",
    "parts_disagree",
    "personal_data_in_url",
    "unencoded_tag_in_url",
    "unknown_field",
    "wrong_name_field",
]
