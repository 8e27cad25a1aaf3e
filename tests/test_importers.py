"""Platform workflow exports (HubSpot, Klaviyo, Mautic, n8n, Journey Builder): the seed story
after import,
delay units, unknown elements, bad input, `preflight import` and its exit codes, and the
real n8n exports in ../shared/corpus."""

from __future__ import annotations

import collections
import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight import check
from preflight.config import ConfigError, config_from_mapping
from preflight.importers import PLATFORMS, detect
from preflight.importers.base import JsonPositions, Resolver, convert, to_workflow

DATA = Path(__file__).parent / "data" / "imports"


def _findings(path: Path, rules: tuple[str, ...] = ("TIME", "FLOW", "PF")) -> list[Any]:
    report = check([path])
    assert not report.internal_errors
    return [f for f in report.findings if f.rule.startswith(rules)]


def _workflow(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    platform = detect(data)
    assert platform is not None
    imported = convert(path, text, data, platform, Resolver(base=path.parent))
    workflow, problems = to_workflow(imported)
    assert workflow is not None, problems
    return workflow


# -- the seed story -------------------------------------------------------------------------

SEED = [
    ("hubspot/reminder-unguarded.json", "TIME002", "send-2", "/actions/1"),
    ("hubspot/check-without-delay.json", "TIME001", "branch-2", "/actions/1/listBranches/0"),
    ("hubspot/legacy-v3.json", "TIME002", "email-3", "/actions/2"),
    ("klaviyo/reminder-unguarded.json", "TIME002", "send-email-1002", None),
    ("klaviyo/check-without-delay.json", "TIME001", "opened-split", "/actions/1"),
    ("mautic/reminder-unguarded.json", "TIME002", "send-the-reminder", "/events/1"),
    ("mautic/export-7x.json", "TIME002", "send-the-reminder", "/0/campaign_event/1"),
    ("mautic/check-without-delay.json", "TIME001", "downloads-the-guide", "/events/1"),
    ("mautic/api-reminder-unguarded.json", "TIME002", "send-the-reminder", "/campaign/events/42"),
    (
        "mautic/api-check-without-delay.json",
        "TIME001",
        "downloads-the-guide",
        "/campaign/events/52",
    ),
    (
        "mautic/export-7x-check-without-delay.json",
        "TIME001",
        "opens-the-guide-offer",
        "/0/campaign_event/1",
    ),
    ("n8n/reminder-unguarded.json", "TIME002", "send-reminder", "/nodes/2"),
    ("n8n/check-without-wait.json", "TIME001", "downloaded-the-guide", "/nodes/2"),
    ("sfmc/reminder-unguarded.json", "TIME002", "guide-reminder", "/activities/1"),
    ("sfmc/check-without-wait.json", "TIME001", "clicked-the-guide", "/activities/1"),
]


@pytest.mark.parametrize(("name", "rule", "step", "pointer"), SEED, ids=[s[0] for s in SEED])
def test_seed_mistake_is_caught_after_import(
    name: str, rule: str, step: str, pointer: str | None
) -> None:
    path = DATA / name
    found = [f for f in _findings(path) if f.rule == rule]
    assert len(found) == 1, [f.message for f in _findings(path)]
    finding = found[0]
    assert finding.data["step"] == step
    assert finding.location.path == path  # the export, not a converted file
    assert finding.location.span is not None  # a line in the JSON
    if pointer is not None:
        assert finding.location.pointer == pointer
    # with a check, the reminder is guarded: only TIME001, never TIME002 as well
    if rule == "TIME001":
        assert not [f for f in _findings(path) if f.rule == "TIME002"]


GOOD = [
    "hubspot/delay-then-check.json",
    "klaviyo/delay-then-check.json",
    "mautic/month-then-check.json",
    "mautic/api-wait-then-check.json",
    "mautic/export-7x-wait-then-check.json",
    "n8n/wait-then-check.json",
    "n8n/approval-loop.json",
    "sfmc/wait-then-check.json",
]


@pytest.mark.parametrize("name", GOOD)
def test_a_wait_before_the_check_is_silent(name: str) -> None:
    assert not [f for f in _findings(DATA / name) if f.rule.startswith(("TIME", "FLOW"))]


def test_every_platform_has_seed_cases() -> None:
    platforms = {name.split("/")[0] for name, *_ in SEED}
    assert platforms == set(PLATFORMS)


STORIES = {
    # shape: (reminder with no wait and no check, check with no wait, the clean twin)
    "HubSpot automation v4": (
        "hubspot/reminder-unguarded.json",
        "hubspot/check-without-delay.json",
        "hubspot/delay-then-check.json",
    ),
    "Klaviyo flow": (
        "klaviyo/reminder-unguarded.json",
        "klaviyo/check-without-delay.json",
        "klaviyo/delay-then-check.json",
    ),
    "Mautic API, unwrapped": (
        "mautic/reminder-unguarded.json",
        "mautic/check-without-delay.json",
        "mautic/month-then-check.json",
    ),
    "Mautic API, GET /api/campaigns/{id}": (
        "mautic/api-reminder-unguarded.json",
        "mautic/api-check-without-delay.json",
        "mautic/api-wait-then-check.json",
    ),
    "Mautic 7.x entity export": (
        "mautic/export-7x.json",
        "mautic/export-7x-check-without-delay.json",
        "mautic/export-7x-wait-then-check.json",
    ),
    "n8n workflow": (
        "n8n/reminder-unguarded.json",
        "n8n/check-without-wait.json",
        "n8n/wait-then-check.json",
    ),
    "Journey Builder journey": (
        "sfmc/reminder-unguarded.json",
        "sfmc/check-without-wait.json",
        "sfmc/wait-then-check.json",
    ),
}


@pytest.mark.parametrize("shape", list(STORIES))
def test_documented_format_reproduces_the_seed_story(shape: str) -> None:
    """Each platform's documented export shape: the reminder with no wait and no check is
    TIME002, the check with no wait is TIME001, and the twin with a wait is silent; all three
    through `check`, the public surface."""
    reminder, check_first, clean = (DATA / name for name in STORIES[shape])
    timing = ("TIME", "FLOW")
    assert [f.rule for f in _findings(reminder, timing)] == ["TIME002"], shape
    assert [f.rule for f in _findings(check_first, timing)] == ["TIME001"], shape
    assert _findings(clean, timing) == [], shape
    for path in (reminder, check_first, clean):
        assert [f for f in _findings(path, ("PF",)) if f.rule != "PF004"] == [], path


def test_every_platform_and_shape_has_a_story() -> None:
    platforms = {names[0].split("/")[0] for names in STORIES.values()}
    assert platforms == set(PLATFORMS)


# -- delays ---------------------------------------------------------------------------------


def _waits(name: str) -> list[float | None]:
    return [s.wait_seconds for s in _workflow(DATA / name).steps if s.kind == "wait"]


def test_mautic_m_is_months_not_minutes() -> None:
    assert _waits("mautic/month-then-check.json") == [30 * 86400]
    assert _waits("mautic/export-7x.json") == [5 * 60]  # i is minutes


def test_mautic_interval_units(tmp_path: Path) -> None:
    data = json.loads((DATA / "mautic/reminder-unguarded.json").read_text(encoding="utf-8"))
    for unit, seconds in (
        ("i", 120),
        ("h", 7200),
        ("d", 172800),
        ("m", 5184000),
        ("y", 2 * 12 * 2592000),
    ):
        data["events"][1].update(triggerInterval=2, triggerIntervalUnit=unit)
        path = tmp_path / f"campaign-{unit}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        assert [s.wait_seconds for s in _workflow(path).steps if s.kind == "wait"] == [seconds]


def test_hubspot_delays() -> None:
    assert _waits("hubspot/legacy-v3.json") == [7200]  # delayMillis 7,200,000
    assert _waits("hubspot/delay-then-check.json") == [3 * 86400]  # delta "4320" MINUTES


def test_hubspot_object_type_0_1_is_contacts_action_type_0_1_is_a_delay() -> None:
    workflow = _workflow(DATA / "hubspot/delay-then-check.json")
    kinds = {s.id: s.kind for s in workflow.steps}
    assert kinds["delay-5"] == "wait"
    assert list(kinds.values()).count("wait") == 1


def test_hubspot_schedule_and_audience() -> None:
    imported = _imported("hubspot/reminder-unguarded.json")
    assert imported.document is not None
    assert imported.document["audience"] == {
        "include": ["hubspot-list-412"],
        "exclude": ["hubspot-list-97"],
    }
    send = imported.document["steps"][0]["send"]
    assert send["window"] == {"days": ["monday", "tuesday"], "start": "09:00", "end": "17:00"}
    assert send["blocked_dates"] == ["2026-12-25"]


def test_n8n_wait_defaults_by_version() -> None:
    assert _waits("n8n/wait-v1-defaults.json") == [3600]  # version 1: 1 hour
    assert _waits("n8n/wait-v1.1-defaults.json") == [5]  # 1.1: 5 seconds
    assert _waits("n8n/wait-then-check.json") == [3 * 86400]
    messages = [f.message for f in _findings(DATA / "n8n/wait-v1-defaults.json")]
    assert any("only 1 hour after it" in m for m in messages), messages


def test_klaviyo_delay_defaults_to_days_and_keeps_the_time_and_every_weekday() -> None:
    imported = _imported("klaviyo/delay-then-check.json")
    assert imported.document is not None
    wait = next(s for s in imported.document["steps"] if "wait" in s)["wait"]
    assert wait == {
        "duration": {"amount": 3, "unit": "days"},
        "until_time": "09:00",
        "until_weekday": ["monday", "tuesday", "wednesday", "thursday", "friday"],
    }
    workflow = _workflow(DATA / "klaviyo/delay-then-check.json")
    until = next(s for s in workflow.steps if s.kind == "wait").until
    assert until is not None and until.weekdays == (
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
    )


def _imported(name: str, resolver: Resolver | None = None) -> Any:
    path = DATA / name
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    platform = detect(data)
    assert platform is not None
    return convert(path, text, data, platform, resolver)


# -- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", sorted(DATA.glob("*/*.json")), ids=lambda p: p.parent.name + "/" + p.name
)
def test_detection_by_shape(path: Path) -> None:
    assert detect(json.loads(path.read_text(encoding="utf-8"))) == path.parent.name


def test_detection_leaves_other_json_alone() -> None:
    for data in ({}, [], {"html_content": "<p>x</p>"}, {"actions": []}, {"nodes": []}, 3, None):
        assert detect(data) is None


# -- unknown elements, bad input ------------------------------------------------------------


def test_unknown_elements_are_opaque_steps_and_pf004() -> None:
    for name, pointer in (
        ("hubspot/legacy-v3.json", "/actions/3/type"),
        ("klaviyo/delay-then-check.json", "/actions/5/type"),
        ("mautic/month-then-check.json", "/events/4/type"),
    ):
        found = [f for f in _findings(DATA / name) if f.rule == "PF004"]
        assert [f.location.pointer for f in found] == [pointer], name
        assert found[0].severity.label == "info"
        workflow = _workflow(DATA / name)
        assert any(s.kind == "opaque" for s in workflow.steps)


def test_malformed_json_is_pf001(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "flow.json"
    path.write_text('{"nodes": [}', encoding="utf-8")
    found = _findings(path)
    assert [f.rule for f in found] == ["PF001"]
    assert found[0].location.span is not None
    result = run_cli("import", str(path))
    assert result.returncode == 2
    assert "invalid JSON" in result.stderr and "Traceback" not in result.stderr


BROKEN = [
    ("n8n", {"name": "x", "nodes": "none", "connections": {}}, "/nodes"),
    ("n8n", {"nodes": [{"type": "n8n-nodes-base.set"}], "connections": {}}, "/nodes/0/name"),
    (
        "n8n",
        {
            "nodes": [
                {"name": "A", "type": "n8n-nodes-base.wait", "parameters": {"unit": "fortnights"}}
            ],
            "connections": {},
        },
        "/nodes/0/parameters",
    ),
    ("hubspot", {"flowId": 1, "actions": [{"actionTypeId": "0-1"}]}, "/actions/0"),
    (
        "hubspot",
        {
            "objectTypeId": "0-1",
            "actions": [
                {
                    "actionId": "1",
                    "actionTypeId": "0-1",
                    "fields": {"delta": "soon", "time_unit": "DAYS"},
                }
            ],
        },
        "/actions/0/fields/delta",
    ),
    (
        "hubspot",
        {"startActionId": "9", "actions": [{"actionId": "1", "actionTypeId": "0-4", "fields": {}}]},
        "/actions/0/fields",
    ),
    (
        "klaviyo",
        {
            "entry_action_id": "1",
            "actions": [
                {"id": "1", "type": "time-delay", "links": {"next": "7"}, "data": {"value": 1}}
            ],
        },
        "/actions/0/links/next",
    ),
    (
        "klaviyo",
        {"data": {"type": "flow", "attributes": {"name": "x"}}},
        "/data/attributes/definition",
    ),
    (
        "mautic",
        {
            "events": [
                {
                    "id": 1,
                    "eventType": "action",
                    "type": "email.send",
                    "properties": {"email": 1},
                    "triggerMode": "interval",
                    "triggerInterval": 1,
                    "triggerIntervalUnit": "w",
                }
            ],
            "lists": [],
        },
        "/events/0/triggerIntervalUnit",
    ),
    ("mautic", {"events": [{"id": 1, "eventType": "branchy"}], "lists": []}, "/events/0/eventType"),
]


@pytest.mark.parametrize(("platform", "data", "pointer"), BROKEN)
def test_wrong_shapes_are_pf003_with_the_json_path(
    tmp_path: Path, platform: str, data: Any, pointer: str
) -> None:
    path = tmp_path / "export.json"
    text = json.dumps(data, indent=1)
    path.write_text(text, encoding="utf-8")
    # as `preflight import --from PLATFORM` reads it (shape detection may not know it)
    imported = convert(path, text, data, platform, Resolver(base=tmp_path))
    found = [v for rule, v in to_workflow(imported)[1] if rule == "PF003"]
    assert pointer in [v.location.pointer for v in found], [v.message for v in found]
    assert any(pointer in v.message for v in found)
    assert all(v.location.span is not None for v in found if v.location.pointer)
    if detect(data) == platform:  # and as `preflight check` reads it
        assert pointer in [f.location.pointer for f in _findings(path) if f.rule == "PF003"]


def _mutations(data: Any) -> list[Any]:
    """The document with one value at a time replaced by something of the wrong type."""
    found: list[Any] = []

    def walk(node: Any, path: list[Any]) -> None:
        if len(found) > 150:
            return
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else []
        )
        for key, value in list(items):
            for replacement in (None, "x", 7, [], {}, [None]):
                if replacement == value:
                    continue
                copied = copy.deepcopy(data)
                target = copied
                for step in path:
                    target = target[step]
                target[key] = replacement
                found.append(copied)
            walk(value, [*path, key])

    walk(data, [])
    return found


@pytest.mark.parametrize(
    "path", sorted(DATA.glob("*/*.json")), ids=lambda p: p.parent.name + "/" + p.name
)
def test_no_shape_makes_an_importer_raise(path: Path) -> None:
    original = json.loads(path.read_text(encoding="utf-8"))
    platform = detect(original)
    assert platform is not None
    for data in _mutations(original):
        text = json.dumps(data)
        imported = convert(path, text, data, platform, Resolver(base=path.parent))
        _, problems = to_workflow(imported)
        # whatever the importer made of it still fits the native schema
        assert not [p for p in problems if p[1].data.get("pointer", "").startswith("/steps")], [
            p[1].message for p in problems
        ]


def test_json_positions() -> None:
    text = '{"a": [1, {"b": "x/y", "c~d": [true, {"e": 2}]}], "f": null}'
    positions = JsonPositions(text)
    assert positions.position("/a/1/c~0d/1/e") == (1, text.index("2") + 1)
    assert positions.position("/f") == (1, text.index("null") + 1)
    assert positions.position("/a/7") is None
    assert positions.position("/zzz") is None


# -- email references -------------------------------------------------------------------------


def test_unresolved_reference_is_a_flow002_info_not_a_crash(tmp_path: Path) -> None:
    shutil.copy(DATA / "hubspot/check-without-delay.json", tmp_path / "flow.json")
    found = [f for f in _findings(tmp_path / "flow.json") if f.rule == "FLOW002"]
    assert len(found) == 3
    assert {f.severity.label for f in found} == {"info"}
    assert found[0].location.pointer == "/actions/0/fields/content_id"
    assert "templates: {resolve: {hubspot:" in (found[0].help or "")


def test_a_resolved_path_that_does_not_exist_is_a_flow002_error(tmp_path: Path) -> None:
    copy = tmp_path / "imports"
    shutil.copytree(DATA, copy)
    path = copy / "klaviyo/reminder-unguarded.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"template_id": "reminder"', '"template_id": "WxQ9vT"'))
    found = [f for f in _findings(path) if f.rule == "FLOW002"]
    assert [(f.severity.label, f.location.pointer) for f in found] == [
        ("error", "/data/attributes/definition/actions/1/data/message/template_id")
    ]


def test_resolve_accepts_a_pattern_or_a_mapping() -> None:
    imported = _imported("mautic/month-then-check.json")  # no config: nothing resolves
    assert all("template" not in s.get("send", {}) for s in imported.document["steps"])
    resolver = Resolver({"mautic": {"12": "emails/reminder.html"}}, DATA, DATA / "mautic")
    imported = _imported("mautic/month-then-check.json", resolver)
    templates = [s["send"].get("template") for s in imported.document["steps"] if "send" in s]
    assert templates == [None, None, "../emails/reminder.html"]


@pytest.mark.parametrize(
    ("resolve", "message"),
    [
        ({"hubspt": "emails/{id}.html"}, 'did you mean "hubspot"'),
        ({"hubspot": "emails/offer.html"}, "{id}"),
        ({"klaviyo": {"abc": 3}}, "expected a template path"),
    ],
)
def test_templates_resolve_config_is_strict(resolve: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        config_from_mapping({"templates": {"resolve": resolve}})


# -- preflight import -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["hubspot/check-without-delay.json", "n8n/wait-then-check.json", "mautic/export-7x.json"],
)
def test_import_prints_native_yaml_and_exits_0_when_all_mapped(run_cli, name: str) -> None:
    result = run_cli("import", name, cwd=DATA)
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert document["platform"] == name.split("/")[0]
    assert document["steps"][-1] == {"id": "end", "exit": True}
    assert "0 not mapped" in result.stderr


def test_import_lists_what_it_could_not_map_and_exits_1(run_cli) -> None:
    result = run_cli("import", "klaviyo/delay-then-check.json", "--from", "klaviyo", cwd=DATA)
    assert result.returncode == 1
    assert 'PF004 Klaviyo action "send-sms" is not mapped' in result.stderr
    assert "[/actions/5/type]" in result.stderr
    assert yaml.safe_load(result.stdout)["steps"]


def test_import_exits_2_for_unknown_or_unreadable_input(run_cli, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}', encoding="utf-8")
    result = run_cli("import", str(other))
    assert result.returncode == 2 and "not a workflow export" in result.stderr
    assert run_cli("import", str(tmp_path / "missing.json")).returncode == 2
    assert run_cli("import", str(other), "--from", "zapier").returncode == 2


def test_import_output_round_trips_through_check(run_cli, tmp_path: Path) -> None:
    """--output writes a native workflow that `check` reads with the same TIME finding;
    template paths are relative to where the YAML is written."""
    out = tmp_path / "flows" / "guide.workflow.yaml"
    result = run_cli("import", str(DATA / "n8n/check-without-wait.json"), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert [f.rule for f in _findings(out)] == ["TIME001"]
    result = run_cli(
        "import", str(DATA / "hubspot/reminder-unguarded.json"), "--output", str(out), cwd=DATA
    )
    assert result.returncode == 0, result.stderr
    sends = [s["send"]["template"] for s in yaml.safe_load(out.read_text())["steps"] if "send" in s]
    assert all((out.parent / t).is_file() for t in sends), sends
    assert [f.rule for f in _findings(out)] == ["TIME002"]


def test_check_reports_imported_workflows_in_json(run_cli) -> None:
    result = run_cli("check", "n8n/reminder-unguarded.json", "--format", "json", cwd=DATA)
    document = json.loads(result.stdout)
    assert document["files"][0]["kind"] == "workflow"
    assert document["files"][0]["platform"] == "n8n"
    (finding,) = document["findings"]
    assert (finding["rule"], finding["part"], finding["pointer"]) == (
        "TIME002",
        "workflow",
        "/nodes/2",
    )
    assert finding["line"] == 36


def test_cli_import_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, preflight.cli; print([m for m in ('preflight.importers.base', 'jsonschema') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_choices_match_the_importers() -> None:
    from preflight.cli import IMPORT_PLATFORMS
    from preflight.config import IMPORT_PLATFORMS as CONFIG_PLATFORMS

    assert IMPORT_PLATFORMS == PLATFORMS == CONFIG_PLATFORMS


# -- the real n8n exports ------------------------------------------------------------------------


def test_every_corpus_n8n_file_imports_or_yields_a_clean_finding(corpus: Path) -> None:
    files = sorted((corpus / "n8n-workflows-zie619").rglob("*.json"))
    assert len(files) == 53
    summary: collections.Counter[str] = collections.Counter()
    for path in files:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert detect(data) == "n8n", path
        imported = convert(path, text, data, "n8n", Resolver(base=path.parent))
        workflow, problems = to_workflow(imported)
        assert workflow is not None, (path, [p[1].message for p in problems])
        assert {rule for rule, _ in problems} <= {"PF003", "PF004", "FLOW002"}, path
        summary["imported"] += 1
        summary["with sends"] += any(s.kind == "send" for s in workflow.steps)
        summary["fully mapped"] += imported.mapped_fully
    assert summary["imported"] == 53
    assert summary["with sends"] == 20


def test_n8n_webhook_waits_keep_their_timeout(tmp_path: Path) -> None:
    nodes = [
        {
            "name": "Start",
            "type": "n8n-nodes-base.manualTrigger",
            "typeVersion": 1,
            "parameters": {},
        },
        {
            "name": "Wait for approval",
            "type": "n8n-nodes-base.wait",
            "typeVersion": 1,
            "parameters": {"mode": "webhook", "timeout": "1h"},
        },
        {
            "name": "Wait for reply",
            "type": "n8n-nodes-base.wait",
            "typeVersion": 1.1,
            "parameters": {
                "resume": "webhook",
                "limitWaitTime": True,
                "resumeAmount": 2,
                "resumeUnit": "days",
            },
        },
    ]
    connections = {
        "Start": {"main": [[{"node": "Wait for approval", "type": "main", "index": 0}]]},
        "Wait for approval": {"main": [[{"node": "Wait for reply", "type": "main", "index": 0}]]},
    }
    data = {"name": "approvals", "nodes": nodes, "connections": connections}
    imported = convert(tmp_path / "x.json", json.dumps(data), data, "n8n")
    waits = [s["wait"] for s in imported.document["steps"] if "wait" in s]
    assert waits == [
        {"until_event": "a webhook call", "timeout": "1h"},
        {"until_event": "a webhook call", "timeout": {"amount": 2, "unit": "days"}},
    ]


# -- numbers from exports, unexpected shapes, `import` and its contract -------------------------

HUBSPOT_SEND = '{"actionId": "1", "actionTypeId": "0-4", "fields": {"content_id": "5"}}'
OUT_OF_RANGE = [
    (  # json reads 1e400 as inf: int(inf) raised OverflowError
        f'{{"flowId": 1, "actions": [{HUBSPOT_SEND}], "timeWindows": [{{"day": "MONDAY",'
        ' "startTime": {"hour": 9}, "endTime": {"hour": 1e400}}]}',
        "/timeWindows/0/endTime/hour",
        "not a finite number",
    ),
    (  # an hour of 25 imported as "25:00"
        f'{{"flowId": 1, "actions": [{HUBSPOT_SEND}], "timeWindows": [{{"day": "MONDAY",'
        ' "startTime": {"hour": 25}}]}',
        "/timeWindows/0/startTime/hour",
        "hour 25 is more than 23",
    ),
    (
        '{"flowId": 1, "actions": [{"actionId": "1", "actionTypeId": "0-1", "fields":'
        ' {"delta": "1e400", "time_unit": "DAYS"}}]}',
        "/actions/0/fields/delta",
        "not a finite number",
    ),
    (
        '{"flowId": 1, "actions": [{"actionId": "1", "actionTypeId": "0-1", "fields":'
        ' {"delta": "60", "time_of_day": {"hour": 24, "minute": 0}}}]}',
        "/actions/0/fields/time_of_day/hour",
        "hour 24 is more than 23",
    ),
    (
        '{"onlyEnrollsManually": true, "actions": [{"type": "DELAY", "delayMillis": 1e400}]}',
        "/actions/0/delayMillis",
        "delayMillis 1e400 is not a finite number",
    ),
    (
        '{"flowId": 1, "actions": [], "blockedDates": [{"year": 1e400, "month": 1, "day": 1},'
        ' "2026-02-30"]}',
        "/blockedDates/0/year",
        "not a finite number",
    ),
    (
        '{"lists": [], "events": [{"id": 1, "eventType": "action", "type": "email.send",'
        ' "properties": {"email": 3}, "triggerRestrictedDaysOfWeek": [1e400, 1]}]}',
        "/events/0/triggerRestrictedDaysOfWeek/0",
        "day 1e400 is not a finite number",
    ),
    (
        '{"lists": [], "events": [{"id": 1, "eventType": "action", "type": "email.send",'
        ' "properties": {"email": 3}, "triggerMode": "interval", "triggerInterval": "1e400",'
        ' "triggerIntervalUnit": "d"}]}',
        "/events/0/triggerInterval",
        'triggerInterval "1e400" is not a finite number',
    ),
    (
        '{"lists": [], "events": [{"id": 1, "eventType": "action", "type": "email.send",'
        ' "properties": {"email": 3}, "triggerRestrictedStartHour": "99:99"}]}',
        "/events/0/triggerRestrictedStartHour",
        '"99:99" is not a time of day',
    ),
    (
        '{"entry_action_id": "1", "actions": [{"id": "1", "type": "time-delay",'
        ' "data": {"value": 1e400, "unit": "days"}}]}',
        "/actions/0/data/value",
        "not a finite number",
    ),
    (
        '{"nodes": [{"name": "W", "type": "n8n-nodes-base.wait", "typeVersion": 1.1,'
        ' "parameters": {"amount": 1e400, "unit": "days"}}], "connections": {}}',
        "/nodes/0/parameters",
        "cannot read the Wait amount",
    ),
]


@pytest.mark.parametrize(
    ("text", "pointer", "message"), OUT_OF_RANGE, ids=[case[1] for case in OUT_OF_RANGE]
)
def test_numbers_out_of_range_are_pf003_at_their_json_path(
    tmp_path: Path, run_cli, text: str, pointer: str, message: str
) -> None:
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    data = json.loads(text)
    platform = detect(data)
    assert platform is not None
    workflow, problems = to_workflow(convert(path, text, data, platform))
    assert workflow is not None, [v.message for _, v in problems]  # still a usable workflow
    found = {v.location.pointer: v.message for rule, v in problems if rule == "PF003"}
    assert pointer in found, found
    assert message in found[pointer]
    # `check` reads it as well: a PF003, never an internal error
    report = check([path])
    assert not report.internal_errors
    assert "PF001" not in [f.rule for f in report.findings]
    out = tmp_path / "out.workflow.yaml"
    result = run_cli("import", str(path), "--output", str(out))
    assert (result.returncode, "Traceback" in result.stderr) == (1, False), result.stderr
    assert out.is_file()
    assert [f.rule for f in check([out]).findings if f.rule == "PF003"] == []


def test_an_unexpected_error_in_an_importer_is_a_pf003_at_the_element(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preflight.importers import hubspot

    original = hubspot._action

    def fragile(builder: Any, index: int, *args: Any) -> None:
        if index == 1:
            raise RecursionError("maximum recursion depth exceeded")
        original(builder, index, *args)

    monkeypatch.setattr(hubspot, "_action", fragile)
    imported = _imported("hubspot/reminder-unguarded.json")
    found = [(v.location.pointer, v.message) for rule, v in imported.problems if rule == "PF003"]
    assert found == [
        (
            "/actions/1",
            "/actions/1: could not read this export element"
            " (RecursionError: maximum recursion depth exceeded)",
        )
    ]
    workflow, _ = to_workflow(imported)
    assert workflow is not None and workflow.steps[0].kind == "send"  # the rest is read


def test_an_error_escaping_an_importer_is_a_pf003_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preflight.importers import mautic

    def broken(data: Any, builder: Any) -> None:
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr(mautic, "convert", broken)
    imported = _imported("mautic/reminder-unguarded.json")
    assert [rule for rule, _ in imported.problems] == ["PF003"]
    assert "could not read this Mautic export element" in imported.problems[0][1].message


def test_mautic_negative_interval_says_negative(tmp_path: Path) -> None:
    data = json.loads((DATA / "mautic/reminder-unguarded.json").read_text(encoding="utf-8"))
    data["events"][1].update(triggerInterval=-3, triggerIntervalUnit="d")
    imported = convert(tmp_path / "c.json", json.dumps(data), data, "mautic")
    messages = [v.message for rule, v in imported.problems if rule == "PF003"]
    assert messages == ["/events/1/triggerInterval: triggerInterval -3 is negative"]


def test_import_writes_a_usable_document_with_pf003_and_exits_1(run_cli, tmp_path: Path) -> None:
    data = json.loads((DATA / "mautic/reminder-unguarded.json").read_text(encoding="utf-8"))
    data["events"][0]["triggerRestrictedStartHour"] = "99:99"
    data["events"][1].update(triggerInterval="1e400", triggerIntervalUnit="d")
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "x.workflow.yaml"
    result = run_cli("import", str(path), "--output", str(out))
    assert result.returncode == 1, result.stderr
    assert out.is_file()
    assert "/events/0/triggerRestrictedStartHour" in result.stderr
    assert "/events/1/triggerInterval" in result.stderr
    assert "preflight: imported 3 steps" in result.stderr


def test_import_says_nothing_written_when_the_native_document_does_not_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from preflight import cli
    from preflight.importers import base
    from preflight.model import Location, Violation

    def unfit(imported: Any) -> tuple[None, list[tuple[str, Violation]]]:
        problem = Violation("steps/0: does not fit", Location(imported.path), {})
        return None, [*imported.problems, ("PF003", problem)]

    monkeypatch.setattr(base, "to_workflow", unfit)
    out = tmp_path / "x.workflow.yaml"
    source = str(DATA / "n8n/wait-then-check.json")
    result = CliRunner().invoke(cli.main, ["import", source, "--output", str(out)])
    assert result.exit_code == 2
    assert "nothing written" in result.output and "imported" not in result.output
    assert not out.exists()


def test_import_says_1_step_not_1_steps(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "flow.json"
    path.write_text('{"name": "x", "nodes": [], "connections": {}}', encoding="utf-8")
    result = run_cli("import", str(path))
    assert result.returncode == 0, result.stderr
    assert "imported 1 step from" in result.stderr


def test_import_from_another_platform_says_what_it_looks_like(run_cli) -> None:
    result = run_cli("import", "klaviyo/delay-then-check.json", "--from", "hubspot", cwd=DATA)
    assert result.returncode == 2
    assert "looks like a Klaviyo export" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_import_from_with_none_of_the_top_level_keys_is_unknown_format(
    run_cli, tmp_path: Path, platform: str
) -> None:
    path = tmp_path / "empty.json"
    path.write_text("{}", encoding="utf-8")
    result = run_cli("import", str(path), "--from", platform)
    assert result.returncode == 2, result.stderr
    assert "export: it has no" in result.stderr and result.stdout == ""


def test_cli_internal_errors_are_a_message_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from preflight import cli
    from preflight.importers import base

    def bug(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(base, "convert", bug)
    result = CliRunner().invoke(cli.main, ["import", str(DATA / "n8n/wait-then-check.json")])
    assert result.exit_code == 2
    assert "internal error: RuntimeError: a bug" in result.output
    assert "Traceback" not in result.output


def test_one_platform_list_and_one_weekday_tuple() -> None:
    from preflight import cli, config, constants
    from preflight.importers import LABELS, hubspot, klaviyo, mautic

    assert cli.IMPORT_PLATFORMS is config.IMPORT_PLATFORMS is PLATFORMS
    assert PLATFORMS is constants.IMPORT_PLATFORMS and LABELS is constants.PLATFORM_LABELS
    assert list(hubspot.DAYS.values()) == list(constants.WEEKDAYS)
    assert klaviyo.WEEKDAYS is mautic.WEEKDAYS is constants.WEEKDAYS


def test_clock_is_one_pattern() -> None:
    from preflight import catalogue, constants
    from preflight.formats.workflow import schema

    assert catalogue._CLOCK.pattern == constants.CLOCK
    assert schema()["$defs"]["clock"]["pattern"] == constants.CLOCK


def test_the_import_output_in_the_docs_is_current(run_cli) -> None:
    """docs/importing.md shows real `preflight import` output, one file per platform."""
    import re

    docs = (DATA.parents[2] / "docs" / "importing.md").read_text(encoding="utf-8")
    blocks = re.findall(
        r"```console\n\$ preflight import (\S+)\n(.*?)\[exit (\d)\]\n```", docs, re.S
    )
    assert len(blocks) >= 4
    for name, shown, code in blocks:
        result = run_cli("import", name, cwd=DATA)
        assert result.returncode == int(code), result.stderr
        assert result.stdout + result.stderr == shown, name


# -- HubSpot: EMAIL_EVENT filters read their operator ---------------------------------------


def _hubspot_check(tmp_path: Path, event_filter: dict[str, Any]) -> Any:
    """The documented v4 check-without-delay flow with another EMAIL_EVENT filter."""
    data = json.loads((DATA / "hubspot/check-without-delay.json").read_text(encoding="utf-8"))
    branch = data["actions"][1]["listBranches"][0]["filterBranch"]["filterBranches"][0]
    branch["filters"] = [event_filter]
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    imported = convert(path, text, data, "hubspot", Resolver(base=path.parent))
    assert imported.document is not None
    return next(s for s in imported.document["steps"] if "branch" in s)["branch"]


@pytest.mark.parametrize(
    ("operator", "condition", "then"),
    [
        ("OPENED", {"opened": "send-1"}, "send-4"),
        ("LINK_CLICKED", {"clicked": "send-1"}, "send-4"),
        ("REPLIED", {"replied": "send-1"}, "send-4"),
        # the negations: the branch's target is the "no" side
        ("RECEIVED_BUT_NOT_OPENED", {"opened": "send-1"}, "send-3"),
        ("SENT_BUT_LINK_NOT_CLICKED", {"clicked": "send-1"}, "send-3"),
        ("OPENED_BUT_NOT_REPLIED", {"replied": "send-1"}, "send-3"),
        ("BOUNCED", {"field": "email event bounced"}, "send-4"),
    ],
)
def test_hubspot_email_event_engagement_is_its_operator(
    tmp_path: Path, operator: str, condition: dict[str, str], then: str
) -> None:
    event = {
        "filterType": "EMAIL_EVENT",
        "level": "HUBSPOT_CAMPAIGN",  # the kind of campaign, never the engagement
        "emailId": 161531243690,
        "appId": 113,
        "operator": operator,
    }
    branch = _hubspot_check(tmp_path, event)
    assert branch["if"] == condition
    assert branch["then"] == then


def test_hubspot_level_is_not_an_engagement(tmp_path: Path) -> None:
    """The mistake issue 15 reports: `level` named like an engagement is not read as one."""
    event = {"filterType": "EMAIL_EVENT", "level": "CLICKED", "emailId": 1, "operator": "SENT"}
    assert _hubspot_check(tmp_path, event)["if"] == {"field": "email event sent"}


def test_hubspot_link_clicked_keeps_its_click_url(tmp_path: Path) -> None:
    event = {
        "filterType": "EMAIL_EVENT",
        "level": "EMAIL_API_CAMPAIGN",
        "emailId": 161531243690,
        "appId": 113,
        "operator": "LINK_CLICKED",
        "clickUrl": "https://brightleaf.example/guide",
    }
    condition = _hubspot_check(tmp_path, event)["if"]
    assert condition == {"clicked": "send-1", "url": "https://brightleaf.example/guide"}


def test_hubspot_v4_examples_import_and_a_placeholder_stays_a_finding(corpus: Path) -> None:
    """HubSpot's own v4 examples: the minimal create body and the branching flow whose
    actionTypeId is a placeholder ("<copy-from-a-real-get>"): a PF004, never a crash."""
    folder = corpus / "hubspot-v4-flow-examples"
    files = sorted(folder.rglob("*.json"))
    assert len(files) == 2
    for path in files:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert detect(data) == "hubspot", path
        workflow, problems = to_workflow(convert(path, text, data, "hubspot"))
        assert workflow is not None, path
        assert {rule for rule, _ in problems} <= {"PF004"}, path
    report = check([folder])
    assert not report.internal_errors
    assert [(f.rule, f.data.get("type")) for f in report.findings] == [
        ("PF004", "<copy-from-a-real-get>")
    ]


# -- Mautic: GET /api/campaigns/{id} wraps the campaign --------------------------------------


def test_mautic_wrapped_api_response_is_detected_checked_and_imported(run_cli) -> None:
    data = json.loads((DATA / "mautic/api-check-without-delay.json").read_text(encoding="utf-8"))
    assert set(data) == {"campaign"}
    assert detect(data) == "mautic"
    assert detect(data["campaign"]) == "mautic"  # the inner object alone, as before
    result = run_cli("import", "mautic/api-wait-then-check.json", "--from", "mautic", cwd=DATA)
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert document["name"] == "Planting guide follow-up (API, three days to download)"
    assert document["audience"] == {"include": ["mautic-segment-3"]}
    walked = check([DATA / "mautic"])  # found by walking, not only when named
    assert any(f.location.path.name == "api-check-without-delay.json" for f in walked.findings)


# -- n8n: send and wait for a response -------------------------------------------------------


def _n8n(tmp_path: Path, node: dict[str, Any], loop: bool = True) -> Path:
    nodes = [
        {"name": "Start", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1},
        {"typeVersion": 2, "name": "Ask", **node},
        {
            "name": "Send it",
            "type": "n8n-nodes-base.emailSend",
            "typeVersion": 2.1,
            "parameters": {"subject": "This week in the garden", "text": "Garden news."},
        },
    ]
    connections = {
        "Start": {"main": [[{"node": "Ask", "type": "main", "index": 0}]]},
        "Ask": {"main": [[{"node": "Send it", "type": "main", "index": 0}]]},
    }
    if loop:
        connections["Send it"] = {"main": [[{"node": "Ask", "type": "main", "index": 0}]]}
    path = tmp_path / "flow.json"
    path.write_text(json.dumps({"name": "x", "nodes": nodes, "connections": connections}))
    return path


@pytest.mark.parametrize(
    ("node_type", "resource"),
    [
        ("n8n-nodes-base.gmail", "message"),
        ("n8n-nodes-base.microsoftOutlook", "message"),
        ("n8n-nodes-base.emailSend", None),
        ("n8n-nodes-base.slack", "message"),
        ("n8n-nodes-base.telegram", "message"),
        ("n8n-nodes-base.discord", "message"),
    ],
)
def test_n8n_send_and_wait_is_a_message_then_a_wait_for_the_response(
    tmp_path: Path, node_type: str, resource: str | None
) -> None:
    parameters: dict[str, Any] = {
        "operation": "sendAndWait",
        "subject": "Approve the newsletter?",
        "message": "The draft is ready.",
        "options": {"limitWaitTime": {"values": {"resumeAmount": 2, "resumeUnit": "days"}}},
    }
    if resource:
        parameters["resource"] = resource
    path = _n8n(tmp_path, {"type": node_type, "parameters": parameters})
    steps = {s.id: s for s in _workflow(path).steps}
    email = node_type.endswith(("gmail", "microsoftOutlook", "emailSend"))
    assert steps["ask"].kind == ("send" if email else "notify")
    wait = steps["ask-response"]
    assert wait.kind == "wait" and wait.until is not None
    assert wait.until.event == "a response to Ask" and wait.until.timeout == 2 * 86400
    assert steps["ask"].next == "ask-response" and wait.next == "send-it"
    # the loop back to the question holds contacts at the wait: no FLOW003
    assert not [f for f in _findings(path) if f.rule.startswith(("FLOW", "TIME"))]


def test_n8n_send_and_wait_limits_take_n8ns_defaults(tmp_path: Path) -> None:
    def timeout(parameters: dict[str, Any]) -> Any:
        node = {"type": "n8n-nodes-base.slack", "parameters": {"operation": "sendAndWait"}}
        node["parameters"].update(parameters)
        wait = next(s for s in _workflow(_n8n(tmp_path, node)).steps if s.kind == "wait")
        return wait.until.timeout if wait.until else "no until"

    assert timeout({}) is None  # n8n waits indefinitely (WAIT_INDEFINITELY)
    assert timeout({"options": {"limitWaitTime": {"values": {}}}}) == 45 * 60  # the option
    assert timeout({"options": {"limitWaitTime": {"values": {"resumeAmount": 3}}}}) == 3 * 3600
    assert timeout({"limitWaitTime": True, "resumeUnit": "days"}) == 86400  # the Form node's
    path = _n8n(
        tmp_path, {"type": "n8n-nodes-base.slack", "parameters": {"operation": "sendAndWait"}}
    )
    assert [f.rule for f in _findings(path)] == ["TIME003"]  # no timeout: contacts stay for good


def test_n8n_send_and_wait_until_a_set_time_is_pf004(tmp_path: Path) -> None:
    limit = {"limitType": "atSpecifiedTime", "maxDateAndTime": "2026-05-01T09:00:00"}
    node = {
        "type": "n8n-nodes-base.gmail",
        "parameters": {"operation": "sendAndWait", "options": {"limitWaitTime": {"values": limit}}},
    }
    found = [f for f in _findings(_n8n(tmp_path, node, loop=False)) if f.rule == "PF004"]
    assert [f.location.pointer for f in found] == ["/nodes/1/parameters/options/limitWaitTime"]


def test_n8n_outlook_send_is_a_send(tmp_path: Path) -> None:
    node = {
        "type": "n8n-nodes-base.microsoftOutlook",
        "parameters": {"subject": "Hi", "bodyContent": "<p>Hi</p>", "bodyContentType": "html"},
    }
    ask = next(s for s in _workflow(_n8n(tmp_path, node, loop=False)).steps if s.id == "ask")
    assert ask.kind == "send" and ask.spec == {"subject": "Hi", "html": "<p>Hi</p>"}


# -- Klaviyo: every day a delay may end on ----------------------------------------------------


def test_klaviyo_weekday_sets_are_judged_day_by_day(tmp_path: Path) -> None:
    """delay_until_weekdays [friday, saturday] at 09:00: the send can go out on a Saturday
    (reading only the first day, Friday, hid it)."""
    data = json.loads((DATA / "klaviyo/delay-then-check.json").read_text(encoding="utf-8"))
    delay = next(a for a in data["actions"] if a["type"] == "time-delay")
    path = tmp_path / "flow.json"
    for days, expected in ((["friday", "saturday"], ["Saturday"]), (["friday"], [])):
        delay["data"]["delay_until_weekdays"] = days
        path.write_text(json.dumps(data), encoding="utf-8")
        report = check([path], config={"select": ["TIME004"]})
        assert ["Saturday" if "Saturday" in f.message else f.message for f in report.findings] == (
            expected * 2  # the thanks and the reminder after the check
        ), days


# -- Journey Builder ---------------------------------------------------------------------------


def _journey(tmp_path: Path, activities: list[dict[str, Any]], **extra: Any) -> Path:
    base = json.loads((DATA / "sfmc/wait-then-check.json").read_text(encoding="utf-8"))
    base.update(activities=activities, **extra)
    path = tmp_path / "journey.json"
    path.write_text(json.dumps(base), encoding="utf-8")
    return path


def _email(key: str, email_id: int, subject: str, nxt: str | None) -> dict[str, Any]:
    return {
        "key": key,
        "name": key.lower(),
        "type": "EMAILV2",
        "outcomes": [{"key": f"{key}-o", "next": nxt}],
        "configurationArguments": {"triggeredSend": {"emailId": email_id, "emailSubject": subject}},
    }


def _wait_activity(key: str, config: dict[str, Any], nxt: str | None, **meta: Any) -> Any:
    return {
        "key": key,
        "name": key.lower(),
        "type": "WAIT",
        "outcomes": [{"key": f"{key}-o", "next": nxt}],
        "configurationArguments": config,
        "metaData": meta,
    }


def test_journey_builder_waits(tmp_path: Path) -> None:
    activities = [
        _wait_activity("WAIT-1", {"waitDuration": 2, "waitUnit": "WEEKS"}, "WAIT-2"),
        _wait_activity(
            "WAIT-2",
            {"waitDuration": 1, "waitUnit": "DAYS", "specifiedTime": "09:30"},
            "WAIT-3",
            isExtended=True,
        ),
        _wait_activity(
            "WAIT-3",
            {"waitDuration": 1, "waitUnit": "DAYS", "specifiedTime": "00:00"},
            "WAIT-4",
            isExtended=False,
        ),
        _wait_activity("WAIT-4", {"specificDate": "2026-06-12T09:00:00"}, "WAIT-5"),
        _wait_activity(
            "WAIT-5",
            {
                "waitEndDateAttributeExpression": '{{Contact.Attribute."Webinar"."WebinarDate"}}',
                "waitDuration": -1,
                "waitUnit": "DAYS",
            },
            "WAIT-6",
            uiType="WAITBYATTRIBUTE",
        ),
        _wait_activity(
            "WAIT-6",
            {"waitForEventKey": "APIEvent-order", "waitDuration": 3, "waitUnit": "DAYS"},
            None,
        ),
    ]
    imported = convert(
        _journey(tmp_path, activities),
        "",
        json.loads((tmp_path / "journey.json").read_text()),
        "sfmc",
    )
    assert imported.document is not None
    waits = [s["wait"] for s in imported.document["steps"] if "wait" in s]
    assert waits == [
        {"amount": 2, "unit": "weeks"},
        {"duration": {"amount": 1, "unit": "days"}, "until_time": "09:30"},
        {"amount": 1, "unit": "days"},  # the API's "00:00" of a wait nobody extended
        {"until_field": "2026-06-12T09:00:00"},
        {"until_field": "WebinarDate", "offset": "-1 days"},
        {"until_event": "event APIEvent-order", "timeout": {"amount": 3, "unit": "days"}},
    ]


def test_journey_builder_splits_and_exit_criteria(tmp_path: Path) -> None:
    activities = [
        _email("EMAILV2-1", 9001, "Your free planting guide", "RANDOMSPLIT-1"),
        {
            "key": "RANDOMSPLIT-1",
            "type": "RandomSplit",
            "outcomes": [
                {"key": "a", "next": "WAIT-1", "arguments": {"percentage": 90}},
                {"key": "b", "next": None, "arguments": {"percentage": 10}},
            ],
        },
        _wait_activity(
            "WAIT-1", {"waitDuration": 3, "waitUnit": "days"}, "MULTICRITERIADECISION-1"
        ),
        {
            "key": "MULTICRITERIADECISION-1",
            "type": "MULTICRITERIADECISION",
            "outcomes": [
                {"key": "p1", "next": "EMAILV2-2", "metaData": {"criteriaDescription": "Gold"}},
                {"key": "remainder_path", "next": "SMS-1", "metaData": {"label": None}},
            ],
            "configurationArguments": {"criteria": {"p1": "<FilterDefinition/>"}},
        },
        _email("EMAILV2-2", 9003, "Enjoy the guide", None),
        {"key": "SMS-1", "type": "SMSSYNC", "outcomes": [{"key": "s", "next": None}]},
    ]
    exits = [{"key": "EXIT-1", "name": "Purchased", "configurationArguments": {"criteria": "<x/>"}}]
    path = _journey(tmp_path, activities, exits=exits)
    steps = {s.id: s for s in _workflow(path).steps}
    assert steps["randomsplit-1"].split == {"wait-1": 90.0, "end": 10.0}
    check_exit = steps["wait-1-exit-criteria"]
    assert steps["wait-1"].next == "wait-1-exit-criteria"
    assert (check_exit.yes, check_exit.no) == ("exit-criteria-met", "multicriteriadecision-1")
    assert steps["exit-criteria-met"].kind == "exit"
    decision = steps["multicriteriadecision-1"]
    assert decision.kind == "branch" and (decision.yes, decision.no) == ("emailv2-2", "sms-1")
    pf004 = [f for f in _findings(path) if f.rule == "PF004"]
    assert [f.data["type"] for f in pf004] == ["SMSSYNC"]


def test_journey_builder_goals_that_only_measure_keep_contacts(tmp_path: Path) -> None:
    activities = [_wait_activity("WAIT-1", {"waitDuration": 1, "waitUnit": "days"}, None)]
    measure = [{"key": "g", "name": "Bought", "metaData": {"isExitCriteria": False}}]
    steps = [s.id for s in _workflow(_journey(tmp_path, activities, goals=measure)).steps]
    assert steps == ["wait-1", "end"]
    leave = [{"key": "g", "name": "Bought", "metaData": {"isExitCriteria": True}}]
    workflow = _workflow(_journey(tmp_path, activities, goals=leave))
    goal = next(s for s in workflow.steps if s.kind == "goal")
    assert goal.spec == "goal or exit criteria: Bought"


def test_journey_builder_engagement_split_sides_and_statistics(tmp_path: Path) -> None:
    def branch(config: dict[str, Any], outcomes: list[dict[str, Any]]) -> Any:
        split = {"key": "E-1", "type": "ENGAGEMENTDECISION", "outcomes": outcomes}
        split["configurationArguments"] = config
        activities = [
            _email("EMAILV2-1", 9001, "Your free planting guide", "E-1"),
            split,
            _email("EMAILV2-2", 9002, "Reminder", None),
            _email("EMAILV2-3", 9003, "Thanks", None),
        ]
        return next(s for s in _workflow(_journey(tmp_path, activities)).steps if s.id == "e-1")

    opened = branch(
        {"refActivityCustomerKey": "EMAILV2-1", "statsTypeId": 2},
        [
            {"key": "n", "next": "EMAILV2-2", "arguments": {"when": False}},
            {"key": "y", "next": "EMAILV2-3", "arguments": {"when": True}},
        ],
    )
    assert opened.engagement == ("opened", "emailv2-1")
    assert (opened.yes, opened.no) == ("emailv2-3", "emailv2-2")
    by_label = branch(
        {"refActivityCustomerKey": "EMAILV2-1", "statsTypeId": "3"},
        [
            {"key": "y", "next": "EMAILV2-3", "metaData": {"label": "Yes"}},
            {"key": "n", "next": "EMAILV2-2", "metaData": {"label": "No"}},
        ],
    )
    assert by_label.engagement == ("clicked", "emailv2-1")
    bounced = branch({"statsTypeId": 6}, [{"key": "y", "next": None}, {"key": "n", "next": None}])
    assert bounced.engagement is None


def test_journey_builder_shapes_are_findings_not_crashes(tmp_path: Path) -> None:
    for activities in (
        [{"type": "EMAILV2"}],  # no key
        [{"key": "A", "type": "WAIT", "configurationArguments": {"waitDuration": "x"}}],
        [
            {
                "key": "A",
                "type": "WAIT",
                "configurationArguments": {"waitUnit": "FORTNIGHTS", "waitDuration": 1},
            }
        ],
        [{"key": "A", "type": "EMAILV2", "outcomes": [{"next": "NOWHERE"}]}],
        [
            {
                "key": "A",
                "type": "RANDOMSPLIT",
                "outcomes": [{"next": None, "arguments": {"percentage": "1e400"}}],
            }
        ],
        [3, None, "x"],
    ):
        report = check([_journey(tmp_path, activities)])
        assert not report.internal_errors
        assert any(f.rule == "PF003" for f in report.findings), activities


def test_every_corpus_journey_imports(corpus: Path) -> None:
    """The Journey Builder journeys of sfmc-devtools, read in place: the API answers
    (test/resources) and mcdev's journey-meta.json files."""
    files = sorted(
        p
        for p in (corpus / "sfmc-devtools").rglob("*.json")
        if detect(json.loads(p.read_text(encoding="utf-8"))) == "sfmc"
    )
    assert len(files) == 14
    kinds: collections.Counter[str] = collections.Counter()
    for path in files:
        text = path.read_text(encoding="utf-8")
        imported = convert(path, text, json.loads(text), "sfmc", Resolver(base=path.parent))
        workflow, problems = to_workflow(imported)
        assert workflow is not None, path
        assert {rule for rule, _ in problems} <= {"FLOW002"}, (path, problems)
        kinds.update(s.kind for s in workflow.steps)
    assert kinds["send"] == 10 and kinds["wait"] == 4 and kinds["branch"] == 2
    assert kinds["update"] == 4
    multistep = [p for p in files if "Multistep" in str(p)]
    for path in multistep:
        steps = {s.id: s for s in _workflow(path).steps}
        assert steps["multicriteriadecisionv2-1"].yes == "my-custom-activity-name"
        assert steps["my-custom-activity-name"].next == "1-day"
