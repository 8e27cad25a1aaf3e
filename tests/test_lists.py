"""Audiences: the LIST rules and MERGE009 beyond the fixtures — counts and shares, positions,
the row limit, unreadable members files, streaming, and what a workflow tells the
templates it sends (their audience's fields for MERGE003, a send step's subject)."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from preflight.api import check
from preflight.fields import meaning
from preflight.formats.members import Members, field_columns
from preflight.formats.workflow import load_workflow
from preflight.language import guess_language

CONFIG = "platform: hubspot\naudiences: audiences.yaml\nsuppression_audiences: [unsubscribed]\n"
GREETING = (
    '<!DOCTYPE html>\n<html lang="en">\n<body>\n<p>Hi {{ contact.firstname }},</p>\n'
    '<p><a href="{{ unsubscribe_link }}">Unsubscribe</a></p>\n</body>\n</html>\n'
)


def _project(
    tmp_path: Path, members: str | bytes | None, fields: str = "[email, firstname]"
) -> Path:
    (tmp_path / "preflight.yaml").write_text(CONFIG, encoding="utf-8")
    entry = f"    kind: production\n    locale: en-GB\n    fields: {fields}\n"
    if members is not None:
        entry += "    members: members.csv\n"
        path = tmp_path / "members.csv"
        if isinstance(members, bytes):
            path.write_bytes(members)
        else:
            path.write_text(members, encoding="utf-8")
    (tmp_path / "audiences.yaml").write_text(
        "audiences:\n  registrants:\n" + entry + "  unsubscribed: {kind: suppression}\n",
        encoding="utf-8",
    )
    return tmp_path


def _members(rows: int, blank_every: int | None = None, blanks: int | None = None) -> str:
    lines = ["email,firstname"]
    for i in range(rows):
        empty = (blanks is not None and i < blanks) or (blank_every and i % blank_every == 0)
        lines.append(f"person{i}@mailbox.org,{'' if empty else f'Name{i}'}")
    return "\n".join(lines) + "\n"


def _invite(tmp_path: Path, sidecar: str = "subject: Your seat\naudience: registrants\n") -> Path:
    (tmp_path / "invite.html").write_text(GREETING, encoding="utf-8")
    (tmp_path / "invite.meta.yaml").write_text(sidecar, encoding="utf-8")
    return tmp_path / "invite.html"


def _config(tmp_path: Path, **rules: dict[str, object]) -> dict[str, object]:
    return {
        "platform": "hubspot",
        "audiences": str(tmp_path / "audiences.yaml"),
        "suppression_audiences": ["unsubscribed"],
        "rules": dict(rules),
    }


# -- MERGE009 -----------------------------------------------------------------------------


def test_merge009_gives_count_share_and_the_blanked_greeting(tmp_path: Path) -> None:
    _project(tmp_path, _members(1200, blanks=312))
    path = _invite(tmp_path)
    report = check([path], config={**_config(tmp_path), "select": ["MERGE009"]})
    [finding] = report.findings
    assert finding.message == (
        '312 of 1,200 recipients (26%) in audience "registrants" would read "Hi ,":'
        ' "firstname" is empty for them and the tag has no fallback'
    )
    span = finding.location.span
    assert finding.location.path == path
    assert span is not None and (span.line, span.column) == (4, 7)
    assert finding.data["count"] == 312 and finding.data["recipients"] == 1200
    assert finding.related[0].location.path == tmp_path / "audiences.yaml"


def test_merge009_stays_quiet_under_the_threshold(tmp_path: Path) -> None:
    _project(tmp_path, _members(100, blanks=5))  # 5% is not above 5%
    path = _invite(tmp_path)
    assert check([path], config={**_config(tmp_path), "select": ["MERGE009"]}).findings == []
    lower = _config(tmp_path, MERGE009={"threshold": 0.01})
    assert len(check([path], config={**lower, "select": ["MERGE009"]}).findings) == 1


def test_merge009_says_when_it_sampled(tmp_path: Path) -> None:
    _project(tmp_path, _members(500, blank_every=2))
    path = _invite(tmp_path)
    config = {**_config(tmp_path, MERGE009={"max_rows": 100}), "select": ["MERGE009"]}
    [finding] = check([path], config=config).findings
    assert finding.message.startswith(
        '50 of the first 100 recipients (50%) in audience "registrants" would read "Hi ,"'
    )
    assert finding.data["sampled"] is True


def test_merge009_reads_a_members_file_once_per_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four templates to one audience, with two sets of fields: the engine's members phase
    reads the file once for the run and counts every column (jobs=1: one process)."""
    _project(tmp_path, _members(1200, blanks=312), fields="[email, firstname, lastname]")
    paths = []
    for stem in ("a", "b", "c", "d"):
        (tmp_path / f"{stem}.html").write_text(
            GREETING.replace("firstname", "lastname") if stem == "d" else GREETING,
            encoding="utf-8",
        )
        (tmp_path / f"{stem}.meta.yaml").write_text("audience: registrants\n", encoding="utf-8")
        paths.append(tmp_path / f"{stem}.html")
    opened: list[Path] = []
    rows = Members.rows

    def counting(self: Members) -> Iterator[tuple[int, list[str]]]:
        opened.append(self.path)
        return rows(self)

    monkeypatch.setattr(Members, "rows", counting)
    config = {**_config(tmp_path), "select": ["MERGE009"]}
    report = check(paths, config=config, jobs=1, cache=False)
    assert [f.location.path.stem for f in report.findings] == ["a", "b", "c"]
    assert len(opened) == 1
    opened.clear()
    check(paths[:1], config=config, jobs=1, cache=False)
    assert len(opened) == 1  # a new run counts afresh


# -- a workflow's send step tells the template its audience and subject ------------------


def test_a_template_sent_by_a_workflow_is_checked_with_that_audiences_fields(
    tmp_path: Path,
) -> None:
    _project(tmp_path, None, fields="[email, firstname, webinar_date]")
    (tmp_path / "audiences.yaml").write_text(
        (tmp_path / "audiences.yaml").read_text(encoding="utf-8")
        + "  customers:\n    kind: production\n    fields: [email, firstname, plan]\n",
        encoding="utf-8",
    )
    _invite(tmp_path, "subject: Your seat\naudience: customers\n")  # the sidecar says customers
    (tmp_path / "invite.html").write_text(
        GREETING.replace("</p>", " Your plan: {{ contact.plan }}</p>", 1), encoding="utf-8"
    )
    (tmp_path / "invite.workflow.yaml").write_text(
        "name: Invite\naudience: {include: [customers], exclude: [unsubscribed]}\nsteps:\n"
        "  - id: invite\n    send: {template: invite.html, audience: registrants}\n",
        encoding="utf-8",
    )
    report = check([tmp_path], config={**_config(tmp_path), "select": ["MERGE003"]})
    [finding] = report.findings
    assert finding.message == '"{{ contact.plan }}" is not a field of audience "registrants"'
    assert finding.location.path == tmp_path / "invite.html"
    assert finding.related[0].location.path == tmp_path / "audiences.yaml"
    # the template alone: the sidecar's audience decides, and it has the field
    alone = check([tmp_path / "invite.html"], config={**_config(tmp_path), "select": ["MERGE003"]})
    assert alone.findings == []


def test_a_send_steps_subject_overrides_the_sidecar(tmp_path: Path) -> None:
    _project(tmp_path, None)
    _invite(tmp_path)
    long_subject = "Your seat " + "is booked " * 10
    (tmp_path / "invite.workflow.yaml").write_text(
        "name: Invite\naudience: {include: [registrants], exclude: [unsubscribed]}\nsteps:\n"
        f"  - id: invite\n    send: {{template: invite.html, subject: {long_subject.strip()}}}\n",
        encoding="utf-8",
    )
    report = check([tmp_path], config={**_config(tmp_path), "select": ["INBOX001"]})
    [finding] = report.findings
    assert finding.location.path == tmp_path / "invite.workflow.yaml"
    assert finding.location.span is not None and finding.location.span.line == 5
    assert "characters" in finding.message


def test_send_step_audience_and_subject_are_parsed(tmp_path: Path) -> None:
    path = tmp_path / "a.workflow.yaml"
    path.write_text(
        "name: A\naudience: {include: [customers], exclude: [unsubscribed]}\nsteps:\n"
        "  - id: one\n    send: {template: a.html, audience: {exclude: [vip]}, subject: Hi}\n"
        "  - id: two\n    send: {template: a.html, audience: prospects}\n",
        encoding="utf-8",
    )
    workflow, problems = load_workflow(path, 1_000_000)
    assert problems == [] and workflow is not None
    one, two = workflow.steps
    assert (one.include, one.exclude, one.subject) == (None, ("vip",), "Hi")
    assert (two.include, two.exclude, two.subject) == (("prospects",), (), None)
    assert workflow.audience_locations["exclude:unsubscribed"].span is not None
    assert two.target_locations["include:prospects"].span is not None


# -- LIST008 ------------------------------------------------------------------------------


def _list008(tmp_path: Path, **options: object) -> list[str]:
    config = {**_config(tmp_path, LIST008=dict(options)), "select": ["LIST008"]}
    return [f.message for f in check([tmp_path / "audiences.yaml"], config=config).findings]


def test_list008_counts_kinds_and_says_when_it_sampled(tmp_path: Path) -> None:
    rows = ["email,firstname"] + [f"info@shop{i}.de,Ann" for i in range(1, 1001)]
    _project(tmp_path, "\n".join(rows) + "\n")
    (tmp_path / "members.csv").write_text(
        "\n".join(rows).replace("info", "sales") + "\n", encoding="utf-8"
    )
    assert _list008(tmp_path, max_rows=300, examples=3) == [
        '300 role accounts in the members of production audience "registrants" in the first'
        " 300 rows (lines 2, 3, 4, …)"
    ]


def test_list008_runs_only_when_the_audiences_file_or_a_workflow_is_an_input(
    tmp_path: Path,
) -> None:
    _project(tmp_path, "email,firstname\ntest@mailbox.org,Ann\n")
    path = _invite(tmp_path)
    config = {**_config(tmp_path), "select": ["LIST008"]}
    assert check([path], config=config).findings == []  # pre-commit on one template
    assert [f.rule for f in check([tmp_path], config=config).findings] == ["LIST008"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"email,firstname\nann@mailbox.org,Ann\nren\xe9@bois.fr,Ren\xe9\n",
            'the members file of audience "registrants" is not UTF-8 text (byte 0xe9 on line 3)',
        ),
        (b"", 'the members file of audience "registrants" is empty (no header row)'),
        (
            b"email,firstname\n" + b'"' + b"x" * 200_000 + b'",Ann\n',
            'the members file of audience "registrants" has a row the CSV reader cannot read'
            " on line 2 (field larger than field limit (131072))",
        ),
    ],
    ids=["latin-1", "empty", "huge-field"],
)
def test_an_unreadable_members_file_is_one_clear_finding(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    _project(tmp_path, content)
    assert _list008(tmp_path) == [expected]


def test_a_missing_members_file_is_a_finding(tmp_path: Path) -> None:
    _project(tmp_path, "")
    (tmp_path / "members.csv").unlink()
    [message] = _list008(tmp_path)
    assert message.startswith('the members file of audience "registrants" cannot be read (')


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_or_a_device_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    _project(tmp_path, None)
    os.mkfifo(tmp_path / "members.csv")
    text = (tmp_path / "audiences.yaml").read_text(encoding="utf-8")
    (tmp_path / "audiences.yaml").write_text(
        text.replace("    fields:", "    members: members.csv\n    fields:", 1)
        + "  zeros: {kind: production, members: /dev/zero}\n"
        + "  folder: {kind: production, members: .}\n",
        encoding="utf-8",
    )
    assert sorted(_list008(tmp_path)) == [
        'the members file of audience "folder" is a folder, not a CSV file',
        'the members file of audience "registrants" is a pipe or device, not a CSV file',
        'the members file of audience "zeros" is a pipe or device, not a CSV file',
    ]


def test_old_mac_line_ends_are_line_ends(tmp_path: Path) -> None:
    """Excel's "CSV for Macintosh" ends lines with a bare CR: rows, not one giant line."""
    rows = ["email,firstname", "ann@mailbox.org,Ann", 'bo@mailbox.org,"Bo\rB"', "ann@mailbox.org,A"]
    _project(tmp_path, "\r".join(rows) + "\r")
    assert _list008(tmp_path) == [
        '1 duplicate email address in the members of production audience "registrants" (line 5)'
    ]
    members = Members(tmp_path / "members.csv")
    assert [cells for _, cells in members.rows()] == [
        ["ann@mailbox.org", "Ann"],
        ["bo@mailbox.org", "Bo\rB"],
        ["ann@mailbox.org", "A"],
    ]
    # CRLF with the CR the last byte of a 64 KiB block and its LF the first of the next
    header = b"email,firstname\r\n"
    long = b"a" * (65535 - len(header) - len(b"@m.org,A")) + b"@m.org,A"
    assert len(header + long) == 65535
    (tmp_path / "members.csv").write_bytes(header + long + b"\r\nbo@mailbox.org,Bo\r\n")
    lines = [line for line, _ in Members(tmp_path / "members.csv").rows()]
    assert lines == [2, 3]


def test_a_line_without_an_end_is_a_finding_that_names_it(tmp_path: Path) -> None:
    _project(tmp_path, b"email,firstname\nann@mailbox.org,Ann\n" + b"x" * 3_000_000)
    assert _list008(tmp_path) == [
        'the members file of audience "registrants" has a line longer than 1,048,576 bytes'
        " on line 3 (is it a CSV file?)"
    ]
    _project(tmp_path, ("email,firstname\n" + "y" * 2_000_000 + "\n").encode("utf-16"))
    assert _list008(tmp_path) == [
        'the members file of audience "registrants" has a line longer than 1,048,576 bytes'
        " on line 2 (is it a CSV file?)"
    ]


def test_header_columns_are_mapped_one_way() -> None:
    header = ("Email ", "First Name", "firstname", "plan", "")
    assert field_columns(header) == {
        "Email": (0,),
        "First Name": (1,),
        "firstname": (2,),
        "plan": (3,),
        "": (4,),
    }
    assert field_columns(header, meaning) == {"email": (0,), "first_name": (1, 2)}
    assert field_columns(header, str.lower)["email"] == (0,)


def test_utf16_and_utf8_bom_and_semicolons_are_read(tmp_path: Path) -> None:
    text = "email;firstname\nann@mailbox.org;Ann\nann@mailbox.org;Ann\n"
    for encoded in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode()):
        _project(tmp_path, encoded)
        assert _list008(tmp_path) == [
            '1 duplicate email address in the members of production audience "registrants" (line 3)'
        ]


def test_members_are_streamed_up_to_the_row_limit(tmp_path: Path) -> None:
    """A 300,000-row file (about 12 MB) read with a 50,000-row limit: the reader holds one
    row at a time, so what it allocates stays far below the file's size."""
    path = tmp_path / "members.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("email,first_name,last_name\n")
        for i in range(300_000):
            out.write(f"person{i}@mailbox.org,First{i},Last{i}\n")
    size = path.stat().st_size
    members = Members(path, max_rows=50_000)
    tracemalloc.start()
    count = sum(1 for _ in members.rows())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (count, members.rows_read, members.sampled, members.problem) == (
        50_000,
        50_000,
        True,
        None,
    )
    assert members.header == ("email", "first_name", "last_name")
    assert peak < size / 20, (peak, size)


# -- an audiences file that does not fit its schema -----------------------------------------


@pytest.mark.parametrize(
    "document", ["audiences: []\n", "prod: {}\n", "audiences:\n", "audiences: [1\n"]
)
def test_an_invalid_audiences_file_gives_no_list001_per_audience(
    tmp_path: Path, document: str
) -> None:
    (tmp_path / "audiences.yaml").write_text(document, encoding="utf-8")
    _invite(tmp_path, "subject: Your seat\naudience: prod\n")
    (tmp_path / "guide.workflow.yaml").write_text(
        "name: Guide\naudience: prod\nsteps:\n  - id: invite\n    send: invite.html\n",
        encoding="utf-8",
    )
    report = check([tmp_path], config={"audiences": str(tmp_path / "audiences.yaml")})
    rules = [f.rule for f in report.findings if f.location.path.name == "audiences.yaml"]
    assert rules in (["PF003"], ["PF001"])
    assert [f.rule for f in report.findings if f.rule.startswith("LIST")] == []


@pytest.mark.parametrize(
    ("entry", "key", "example"),
    [
        ("timezone: [1, 2]", "timezone", "Europe/London"),
        ("timezone: 2025", "timezone", "Europe/London"),
        ("locale: {en: GB}", "locale", "en-GB"),
        ("locale: ''", "locale", "en-GB"),
    ],
)
def test_a_timezone_or_locale_must_be_a_name(
    tmp_path: Path, entry: str, key: str, example: str
) -> None:
    (tmp_path / "audiences.yaml").write_text(
        f"audiences:\n  prod:\n    kind: production\n    {entry}\n", encoding="utf-8"
    )
    report = check(
        [tmp_path / "audiences.yaml"], config={"audiences": str(tmp_path / "audiences.yaml")}
    )
    assert [(f.rule, f.message) for f in report.findings] == [
        ("PF003", f'"{key}" of audience "prod" must be a name such as {example}')
    ]
    assert report.findings[0].location.span is not None
    assert report.findings[0].location.span.line == 4


# -- LIST005's guess ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Your guide is here and you can get it now, with our calendar for the spring.", "en"),
        (
            "Ihr Leitfaden ist da, und Sie können ihn jetzt mit unserem Kalender für den Frühling"
            " auf der Seite herunterladen. Wir haben auch noch eine Anleitung.",
            "de",
        ),
        (
            "Votre guide est là et vous pouvez le télécharger avec notre calendrier pour le"
            " printemps, dans votre espace.",
            "fr",
        ),
        (
            "Su guía está aquí y usted puede descargarla ahora con nuestro calendario para la"
            " primavera, gracias por su interés y por su tiempo.",
            "es",
        ),
        (
            "Je gids is er en je kunt hem nu downloaden met onze kalender voor het voorjaar, ook"
            " bij ons op de site.",
            "nl",
        ),
        ("Hi", None),
    ],
)
def test_the_language_guess(text: str, language: str | None) -> None:
    assert guess_language(text, 5) == language
