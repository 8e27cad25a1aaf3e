"""Where the shipped data lives: rules/ inside the wheel, or beside src/ in a checkout."""

from __future__ import annotations

import functools
from pathlib import Path


@functools.cache
def rules_dir() -> Path:
    packaged = Path(__file__).resolve().parent / "rules"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if checkout.is_dir():
        return checkout
    raise RuntimeError(
        f"preflight's rules/ directory is missing (looked in {packaged} and {checkout})"
    )
