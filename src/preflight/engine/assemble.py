"""Assemble the email as it is sent, from the file a loader read: its sidecar, the send
steps of the run's workflows, config defaults, the audiences it goes to, and (last) the
platform detected from its merge tags.

Precedence, for every field (DESIGN.md, Contracts):

    the workflow's send step > the sidecar > the file's own format > config defaults
    (> for the category only, inference from the content: preflight.category)

and for the platform:

    --platform > sidecar > the export's format > config per-path override > config > detection

The loaded template is never changed: each step derives a new one (the model is frozen).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from preflight.catalogue import Catalogue
from preflight.category import apply_inferred_category
from preflight.config import Config, FileSettings
from preflight.dialects import resolve_platform
from preflight.engine.facts import RunFacts, key
from preflight.model import (
    Detection,
    KnownFields,
    Location,
    Memo,
    Part,
    SentTo,
    Sourced,
    Targeting,
    Template,
    Violation,
)
from preflight.model.source import SourceText
from preflight.suppressions import SuppressionSet, yaml_suppressions
from preflight.tagscan import detect_template

DEFAULTED = (
    ("category", "category"),
    ("locale", "locale"),
    ("sender", "from"),
    ("reply_to", "reply_to"),
    ("campaign", "campaign"),
)
"""Template attributes that config `defaults` fill in, and their keys there."""

_SIDECAR_FIELDS = (
    ("subject", "subject", Part.SUBJECT),
    ("preheader", "preheader", Part.PREHEADER),
    ("sender", "from", None),
    ("reply_to", "reply_to", None),
    ("locale", "locale", None),
    ("category", "category", None),
    ("campaign", "campaign", None),
    ("audience", "audience", None),
)
"""Template attribute, sidecar key, and the part a value of it is reported as."""


@dataclass
class Assembled:
    """The email as sent, and what assembling it found."""

    template: Template
    problems: list[tuple[str, Violation]] = field(default_factory=list)
    suppressions: SuppressionSet = field(default_factory=SuppressionSet)
    detection: Detection | None = None
    read: list[Path] = field(default_factory=list)
    """Files read besides the input (the sidecar), for the results cache key."""


class Assembler:
    """Assembles one template with the config that applies to it, the audiences it is judged
    with (``targeting``) and the run's facts."""

    def __init__(
        self,
        config: Config,
        facts: RunFacts,
        catalogue: Catalogue,
        targeting: Targeting | None,
    ) -> None:
        self.config = config
        self.facts = facts
        self.catalogue = catalogue
        self.targeting = targeting

    def assemble(self, template: Template, settings: FileSettings) -> Assembled:
        result = Assembled(template)
        values = self._sidecar(template, result)
        values.update(self._defaults(template, values, settings))
        values.update(self._audiences(template, values, settings))
        assembled = replace(template, **values, memo=Memo())
        assembled = replace(
            assembled,
            known_fields=self._known_fields(assembled),
            link_settings=self.config.links,
        )
        assembled = apply_inferred_category(assembled)  # the category's last step: the content
        result.template, result.detection = _detected(assembled)
        return result

    # -- the sidecar (<stem>.meta.yaml) -------------------------------------------------
    def _sidecar(self, template: Template, result: Assembled) -> dict[str, Any]:
        from preflight.formats.meta import load_sidecar, sidecar_path

        path = sidecar_path(template.path)
        if not path.is_file():
            return {}
        result.read.append(path)
        sidecar = load_sidecar(path, self.config.max_file_size)
        values: dict[str, Any] = {
            # a sidecar that does not parse says nothing about the subject (PF001 reports it)
            "subject_knowable": template.subject_knowable or sidecar.readable,
        }
        if sidecar.text is not None:
            values["sources"] = {**template.sources, path: SourceText(sidecar.text)}
            result.suppressions.items.extend(
                yaml_suppressions(path, sidecar.text, self.catalogue).items
            )
        result.problems.extend(sidecar.problems)
        for attribute, name, part in _SIDECAR_FIELDS:
            if name in sidecar.values:
                location = sidecar.location(name, part)
                values[attribute] = Sourced(sidecar.values[name], "sidecar", location)
        if sidecar.audience_tags:
            values["audience_tags"] = sidecar.audience_tags
        if "platform" in sidecar.values:
            written = sidecar.values["platform"]
            platform = resolve_platform(written)
            if platform is None:
                result.problems.append(
                    (
                        "PF003",
                        Violation(
                            'unknown platform "{platform}"',
                            sidecar.location("platform"),
                            {"platform": written},
                        ),
                    )
                )
            else:
                values["platform"] = Sourced(platform, "sidecar", sidecar.location("platform"))
        return values

    # -- config: --platform, per-path platform, defaults ---------------------------------
    def _defaults(
        self, template: Template, values: dict[str, Any], settings: FileSettings
    ) -> dict[str, Any]:
        config = self.config
        changes: dict[str, Any] = {}
        platform = values.get("platform", template.platform)
        if config.forced_platform:
            changes["platform"] = Sourced(config.forced_platform, "cli")
        elif platform is None and settings.platform:
            changes["platform"] = Sourced(settings.platform, "config")
        for attribute, name in DEFAULTED:
            current = values.get(attribute, getattr(template, attribute))
            if current is None and name in config.defaults:
                changes[attribute] = Sourced(config.defaults[name], "config")
        return changes

    # -- send steps and audiences ----------------------------------------------------------
    def _audiences(
        self, template: Template, values: dict[str, Any], settings: FileSettings
    ) -> dict[str, Any]:
        """The audiences a template goes to: its send steps' in this run, else its sidecar's.
        A send step's subject and audience beat the sidecar's."""
        targeting = self.targeting
        changes: dict[str, Any] = {"targeting": targeting}
        sends = self.facts.sends.get(key(template.path), ())
        audience: Sourced | None = values.get("audience", template.audience)
        if sends:
            sent: list[SentTo] = []
            sources = dict(values.get("sources", template.sources))
            for send in sends:
                if send.subject is not None and "subject" not in changes:
                    changes["subject"] = send.subject
                    changes["subject_knowable"] = True
                    if send.source is not None:
                        sources[send.workflow] = send.source
                for via in send.audiences:
                    if audience is None or audience.origin != "send-step":
                        audience = via
                    # a send step's names are read in its workflow's audiences file
                    read_in = send.targeting
                    found = read_in.audiences.get(via.value) if read_in else None
                    if found is not None and all(s.audience.name != via.value for s in sent):
                        sent.append(SentTo(found, via, send.step))
            changes["sources"] = sources
            if audience is not None and audience.origin == "send-step":
                changes["sent_to"] = tuple(sent)
            changes["audience"] = audience
        if audience is not None and audience.origin == "sidecar" and targeting is not None:
            found = targeting.audiences.get(audience.value)
            changes["sent_to"] = (SentTo(found, audience),) if found is not None else ()
        rows = self._member_rows(settings)
        if rows and changes.get("sent_to"):
            changes["sent_to"] = tuple(
                replace(s, audience=self.facts.members.facts(s.audience, rows))
                for s in changes["sent_to"]
            )
        return changes

    def _member_rows(self, settings: FileSettings) -> int:
        """How many member rows the enabled template rules that need members read (0: none)."""
        limits = [
            int(settings.options[rule_id].get("max_rows", 0))
            for rule_id in _member_rules(self.catalogue)
            if rule_id in settings.enabled
        ]
        return max(limits, default=0)

    def _known_fields(self, template: Template) -> KnownFields | None:
        """The fields MERGE003 judges by: those of the audiences the template goes to, else
        those of every audience of the file."""
        targeting = self.targeting
        if targeting is None:
            return None
        if template.audience is not None:
            return _fields_of_targets(template)
        return _fields_of_all(targeting)


@functools.cache
def _member_rules(catalogue: Catalogue) -> tuple[str, ...]:
    """The template rules that need the members phase (MERGE009)."""
    return tuple(
        rule.id for rule in catalogue if rule.needs == "members" and "template" in rule.runs_on
    )


def _fields_of_targets(template: Template) -> KnownFields | None:
    targets = [s.audience for s in template.sent_to]
    if not targets or any(a.fields is None for a in targets):
        return None  # an unknown audience (LIST001), or one that does not list fields
    first = targets[0]
    where = first.fields_location or first.location
    if len(targets) == 1:
        return KnownFields(first.fields or (), f'audience "{first.name}"', where)
    shared = [n for n in first.fields or () if all(n in (a.fields or ()) for a in targets[1:])]
    names = ", ".join(f'"{a.name}"' for a in targets)
    return KnownFields(tuple(shared), f"every audience it is sent to ({names})", where)


def _fields_of_all(targeting: Targeting) -> KnownFields | None:
    names: dict[str, None] = {}
    for audience in targeting.audiences.values():
        if audience.kind != "suppression" and audience.fields is not None:
            names.update(dict.fromkeys(audience.fields))
    if not names:
        return None
    label = f"any audience in {targeting.path.name}"
    return KnownFields(tuple(names), label, Location(targeting.path))


def _detected(template: Template) -> tuple[Template, Detection | None]:
    """With no platform declared, guess it from the merge tags (the last of the chain)."""
    if template.platform is not None:
        return template, None
    detection = detect_template(template)  # a preheader read from the HTML is counted once
    if detection.ambiguous and "postmark" in detection.candidates:
        from preflight.compose.postmark import CLI_LAYOUT, in_cli_layout

        if in_cli_layout(template.path):  # the tags fit Postmark; the folder says it is
            detection = replace(
                detection, platform="postmark", candidates=(), settled_by=CLI_LAYOUT
            )
    platform = Sourced(detection.platform, "detected") if detection.platform else None
    return replace(template, detection=detection, platform=platform), detection
