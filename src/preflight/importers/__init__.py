"""Importers: platform workflow exports mapped onto the native workflow document.

Each platform has one module (hubspot, klaviyo, mautic, n8n, sfmc) with a
``convert(data, builder)`` that walks the export and adds native steps to a
``Builder`` (importers/base.py), remembering for every step the export's JSON
pointer. The native document is then validated and built by the same
``formats.workflow.build`` as a hand-written ``*.workflow.yaml``, so every TIME,
FLOW and LIST rule reads an imported workflow exactly like a native one.

This module stays light: the CLI imports it for ``--from`` choices and detection.
"""

from __future__ import annotations

from typing import Any

from preflight.constants import IMPORT_PLATFORMS as PLATFORMS
from preflight.constants import PLATFORM_LABELS as LABELS

__all__ = ["LABELS", "PLATFORMS", "detect", "fits"]


def detect(data: Any) -> str | None:
    """Which platform's workflow export a parsed JSON document is, if any (by its keys)."""
    if isinstance(data, list):
        # Mautic 7.x entity export: [{"campaign": [...], "campaign_event": [...], ...}]
        first = data[0] if data else None
        if isinstance(first, dict) and "campaign_event" in first:
            return "mautic"
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("nodes"), list) and isinstance(data.get("connections"), dict):
        return "n8n"
    if isinstance(data.get("activities"), list) and (
        isinstance(data.get("triggers"), list)
        or "workflowApiVersion" in data
        or "definitionType" in data
    ):
        return "sfmc"  # a Journey Builder journey (the Journey Specification)
    inner = data.get("data")
    if isinstance(inner, dict) and inner.get("type") == "flow":
        return "klaviyo"
    if isinstance(data.get("actions"), list) and "entry_action_id" in data:
        return "klaviyo"  # a bare flow definition
    if isinstance(data.get("actions"), list) and (
        "flowId" in data
        or "enrollmentCriteria" in data
        or "objectTypeId" in data
        or "startActionId" in data
        or "onlyEnrollsManually" in data  # legacy v3 workflows
    ):
        return "hubspot"
    if "campaign_event" in data and isinstance(data.get("campaign"), list):
        return "mautic"
    wrapped = data.get("campaign")  # GET /api/campaigns/{id}: {"campaign": {…, "events": …}}
    if isinstance(wrapped, dict) and isinstance(wrapped.get("events"), (list, dict)):
        return "mautic"
    if isinstance(data.get("events"), (list, dict)) and (
        "canvasSettings" in data or "lists" in data or "segments" in data
    ):
        return "mautic"
    return None


TOP_LEVEL = {
    "hubspot": ("actions",),
    "klaviyo": ("data", "actions"),
    "mautic": ("events", "campaign_event", "campaign"),
    "n8n": ("nodes", "connections"),
    "sfmc": ("activities",),
}
"""The keys an export of each platform has at its top (one at least), for ``--from``."""


def fits(data: Any, platform: str) -> bool:
    """Whether an export named as ``platform`` has at least one of its top-level keys: one
    with none of them is of no known format, not a workflow of that platform with problems."""
    if platform == "mautic" and isinstance(data, list) and data:
        data = data[0]  # the 7.x entity export wraps its object in a list
    return isinstance(data, dict) and any(key in data for key in TOP_LEVEL[platform])
