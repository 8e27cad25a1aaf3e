"""Facts that span files, gathered by run-wide phases before any item is checked.

Rules read these like any other part of the model; no rule reads a second file.

- audiences: the config's (or the nearest) audiences.yaml, as Targeting;
- sends: which templates the run's native workflows send, with what subject and to whom
  (a send step beats the template's sidecar: DESIGN.md precedence);
- members: each audience's members CSV read once (LIST008 judges the rows; MERGE009 reads
  the per-column blank counts).

Everything here is picklable: worker processes receive the facts once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.config import Config, Configs
from preflight.discovery import AudiencesFinder as AudiencesFinder
from preflight.discovery import InputFile
from preflight.model import (
    Audience,
    Location,
    MemberFacts,
    Part,
    Sourced,
    Targeting,
    Violation,
    Workflow,
)
from preflight.model.source import SourceText

if TYPE_CHECKING:
    from preflight.formats.audiences import Audiences


LoadedWorkflow = tuple[Workflow | None, list[tuple[str, Violation]]]


@dataclass(frozen=True)
class Send:
    """A send step of one of the run's workflows, as the template it sends sees it."""

    workflow: Path
    step: str
    subject: Sourced | None
    """The step's subject override (origin "send-step"), placed on the subject part."""
    audiences: tuple[Sourced, ...]
    """The audiences it goes to (the step's own, else the workflow's), where written."""
    source: SourceText | None = None
    """The workflow's text, for the source line of a finding at the step's subject."""
    targeting: Targeting | None = None
    """The workflow's audiences file, which its audience names are read in."""


@dataclass(frozen=True)
class RunFacts:
    targetings: Mapping[str, Targeting] = field(default_factory=dict)
    """Each readable audiences file of the run (its absolute path) -> its audiences."""
    sends: Mapping[str, tuple[Send, ...]] = field(default_factory=dict)
    """A template's key (see ``key``) -> the send steps of the run that send it."""
    members: MembersPhase = field(default_factory=lambda: MembersPhase(), compare=False)

    def targeting(self, audiences: Path | None) -> Targeting | None:
        return self.targetings.get(os.path.abspath(audiences)) if audiences else None

    def digest(self, targeting: Targeting | None, template_key: str | None = None) -> str:
        """A hash of what an item is judged with: its audiences (their members files'
        size and time included) and, for a template, the send steps that send it and their
        workflows' audiences. Part of the results cache key."""
        import hashlib  # 3 ms of start-up: only a run with the results cache hashes

        hashed = hashlib.blake2b(repr(targeting).encode("utf-8"), digest_size=16)
        hashed.update(members_stamp(targeting).encode("utf-8", "surrogateescape"))
        if template_key is not None:
            for send in self.sends.get(template_key, ()):
                said = (send.workflow, send.step, send.subject, send.audiences, send.targeting)
                hashed.update(repr(said).encode("utf-8"))
                hashed.update(members_stamp(send.targeting).encode("utf-8", "surrogateescape"))
        return hashed.hexdigest()


def needs_met(targeting: Targeting | None) -> tuple[str, ...]:
    """What an item's audiences give the rules that need them (the catalogue's `needs:`)."""
    if targeting is None:
        return ()
    if any(a.members is not None for a in targeting.audiences.values()):
        return ("audiences", "members")
    return ("audiences",)


def key(path: Path) -> str:
    """One spelling of a path for matching a workflow's template with a run's input."""
    return os.path.normcase(os.path.abspath(path))


# -- phases --------------------------------------------------------------------------------


def read_audiences(path: Path, config: Config) -> Audiences:
    """An audiences file, read once per run."""
    from preflight.formats.audiences import load_audiences

    return load_audiences(path, config.max_file_size)


def targeting_of(audiences: Audiences | None, config: Config) -> Targeting | None:
    """The audiences as rules read them; None without a file, or with one that could not be
    read or whose shape is wrong (nothing to judge names by, so no LIST001 per name). With
    no `suppression_audiences` configured, audiences of kind suppression stand in."""
    if audiences is None or audiences.text is None or audiences.invalid:
        return None
    return Targeting(audiences.items, audiences.path, config.suppression_audiences)


class MembersPhase:
    """Each audience's members file, read once per process on first need: counts per column
    for MERGE009 (templates), and the rows for LIST008 (read in the main process only).
    A pickled MembersPhase comes back empty: a worker reads what its items need."""

    def __init__(self) -> None:
        self._read: dict[tuple[Path, int, bool], MemberFacts] = {}

    def __reduce__(self) -> tuple[type[MembersPhase], tuple[()]]:
        return (MembersPhase, ())

    def facts(self, audience: Audience, max_rows: int, rows: bool = False) -> Audience:
        """The audience with its member facts (unchanged when it has no members file)."""
        if audience.members is None or audience.kind == "suppression":
            return audience
        key = (audience.members, max_rows, rows)
        found = self._read.get(key) or self._read.get((audience.members, max_rows, True))
        if found is None:
            found = self._read[key] = _read_members(audience.members, max_rows, rows)
        return replace(audience, member_facts=found if rows else found.without_rows())


def _read_members(path: Path, max_rows: int, keep_rows: bool) -> MemberFacts:
    from preflight.formats.members import Members

    members = Members(path, max_rows)
    blanks: list[int] = []
    kept: list[tuple[int, tuple[str, ...]]] = []
    total = 0
    for line, cells in members.rows():
        if not blanks:
            blanks = [0] * len(members.header)
        total += 1
        width = len(cells)
        for index in range(len(blanks)):
            if index >= width or not cells[index].strip():
                blanks[index] += 1
        if keep_rows:
            kept.append((line, tuple(cells)))
    return MemberFacts(
        path,
        tuple(members.header),
        tuple(blanks or [0] * len(members.header)),
        total,
        members.sampled,
        members.problem,
        members.problem_line,
        tuple(kept) if keep_rows else None,
    )


def members_stamp(targeting: Targeting | None) -> str:
    """Size and modification time of every members file, for the results cache key."""
    if targeting is None:
        return ""
    said = []
    for audience in targeting.audiences.values():
        if audience.members is not None:
            try:
                stat = audience.members.stat()
                said.append(f"{audience.members}:{stat.st_size}:{stat.st_mtime_ns}")
            except OSError:
                said.append(f"{audience.members}:absent")
    return "|".join(said)


def scan_sends(
    items: Iterable[InputFile],
    configs: Configs,
    facts_for: Callable[[Path], Targeting | None],
) -> tuple[dict[str, tuple[Send, ...]], dict[Path, LoadedWorkflow]]:
    """Read the run's native workflows first, to know which templates they send and to whom.

    Only runs with a workflow among their inputs pay for it; the workflows read here are
    returned so that each is checked without being read twice. ``facts_for`` gives the
    audiences a workflow's names are read in.
    """
    from preflight.formats.workflow import load_workflow

    sends: dict[str, list[Send]] = {}
    loaded: dict[Path, LoadedWorkflow] = {}
    for item in items:
        config = configs.for_path(item.path)
        if item.kind != "workflow" or config.is_excluded(item.path):
            continue
        try:
            result = load_workflow(item.path, config.max_file_size)
        except Exception:  # the workflow's own check reports it (PF001, internal error)
            continue
        loaded[item.path] = result
        workflow = result[0]
        if workflow is None:
            continue
        source = workflow.sources.get(workflow.path)
        targeting = facts_for(item.path)
        for step in workflow.steps:
            if step.kind != "send" or step.template is None:
                continue
            subject = None
            if step.subject is not None:
                where = step.target_locations.get("subject", step.location)
                subject = Sourced(step.subject, "send-step", replace(where, part=Part.SUBJECT))
            names = step.include if step.include is not None else workflow.include
            audiences = tuple(
                Sourced(
                    name,
                    "send-step",
                    step.target_locations.get(f"include:{name}")
                    or workflow.audience_locations.get(f"include:{name}")
                    or Location(workflow.path),
                )
                for name in names
            )
            send = Send(workflow.path, step.id, subject, audiences, source, targeting)
            sends.setdefault(key(item.path.parent / step.template), []).append(send)
    return {k: tuple(v) for k, v in sends.items()}, loaded
