"""`preflight.api.correct`: the correction as a library call that returns values."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight import api
from preflight.corrections import OUTPUT_NAMES

from .test_correct import NEW, OLD, _original


def test_correct_returns_what_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = _original(tmp_path / "sent", "mailchimp")
    out = tmp_path / "out"
    request = api.Request(kind="wrong-link", links=((OLD, NEW),))
    result = api.correct(original, request, None, out)
    assert not result.refused
    assert result.kind == "wrong-link" and result.platform == "mailchimp"
    assert result.platform_label == "Mailchimp"
    assert [path.name for path in result.written] == list(OUTPUT_NAMES)
    assert (out / "correction.html").read_bytes() == result.files["correction.html"]
    assert result.subject == "Correction: Spring workshop: book now"
    assert result.blocking == ()
    assert capsys.readouterr() == ("", "")  # a library call prints nothing


def test_refused_correction_writes_nothing_and_says_why(tmp_path: Path) -> None:
    original = _original(tmp_path / "sent", "hubspot")
    out = tmp_path / "out"
    staging = "https://staging.brightleaf.example/workshop"
    request = api.Request(kind="wrong-link", links=((OLD, staging),))
    result = api.correct(original, request, None, out)
    assert result.refused and result.written == ()
    assert {f.rule for f in result.blocking} == {"LINK003"}
    assert all(f.location.path.parent == out for f in result.added)
    assert not out.exists()
    forced = api.correct(original, request, None, out, force=True)
    assert not forced.refused and len(forced.written) == 4


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (api.Request(kind=None), "give --kind"),
        (api.Request(kind="wrong-link"), "wrong-link needs at least one --link"),
        (api.Request(kind="wrong-colour"), 'unknown kind "wrong-colour"'),
        (api.Request(kind="wrong-link", links=((OLD + "x", NEW),)), "did you mean"),
    ],
)
def test_what_the_user_can_fix_is_an_api_error(
    tmp_path: Path, request_: api.Request, message: str
) -> None:
    original = _original(tmp_path / "sent", "hubspot")
    with pytest.raises(api.ApiError, match=message.replace("(", r"\(")):
        api.correct(original, request_, None, tmp_path / "out")
    with pytest.raises(api.ApiError, match="not a file"):
        api.correct(tmp_path / "missing.html", request_, None, tmp_path / "out")


def test_one_engine_for_the_whole_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from preflight import engine

    made: list[object] = []
    original_init = engine.Engine.__init__

    def counting(self: engine.Engine, *args: object, **kwargs: object) -> None:
        made.append(self)
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.Engine, "__init__", counting)
    original = _original(tmp_path / "sent", "sendgrid")
    result = api.correct(original, api.Request(kind="early-send"), None, tmp_path / "out")
    assert not result.refused
    assert len(made) == 1


def test_a_sender_name_the_email_package_chokes_on_is_quoted(tmp_path: Path) -> None:
    """A Braze export with "from_name": "../x" was an internal error (issue 16)."""
    import json

    export = tmp_path / "message.json"
    export.write_text(
        json.dumps(
            {
                "html_body": "<p>Our seeds are here.</p><p>Brightleaf Gardens, 14 Orchard Lane,"
                ' Leeds LS1 2AB</p><a href="{{${unsubscribe_url}}}">Unsubscribe</a>',
                "plaintext_body": "Our seeds are here.",
                "subject": "Seeds",
                "from_name": "../x",
                "from_address": "news@brightleaf.example",
                "message_variation_id": "a",
                "campaign_id": "b",
            }
        ),
        encoding="utf-8",
    )
    result = api.correct(export, api.Request(kind="early-send"), None, tmp_path / "out")
    assert not result.refused
    eml = result.files["correction.eml"].decode("utf-8")
    assert 'From: "../x" <news@brightleaf.example>' in eml


def test_a_write_that_fails_half_way_leaves_no_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rollback of the four-file write lives in the corrections layer, not in the CLI:
    the files this call created are removed again, a file it replaced (--overwrite) gets its
    previous bytes back."""
    from preflight import fsutil

    original = _original(tmp_path / "sent", "mailchimp")
    out = tmp_path / "out"
    out.mkdir()
    (out / OUTPUT_NAMES[0]).write_text("the previous correction\n", encoding="utf-8")
    real = fsutil.atomic_write
    calls: list[Path] = []

    def failing_third(path: Path, data: bytes, *args: object, **kwargs: object) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(path, data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fsutil, "atomic_write", failing_third)
    request = api.Request(kind="wrong-link", links=((OLD, NEW),))
    with pytest.raises(api.ApiError, match=r"cannot write .*No space left on device"):
        api.correct(original, request, None, out, overwrite=True)
    assert [path.name for path in calls[:3]] == list(OUTPUT_NAMES[:3])
    assert sorted(path.name for path in out.iterdir()) == [OUTPUT_NAMES[0]]
    assert (out / OUTPUT_NAMES[0]).read_text(encoding="utf-8") == "the previous correction\n"


def _no_platform_original(folder: Path, unsubscribe: str) -> Path:
    """An email with no platform (no unsubscribe tag to write): the correction keeps the
    original's own unsubscribe link, when CONTENT001 counts it as one."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "offer.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Offer</title></head>'
        f'<body><p>Our spring workshop is on 12 May.</p><p><a href="{OLD}">Book</a></p>'
        "<p>Brightleaf Gardens, 14 Orchard Lane, Bristol BS1 4DJ</p>"
        f"<p>{unsubscribe}</p></body></html>\n",
        encoding="utf-8",
    )
    (folder / "offer.meta.yaml").write_text(
        "subject: Spring workshop\nfrom: Brightleaf <news@brightleaf.example>\n", encoding="utf-8"
    )
    return folder / "offer.html"


def _rules(report: api.Report) -> set[str]:
    return {finding.rule for finding in report.findings}


def test_the_correction_keeps_a_link_content001_counts_by_a_configured_word(
    tmp_path: Path,
) -> None:
    leave = "https://brightleaf.example/preferences/leave"
    original = _no_platform_original(tmp_path / "sent", f'<a href="{leave}">Stop these emails</a>')
    config = {"rules": {"CONTENT001": {"link_words": ["stop these emails"]}}}
    assert "CONTENT001" not in _rules(api.check(original, config=config, cache=False))
    request = api.Request(kind="wrong-link", links=((OLD, NEW),))
    result = api.correct(original, request, config, tmp_path / "out", force=True)
    assert leave in result.files["correction.html"].decode("utf-8")
    assert not any("no unsubscribe tag or link" in note for note in result.notes)


def test_an_unsubscribe_link_to_a_blog_page_is_not_kept(tmp_path: Path) -> None:
    blog = "https://brightleaf.example/blog/spring"
    original = _no_platform_original(tmp_path / "sent", f'<a href="{blog}">Unsubscribe</a>')
    assert "CONTENT001" in _rules(api.check(original, cache=False))  # a false unsubscribe link
    request = api.Request(kind="wrong-link", links=((OLD, NEW),))
    result = api.correct(original, request, None, tmp_path / "out", force=True)
    assert blog not in result.files["correction.html"].decode("utf-8")
    assert any("no unsubscribe tag or link" in note for note in result.notes)


def test_the_correction_is_in_the_language_list005_reads(tmp_path: Path) -> None:
    """No locale and no <html lang>: the language is guessed from the words, as LIST005
    guesses it, and the correction is written in it."""
    folder = tmp_path / "sent"
    folder.mkdir()
    original = folder / "angebot.html"
    original.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Angebot</title></head><body>"
        "<p>Hallo, wir haben für Sie und Ihre Familie ein neues Angebot. Das ist nur für"
        " kurze Zeit und nicht mit anderen Angeboten, die wir Ihnen auch schicken, kombinierbar."
        " Wir freuen uns auf Ihren Besuch bei uns im Garten.</p>"
        f'<p><a href="{OLD}">Jetzt buchen</a></p>'
        '<p><a href="*|UNSUB|*">Abmelden</a> *|LIST:ADDRESS|*</p></body></html>\n',
        encoding="utf-8",
    )
    (folder / "angebot.meta.yaml").write_text(
        "subject: Neues Angebot\nplatform: mailchimp\n", encoding="utf-8"
    )
    from preflight.language import guess_language

    assert guess_language(original.read_text(encoding="utf-8"), 8) == "de"
    request = api.Request(kind="wrong-link", links=((OLD, NEW),))
    result = api.correct(original, request, None, tmp_path / "out", force=True)
    assert result.locale == "de"
    assert result.subject == "Korrektur: Neues Angebot"


def test_the_api_refuses_to_write_over_an_input(tmp_path: Path) -> None:
    """The guard is in the library, not only in the CLI: the original, its text part (here
    through a hard link) and its report are never replaced, --overwrite or not."""
    original = _original(tmp_path / "sent", "mailchimp")
    request = api.Request(kind="duplicate-send")
    out = tmp_path / "sent"  # the original's own folder
    named = out / "correction.html"
    named.write_bytes(original.read_bytes())
    with pytest.raises(api.ApiError, match=r"refusing to write over .*input of this run"):
        api.correct(named, request, None, out, overwrite=True, force=True)
    assert named.read_bytes() == original.read_bytes()
    other = tmp_path / "other"
    other.mkdir()
    (other / "correction.txt").hardlink_to(original.with_suffix(".txt"))
    before = original.with_suffix(".txt").read_bytes()
    with pytest.raises(api.ApiError, match="refusing to write over"):
        api.correct(original, request, None, other, overwrite=True, force=True)
    assert original.with_suffix(".txt").read_bytes() == before
    assert not (other / "correction.html").exists()
