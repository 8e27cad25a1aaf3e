"""bench/bench_emailens.py builds its comparison table from the committed raw results
(bench/emailens/results/), without npm or the corpus, and bench/README.md shows that table."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from .conftest import bench_module

ROOT = Path(__file__).resolve().parent.parent


def _bench() -> ModuleType:
    return bench_module("bench_emailens")


def test_table_from_committed_results() -> None:
    bench = _bench()
    files, emailens, preflight = bench.load()
    assert len(files) == 50 and len(emailens) == 50
    assert preflight["summary"]["files"] == 50
    table = bench.compare(files, emailens, preflight, bench.rows())
    # every row is judged, and every Emailens finding in its five categories has a row
    assert all(row.verdict and row.verdict != "see below" for row in table)
    e_left, p_left = bench.unmatched(files, emailens, preflight, table)
    assert e_left <= {("spam", "missing-unsubscribe", "info")}  # the transactional note
    assert not p_left
    categories = {row.category for row in table}
    assert {"compatibility", "accessibility", "spam", "inbox display", "images"} <= categories
    # the README shows the table this script builds from the committed results
    markdown = bench.markdown(table, len(files))
    assert markdown in (ROOT / "bench" / "README.md").read_text()


def test_feature_names() -> None:
    bench = _bench()
    assert bench._feature({"property": "<link>"}) == "html-link"
    assert bench._feature({"property": "@media"}) == "css-at-media"
    assert bench._feature({"property": "display:none"}) == "css-display-none"
    assert bench._feature({"property": "border-radius"}) == "css-border-radius"
