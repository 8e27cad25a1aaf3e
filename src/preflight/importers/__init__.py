"""Importers: platform workflow exports mapped onto the native workflow document.

Each platform has one module (hubspot, klaviyo, mautic, n8n) with a
``convert(data, builder)`` that walks the export and adds native steps to a
``Builder`` (importers/base.py), remembering for every step the export's JSON
pointer. The native document is then validated and built by the same
``formats.workflow.build`` as a hand-written ``*.workflow.yaml``, so every TIME,
FLOW and LIST rule reads an imported workflow exactly like a native one.

This module stays light: the CLI imports it for ``--from`` choices and detection.
"""

from __future__ import annotations

from typing import Any

PLATFORMS = ("hubspot", "klaviyo", "mautic", "n8n")
LABELS = {"hubspot": "HubSpot", "klaviyo": "Klaviyo", "mautic": "Mautic", "n8n": "n8n"}


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
    if isinstance(data.get("events"), (list, dict)) and (
        "canvasSettings" in data or "lists" in data or "segments" in data
    ):
        return "mautic"
    return None
