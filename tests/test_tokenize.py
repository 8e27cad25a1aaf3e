"""The merge-tag tokenizer: one case per platform, fields, fallbacks and blocks, with offsets."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from preflight.dialects import dialects, tokenize
from preflight.formats.decode import read_text

CASES = {
    "mailchimp": (
        "Hi *|FNAME|*, *|IF:COMPANY|*at *|COMPANY|**|ELSE:|*there*|END:IF|* *|UNSUB|*",
        [
            ("variable", "FNAME", None),
            ("block-open", "COMPANY", None),
            ("variable", "COMPANY", None),
            ("block-else", None, None),
            ("block-close", None, None),
            ("variable", "UNSUB", None),
        ],
    ),
    "hubspot": (
        'Hi {{ personalization_token("contact.firstname", "there") }} from {{ contact.company }}',
        [("variable", "contact.firstname", "there"), ("variable", "contact.company", None)],
    ),
    "customerio": (
        'Hi {{ customer.first_name | default: "there" }} {% unsubscribe_url %}',
        [("variable", "customer.first_name", "there"), ("special", None, None)],
    ),
    "braze": ("Hi {{${first_name} | default: 'there'}}", [("variable", "${first_name}", "there")]),
    "klaviyo": ("Hi {{ first_name|default:'friend' }}", [("variable", "first_name", "friend")]),
    "brevo": (
        "Hi {{ contact.FIRSTNAME | default : 'there' }}",
        [("variable", "contact.FIRSTNAME", "there")],
    ),
    "postmark": (
        "{{#name}}Hi {{name}}{{/name}}{{^name}}Hi there{{/name}}",
        [
            ("block-open", "name", None),
            ("variable", "name", None),
            ("block-close", None, None),
            ("block-open", "name", None),
            ("block-close", None, None),
        ],
    ),
    "sendgrid": (
        'Hi {{insert first_name "default=Customer"}} {{{unsubscribe}}}',
        [("variable", "first_name", "Customer"), ("variable", "unsubscribe", None)],
    ),
    "iterable": ("Hi {{defaultIfEmpty firstName 'there'}}", [("variable", "firstName", "there")]),
    "mautic": (
        "Hi {contactfield=firstname|there} {unsubscribe_url}",
        [("variable", "firstname", "there"), ("special", None, None)],
    ),
    "sfmc": (
        "Hi %%FirstName%% %%=v(@x)=%%",
        [("variable", "FirstName", None), ("function", None, None)],
    ),
    "campaign-monitor": ("Hi [firstname,fallback=there]", [("variable", "firstname", "there")]),
    "mailgun": ("Hi %recipient.first_name%", [("variable", "first_name", None)]),
    "activecampaign": ("Hi %FIRSTNAME%", [("variable", "FIRSTNAME", None)]),
    "marketo": ("Hi {{lead.First Name:default=there}}", [("variable", "lead.First Name", "there")]),
    "pardot": ("Hi {{Recipient.FirstName}}", [("variable", "Recipient.FirstName", None)]),
    "mailjet": (
        'Hi [[data:firstname:"there"]] {{var:day:"monday"}} {% if data:age > 45 %}'
        "{{ UrlEncode(mj:contact.email) }}{% endif %} [[UNSUB_LINK_IT]]",
        [
            ("variable", "data:firstname", "there"),
            ("variable", "var:day", "monday"),
            ("block-open", None, None),
            ("function", None, None),
            ("block-close", None, None),
            ("special", None, None),
        ],
    ),
}


def test_every_platform_has_a_case() -> None:
    assert sorted(CASES) == sorted(dialects())


@pytest.mark.parametrize("platform", sorted(CASES))
def test_tokenize(platform: str) -> None:
    text, expected = CASES[platform]
    tags = tokenize(text, platform)
    assert [(t.kind, t.field, t.fallback) for t in tags] == expected
    for tag in tags:
        assert text[tag.start : tag.end] == tag.raw and tag.platform == platform


def test_corpus_tags_tokenize_without_overlap(corpus: Path) -> None:
    text = read_text(corpus / "mailchimp-caffeine-theme" / "index.html")
    tags = tokenize(text, "mailchimp")
    assert any(t.field == "UNSUB" for t in tags)
    assert all(a.end <= b.start for a, b in itertools.pairwise(tags))
    opened = sum(1 for t in tags if t.kind == "block-open")
    closed = sum(1 for t in tags if t.kind == "block-close")
    assert opened == closed > 0
