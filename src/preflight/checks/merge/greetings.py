"""Greetings: MERGE004 missing-fallback, MERGE005 wrong-name-field, MERGE006 parts-disagree."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator

from preflight.checks.merge._common import _PART_NAMES, Options, _is_special, _said, _shown
from preflight.checks.merge.fields import _checked_fields
from preflight.dialects import (
    Dialect,
)
from preflight.fields import meaning, vocabulary
from preflight.model import (
    Audience,
    MergeTag,
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

# -- greetings (MERGE004, MERGE005, MERGE006) --------------------------------------

_TITLES = (
    r"(?:mr|mrs|ms|miss|mx|dr|prof|sir|madam|herr|frau|monsieur|madame|mademoiselle|m|mme|mlle"
    r"|señor|señora|señorita|sr|sra|srta|don|doña|dhr|mevr|heer|mevrouw|meneer)"
)


@functools.cache
def _greeting_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    words = vocabulary()

    def build(greetings: tuple[str, ...]) -> re.Pattern[str]:
        alternatives = "|".join(re.escape(g) for g in greetings)
        return re.compile(
            rf"(?:^|[^\w])(?P<greeting>{alternatives})"
            rf"(?P<title>,?[ \t]+{_TITLES}\.?)?[ \t,]*$",
            re.IGNORECASE,
        )

    return build(words.informal_greetings), build(words.formal_greetings)


_ENDS_NAME = re.compile(r"[ \t]*(?:$|\n|[,!.:;?)—–-]|\{|\*\||%|\[)")
"""What follows a name in a greeting: punctuation, the end of the line, or another tag
("Hi {{ first }} {{ last }},"). "Hi, {{ company }} has a new invoice" is no greeting."""


def greeting(before: str, after: str | None = None) -> tuple[str, bool, bool] | None:
    """(greeting word, formal, with a title) when ``before`` ends in a greeting on the same
    line (and ``after``, when given, ends the name), else None."""
    if after is not None and not _ENDS_NAME.match(after):
        return None
    informal, formal = _greeting_patterns()
    tail = before[-40:]
    for pattern, formal_greeting in ((formal, True), (informal, False)):
        match = pattern.search(tail)
        if match:
            said = match.group("greeting") + (match.group("title") or "").rstrip(",")
            return " ".join(said.split()), formal_greeting, bool(match.group("title"))
    return None


# -- MERGE004 missing-fallback ------------------------------------------------------

_PERSONAL_ROLES = frozenset(
    {"first", "last", "full", "nick", "salutation", "company", "place", "job", "address"}
)


_LIQUID_CONDITION = re.compile(
    r"\{%-?\s*(?:if|unless|elsif)\s+(?P<condition>.{1,300}?)\s*-?%\}", re.S
)
_EMPTY_WORDS = frozenset({"blank", "nil", "empty", "null", "''", '""', "none"})
_AMPSCRIPT_IF = re.compile(
    r"^\s*(?:IF|ELSEIF)\s+(?P<not>NOT\s+)?Empty\s*\(\s*@?\[?(?P<field>[\w ]{1,80}?)\]?\s*\)"
    r"\s*THEN\s*$",
    re.IGNORECASE,
)
_POSITIVE = frozenset({"if", "#if", "#", "IF", "elsif", "elif", "ELSEIF"})
_NEGATIVE = frozenset({"unless", "#unless", "^", "IFNOT"})


def _conditions(tag: MergeTag, dialect: Dialect) -> dict[str, bool] | None:
    """Fields a block's branch depends on: folded name -> True when it shows only if set.

    None when the block is not a condition preflight reads (a loop, an "or").
    """
    keyword = (tag.keyword or "").strip()
    if tag.kind == "script":  # AMPscript: %%[ IF NOT Empty(FirstName) THEN ]%%
        match = _AMPSCRIPT_IF.match(keyword)
        if match is None:
            return None
        return {dialect.fold(match.group("field").strip()): bool(match.group("not"))}
    if keyword not in _POSITIVE and keyword not in _NEGATIVE:
        return None
    sense = keyword in _POSITIVE
    condition = tag.field or ""
    match = _LIQUID_CONDITION.match(tag.raw)
    if match is not None:
        condition = match.group("condition")
    if not condition or " or " in condition or "||" in condition:
        return None
    found: dict[str, bool] = {}
    for part in re.split(r"\s+and\s+|&&", condition):
        pieces = re.split(r"\s*(!=|==|<>|=|>=|<=|>|<)\s*", part.strip(), maxsplit=1)
        name = pieces[0].strip()
        if name.startswith("not "):
            name, set_when = name[4:].strip(), not sense
        else:
            set_when = sense
        if len(pieces) == 3 and pieces[2].strip().lower() in _EMPTY_WORDS:
            set_when = (pieces[1] in ("!=", "<>")) == sense
        field = dialect.audience_field(name) or name
        found[dialect.fold(field)] = set_when
    return found


def _guards(template: Template, dialect: Dialect) -> set[int]:
    """ids of tag sites shown only when their own field is set ({% if x %}…{{ x }}…).

    A variable in the else branch of {% if x %}, in {% unless x %}, in {{^x}} or
    under {% if x == blank %} is not guarded: it shows exactly when x is empty.
    """
    guarded: set[int] = set()
    stacks: dict[Part, list[dict[str, bool]]] = {}
    for site in tag_sites(template, dialect):
        stack = stacks.setdefault(site.part, [])
        tag = site.tag
        if tag.kind == "script":
            keyword = (tag.keyword or "").strip().upper()
            if keyword == "ENDIF" and stack:
                stack.pop()
            elif keyword == "ELSE" and stack:
                stack[-1] = {name: not sense for name, sense in stack[-1].items()}
            elif (conditions := _conditions(tag, dialect)) is not None:
                if keyword.startswith("ELSEIF") and stack:
                    stack.pop()
                stack.append(conditions)
        elif tag.kind == "block-open":
            stack.append(_conditions(tag, dialect) or {})
        elif tag.kind == "block-else" and stack:
            conditions = _conditions(tag, dialect)
            if conditions is not None and (tag.keyword or "").strip() not in ("else", "ELSE"):
                stack[-1] = conditions  # elsif x: its own condition
            else:
                stack[-1] = {name: not sense for name, sense in stack[-1].items()}
        elif tag.kind == "block-close" and stack:
            stack.pop()
        elif tag.kind == "variable" and tag.field:
            name = dialect.audience_field(tag.field) or tag.field
            folded = dialect.fold(name)
            if any(level.get(folded) for level in stack):
                guarded.add(id(site))
    return guarded


_NAME_ROLES = frozenset({"first", "full", "nick", "last"})
_GIVEN_ROLES = frozenset({"first", "nick"})
_RUNS_ON = re.compile(r"[ \t]+[a-zà-öø-ÿ]")
"""A greeting's name followed by the sentence's next word, with no comma between."""


def _greeting_without_comma(before: str, after: str) -> tuple[str, bool, bool] | None:
    """A greeting that opens its line and runs on into the sentence without a comma, as in
    "Hey {{ Recipient.FirstName }} your order has shipped": MERGE004 still calls it one
    (MERGE005 does not: "Hi, {{ company }} has a new invoice" names no person)."""
    if not _RUNS_ON.match(after):
        return None
    line = before[before.rfind("\n") + 1 :].strip()
    found = greeting(line)
    if found is None or not line.lower().startswith(found[0].lower()):
        return None
    return found


_DEFAULTS = {
    "first_name": "there",
    "full_name": "there",
    "nickname": "there",
    "company": "your team",
    "city": "your area",
}
"""Fallback text the help suggests, by meaning; none where no word reads right."""


def missing_fallback(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None or dialect.fallback not in ("inline", "conditional", "audience"):
        return
    judged = _judged_audiences(template) if dialect.fallback == "audience" else []
    where = set(options["where"])
    guarded = _guards(template, dialect)
    for site in tag_sites(template, dialect):
        tag = site.tag
        if tag.kind != "variable" or tag.fallback is not None or not site.readable:
            continue
        if not tag.field or id(site) in guarded or _is_special(dialect, tag.raw):
            continue
        name = dialect.audience_field(tag.field)
        found = meaning(name) if name else None
        if found is None or vocabulary().roles[found] not in _PERSONAL_ROLES:
            continue
        role = vocabulary().roles[found]
        greeted = greeting(site.before, site.after) if site.context in ("text", "value") else None
        no_comma = False
        if greeted is None and site.context in ("text", "value") and role in _GIVEN_ROLES:
            greeted = _greeting_without_comma(site.before, site.after)
            no_comma = greeted is not None
        if greeted is not None and role not in _NAME_ROLES:
            greeted = None  # "Hi {{ company }}" is MERGE005's, whatever its fallback
        if site.part in (Part.SUBJECT, Part.PREHEADER):
            if site.part.value not in where:
                continue
            position = f"the {site.part.value}"
            example = (site.before + site.after).strip()
        elif greeted is not None and "greeting" in where:
            position = "a greeting"
            example = f"{greeted[0]}{site.after[:1] if site.after[:1] in ',!.' else ''}"
            if no_comma:  # "Hey {{ first_name }} your order…" reads "Hey your order…"
                example = f"{greeted[0]} {' '.join(site.after.split()[:2])}…"
        elif "everywhere" in where:
            position = "the " + _PART_NAMES[site.part]
            example = ""
        else:
            continue
        assert name is not None
        default = _DEFAULTS.get(found)
        fixed = dialect.write(name, default) if default and dialect.write_fallback else None
        help_text = (
            f"give it a fallback: {fixed}"
            if fixed
            else "give it a fallback, or show it only when the field is set"
            + (" (an if block around it)" if dialect.fallback == "conditional" else "")
        )
        related: tuple[Related, ...] = ()
        if dialect.fallback == "audience":  # Mailchimp: the audience's default merge value
            lacking = [a for a in judged if not _declares_default(a, name, dialect)]
            if judged and not lacking:
                continue
            help_text = _audience_default_help(dialect, name, default or "there", lacking)
            related = tuple(
                Related(a.location, f'audience "{a.name}" declares no default for {name}')
                for a in lacking[:3]
            )
        yield Violation(
            '"{tag}" has no fallback in {position}; a recipient without a {meaning} reads'
            ' "{example}"'
            if example
            else '"{tag}" has no fallback in {position}',
            site.location,
            {
                "tag": _shown(tag.raw),
                "position": position,
                "meaning": _said(found),
                "example": _shown(example),
                "field": name,
            },
            help=help_text,
            related=related,
        )


def _judged_audiences(template: Template) -> list[Audience]:
    """The audiences whose default merge values stand in for a missing field: those the
    template goes to, else every one of the audiences file that is not a suppression list."""
    if template.sent_to:
        return [sent.audience for sent in template.sent_to]
    targeting = template.targeting
    if targeting is None:
        return []
    return [a for a in targeting.audiences.values() if a.kind != "suppression"]


def _declares_default(audience: Audience, name: str, dialect: Dialect) -> bool:
    """Whether audiences.yaml gives the audience a (non-blank) default for the field, by
    its name or by what it means (FNAME and first_name)."""
    wanted, means = dialect.fold(name), meaning(name)
    for key, value in audience.defaults.items():
        if not value.strip():
            continue
        if dialect.fold(key) == wanted or (means is not None and meaning(key) == means):
            return True
    return False


def _audience_default_help(
    dialect: Dialect, name: str, default: str, lacking: list[Audience]
) -> str:
    where = (
        "the audience " + ", ".join(f'"{a.name}"' for a in lacking[:3])
        if lacking
        else "each audience it goes to"
    )
    guard = f"*|IF:{name}|*…*|END:IF|*" if dialect.name == "mailchimp" else "an if block"
    return (
        f"{dialect.label} fills a missing {name} with the audience's default merge value: set"
        f" one for {where} in {dialect.label} and declare it in audiences.yaml (defaults:"
        f' {{{name}: "{default}"}}), or show it only when the field is set ({guard})'
    )


# -- MERGE005 wrong-name-field -------------------------------------------------------


def wrong_name_field(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None:
        return
    words = vocabulary()
    sites = [s for s in tag_sites(template, dialect) if s.context in ("text", "value")]
    for index, site in enumerate(sites):
        tag = site.tag
        if tag.kind != "variable" or not tag.field or _is_special(dialect, tag.raw):
            continue
        greeted = greeting(site.before, site.after)
        if greeted is None:
            continue
        word, formal, titled = greeted
        name = dialect.audience_field(tag.field)
        found = meaning(name) if name else None
        if found is None:
            continue
        role = words.roles[found]
        allowed = words.formal_greeting_roles if formal or titled else words.greeting_roles
        following = sites[index + 1] if index + 1 < len(sites) else None
        if role == "last" and following is not None and following.part is site.part:
            gap = following.tag.start - tag.end
            other = dialect.audience_field(following.tag.field or "") or ""
            if 0 < gap <= 2 and meaning(other) == "first_name":
                yield Violation(
                    '"{tag} {next}" puts the last name before the first after "{greeting}"',
                    site.location,
                    {
                        "tag": _shown(tag.raw),
                        "next": _shown(following.tag.raw),
                        "greeting": word,
                        "field": name,
                    },
                    help="swap the two fields: first name, then last name",
                )
                continue
        if role in allowed:
            continue
        yield Violation(
            '"{greeting} {tag}" greets recipients with their {meaning}',
            site.location,
            {"tag": _shown(tag.raw), "greeting": word, "meaning": _said(found), "field": name},
            help=_greet_instead(dialect),
        )


def _greet_instead(dialect: Dialect) -> str:
    if "first_name" not in dialect.fields:
        return "greet with the first name (or the full name)"
    first = dialect.fields["first_name"]
    if dialect.write_fallback:
        return f"greet with the first name, with a fallback: {dialect.write(first, 'there')}"
    return f"greet with the first name (or the full name): {dialect.write(first)}"


# -- MERGE006 parts-disagree -----------------------------------------------------------


def parts_disagree(template: Template, options: Options) -> Iterator[Violation]:
    dialect = platform_of(template)
    if dialect is None or template.text is None or template.html is None:
        return
    by_part: dict[Part, dict[str, list[TagSite]]] = {}
    for site, name in _checked_fields(template, dialect):
        if site.tag.kind != "variable":
            continue
        by_part.setdefault(site.part, {}).setdefault(dialect.fold(name), []).append(site)
    html, text = by_part.get(Part.HTML, {}), by_part.get(Part.TEXT, {})
    if not html and not text:
        return
    yield from _spelled_apart(dialect, html, text)
    for folded in sorted(set(html) & set(text)):
        # the first use in each part (the greeting, usually): later uses may differ on purpose
        site, other = text[folded][0], html[folded][0]
        if site.tag.fallback == other.tag.fallback:
            continue
        yield Violation(
            '"{tag}" in the text part has {mine} but the HTML part has {theirs}',
            site.location,
            {
                "tag": _shown(site.tag.raw),
                "mine": _fallback_words(site.tag.fallback),
                "theirs": _fallback_words(other.tag.fallback),
                "field": folded,
            },
            help="give the field the same fallback in both parts",
            related=(Related(other.location, f'HTML part: "{_shown(other.tag.raw)}"'),),
        )
    yield from _greeting_missing(dialect, html, text)
    subject = by_part.get(Part.SUBJECT, {})
    body = {**html, **text}
    for folded, sites in subject.items():
        if folded in body:
            continue
        close = [c for c in _same_field(folded, list(body))]
        if close:
            other = body[close[0]][0]
            yield Violation(
                '"{tag}" in the subject is spelled "{theirs}" in the body',
                sites[0].location,
                {"tag": _shown(sites[0].tag.raw), "theirs": _shown(other.tag.raw), "field": folded},
                help="spell the field the same way everywhere",
                related=(Related(other.location, "the body's spelling"),),
            )


def _same_field(name: str, others: list[str]) -> list[str]:
    """Names among ``others`` that are ``name`` spelled another way.

    Two names with a meaning must mean the same (FNAME and LNAME are two fields, however
    alike); a name with a meaning is never paired with one without (company, company_id).
    """
    mine = meaning(name)
    if mine is not None:
        return [other for other in others if meaning(other) == mine]
    plain = [other for other in others if meaning(other) is None]
    return difflib.get_close_matches(name, plain, n=1, cutoff=0.85)


def _fallback_words(fallback: str | None) -> str:
    if fallback is None:
        return "no fallback"
    return f'the fallback "{fallback}"' if fallback else "an empty fallback"


def _spelled_apart(
    dialect: Dialect, html: dict[str, list[TagSite]], text: dict[str, list[TagSite]]
) -> Iterator[Violation]:
    only_html = [f for f in html if f not in text]
    only_text = [f for f in text if f not in html]
    for folded in only_text:
        matches = _same_field(folded, only_html)
        if not matches:
            continue
        match = matches[0]
        site, other = text[folded][0], html[match][0]
        yield Violation(
            '"{tag}" in the text part is "{theirs}" in the HTML part',
            site.location,
            {"tag": _shown(site.tag.raw), "theirs": _shown(other.tag.raw), "field": folded},
            help="use the same field in both parts; one of them is probably misspelt",
            related=(Related(other.location, "the HTML part's field"),),
        )


def _greeting_missing(
    dialect: Dialect, html: dict[str, list[TagSite]], text: dict[str, list[TagSite]]
) -> Iterator[Violation]:
    def greeted(sites: dict[str, list[TagSite]]) -> dict[str, TagSite]:
        return {
            folded: site
            for folded, group in sites.items()
            for site in group
            if greeting(site.before, site.after) is not None
        }

    html_greeted, text_greeted = greeted(html), greeted(text)
    for folded, site in html_greeted.items():
        if folded in text or text_greeted:
            continue
        yield Violation(
            '"{tag}" greets by name in the HTML part, but the text part never uses it',
            site.location,
            {"tag": _shown(site.tag.raw), "field": folded},
            help="personalise the text part's greeting the same way",
        )
