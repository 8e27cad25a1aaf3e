"""The one registry: the catalogue (rules/*.yaml) names each rule's implementation and what
it runs on; this module joins the two.

Implementations are imported on first use, so a run imports only the rule modules it
needs (a pre-commit run on one template never imports the workflow rules). Only this
module imports preflight.checks.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Collection, Iterator
from typing import Any

from preflight.catalogue import Catalogue, RuleSpec

Check = Callable[..., Iterator[Any]]
"""A rule: ``check(subject, options) -> Iterator[Violation]``."""


class Registry:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._by_subject: dict[str, list[RuleSpec]] = {}
        self._chosen: dict[
            tuple[str, frozenset[str], tuple[str, ...], bool], list[tuple[str, Check]]
        ]
        self._chosen = {}
        """rules() by its arguments: every item of a run asks with the same few."""
        for rule in catalogue:
            for subject in rule.runs_on:
                self._by_subject.setdefault(subject, []).append(rule)

    def ids(self, subject: str) -> frozenset[str]:
        """The ids of the rules that run on ``subject``, known without importing any rule."""
        return frozenset(rule.id for rule in self._by_subject.get(subject, ()))

    def rules(
        self,
        subject: str,
        enabled: Collection[str],
        facts: Collection[str] = (),
        whole_email: bool = True,
    ) -> list[tuple[str, Check]]:
        """(rule id, implementation) for every enabled rule on ``subject`` whose needs the
        run meets (``facts``: "audiences" when the run has them); without the rules of
        ``scope: email`` when the template is no ``whole_email`` (a part checked alone)."""
        if isinstance(enabled, frozenset):
            said = (subject, enabled, tuple(facts), whole_email)
            chosen = self._chosen.get(said)
            if chosen is None:
                chosen = self._chosen[said] = self._rules(subject, enabled, facts, whole_email)
            return list(chosen)
        return self._rules(subject, enabled, facts, whole_email)

    def _rules(
        self, subject: str, enabled: Collection[str], facts: Collection[str], whole_email: bool
    ) -> list[tuple[str, Check]]:
        return [
            (rule.id, implementation(rule))
            for rule in self._by_subject.get(subject, ())
            if rule.id in enabled
            and rule.check is not None
            and (rule.needs is None or rule.needs in facts)
            and (whole_email or rule.scope != "email")
        ]


@functools.cache
def _function(check: str) -> Check:
    module, _, name = check.rpartition(".")
    found: Check = getattr(importlib.import_module(f"preflight.checks.{module}"), name)
    return found


def implementation(rule: RuleSpec) -> Check:
    if rule.check is None:
        raise LookupError(f"{rule.id} is reported by the engine itself")
    return _function(rule.check)
