"""The explicit registry: rule id -> implementation.

A rule is a function that reads the model and yields Violations; it never
decides severity, suppression or exit codes (the engine does). Template rules
take the template and this rule's options; live rules (--online) take one link
and the checker's result for its URL. Rules implemented by the engine
itself (PF) have no entry here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from preflight.checks import content, links, merge
from preflight.model import Audience, Template, Violation, Workflow

if TYPE_CHECKING:
    from preflight.links.live import Occurrence
    from preflight.links.results import Result

TemplateCheck = Callable[[Template, Mapping[str, Any]], Iterator[Violation]]
LiveCheck = Callable[["Occurrence", "Result", Mapping[str, Any]], Iterator[Violation]]
WorkflowCheck = Callable[[Workflow, Mapping[str, Any]], Iterator[Violation]]
AudienceCheck = Callable[[Audience, Mapping[str, Any]], Iterator[Violation]]


def _with_audiences(name: str) -> TemplateCheck:
    """A LIST rule over a template. Without audiences it has nothing to judge, so its module
    is imported only by runs that have some (start-up: a pre-commit run on templates skips it).
    """

    def check(template: Template, options: Mapping[str, Any]) -> Iterator[Violation]:
        if template.targeting is None:
            return iter(())
        from preflight.checks import lists

        rule: TemplateCheck = getattr(lists, name)
        return rule(template, options)

    check.__name__ = name
    return check


TEMPLATE_CHECKS: dict[str, TemplateCheck] = {
    "CONTENT001": content.missing_unsubscribe,
    "CONTENT002": content.missing_postal_address,
    "CONTENT003": content.subject_problem,
    "CONTENT004": content.image_missing_alt,
    "CONTENT005": content.missing_text_part,
    "CONTENT006": content.leftover_placeholder,
    "CONTENT007": content.list_unsubscribe_header,
    "CONTENT008": content.gmail_clipping,
    "CONTENT009": content.missing_preheader,
    "MERGE001": merge.malformed_tag,
    "MERGE002": merge.foreign_dialect,
    "MERGE003": merge.unknown_field,
    "MERGE004": merge.missing_fallback,
    "MERGE005": merge.wrong_name_field,
    "MERGE006": merge.parts_disagree,
    "MERGE007": merge.unencoded_tag_in_url,
    "MERGE008": merge.personal_data_in_url,
    "MERGE009": merge.blank_for_recipients,
    "MERGE010": merge.invalid_tag_for_platform,
    "MERGE011": merge.mixed_dialects,
    "LINK003": links.non_production_host,
    "LINK004": links.insecure_link,
    "LINK007": links.placeholder_href,
    "LINK008": links.malformed_url,
    "LINK009": links.utm_problem,
    "LINK010": links.text_url_mismatch,
    # a sidecar's `audience`, for templates no workflow of the run sends (else the
    # workflow rules below judge the send step, once)
    "LIST001": _with_audiences("unknown_sidecar_audience"),
    "LIST005": _with_audiences("locale_mismatch_sidecar"),
    "LIST006": _with_audiences("intent_mismatch_sidecar"),
    "LIST007": _with_audiences("consent_mismatch_sidecar"),
}

LIVE_RULES = (
    "LINK001",
    "LINK002",
    "LINK003",
    "LINK005",
    "LINK006",
    "LINK011",
    "LINK012",
    "LINK013",
)
"""Rules over the live link checker's results (--online): one link and its URL's result."""


def live_checks() -> dict[str, LiveCheck]:
    """The live rules' implementations, imported only when a run is online (start-up)."""
    from preflight.checks import live

    return {
        "LINK001": live.broken_link,
        "LINK002": live.unreachable_link,
        "LINK003": live.refused_address,
        "LINK005": live.missing_fragment,
        "LINK006": live.soft_404,
        "LINK011": live.redirect_chain,
        "LINK012": live.unverifiable_link,
        "LINK013": live.broken_image,
    }


@functools.cache
def workflow_checks() -> dict[str, WorkflowCheck]:
    """Rules over one workflow (native, or imported from a platform export); imported on the
    first workflow of a run (start-up)."""
    from preflight.checks import flow, lists, timing

    return {
        "FLOW001": flow.unreachable_step,
        "FLOW002": flow.dangling_reference,
        "FLOW003": flow.loop_without_wait,
        "FLOW004": flow.condition_on_unsent_email,
        "FLOW005": flow.link_not_in_email,
        "FLOW006": flow.split_not_100,
        "FLOW007": flow.missing_branch,
        "TIME001": timing.check_before_response,
        "TIME002": timing.unguarded_reminder,
        "TIME003": timing.suspicious_wait,
        "TIME004": timing.quiet_hours,
        "TIME005": timing.frequency_cap,
        "TIME006": timing.event_order,
        "LIST001": lists.unknown_audience,
        "LIST002": lists.test_audience_in_production,
        "LIST003": lists.missing_suppression,
        "LIST004": lists.include_exclude_overlap,
        "LIST005": lists.locale_mismatch,
        "LIST006": lists.intent_mismatch,
        "LIST007": lists.consent_mismatch,
    }


WORKFLOW_RULES = frozenset(
    {
        "FLOW001",
        "FLOW002",
        "FLOW003",
        "FLOW004",
        "FLOW005",
        "FLOW006",
        "FLOW007",
        "TIME001",
        "TIME002",
        "TIME003",
        "TIME004",
        "TIME005",
        "TIME006",
        "LIST001",
        "LIST002",
        "LIST003",
        "LIST004",
        "LIST005",
        "LIST006",
        "LIST007",
    }
)
"""The ids of workflow_checks(), known without importing the rules."""


@functools.cache
def audience_checks() -> dict[str, AudienceCheck]:
    """Rules over one audience of the audiences file (its members CSV), run once per run when
    the audiences file or a workflow is among the inputs."""
    from preflight.checks import lists

    return {
        "LIST008": lists.suspicious_members,
    }


AUDIENCE_RULES = frozenset({"LIST008"})
"""The ids of audience_checks()."""

ENGINE_RULES = frozenset({"PF001", "PF002", "PF003", "PF004"})
"""Rules the engine, the loaders and the importers report themselves."""
