"""MERGE009 blank-for-recipients: fields the members file leaves blank."""

from __future__ import annotations

from collections.abc import Iterator

from preflight.checks.merge._common import Options, _is_special, _shown
from preflight.checks.merge.greetings import _guards
from preflight.dialects import (
    Dialect,
)
from preflight.fields import meaning
from preflight.model import (
    MemberFacts,
    Part,
    Related,
    Template,
    Violation,
)
from preflight.tagscan import (
    TagSite,
    platform_of,
    tag_sites,
)

# -- MERGE009 blank-for-recipients ---------------------------------------------------


def blank_for_recipients(template: Template, options: Options) -> Iterator[Violation]:
    """Each fallback-less tag against the members CSV of every audience the template goes to.

    A members file that cannot be read is LIST008's to report; a field the file has no
    column for is MERGE003's (unknown to the audience) or says nothing about the members.
    """
    dialect = platform_of(template)
    if dialect is None or dialect.fallback == "audience" or not template.sent_to:
        return
    guarded = _guards(template, dialect)
    sites: list[tuple[TagSite, str]] = []
    for site in tag_sites(template, dialect):
        tag = site.tag
        if tag.kind != "variable" or tag.fallback is not None or not site.readable:
            continue
        if not tag.field or id(site) in guarded or _is_special(dialect, tag.raw):
            continue
        name = dialect.audience_field(tag.field)
        if name:
            sites.append((site, name))
    if not sites:
        return
    for sent in template.sent_to:
        audience = sent.audience
        facts = audience.member_facts
        if facts is None or audience.kind == "suppression":
            continue
        counted = _blank_counts(facts, frozenset(dialect.fold(n) for _, n in sites), dialect)
        if counted is None:
            continue
        blanks, total, sampled = counted
        reported: set[tuple[Part, str]] = set()
        for site, name in sites:
            folded = dialect.fold(name)
            blank = blanks.get(folded)
            if blank is None or not total or blank / total <= options["threshold"]:
                continue
            if (site.part, folded) in reported:
                continue
            reported.add((site.part, folded))
            example = _blanked(site)
            yield Violation(
                '{blank} of {total} recipients ({share}) in audience "{audience}" would'
                + (' read "{example}"' if example else ' get an empty "{tag}"')
                + ': "{field}" is empty for them and the tag has no fallback',
                site.location,
                {
                    "blank": f"{blank:,}",
                    "total": f"the first {total:,}" if sampled else f"{total:,}",
                    "share": f"{blank / total:.0%}",
                    "audience": audience.name,
                    "example": example,
                    "tag": _shown(site.tag.raw),
                    "field": name,
                    "count": blank,
                    "recipients": total,
                    "sampled": sampled,
                },
                help=f"give it a fallback: {dialect.write(name, 'there')}"
                if dialect.write_fallback and meaning(name) in ("first_name", "full_name")
                else "give it a fallback, or show it only when the field is set",
                related=(
                    Related(audience.location, f'audience "{audience.name}" defined here'),
                    *(
                        (Related(sent.via.location, "sent to this audience here"),)
                        if sent.via.location is not None
                        else ()
                    ),
                ),
            )


def _blank_counts(
    facts: MemberFacts, wanted: frozenset[str], dialect: Dialect
) -> tuple[dict[str, int], int, bool] | None:
    """(folded field -> members with it empty, members read, sampled), from the members phase's
    counts per column; None when the file could not be read or has no such column (a file
    LIST008 reports as unreadable, or a field MERGE003 reports as unknown)."""
    from preflight.formats.members import field_columns

    if facts.problem is not None:
        return None
    columns = field_columns(facts.header, dialect.fold)
    blanks = {name: facts.blanks[columns[name][0]] for name in wanted if name in columns}
    if not blanks:
        return None
    return blanks, facts.total, facts.sampled


def _blanked(site: TagSite) -> str:
    """The text around a tag as a recipient without the value reads it ("Hi ,")."""
    if site.context in ("text", "value"):
        before = site.before.rsplit("\n", 1)[-1][-40:]
        after = site.after.split("\n", 1)[0][:30]
        return " ".join((before + after).split())
    if site.value is not None:
        end = site.value_offset + len(site.tag.raw)
        return _shown(site.value[: site.value_offset] + site.value[end:])
    return ""
