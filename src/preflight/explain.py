"""`preflight explain` and `preflight rules`: the catalogue, for people."""

from __future__ import annotations

import textwrap

from preflight.catalogue import RuleSpec

SECTION_TITLES = ("What it does", "Why it matters", "Example", "Use instead", "Options")


def _options(rule: RuleSpec) -> str:
    if not rule.options:
        return "None."
    lines = []
    for option in rule.options.values():
        default = option.default
        shown = (
            ", ".join(
                f"{item['sends']} per {item['within']}" if isinstance(item, dict) else str(item)
                for item in default
            )
            if isinstance(default, list)
            else str(default)
        )
        if option.moved_to is not None:
            target, name = option.moved_to
            lines.append(f"- {option.name}: moved to {target} as {name} (still accepted here)")
            continue
        lines.append(f"- {option.name} ({option.type}, default: {shown or 'none'})")
        if option.help:
            lines.append(textwrap.indent(textwrap.fill(option.help, 72), "    "))
    lines.append(f"\nSet them in preflight.yaml under rules: {{{rule.id}: {{option: value}}}}.")
    return "\n".join(lines)


def sections(rule: RuleSpec) -> list[tuple[str, str]]:
    return [
        ("What it does", textwrap.fill(rule.summary, 78)),
        ("Why it matters", textwrap.fill(rule.why, 78)),
        ("Example", textwrap.indent(rule.example, "    ")),
        ("Use instead", textwrap.indent(rule.instead, "    ")),
        ("Options", _options(rule)),
    ]


def explain_text(rule: RuleSpec) -> str:
    head = f"{rule.id} {rule.name} (default severity: {rule.severity.label})"
    body = [head, "=" * len(head), ""]
    for title, text in sections(rule):
        body += [f"## {title}", "", text, ""]
    return "\n".join(body)


def explain_markdown(rule: RuleSpec) -> str:
    parts = [f"**{rule.id} {rule.name}**"]
    for title, text in sections(rule):
        if title in ("Example", "Use instead"):
            text = f"```\n{textwrap.dedent(text)}\n```"
        parts.append(f"### {title}\n\n{text}")
    return "\n\n".join(parts)


def rules_markdown(rules: list[RuleSpec]) -> str:
    """docs/rules.md: every rule of the catalogue, generated (`preflight rules --format
    markdown`); a test fails when the file in the repository is stale."""
    lines = [
        "# Rules",
        "",
        "Generated from the catalogue (`rules/*.yaml`) by `preflight rules --format markdown`;",
        "do not edit by hand. `preflight explain ID` gives each rule's full text.",
        "",
        "| id | name | family | severity | runs on | summary | options |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in rules:
        summary = " ".join(rule.summary.split()).replace("|", "\\|")
        options = ", ".join(
            f"`{o.name}` (moved to {o.moved_to[0]} `{o.moved_to[1]}`)"
            if o.moved_to is not None
            else f"`{o.name}` ({o.type}, default `{_shown(o.default)}`)"
            for o in rule.options.values()
        )
        runs_on = ", ".join(rule.runs_on)
        lines.append(
            f"| {rule.id} | {rule.name} | {rule.family} | {rule.severity.label} | {runs_on}"
            f" | {summary} | {options or '—'} |"
        )
    return "\n".join(lines) + "\n"


def _shown(value: object) -> str:
    if isinstance(value, list):
        if len(value) > 6:
            return ", ".join(str(v) for v in value[:6]) + f", … ({len(value)} in all)"
        return ", ".join(str(v) for v in value)
    return str(value).replace("|", "\\|")
