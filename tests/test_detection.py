"""Platform detection from merge tags: snippets per platform, and the real corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

import preflight
from preflight.dialects import detect, leading_literal

SNIPPETS = {
    "mailchimp": "<p>Hi *|FNAME|*, *|IF:COMPANY|*from *|COMPANY|**|END:IF|*</p>",
    "hubspot": "<p>Hi {{ contact.firstname }}</p><a href='{{ unsubscribe_link }}'>x</a>",
    "sfmc": "<p>Hi %%FirstName%%</p>%%[ SET @x = 1 ]%%<a href='%%unsub_center_url%%'>x</a>",
    "pardot": "<p>Hi {{Recipient.FirstName}}</p><a href='{{{Unsubscribe}}}'>x</a>",
    "marketo": "<p>Hi {{lead.First Name:default=there}}</p>{{system.unsubscribeLink}}",
    "braze": "<p>Hi {{${first_name} | default: 'there'}}</p>",
    "klaviyo": "<p>Hi {{ first_name|default:'friend' }} {{ person|lookup:'Favorite' }}</p>{% unsubscribe %}",
    "customerio": "<p>Hi {{ customer.first_name | default: 'there' }}</p><a href='{% unsubscribe_url %}'>x</a>",
    "mautic": "<p>Hi {contactfield=firstname|there}</p><a href='{unsubscribe_url}'>x</a>",
    "sendgrid": "<p>Hi {{insert first_name 'default=Customer'}}</p><a href='{{{unsubscribe}}}'>x</a>",
    "mailgun": "<p>Hi %recipient.first_name%</p><a href='%mailing_list_unsubscribe_url%'>x</a>",
    "activecampaign": "<p>Hi %FIRSTNAME%</p><a href='%UNSUBSCRIBELINK%'>x</a>",
    "brevo": "<p>Hi {{ contact.FIRSTNAME | default : 'there' }}</p><a href='{{ unsubscribe }}'>x</a>",
    "postmark": "<p>Hi {{ name }}</p>{{{ pm:unsubscribe }}}",
    "iterable": "<p>Hi {{defaultIfEmpty firstName 'there'}}</p><a href='{{unsubscribeUrl}}'>x</a>",
    "campaign-monitor": "<p>Hi [firstname,fallback=there]</p><unsubscribe>Unsubscribe</unsubscribe>",
    "mailjet": '<p>Hi [[data:firstname:"there"]]</p><a href="[[UNSUB_LINK_EN]]">x</a>',
}


@pytest.mark.parametrize("platform", sorted(SNIPPETS))
def test_each_platform_is_detected_from_its_own_tags(platform: str) -> None:
    padding = "<p>" + "Plain copy without tags. " * 50 + "</p>"
    detection = detect(padding + SNIPPETS[platform] + padding)
    assert detection.platform == platform, detection.scores
    assert detection.confidence is not None and detection.confidence >= 0.4


def test_plain_mustache_is_ambiguous_and_no_tags_is_nothing() -> None:
    detection = detect("<p>Hi {{ name }}, your order {{ order_id }}</p>")
    assert detection.platform is None and detection.ambiguous
    assert {"postmark", "sendgrid"} <= set(detection.candidates)
    nothing = detect("<p>Hello there</p>")
    assert nothing.platform is None and not nothing.ambiguous and nothing.confidence is None


def test_leading_literals() -> None:
    assert leading_literal(r"\{\{\s*contact\.") == "{{"
    assert leading_literal(r"%%\[|%%=|%%[A-Z]+%%") == "%%"
    assert leading_literal(r"\{\{\{?\s*Recipient") == "{{"
    assert leading_literal(r"(?<!%)%x") == ""


def test_detection_reaches_the_json_files_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.html").write_text(SNIPPETS["mailchimp"])
    (tmp_path / "b.html").write_text("<p>{{ name }}</p>")
    (tmp_path / "c.html").write_text(SNIPPETS["mailchimp"])
    (tmp_path / "c.meta.yaml").write_text("platform: hubspot\n")
    files = {f["path"]: f for f in preflight.check(".").to_dict()["files"]}
    assert files["a.html"]["platform"] == "mailchimp"
    assert files["a.html"]["platform_source"] == "detected"
    assert 0 < files["a.html"]["confidence"] <= 1
    assert files["b.html"]["platform"] is None and "postmark" in files["b.html"]["candidates"]
    assert (files["c.html"]["platform"], files["c.html"]["platform_source"]) == (
        "hubspot",
        "declared",
    )


def test_postmark_cli_layout_settles_ambiguous_tags_only(tmp_path: Path) -> None:
    """content.html beside content.txt settles {{ name }} on Postmark; tags another platform
    owns are not overruled, and content.html alone stays ambiguous."""
    for name, html in (
        ("plain", "<p>Hi {{ name }}</p>"),
        ("mailchimp", "<p>Hi *|FNAME|* <a href='*|UNSUB|*'>x</a></p>"),
        ("alone", "<p>Hi {{ name }}</p>"),
    ):
        folder = tmp_path / "templates" / name
        folder.mkdir(parents=True)
        (folder / "content.html").write_text(html)
        if name != "alone":
            (folder / "content.txt").write_text("Hi\n")
    files = {
        info.path.parent.name: info for info in preflight.check([tmp_path / "templates"]).files
    }
    assert (files["plain"].platform, files["plain"].platform_source) == ("postmark", "detected")
    assert not files["plain"].candidates
    assert files["mailchimp"].platform == "mailchimp"
    assert files["alone"].platform is None and "postmark" in files["alone"].candidates


# What each corpus folder is written in. Postmark's Mustachio and SendGrid's Handlebars both
# read a plain {{name}}: the Postmark starters' tags alone are ambiguous, and their
# templates/<name>/content.html beside content.txt (postmark-cli's layout) settles it.
CORPUS_PLATFORMS = {
    "postmark-templates": "postmark",
    "sendgrid-email-templates": "sendgrid",
    "customerio-layouts": "customerio",
    "mailchimp-caffeine-theme": "mailchimp",
}
# files that are not emails of their folder's platform: build-tool layouts and partials
CORPUS_EXCEPTIONS = {
    "customerio-layouts/layout_starters/src/layouts/default.html": "ambiguous",
    "customerio-layouts/layout_starters/src/layouts/index-layout.html": "ambiguous",
    "customerio-layouts/layout_starters/src/pages/index.html": "ambiguous",
}


def test_corpus_folders_are_detected_as_recorded(corpus: Path) -> None:
    outcomes: dict[str, str] = {}
    for folder in CORPUS_PLATFORMS:
        for info in preflight.check([corpus / folder]).files:
            if info.platform_source != "detected":
                outcomes[info.path.relative_to(corpus).as_posix()] = "none"
                continue
            outcomes[info.path.relative_to(corpus).as_posix()] = info.platform or "ambiguous"
    for path, outcome in outcomes.items():
        expected = CORPUS_EXCEPTIONS.get(path, CORPUS_PLATFORMS[path.split("/")[0]])
        assert outcome in (expected, "none"), f"{path}: detected {outcome}, expected {expected}"
    for folder, expected in CORPUS_PLATFORMS.items():
        found = [o for p, o in outcomes.items() if p.startswith(folder + "/")]
        assert found.count(expected) >= 1, folder


def test_one_strong_tag_outweighs_shared_plain_variables() -> None:
    postmark = "<p>{{a}} {{b}} {{c}} {{d}} {{e}}</p>{{{ pm:unsubscribe }}}"
    assert detect(postmark).platform == "postmark"
    braze = "<p>{{${first_name}}} {{campaign.${api_id}}} {{campaign.${message_api_id}}}</p>"
    assert detect(braze).platform == "braze"
    assert detect("<p>Write to [email] for help</p>").platform is None
    assert not detect("<p>Write to [email] for help</p>").ambiguous


def test_long_tags_are_found_near_their_keyword() -> None:
    from preflight.dialects import has_special

    long_tag = "{% unsubscribe '" + "x" * 300 + "' %}"
    assert has_special("unsubscribe", "klaviyo", "<p>" + "y" * 500 + long_tag + "</p>")
