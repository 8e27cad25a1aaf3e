"""TIME: when a workflow's steps happen — checks before anyone could respond, reminders
nobody guarded. Paths are found with graph searches (breadth-first, Dijkstra), never by
listing every path."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from preflight.constants import WEEKDAYS
from preflight.durations import describe
from preflight.graphs import (
    path_to,
    reachable,
    shortest_waits,
    show_path,
    wait_of,
)
from preflight.model import (
    AudienceZone,
    Related,
    SendWindow,
    Severity,
    Step,
    Template,
    Violation,
    Workflow,
)
from preflight.phrases import Match, first, language_of, phrase_list, settle

Options = Mapping[str, Any]


# -- TIME001 check-before-response ---------------------------------------------------------


_EVENT_WORDS = {
    "opened": ("open",),
    "clicked": ("click",),
    "replied": ("repl",),
    "submitted": ("submit",),
    "downloaded": ("download",),
}
"""How a wait's `until_event` names each engagement ("downloaded", "email.open",
"asset.download", "form.submit"): a word of it starting so."""


def waits_for(step: Step, verb: str) -> bool:
    """True for a wait until the event an engagement branch checks (`until_event: downloaded`
    before a `downloaded` check)."""
    until = step.until
    if step.kind != "wait" or until is None or until.event is None:
        return False
    words = re.findall(r"[a-z]+", until.event.lower())
    return any(word.startswith(stem) for word in words for stem in _EVENT_WORDS[verb])


def check_before_response(workflow: Workflow, options: Options) -> Iterator[Violation]:
    window = float(options["min_response_window"])
    steps = workflow.by_id
    for branch in workflow.steps:
        if branch.engagement is None:
            continue
        verb, send = branch.engagement
        if send not in steps or steps[send].kind != "send":
            continue  # FLOW002 says so

        def held(step: Step, verb: str = verb) -> float:
            """A wait for the very event checked holds those who have not done it until its
            timeout (for good without one): after it, the check is right on both sides."""
            if waits_for(step, verb):
                assert step.until is not None
                return max(step.wait_seconds or 0.0, step.until.timeout or float("inf"))
            return wait_of(step)

        waits, parents = shortest_waits(workflow, send, window, cost=held)
        if branch.id not in waits or waits[branch.id] >= window:
            continue
        path = path_to(parents, branch.id)
        seconds = waits[branch.id]
        yield Violation(
            'step "{step}" checks whether contacts {verb} "{send}" {when} ({path});'
            " nobody could have yet, so everyone takes the no side",
            branch.location,
            {
                "step": branch.id,
                "verb": verb,
                "send": send,
                "when": f"only {describe(seconds)} after it" if seconds else "right after it",
                "seconds": seconds,
                "path": show_path(workflow, path),
                "path_steps": path,
                "window": describe(window),
            },
            help=f"put a wait of at least {describe(window)} between them"
            " (or wait until the event, with a timeout)",
            related=(Related(steps[send].location, "the send it checks"),),
        )


# -- TIME002 unguarded-reminder ------------------------------------------------------------


def _copy(template: Template | None) -> tuple[str, str | None]:
    """The copy phrase lists are read in (subject, preheader, text or visible HTML: each its
    own clause) and the template's locale."""
    if template is None:
        return "", None
    pieces = [template.subject.value if template.subject else ""]
    if template.preheader:
        pieces.append(template.preheader.value)
    if template.text is not None:
        pieces.append(template.text.text)
    elif template.html is not None:
        pieces.append(" ".join(text for _, text, _ in template.html.visible_text()))
    return "\n".join(pieces), template.locale.value if template.locale else None


def _find(phrases: Any, workflow: Workflow, step_id: str) -> list[Match]:
    """Where the phrases of one option are found in the copy a send step sends."""
    copy, locale = _copy(workflow.templates.get(step_id))
    if not copy.strip():
        return []
    return phrase_list(tuple(phrases)).matches(copy, language_of(copy, locale))


def _before_dates(workflow: Workflow) -> dict[str, set[str]]:
    """Send step id -> the waits on a date field that time it before that date (an event
    reminder: `until_field: webinar_date, offset: -1d`); TIME006 judges those sends."""
    placed: dict[str, set[str]] = {}
    for wait in workflow.steps:
        until = wait.until
        if wait.kind != "wait" or until is None or until.field is None:
            continue
        later, _ = shortest_waits(workflow, wait.id, stop=_resets(until.field))
        for step_id, elapsed in later.items():
            if workflow.by_id[step_id].kind == "send" and until.offset + elapsed < 0:
                placed.setdefault(step_id, set()).add(wait.id)
    return placed


def _resets(field: str) -> Any:
    def resets(step: Step) -> bool:
        """Another wait on the same date field: the clock starts again there."""
        return step.until is not None and step.until.field == field

    return resets


def unguarded_reminder(workflow: Workflow, options: Options) -> Iterator[Violation]:
    sends = [s for s in workflow.steps if s.kind == "send"]
    reach: dict[str, dict[str, str | None]] = {}
    dated: dict[str, set[str]] | None = None
    for reminder in sends:
        match = first(_find(options["phrases"], workflow, reminder.id))
        if match is None:
            continue
        if dated is None:
            dated = _before_dates(workflow)
        dates = dated.get(reminder.id, set())

        def timed(step: Step, dates: set[str] = dates) -> bool:
            """A wait that times the reminder before a date: an event reminder past it."""
            return step.id in dates

        stop = timed if dates else None
        for send in sends:  # what each send reaches, worked out only once a reminder needs it
            if send.id not in reach:
                reach[send.id] = reachable(workflow, send.id)
        ways = (
            reach if stop is None else {s.id: reachable(workflow, s.id, stop=stop) for s in sends}
        )
        earlier = [s for s in sends if s.id != reminder.id and reminder.id in ways[s.id]]
        if not earlier:
            continue
        guarded = False
        for send in earlier:
            no_sides = frozenset(  # remove the "no" sides: can the reminder still be reached?
                (b.id, "no")
                for b in workflow.steps
                if b.engagement is not None and b.engagement[1] == send.id
            )
            if reminder.id not in reachable(workflow, send.id, no_sides, stop):
                guarded = True  # every way from this send passes the "no" side of a check on it
                break
        if guarded:
            continue
        nearest = min(earlier, key=lambda s: len(path_to(ways[s.id], reminder.id)))
        path = path_to(ways[nearest.id], reminder.id)
        yield Violation(
            'step "{step}" reads like a reminder ("{phrase}") but reaches contacts without a'
            ' check that they did not respond to "{send}" ({path})',
            reminder.location,
            {
                "step": reminder.id,
                "phrase": match.text,
                "send": nearest.id,
                "path": show_path(workflow, path),
                "path_steps": path,
            },
            help=f'put a wait and a branch on "{nearest.id}" (opened, clicked, downloaded…)'
            " in front of it, and send it only on the no side",
            related=(Related(nearest.location, "the earlier send"),),
        )


# -- TIME003 suspicious-wait ----------------------------------------------------------------

_BARE_M = re.compile(r"^\s*\d+(?:\.\d+)?\s*m\s*$", re.IGNORECASE)
"""A duration written with "m" alone: minutes here, months in Mautic."""


def suspicious_wait(workflow: Workflow, options: Options) -> Iterator[Violation]:
    longest = float(options["max_wait"])
    short = float(options["short_wait"])
    for wait in workflow.steps:
        if wait.kind != "wait":
            continue
        problem = _wait_problem(workflow, wait, longest, short)
        if problem is not None:
            template, data, help_text = problem
            yield Violation(
                template,
                wait.location,
                {"step": wait.id, "wait": wait.wait_text, **data},
                help=help_text,
            )


def _wait_problem(
    workflow: Workflow, wait: Step, longest: float, short: float
) -> tuple[str, dict[str, Any], str] | None:
    """(message, data, help) for the first thing wrong with one wait, or None."""
    until = wait.until
    if wait.wait_seconds is None:
        if wait.spec:
            return None  # written but unreadable: the loader's PF003 says why
        return (
            'the wait "{step}" has no duration',
            {"reason": "missing"},
            "give it a duration with a unit, such as 3 days",
        )
    if until is None and wait.wait_seconds == 0:
        if wait.wait_written is None and wait.spec:
            return None  # an until-wait whose offset or timeout is unreadable: PF003 says why
        return (
            'the wait "{step}" is zero ("{written}"): contacts pass straight through',
            {"reason": "zero", "written": wait.wait_written},
            "give it a duration with a unit, such as 3 days, or remove the step",
        )
    if until is not None and until.event is not None and until.timeout is None:
        return (
            'the wait "{step}" waits for "{event}" with no timeout: contacts who never do it'
            " stay in the workflow for good",
            {"reason": "no-timeout", "event": until.event},
            "add a timeout, such as timeout: 7 days, and a step for those who time out",
        )
    written = wait.wait_written
    if written is not None and _BARE_M.match(written):
        amount = written.strip()[:-1].strip()
        return (
            'the wait "{step}" is written "{written}", read as {amount} minutes; in Mautic "m"'
            " means months",
            {"reason": "ambiguous-unit", "written": written, "amount": amount},
            f'write the unit out: "{amount} minutes" or "{amount} months"',
        )
    if until is None and 0 < wait.wait_seconds < short:
        check = _check_right_after(workflow, wait)
        if check is not None:
            return (
                'the wait "{step}" is only {wait}, right before the check "{check}": is the'
                " unit wrong?",
                {"reason": "short-before-check", "check": check, "written": written},
                "; ".join(
                    [f"nobody responds in {wait.wait_text}"]
                    + ([f'did you mean "{_longer(written)}"?'] if _longer(written) else [])
                )
                + " (a wait before a check is usually days)",
            )
    seconds = max(wait.wait_seconds, until.timeout or 0.0) if until else wait.wait_seconds
    if seconds > longest:
        return (
            'the wait "{step}" is {long}, longer than {max}',
            {"reason": "too-long", "long": describe(seconds), "max": describe(longest)},
            "check the unit and the amount; if it is meant, raise TIME003's max_wait",
        )
    return None


def _check_right_after(workflow: Workflow, wait: Step) -> str | None:
    """The first engagement branch a contact reaches from the wait without another wait."""
    after = reachable(workflow, wait.id, stop=lambda step: step.kind == "wait")
    steps = workflow.by_id
    for step_id in after:
        step = steps.get(step_id)
        if step is not None and step.engagement is not None:
            return step.id
    return None


def _longer(written: str | None) -> str | None:
    """ "7 minutes" -> "7 days", for the help of a wait that looks a unit off."""
    if written is None:
        return None
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(?:m|mins?|minutes?|s|secs?|seconds?)\s*$", written)
    return f"{match.group(1)} days" if match else None


# -- TIME004 quiet-hours ----------------------------------------------------------------------

_DAYS = WEEKDAYS
_WEEK = 7 * 1440
_SEASONS = (
    datetime(2025, 1, 15, 12, tzinfo=timezone.utc),
    datetime(2025, 7, 15, 12, tzinfo=timezone.utc),
)
"""Instants at which time zones' offsets are compared: winter and summer (daylight saving)."""


def _zone(name: str | None) -> tzinfo | None:
    """The time zone of that name; ValueError for a name zoneinfo does not know."""
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(name) from None


def _unknown_zone(
    name: str,
    location: Any,
    what: str,
    data: Mapping[str, Any] | None = None,
    where: str = "",
    related: tuple[Related, ...] = (),
) -> Violation:
    """The finding for a zone zoneinfo does not know; ``what`` ("of the workflow") is part of
    the message template, ``where`` ("audiences.yaml") where to fix it."""
    import zoneinfo

    from preflight.suggest import did_you_mean

    match = did_you_mean(name, zoneinfo.available_timezones())
    fix = f'did you mean "{match}"?' if match else "use an IANA name such as Europe/London"
    return Violation(
        'the time zone "{zone}" ' + what + " is not known, so quiet hours cannot be checked",
        location,
        {"zone": name, **(data or {})},
        help=f"{fix} (in {where})" if where else fix,
        related=related,
    )


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minute: int) -> str:
    return f"{minute % 1440 // 60:02d}:{minute % 60:02d}"


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int | None:
    """The first minute of arc ``a`` that is also in arc ``b`` (arcs: start, length on the
    week), or None."""
    (a0, la), (b0, lb) = a, b
    if la <= 0 or lb <= 0:
        return None
    if (b0 - a0) % _WEEK < la:
        return b0 % _WEEK
    if (a0 - b0) % _WEEK < lb:
        return a0 % _WEEK
    return None


class _Quiet:
    """The quiet minutes of a week, from TIME004's options."""

    def __init__(self, options: Options) -> None:
        self.start, self.end = str(options["quiet_start"]), str(options["quiet_end"])
        start, end = _minutes(self.start), _minutes(self.end)
        length = (end - start) % 1440
        self.night = [(day * 1440 + start, length) for day in range(7)] if length else []
        self.weekend = [(5 * 1440, 2 * 1440)] if options["weekend"] else []

    def problem(
        self, arcs: list[tuple[int, int]], night: bool = True, weekend: bool = True
    ) -> tuple[int, str] | None:
        """(the first quiet minute the arcs reach, what is wrong), or None."""
        for arc in arcs:
            for quiet in self.night if night else []:
                found = _overlap(arc, quiet)
                if found is not None:
                    return found, f"during quiet hours ({self.start}–{self.end})"
        for arc in arcs:
            for quiet in self.weekend if weekend else []:
                found = _overlap(arc, quiet)
                if found is not None:
                    return found, "on a weekend"
        return None


def _shifts(source: tzinfo | None, target: tzinfo | None) -> list[int]:
    """Minutes to add to a clock time in ``source`` to read it in ``target``, in winter and
    in summer (one value when they agree)."""
    if source is None or target is None or source is target:
        return [0]
    shifts = []
    for instant in _SEASONS:
        there = instant.astimezone(target).utcoffset() or timedelta()
        here = instant.astimezone(source).utcoffset() or timedelta()
        shift = int((there - here).total_seconds() // 60)
        if shift not in shifts:
            shifts.append(shift)
    return shifts


@dataclass(frozen=True)
class _Judged:
    """A zone a send is judged in: the tzinfo, its name, and the audience it belongs to."""

    zone: tzinfo | None
    name: str | None
    audience: str | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        """The message's "in …" part (a template) and its data."""
        data: dict[str, Any] = {"zone": self.name or "local time"}
        if self.audience is None:
            return "{zone}", data
        return '{zone} (audience "{audience}")', {**data, "audience": self.audience}


def _send_zones(
    workflow: Workflow, send: Step, reported: set[str]
) -> tuple[list[_Judged], list[Violation]]:
    """The zones one send is judged in (one per distinct zone of its audiences; else the
    workflow's) and the findings for zones nobody knows (one per audience and workflow)."""
    judged: list[_Judged] = []
    unknown: list[Violation] = []
    names: set[str | None] = set()
    audiences = workflow.audience_zones.get(send.id)
    if audiences:
        for entry in audiences:
            name = entry.zone or workflow.timezone
            if name in names:
                continue
            names.add(name)
            try:
                judged.append(_Judged(_zone(name), name, entry.audience if entry.zone else None))
            except ValueError:
                if entry.audience not in reported:
                    reported.add(entry.audience)
                    unknown.append(_unknown_audience_zone(str(name), send, entry))
        return judged, unknown
    # the workflow's own zone: quiet_hours has already reported it if nobody knows it
    judged.append(_Judged(_zone(workflow.timezone), workflow.timezone))
    return judged, unknown


def _unknown_audience_zone(name: str, send: Step, entry: AudienceZone) -> Violation:
    """An audience's zone nobody knows: reported at the send, fixed in audiences.yaml."""
    location = entry.location
    return _unknown_zone(
        name,
        send.location,
        'of audience "{audience}" (sent by "{step}")',
        {"audience": entry.audience, "step": send.id},
        where=location.path.name if location else "",
        related=(Related(location, "the audience's time zone"),) if location else (),
    )


def quiet_hours(workflow: Workflow, options: Options) -> Iterator[Violation]:
    quiet = _Quiet(options)
    try:
        written_in = _zone(workflow.timezone)
    except ValueError:
        yield _unknown_zone(
            str(workflow.timezone),
            workflow.timezone_location or workflow.location or workflow.steps[0].location,
            "of the workflow",
        )
        return
    sends = [s for s in workflow.steps if s.kind == "send"]
    zones: dict[str, list[_Judged]] = {}
    unknown_reported: set[str] = set()
    for send in sends:
        zones[send.id], unknown = _send_zones(workflow, send, unknown_reported)
        yield from unknown
    for send in sends:
        for judged in zones[send.id]:
            source = written_in or judged.zone  # clock times are the workflow's, else the zone's
            found = None
            if send.send_at is not None:
                found = _at_problem(send, judged, source, quiet)
            if found is None and send.send_window is not None:
                found = _window_problem(send, send.send_window, judged, source, quiet)
            if found is not None:
                yield found
    yield from _timed_waits(workflow, zones, written_in, quiet)


def _at_problem(
    send: Step, judged: _Judged, source: tzinfo | None, quiet: _Quiet
) -> Violation | None:
    assert send.send_at is not None
    where, data = judged.where()
    zone = judged.zone
    location = send.target_locations.get("at", send.location)
    moment = datetime.fromisoformat(send.send_at)
    if moment.tzinfo is None and source is not None:
        moment = moment.replace(tzinfo=source)
    if moment.tzinfo is not None and zone is not None:
        try:
            moment = moment.astimezone(zone)
        except OverflowError:  # 9999-12-31T23:59-12:00 is in the year 10000 in UTC
            return Violation(
                'step "{step}" is scheduled for "{at}", which is outside the years 1–9999 in '
                + where
                + ", so quiet hours cannot be checked",
                location,
                {"step": send.id, "at": send.send_at, **data},
                help="check the year of `at`",
                severity=Severity.INFO,
            )
    has_time = "T" in send.send_at.upper() or " " in send.send_at.strip()
    minute = moment.weekday() * 1440 + moment.hour * 60 + moment.minute
    day = moment.date().isoformat()  # not %Y: Linux does not pad years before 1000
    shown = f"{_DAYS[moment.weekday()].title()} {day}" + (f" {moment:%H:%M}" if has_time else "")
    if day in send.blocked_dates:  # the platform holds it: it will not go out
        return Violation(
            'step "{step}" is scheduled for {when} in ' + where + ", one of its own blocked dates",
            location,
            {"step": send.id, "when": shown, **data},
            help="move `at` off the blocked date, or unblock the date",
        )
    found = quiet.problem([(minute, 1)], night=has_time)
    if found is None:
        return None
    return Violation(
        'step "{step}" is scheduled for {when} in ' + where + ", {problem}",
        location,
        {"step": send.id, "when": shown, **data, "problem": found[1]},
        help=_quiet_help(quiet),
    )


def _window_problem(
    send: Step,
    window: SendWindow,
    judged: _Judged,
    source: tzinfo | None,
    quiet: _Quiet,
) -> Violation | None:
    where, data = judged.where()
    start = _minutes(window.start) if window.start else 0
    end = _minutes(window.end) if window.end else 1440
    length = (end - start) % 1440 or 1440
    days = [_DAYS.index(day) for day in window.days] or list(range(7))
    for shift in _shifts(source, judged.zone):
        arcs = [(day * 1440 + start + shift, length) for day in days]
        found = quiet.problem(arcs)
        if found is None:
            continue
        minute, problem = found
        named = "every day" if not window.days else _day_list(window.days)
        return Violation(
            'the send window of step "{step}" ({window}) lets it go out at {time} on {day} in '
            + where
            + ", {problem}",
            send.target_locations.get("window", send.location),
            {
                "step": send.id,
                "window": f"{named} {_clock(start)}–{_clock(end)}",
                "time": _clock(minute),
                "day": _DAYS[minute // 1440 % 7].title(),
                **data,
                "problem": problem,
            },
            help=_quiet_help(quiet),
        )
    return None


def _day_list(days: tuple[str, ...]) -> str:
    indexes = sorted(_DAYS.index(day) for day in days)
    if indexes == list(range(indexes[0], indexes[-1] + 1)) and len(indexes) > 2:
        return f"{_DAYS[indexes[0]].title()}–{_DAYS[indexes[-1]].title()}"
    return ", ".join(_DAYS[i].title() for i in indexes)


def _timed_waits(
    workflow: Workflow,
    zones: Mapping[str, list[_Judged]],
    written_in: tzinfo | None,
    quiet: _Quiet,
) -> Iterator[Violation]:
    """Sends after a wait until a time of day or a weekday: the clock time it ends at plus
    the least wait after it, read in the audience's time zone."""
    reported: set[tuple[str, str | None]] = set()  # (send, zone): one finding for each
    for wait in workflow.steps:
        until = wait.until
        if wait.kind != "wait" or until is None or (until.time is None and not until.weekdays):
            continue
        later, parents = shortest_waits(
            workflow, wait.id, stop=lambda step: step.kind == "wait" and step.until is not None
        )
        for step_id, after in later.items():
            send = workflow.by_id[step_id]
            if send.kind != "send":
                continue
            for judged in zones.get(step_id, ()):
                if (step_id, judged.name) not in reported:
                    found = _after_wait(
                        workflow, wait, send, after, parents, judged, written_in, quiet
                    )
                    if found is not None:
                        reported.add((step_id, judged.name))
                        yield found


def _after_wait(
    workflow: Workflow,
    wait: Step,
    send: Step,
    after: float,
    parents: Mapping[str, str | None],
    judged: _Judged,
    written_in: tzinfo | None,
    quiet: _Quiet,
) -> Violation | None:
    """A send after a wait until a clock time, read in one zone: the finding, or None."""
    until = wait.until
    assert until is not None
    zone = judged.zone
    where, data = judged.where()
    # `after` counts the wait's own duration, which runs before its clock time (a
    # Klaviyo delay: 3 days, then until Monday 09:00): only what follows it counts
    delay = int(max(0.0, after - wait_of(wait)) // 60)
    clock = _minutes(until.time) if until.time else None
    # every day it may end on is judged (Klaviyo's delay_until_weekdays names several)
    days: list[int | None] = [_DAYS.index(day) for day in until.weekdays] or [None]
    for day in days:
        for shift in _shifts(written_in or zone, zone):
            if clock is not None:
                # a time of day on no given weekday can be any day: only its hour is judged
                moment = [((day or 0) * 1440 + clock + delay + shift, 1)]
                found = quiet.problem(moment, weekend=day is not None)
            else:
                assert day is not None
                moment = [(day * 1440 + delay // 1440 * 1440, 1)]
                found = quiet.problem(moment, night=False)
            if found is None:
                continue
            minute, problem = found
            when = (f"at {_clock(minute)}" if clock is not None else "") + (
                f" on {_DAYS[minute // 1440 % 7].title()}" if day is not None else ""
            )
            return Violation(
                'step "{step}" goes out {when} in ' + where + " ({path}), {problem}",
                send.location,
                {
                    "step": send.id,
                    "when": when.strip(),
                    **data,
                    "path": show_path(workflow, path_to(parents, send.id)),
                    "path_steps": path_to(parents, send.id),
                    "problem": problem,
                },
                help=_quiet_help(quiet),
                related=(Related(wait.location, "the wait it follows"),),
            )
    return None


def _quiet_help(quiet: _Quiet) -> str:
    days = " on a weekday" if quiet.weekend else ""
    return (
        f"send between {quiet.end} and {quiet.start}{days} in the audience's time zone"
        " (TIME004's quiet_start, quiet_end and weekend options set the quiet hours)"
    )


# -- TIME005 frequency-cap ---------------------------------------------------------------------


def frequency_cap(workflow: Workflow, options: Options) -> Iterator[Violation]:
    """For every step and k, the least time since the k-th last send on any path to it: a
    Dijkstra over (step, sends so far, capped at the largest cap + 1) states, from every send.
    A send whose (cap + 1)-th last send is less than the cap's window away breaks the cap."""
    caps: tuple[tuple[int, float], ...] = tuple(options["caps"])
    if not caps:
        return
    steps = workflow.by_id
    top = max(sends for sends, _ in caps) + 1
    limit = max(within for _, within in caps)
    best: dict[tuple[str, int], float] = {}
    parent: dict[tuple[str, int], tuple[str, int] | None] = {}
    heap: list[tuple[float, str, int]] = []
    for send in workflow.steps:
        if send.kind == "send" and steps[send.id] is send:
            best[(send.id, 1)] = 0.0
            parent[(send.id, 1)] = None
            heap.append((0.0, send.id, 1))
    heapq.heapify(heap)
    while heap:
        elapsed, step_id, count = heapq.heappop(heap)
        if elapsed > best[(step_id, count)]:
            continue
        leaving = elapsed + wait_of(steps[step_id])
        if leaving >= limit:
            continue
        for edge in workflow.edges(steps[step_id]):
            target = steps.get(edge.target)
            if target is None or target.broken:
                continue  # no path across a step that does not fit the format is judged
            state = (target.id, count + 1 if target.kind == "send" else count)
            if state[1] <= top and leaving < best.get(state, float("inf")):
                best[state] = leaving
                parent[state] = (step_id, count)
                heapq.heappush(heap, (leaving, state[0], state[1]))
    over: dict[int, set[str]] = {}
    for send in workflow.steps:
        if send.kind != "send" or steps[send.id] is not send:
            continue
        for sends, within in caps:
            span = best.get((send.id, sends + 1))
            if span is None or span >= within:
                continue
            path = _state_path(parent, (send.id, sends + 1))
            if span == 0 and len(set(path)) < len(path):
                break  # a loop with no wait: FLOW003 reports it
            if sum(1 for step_id in path if _clock_wait(steps[step_id])) >= 2:
                break  # two waits until a time of day or weekday are about a day apart or more
            already = any(step_id in over.get(sends, ()) for step_id in path[:-1])
            over.setdefault(sends, set()).add(send.id)
            if already:
                break  # one finding for a run of sends: an earlier one on the path said it
            yield Violation(
                'step "{step}" can be the {nth} email within {span} ({path}): more than {sends}'
                " per {within}",
                send.location,
                {
                    "step": send.id,
                    "nth": _ordinal(sends + 1),
                    "span": describe(span) if span else "the same moment",
                    "seconds": span,
                    "path": show_path(workflow, path),
                    "path_steps": path,
                    "sends": sends,
                    "within": _per(within),
                },
                help="put longer waits between these sends, or change TIME005's caps if the"
                " pace is meant",
                related=(Related(steps[path[0]].location, "the first of these sends"),),
            )
            break


def _clock_wait(step: Step) -> bool:
    until = step.until
    return until is not None and (until.time is not None or bool(until.weekdays))


def _state_path(
    parent: Mapping[tuple[str, int], tuple[str, int] | None], end: tuple[str, int]
) -> list[str]:
    path = []
    state: tuple[str, int] | None = end
    while state is not None:
        path.append(state[0])
        state = parent[state]
    return path[::-1]


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _per(seconds: float) -> str:
    """86400 -> "day", 604800 -> "7 days"."""
    shown = describe(seconds)
    return shown[2:] if shown.startswith("1 ") and " " not in shown[2:] else shown


# -- TIME006 event-order --------------------------------------------------------------------


def event_order(workflow: Workflow, options: Options) -> Iterator[Violation]:
    reported: set[str] = set()
    for wait in workflow.steps:
        until = wait.until
        if wait.kind != "wait" or until is None or until.field is None:
            continue
        field = until.field
        later, parents = shortest_waits(workflow, wait.id, stop=_resets(field))
        for step_id, elapsed in later.items():
            send = workflow.by_id[step_id]
            if send.kind != "send" or step_id in reported:
                continue
            # where the two lists overlap ("Don't miss it"), the closer reading wins
            befores, afters = settle(
                _find(options["before_phrases"], workflow, step_id),
                _find(options["after_phrases"], workflow, step_id),
            )
            early, late = first(befores), first(afters)
            if (early is None) == (late is None):
                continue  # neither, or both (a reminder that mentions the recording)
            relative = until.offset + elapsed
            if early is not None and relative >= 0:
                kind, phrase = "a reminder before", early.text
                help_text = "send it before the date: a negative offset such as -1d on the wait"
            elif late is not None and relative < 0:
                kind, phrase = "a follow-up after", late.text
                help_text = "send it after the date: an offset of 0 or more (+2h) on the wait"
            else:
                continue
            reported.add(step_id)
            yield Violation(
                'step "{step}" reads like {kind} {field} ("{phrase}") but goes out {when} ({path})',
                send.location,
                {
                    "step": step_id,
                    "kind": kind,
                    "field": field,
                    "phrase": phrase,
                    "when": _relative(relative, field),
                    "seconds": relative,
                    "path": show_path(workflow, path_to(parents, step_id)),
                    "path_steps": path_to(parents, step_id),
                },
                help=help_text,
                related=(Related(wait.location, f"the wait until {field}"),),
            )


def _relative(seconds: float, field: str) -> str:
    if seconds == 0:
        return f"at {field} itself"
    side = "after" if seconds > 0 else "before"
    return f"{describe(abs(seconds))} {side} {field}"
