"""The typed model every loader produces and every rule reads.

Positions are 1-based, columns count characters (not bytes), and an end is
exclusive of nothing: ``end_column`` is the column of the last character + 1,
as in SARIF and LSP.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from preflight.model.source import HtmlDocument, Locator, SourceText


T = TypeVar("T")


class Severity(enum.IntEnum):
    """Ordered so that ``max()`` picks the worst."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Severity:
        return cls[value.strip().upper()]


class Part(str, enum.Enum):
    """Which part of an input a finding is about (the JSON ``part`` field)."""

    HTML = "html"
    TEXT = "text"
    SUBJECT = "subject"
    PREHEADER = "preheader"
    HEADERS = "headers"
    WORKFLOW = "workflow"
    AUDIENCE = "audience"


@dataclass(frozen=True, slots=True)
class Span:
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int, length: int = 1) -> Span:
        return cls(line, column, line, column + max(length, 1))


@dataclass(frozen=True, slots=True)
class Location:
    """Where something is: a file, optionally a span in it, a part, a pointer."""

    path: Path
    span: Span | None = None
    part: Part | None = None
    pointer: str | None = None


@dataclass(frozen=True, slots=True)
class Related:
    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text at ``location`` (a span in a file) with ``text``."""

    location: Location
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A mechanical fix a rule can offer (the JSON ``fix`` field): what it does, and the edits."""

    description: str
    edits: tuple[Edit, ...] = ()


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule reports: a message template and its arguments, kept apart.

    ``severity`` lets a rule mark one instance as milder than the rule's
    severity (for example "could not verify" cases are info); the engine never
    lets it make a finding worse than configured.
    """

    template: str
    location: Location
    data: Mapping[str, Any] = field(default_factory=dict)
    help: str | None = None
    related: tuple[Related, ...] = ()
    severity: Severity | None = None
    fix: Fix | None = None

    @property
    def message(self) -> str:
        return self.template.format(**self.data)


@dataclass(frozen=True, slots=True)
class Finding:
    """A violation after the engine stamped it with a rule and a severity."""

    rule: str
    name: str
    severity: Severity
    message: str
    location: Location
    data: Mapping[str, Any] = field(default_factory=dict)
    help: str | None = None
    related: tuple[Related, ...] = ()
    source_line: str | None = None
    """The text of the finding's first line, for carets and baseline fingerprints: the whole
    line, or a window of it around the finding when the line is long
    (SourceText.line_excerpt)."""
    fix: Fix | None = None
    source_offset: int = 0
    """Where ``source_line`` starts in the line (0-based column): 0 unless it is a window."""


@dataclass(frozen=True, slots=True)
class MergeTag:
    """One merge tag found in a text: what it is, where (offsets into that text), its parts."""

    kind: str  # variable | special | function | script | block-open | block-else | block-close
    platform: str
    start: int
    end: int
    raw: str
    field: str | None = None
    fallback: str | None = None
    """The inline default, if the tag has one ("" is an empty default, None is none)."""
    keyword: str | None = None


TAG_MARK = "\ue000"
"""What a merge tag becomes inside a URL before it is parsed (a private-use character)."""


@dataclass(frozen=True)
class Parsed:
    scheme: str
    host: str | None
    """Lower-cased host, or None when a merge tag writes (part of) it."""
    query: list[tuple[str, str]]
    path: str
    port: int | None = None
    authority: str = ""
    """The lower-cased host and port as written (``host:8080``; no user info), merge-tag
    marks included, for comparing URLs (FLOW005)."""


@dataclass(frozen=True)
class Link:
    url: str
    """As written, merge tags included."""
    opaque: str
    """The URL with each merge tag replaced by one private-use character."""
    kind: str  # "link" | "image"
    part: Part
    place: Location | Callable[[], Location]
    """Where it is written, or how to find out: positions cost a walk of the document, paid
    only when a rule reports the link (see ``location``)."""
    element: Any = None
    """The lxml element it was read from (HTML links)."""
    text: str = ""
    """The link's visible text (anchors only)."""

    parsed: Parsed | None = None
    """The URL's parts, parsed once for all the rules; None when it does not parse."""

    @property
    def has_tags(self) -> bool:
        return TAG_MARK in self.opaque

    @functools.cached_property
    def location(self) -> Location:
        return self.place if isinstance(self.place, Location) else self.place()


@dataclass(frozen=True, slots=True)
class Sourced:
    """A metadata value together with where it came from."""

    value: str
    origin: str  # "send-step" | "sidecar" | "format" | "config" | "inferred" (category only)
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class KnownFields:
    """The fields an audience gives its members, for MERGE003."""

    names: tuple[str, ...]
    label: str
    """How messages name where they come from: 'audience "webinar-registrants"'."""
    location: Location | None = None


@dataclass(frozen=True)
class Audience:
    """One audience of audiences.yaml (DESIGN.md, Contracts)."""

    name: str
    location: Location
    kind: str = "production"
    locale: str | None = None
    timezone: str | None = None
    consent: str | None = None
    tags: tuple[str, ...] = ()
    fields: tuple[str, ...] | None = None
    """The platform field names its members have; None when the file does not say."""
    fields_location: Location | None = None
    members: Path | None = None
    timezone_location: Location | None = None
    """Where the file writes ``timezone`` (for findings about the zone)."""
    defaults: Mapping[str, str] = field(default_factory=dict, hash=False)
    """The platform's default merge values for this audience, by field name (Mailchimp
    keeps a greeting's fallback there, not in the tag)."""
    defaults_location: Location | None = None
    member_facts: MemberFacts | None = None
    """What the engine's members phase read from ``members`` (None: no file, or not read in
    this run). Rules read these facts; no rule opens a members file."""


@dataclass(frozen=True)
class MemberFacts:
    """An audience's members CSV as the members phase read it, once per run."""

    path: Path
    header: tuple[str, ...] = ()
    blanks: tuple[int, ...] = ()
    """For each header column: members whose cell is empty (or missing)."""
    total: int = 0
    """Member rows read (at most the row limit)."""
    sampled: bool = False
    """True when reading stopped at the row limit with rows left."""
    problem: str | None = None
    """Why reading stopped early, in words for a message; None when it did not."""
    problem_line: int | None = None
    rows: tuple[tuple[int, tuple[str, ...]], ...] | None = None
    """(line, cells) of each row read, for rules that judge members one by one (LIST008);
    None where they are not needed (the facts handed to template workers)."""

    def without_rows(self) -> MemberFacts:
        return replace(self, rows=None) if self.rows is not None else self


@dataclass(frozen=True, slots=True)
class AudienceZone:
    """An audience a send goes to and its time zone, for TIME004 (the engine fills them in)."""

    audience: str
    zone: str | None
    """None: audiences.yaml gives the audience no zone (the workflow's stands in)."""
    location: Location | None = None
    """Where audiences.yaml writes the zone (else the audience)."""


@dataclass(frozen=True)
class Targeting:
    """What a run knows about audiences, for the LIST rules: the engine fills it in."""

    audiences: Mapping[str, Audience]
    path: Path
    """The audiences file."""
    suppression: tuple[str, ...] = ()
    """The config's `suppression_audiences`; empty: every audience of kind suppression."""

    def suppressions(self) -> tuple[str, ...]:
        if self.suppression:
            return self.suppression
        return tuple(a.name for a in self.audiences.values() if a.kind == "suppression")


@dataclass(frozen=True)
class SentTo:
    """An audience a template goes to, and who says so (a send step or the sidecar)."""

    audience: Audience
    via: Sourced
    """The audience's name as written, with origin "send-step" or "sidecar" and its place."""
    step: str | None = None
    """The send step's id (origin "send-step")."""


@dataclass(frozen=True)
class Detection:
    platform: str | None
    """The platform assumed, or None (no merge tags, or ambiguous)."""
    confidence: float | None
    """The best platform's share of all evidence, 0..1; None when there was none."""
    candidates: tuple[str, ...] = ()
    """When ambiguous: the platforms whose evidence came close to the best."""
    scores: dict[str, int] = field(default_factory=dict)
    settled_by: str | None = None
    """When the tags fitted several platforms and the file's place settled it: how (for
    example Postmark's CLI folder layout). A settled detection is as sure as a confident one."""

    @property
    def ambiguous(self) -> bool:
        return self.platform is None and bool(self.candidates)


class Memo:
    """Work derived once from an object and shared by the rules that read it (a template's
    merge tags, its links). The engine gives each object it assembles a fresh Memo; shared
    libraries fill it through :meth:`get` with pure functions of the object; rules never
    write it. It is not carried across processes (a pickled Memo comes back empty)."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        if key in self._values:
            value: T = self._values[key]
            return value
        value = self._values[key] = compute()
        return value

    def __reduce__(self) -> tuple[type[Memo], tuple[()]]:
        return (Memo, ())


@dataclass(frozen=True, eq=False)
class Template:
    """One email, whatever format it came from: frozen once a loader made it; the engine's
    assemble stage derives the email as sent with ``dataclasses.replace``."""

    path: Path
    format: str  # "html" | "eml" | "sendgrid" | "postmark"
    html: HtmlDocument | None = None
    text: SourceText | None = None
    text_path: Path | None = None
    subject: Sourced | None = None
    preheader: Sourced | None = None
    sender: Sourced | None = None
    reply_to: Sourced | None = None
    locale: Sourced | None = None
    platform: Sourced | None = None
    category: Sourced | None = None
    campaign: Sourced | None = None
    audience_tags: tuple[str, ...] = ()
    audience: Sourced | None = None
    """The audience the sidecar names."""
    known_fields: KnownFields | None = None
    sent_to: tuple[SentTo, ...] = ()
    """The audiences it goes to: the workflow send steps' in this run, else the sidecar's."""
    targeting: Targeting | None = None
    """The run's audiences (for LIST001 on the sidecar's `audience`); None without a file."""
    link_settings: Mapping[str, Any] = field(default_factory=dict)
    """The config's `links:` block (own_domains, required_utm, allow_hosts…)."""
    headers: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Lower-cased header name -> (value, line) for .eml inputs."""
    subject_knowable: bool = False
    """True when the format or a sidecar could have carried a subject."""
    pointers: dict[Part, str] = field(default_factory=dict)
    """JSON pointers of the parts of a platform export, for findings' ``pointer``."""
    sources: dict[Path, SourceText] = field(default_factory=dict)
    """Text of every file this template was read from, for source lines in reports."""
    detection: Detection | None = None
    """What detection found, when no platform was declared."""
    memo: Memo = field(default_factory=Memo, repr=False, compare=False)
    """Work the rules share (the merge tags found), computed once per template."""
    html_map: Locator | None = None
    """For an email composed from several files (a layout, partials) or compiled from a
    source: where each span of ``html`` came from. The engine moves findings there."""
    text_map: Locator | None = None
    built_from: Path | None = None
    """The build source a compiled email came from (an .mjml file, a Maizzle page)."""
    parts: tuple[tuple[Path, str], ...] = ()
    """The layouts and partials the email was composed from: (path, "layout" | "partial")."""

    @property
    def is_transactional(self) -> bool:
        """Declared transactional (send step, sidecar, platform metadata, config). A category
        only inferred from the content (origin "inferred") lowers CONTENT001/002 and changes
        nothing else (preflight.category)."""
        category = self.category
        return (
            category is not None
            and category.value == "transactional"
            and category.origin != "inferred"
        )

    @property
    def is_eml(self) -> bool:
        return self.format == "eml"

    def location(self, part: Part, span: Span | None = None) -> Location:
        path = self.text_path if part is Part.TEXT and self.text_path else self.path
        return Location(path, span, part)


def display_path(path: Path) -> str:
    """A path as reports show it: relative to the working directory (DESIGN.md, Contracts).

    A file name that is not valid UTF-8 shows U+FFFD where its bad bytes were, so every
    report stays valid UTF-8. Worked out once per path and working directory: a report
    shows the same few paths thousands of times.
    """
    return _display_path(path, os.getcwd() if path.is_absolute() else "")


@functools.lru_cache(maxsize=16384)
def _display_path(path: Path, cwd: str) -> str:
    shown = path.as_posix()
    if path.is_absolute():
        with contextlib.suppress(ValueError):  # another drive, on Windows
            shown = Path(os.path.relpath(path, cwd)).as_posix()
    if not shown.isascii():
        shown = shown.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return shown


@dataclass(frozen=True, slots=True)
class Edge:
    """A way out of a step: where it goes and on what ("next", "yes", "no", "40%")."""

    target: str
    label: str


@dataclass(frozen=True, slots=True)
class Until:
    """What a wait waits for beside a fixed duration (the TIME rules read it)."""

    time: str | None = None
    """A time of day, "02:00", in the workflow's time zone (or the audience's, when it has none)."""
    weekdays: tuple[str, ...] = ()
    """The days of the week the wait may end on, in ISO order (none: any day). Klaviyo's
    ``delay_until_weekdays`` names several; the wait ends on the first of them it reaches."""
    field: str | None = None
    """A date field of the contact: the wait ends at that date plus ``offset``."""
    offset: float = 0.0
    """Seconds from the field's date; negative is before it."""
    event: str | None = None
    timeout: float | None = None
    """Seconds before a wait for an event gives up (None: it never does)."""


@dataclass(frozen=True, slots=True)
class SendWindow:
    """When a send may go out: on these days (none named: every day), between start and end."""

    days: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class Step:
    """One step of a workflow, whatever format it came from (native YAML or an importer)."""

    id: str
    kind: str  # send | wait | branch | split | update | notify | goal | exit | opaque
    location: Location
    spec: Any = None
    """The step's own block as written (the value of its `send:`, `wait:`… key)."""
    next: str | None = None
    """An explicit `next`; None means the following step."""
    also: tuple[str, ...] = ()
    """Further `next` targets (`next: [a, b]`): contacts go on to each, as platforms fork."""
    wait_seconds: float | None = None
    """For waits: the shortest time a contact can spend here (0 when it may end at once)."""
    wait_text: str | None = None
    engagement: tuple[str, str] | None = None
    """For branches on an earlier send: (verb, send step id), e.g. ("downloaded", "offer")."""
    yes: str | None = None
    no: str | None = None
    split: dict[str, float] = field(default_factory=dict)
    template: str | None = None
    """For sends: the template path as written."""
    wait_written: str | None = None
    """For waits: the fixed duration as written ("7 minutes", "5m"), for TIME003's unit checks."""
    until: Until | None = None
    """For waits: a time of day, weekday, date field or event it waits for."""
    engagement_url: str | None = None
    """For `clicked` branches: the URL whose click is checked."""
    send_at: str | None = None
    """For sends: an absolute schedule, ISO 8601 as written."""
    send_window: SendWindow | None = None
    blocked_dates: tuple[str, ...] = ()
    include: tuple[str, ...] | None = None
    """For sends: the step's own audience; None: the workflow's."""
    exclude: tuple[str, ...] = ()
    """For sends: audiences the step excludes (on top of the workflow's)."""
    subject: str | None = None
    """For sends: the subject override."""
    target_locations: dict[str, Location] = field(default_factory=dict)
    """Where each reference (next, then, else, split targets, template) is written."""
    broken: bool = False
    """The step does not fit the format (a PF003 says why): contacts pass through it to its
    readable targets, and the TIME and FLOW rules judge no path that crosses it."""


@dataclass(frozen=True)
class Workflow:
    """A workflow as read; frozen: the engine hands rules a copy with its facts filled in."""

    path: Path
    name: str
    steps: tuple[Step, ...]
    kind: str = "production"
    timezone: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    location: Location | None = None
    audience_locations: dict[str, Location] = field(default_factory=dict)
    """Where each audience name of `audience:` is written: "include:NAME", "exclude:NAME"."""
    targeting: Targeting | None = None
    """The run's audiences; the engine fills it in (None without an audiences file)."""
    sources: dict[Path, SourceText] = field(default_factory=dict)
    templates: dict[str, Template | None] = field(default_factory=dict, repr=False)
    """Send step id -> the template it sends (None when it cannot be read); the engine fills it."""
    audience_zones: dict[str, tuple[AudienceZone, ...]] = field(default_factory=dict, repr=False)
    """Send step id -> every audience it goes to that audiences.yaml knows, with its zone (the
    engine fills it); TIME004 judges the send in each zone. A send not in the map, or whose
    audiences have no zone, is read in the workflow's ``timezone``."""
    timezone_location: Location | None = None
    by_id: dict[str, Step] = field(init=False, repr=False, compare=False)
    """Each step by id (the first, where ids repeat: FLOW rules report the others)."""
    _order: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Step] = {}
        for step in self.steps:
            by_id.setdefault(step.id, step)
        object.__setattr__(self, "by_id", by_id)
        object.__setattr__(self, "_order", {id(s): i for i, s in enumerate(self.steps)})

    def edges(self, step: Step) -> list[Edge]:
        """Where a contact can go from a step (targets may not exist: FLOW002 says so)."""
        if step.kind in ("exit", "goal"):
            return []
        if step.kind == "branch":
            return [Edge(t, label) for t, label in ((step.yes, "yes"), (step.no, "no")) if t]
        if step.kind == "split":
            return [Edge(t, f"{share:g}%") for t, share in step.split.items()]
        if step.next is not None:
            return [Edge(target, "next") for target in (step.next, *step.also)]
        index = self._order[id(step)]
        if index + 1 < len(self.steps):
            return [Edge(self.steps[index + 1].id, "next")]
        return []
