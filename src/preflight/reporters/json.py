"""The JSON report: version 1, as documented in DESIGN.md (Contracts) and docs/json-output.md.

The document itself is the report's (model/report.py); this reporter streams it.
"""

from __future__ import annotations

from preflight.model.report import finding_dict, json_chunks, report_dict

chunks = json_chunks
__all__ = ["chunks", "finding_dict", "report_dict"]
