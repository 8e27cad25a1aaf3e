"""n8n workflows: ``{name, nodes: [...], connections: {"<node name>": {main: [[...]]}}}``.

Sends: Send Email, Gmail (send, reply), Outlook message send, SendGrid mail, Mailjet email,
Mautic contact sendEmail, Mailchimp campaign send. A "send and wait for response" operation
(``sendAndWait``, on email and chat nodes alike) is a send (an email) or a notify (a chat
message) followed by a wait for the response, with its Limit Wait Time as the timeout (none
when it is not set: n8n then waits indefinitely). Other operations of those nodes (and of HubSpot,
Mailchimp, Mautic…) change contacts or lists: `update`. Wait nodes become waits, with
n8n's defaults when the export omits them (n8n drops default-valued parameters): version
1 waits 1 hour, version 1.1 and later 5 seconds. IF and Filter nodes become branches
(output 0 is "true"); an IF whose condition names an engagement (opened, clicked,
downloaded, replied, submitted) checks the nearest email sent before it. n8n's other
own nodes (triggers, data, other services, Form pages shown in the session that started
the run) send no email: contacts pass through them at once. Nodes from outside
n8n-nodes-base, AI tools that send email and operations of email nodes preflight cannot
map are opaque steps and a PF004.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from preflight.durations import UNITS as SECONDS
from preflight.durations import parse_duration
from preflight.importers.base import END, MAX_WAIT, PENDING, Builder, pointer_of, stop

PREFIX = "n8n-nodes-base."
FIRST_WAIT_DEFAULT = (1.0, "hours")
"""What a version 1 Wait node waits when the export omits amount and unit."""
LATER_WAIT_DEFAULT = (5.0, "seconds")
"""Version 1.1 and later (n8n changed the defaults; the export keeps only changed values)."""
UNITS = {
    "milliseconds": ("seconds", 0.001),
    "seconds": ("seconds", 1.0),
    "minutes": ("minutes", 1.0),
    "hours": ("hours", 1.0),
    "days": ("days", 1.0),
}
SKIPPED = frozenset({"stickyNote"})
ESP_NODES = frozenset(
    {
        "mailchimp",
        "mautic",
        "hubspot",
        "sendGrid",
        "mailjet",
        "mailerLite",
        "convertKit",
        "getResponse",
        "lemlist",
        "customerIo",
        "sendInBlue",
        "activeCampaign",
        "mailgun",
        "brevo",
    }
)
"""Email platforms: their operations that do not send change contacts or lists (`update`)."""
ENGAGEMENT = re.compile(r"\b(opened|clicked|downloaded|replied|submitted)\b", re.IGNORECASE)
EMAIL_TOOLS = frozenset({"emailSendTool", "gmailTool"})
EMAIL_NODES = frozenset(
    {"emailSend", "sendGrid", "mailjet", "mailgun", "awsSes", "postmark", "microsoftOutlook"}
)
"""n8n nodes that send email; an operation of theirs preflight cannot map is a PF004."""
SEND_AND_WAIT = "sendAndWait"
"""n8n's SEND_AND_WAIT_OPERATION: Send Email, Gmail, Outlook, Slack, Telegram, Discord,
Teams, Google Chat, WhatsApp… send a message with approve/respond buttons or a form link and
hold the run until the recipient answers."""
WAIT_LIMIT_OPTION = (45.0, "minutes")
"""The Limit Wait Time option as n8n fills it in when it is added with nothing changed
(utils/sendAndWait: the fixedCollection's default)."""
WAIT_LIMIT_VALUE = (1.0, "hours")
"""resumeAmount and resumeUnit left out of a limit that is there (their own defaults in
utils/sendAndWait/descriptions.ts)."""
EMAIL_SEND_AND_WAIT = frozenset({"emailSend", "gmail", "microsoftOutlook"})
"""Nodes whose send-and-wait message is an email (the others post to a chat)."""


def convert(data: Any, builder: Builder) -> None:
    if not isinstance(data, Mapping):
        builder.invalid("", "an n8n workflow is a JSON object with nodes and connections")
        raise stop()
    nodes = data.get("nodes")
    connections = data.get("connections")
    if not isinstance(nodes, list):
        builder.invalid("/nodes", "nodes is missing or not a list")
        raise stop()
    if not isinstance(connections, Mapping):
        builder.invalid("/connections", "connections is missing or not an object")
        connections = {}
    if isinstance(data.get("name"), str) and data["name"].strip():
        builder.name = data["name"]
    ids: dict[str, str] = {}  # node name -> step id
    main_out: dict[str, list[list[str]]] = {}
    incoming: set[str] = set()
    for name, outputs in connections.items():
        if not isinstance(outputs, Mapping):
            builder.invalid(pointer_of("connections", name), "expected an object of outputs")
            continue
        lists = outputs.get("main")
        if lists is None:
            continue
        if not isinstance(lists, list):
            builder.invalid(pointer_of("connections", name, "main"), "expected a list of outputs")
            continue
        resolved: list[list[str]] = []
        for output in lists:
            targets = []
            for link in output if isinstance(output, list) else []:
                if isinstance(link, Mapping) and isinstance(link.get("node"), str):
                    targets.append(link["node"])
                    incoming.add(link["node"])
            resolved.append(targets)
        main_out[str(name)] = resolved
    sub_nodes = {
        str(name)
        for name, outputs in connections.items()
        if isinstance(outputs, Mapping) and "main" not in outputs
    }
    kept: list[tuple[int, Mapping[str, Any], str]] = []
    for index, node in enumerate(nodes):
        where = pointer_of("nodes", index)
        if not isinstance(node, Mapping):
            builder.invalid(where, "a node is an object")
            continue
        name, node_type = node.get("name"), node.get("type")
        if not isinstance(name, str) or not isinstance(node_type, str):
            missing = "name" if not isinstance(name, str) else "type"
            builder.invalid(f"{where}/{missing}", f"a node needs a string {missing}")
            continue
        short = node_type[len(PREFIX) :] if node_type.startswith(PREFIX) else node_type
        if short in SKIPPED:
            continue
        if short.endswith("Tool") or (name in sub_nodes and name not in incoming):
            # an AI sub-node (a tool, a model): it runs when its agent asks, not in the flow
            if short in EMAIL_TOOLS:
                builder.unmapped(where, "AI tool", node_type)
            continue
        if name in ids:
            builder.invalid(f"{where}/name", f'two nodes are called "{name}"')
            continue
        ids[name] = builder.new_id(name)
        kept.append((index, node, short))
    _check_names(builder, nodes, connections, main_out)
    for index, node, short in kept:
        with builder.element(pointer_of("nodes", index)):
            _node(builder, index, node, short, ids, main_out.get(node["name"], []))
    builder.entries = [ids[node["name"]] for _, node, _ in kept if node["name"] not in incoming]


def _check_names(
    builder: Builder,
    nodes: list[Any],
    connections: Mapping[str, Any],
    main_out: Mapping[str, list[list[str]]],
) -> None:
    """n8n keys connections by node *name*: keys and targets that name no node are lost
    (one PF003 each for keys and for targets, with the count)."""
    names = {n.get("name") for n in nodes if isinstance(n, Mapping)}
    node_ids = {n.get("id") for n in nodes if isinstance(n, Mapping)}
    keys = [k for k in connections if k not in names]
    if keys:
        by_id = sum(1 for k in keys if k in node_ids)
        builder.invalid(
            pointer_of("connections", keys[0]),
            f'{len(keys)} connection key(s) name no node, e.g. "{keys[0]}"'
            + (f" ({by_id} are node ids: n8n keys connections by node name)" if by_id else "")
            + "; those nodes' ways on are unknown",
        )
    lost = [
        (name, target)
        for name, outputs in main_out.items()
        for output in outputs
        for target in output
        if target not in names
    ]
    if lost:
        builder.invalid(
            pointer_of("connections", lost[0][0], "main"),
            f'{len(lost)} connection(s) lead to no node, e.g. "{lost[0][1]}"',
        )


def _node(
    builder: Builder,
    index: int,
    node: Mapping[str, Any],
    short: str,
    ids: Mapping[str, str],
    outputs: list[list[str]],
) -> None:
    where = pointer_of("nodes", index)
    step_id, name, node_type = ids[node["name"]], node["name"], node["type"]
    params = node.get("parameters")
    if not isinstance(params, Mapping):
        params = {}
    version = node.get("typeVersion", 1)
    targets = [[ids[t] for t in output if t in ids] for output in outputs]

    def everything() -> list[str]:
        return [t for output in targets for t in output]

    if short == "wait":
        builder.add(step_id, "wait", _wait(builder, params, version, where), where, name)
        builder.follow(step_id, everything())
        return
    if short in ("if", "filter"):
        condition = _condition(params)
        yes = _side(builder, step_id, "yes", targets[0] if targets else [], where)
        no = _side(builder, step_id, "no", targets[1] if len(targets) > 1 else [], where)
        spec = {"if": condition, "then": yes, "else": no}
        builder.add(step_id, "branch", spec, where, name, {("branch", "if"): f"{where}/parameters"})
        return
    if params.get("operation") == SEND_AND_WAIT:
        _send_and_wait(builder, step_id, where, node, short, params, everything())
        return
    send = _send(params, short)
    if send is not None:
        spec = builder.send(step_id, None, None, **send)
        builder.add(step_id, "send", spec, where, name)
    elif short in ESP_NODES:
        operation = str(params.get("operation") or "create")
        resource = str(params.get("resource") or "contact")
        builder.add(step_id, "update", {f"{short}.{resource}": operation}, where, name)
    elif node_type.startswith(PREFIX) and short not in EMAIL_NODES:
        # n8n's own nodes that send no email (data, triggers, other services' records):
        # contacts pass through them at once, as preflight assumes
        builder.opaque(step_id, where, node_type, name)
    else:
        builder.opaque(step_id, where, node_type, name)
        builder.unmapped(f"{where}/type", "node type", node_type, step_id)
    builder.follow(step_id, everything())


def _send_and_wait(
    builder: Builder,
    step_id: str,
    where: str,
    node: Mapping[str, Any],
    short: str,
    params: Mapping[str, Any],
    targets: list[str],
) -> None:
    """A send-and-wait operation: the message (an email send, or a notify for a chat), then
    a wait for the answer with n8n's limit: none unless Limit Wait Time is set (n8n waits
    indefinitely, WAIT_INDEFINITELY in utils/sendAndWait/configureWaitTillDate.util.ts)."""
    name = node["name"]
    if short in EMAIL_SEND_AND_WAIT:
        spec = builder.send(
            step_id,
            None,
            None,
            subject=_literal(params.get("subject")),
            text=_literal(params.get("message")),
        )
        builder.add(step_id, "send", spec, where, name)
    else:
        builder.add(step_id, "notify", {}, where, name)
    wait_id = builder.new_id(f"{step_id}-response")
    wait: dict[str, Any] = {"until_event": f"a response to {name}"[:200]}
    timeout, at = _wait_limit(builder, params, where)
    if timeout is not None:
        wait["timeout"] = timeout
    builder.add(wait_id, "wait", wait, at or where, f"{name} (waiting for the response)")
    builder.follow(step_id, [wait_id])
    builder.follow(wait_id, targets)


def _wait_limit(
    builder: Builder, params: Mapping[str, Any], where: str
) -> tuple[dict[str, Any] | None, str | None]:
    """(the timeout of a send-and-wait, where it is written): `options.limitWaitTime.values`
    (`limitType`, `resumeAmount`, `resumeUnit`), or the same keys at the top of the
    parameters after `limitWaitTime: true` (the Form node's way)."""
    options = params.get("options")
    limit = options.get("limitWaitTime") if isinstance(options, Mapping) else None
    if isinstance(limit, Mapping):
        at = f"{where}/parameters/options/limitWaitTime"
        values = limit.get("values")
        if not isinstance(values, Mapping) or not values:
            return _interval(*WAIT_LIMIT_OPTION), at
    elif params.get("limitWaitTime") is True:
        at, values = f"{where}/parameters", params
    else:
        return None, None
    if values.get("limitType", "afterTimeInterval") != "afterTimeInterval":
        builder.unmapped(at, "wait limit", str(values.get("limitType")))
        return None, at
    amount = values.get("resumeAmount", WAIT_LIMIT_VALUE[0])
    unit = values.get("resumeUnit", WAIT_LIMIT_VALUE[1])
    timeout = _interval(amount, unit)
    if timeout is None:
        builder.invalid(at, f'cannot read the wait limit "{amount}" "{unit}"')
    return timeout, at


def _side(builder: Builder, step_id: str, side: str, targets: list[str], where: str) -> str:
    """One side of a branch: its target, a fork step when it goes on to several, or the end."""
    if not targets:
        return END
    if len(targets) == 1:
        return targets[0]
    fork = builder.new_id(f"{step_id}-{side}")
    builder.add(fork, "opaque", {"platform": "n8n", "type": "fork"}, where)
    builder.follow(fork, targets)
    return fork


def _condition(params: Mapping[str, Any]) -> dict[str, Any]:
    """An engagement check when the condition names one, else a field condition."""
    raw = params.get("conditions", {})
    try:
        text = json.dumps(raw, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = ""
    match = ENGAGEMENT.search(text)
    if match is not None:
        return {match.group(1).lower(): PENDING}
    return {"field": _field_text(raw)}


def _field_text(raw: Any) -> str:
    """The first left-hand value of an IF condition, for people reading the import."""
    if isinstance(raw, Mapping):
        for key in ("leftValue", "value1"):
            if isinstance(raw.get(key), str) and raw[key].strip():
                return str(raw[key]).strip()[:200]
        for value in raw.values():
            found = _field_text(value)
            if found != "condition":
                return found
    if isinstance(raw, list):
        for value in raw:
            found = _field_text(value)
            if found != "condition":
                return found
    return "condition"


def _wait(
    builder: Builder, params: Mapping[str, Any], version: Any, where: str
) -> dict[str, Any] | str:
    resume = params.get("resume", params.get("mode", "timeInterval"))
    if resume in ("webhook", "form"):
        spec: dict[str, Any] = {
            "until_event": "a webhook call" if resume == "webhook" else "a form"
        }
        if params.get("limitWaitTime") is True:
            timeout = _interval(params.get("resumeAmount", 1), params.get("resumeUnit", "hours"))
            if timeout is not None:
                spec["timeout"] = timeout
        elif isinstance(params.get("timeout"), str) and params["timeout"].strip():
            timeout_text = params["timeout"].strip()  # early version 1: "timeout": "1h"
            try:
                parse_duration(timeout_text)
                spec["timeout"] = timeout_text
            except ValueError as error:
                builder.invalid(f"{where}/parameters/timeout", str(error))
        return spec
    if resume == "specificTime":
        return {"until_field": str(params.get("dateTime") or "a set date and time")}
    if resume != "timeInterval":
        builder.invalid(f"{where}/parameters/resume", f'unknown Wait mode "{resume}"')
        return {"until_event": str(resume)}
    default_amount, default_unit = FIRST_WAIT_DEFAULT if version == 1 else LATER_WAIT_DEFAULT
    amount = params.get("amount", params.get("value", default_amount))
    unit = params.get("unit", default_unit)
    duration = _interval(amount, unit)
    if duration is None:
        if isinstance(amount, str) and amount.startswith("="):
            return {"until_field": amount[:200]}  # an expression: known only at run time
        builder.invalid(
            f"{where}/parameters", f'cannot read the Wait amount "{amount}" and unit "{unit}"'
        )
        return {"until_event": "an unreadable wait"}
    return duration


def _interval(amount: Any, unit: Any) -> dict[str, Any] | None:
    """A native duration, or None when the amount is not a number of at most a hundred
    years (JSON reads 1e400 as infinity) or the unit is not n8n's."""
    if isinstance(amount, str):
        try:
            amount = float(amount)
        except (ValueError, OverflowError):
            return None
    if not isinstance(amount, (int, float)) or isinstance(amount, bool) or amount < 0:
        return None
    if unit not in UNITS:
        return None
    native, factor = UNITS[str(unit)]
    try:
        value = float(amount) * factor
    except OverflowError:  # an int of hundreds of digits
        return None
    if not math.isfinite(value) or value * SECONDS[native[:-1]] > MAX_WAIT:
        return None
    return {"amount": int(value) if float(value).is_integer() else value, "unit": native}


def _send(params: Mapping[str, Any], short: str) -> dict[str, Any] | None:
    """Inline subject and body of a node that sends an email, or None when it does not."""
    operation = params.get("operation")
    resource = params.get("resource")
    if short in ("emailSend",):
        sends = operation in (None, "send", "sendAndWait")
    elif short == "gmail":
        sends = resource in (None, "message") and operation in (
            None,
            "send",
            "reply",
            "sendAndWait",
        )
    elif short == "sendGrid":
        sends = resource == "mail" and operation in (None, "send")
    elif short == "mailjet":
        sends = resource in (None, "email") and operation in (None, "send", "sendTemplate")
    elif short == "mautic":
        sends = operation == "sendEmail"
    elif short == "mailchimp":
        sends = resource == "campaign" and operation == "send"
    elif short == "microsoftOutlook":
        sends = resource in (None, "message") and operation in (None, "send")
    else:
        return None
    if not sends:
        return None
    subject = params.get("subject")
    html = params.get("html")
    text = params.get("text", params.get("message"))
    if short == "sendGrid" and isinstance(params.get("contentValue"), str):
        if "html" in str(params.get("contentType", "")):
            html = params["contentValue"]
        else:
            text = params["contentValue"]
    if short == "gmail" and params.get("emailType", "html") == "html" and html is None:
        html, text = text, None
    if short == "microsoftOutlook" and isinstance(params.get("bodyContent"), str):
        content_type = params.get("bodyContentType")
        if not isinstance(content_type, str):  # version 1 keeps it in additionalFields
            extra = params.get("additionalFields")
            content_type = extra.get("bodyContentType") if isinstance(extra, Mapping) else None
        if content_type == "html":
            html = params["bodyContent"]
        else:
            text = params["bodyContent"]
    return {
        "subject": _literal(subject),
        "html": _literal(html),
        "text": _literal(text),
    }


def _literal(value: Any) -> str | None:
    """A parameter's text; n8n marks expressions with a leading "=" (kept out of the copy)."""
    if not isinstance(value, str):
        return None
    return value[1:] if value.startswith("=") else value
