"""The dialect files: names, aliases and special tags, and the data's own invariants."""

from __future__ import annotations

import re

import pytest

from preflight.dialects import SPECIAL_KEYWORDS, dialects, has_special, resolve_platform

PLATFORMS = (
    "mailchimp hubspot sfmc pardot marketo braze klaviyo customerio mautic sendgrid mailgun"
    " activecampaign brevo postmark iterable campaign-monitor"
).split()


def test_every_contract_platform_and_alias_resolves() -> None:
    assert sorted(dialects()) == sorted(PLATFORMS)
    aliases = {
        "salesforce-mc": "sfmc",
        "account-engagement": "pardot",
        "customer.io": "customerio",
        "sendinblue": "brevo",
        "campaignmonitor": "campaign-monitor",
        "MailChimp": "mailchimp",
    }
    for alias, name in aliases.items():
        assert resolve_platform(alias) == name
    assert resolve_platform("mailchimpp") is None


def test_every_special_pattern_carries_a_keyword_of_its_kind() -> None:
    """has_special only looks near keywords; a pattern without one would never be found."""
    for dialect in dialects().values():
        for kind, patterns in dialect.special.items():
            for pattern in patterns:
                re.compile(pattern)  # each is a valid regular expression on its own
                source = pattern.lower().replace("\\", "")
                assert any(k in source for k in SPECIAL_KEYWORDS[kind]), (
                    dialect.name,
                    kind,
                    pattern,
                )


@pytest.mark.parametrize(
    ("platform", "tag"),
    [
        ("mailchimp", '<a href="*|UNSUB|*">x</a>'),
        ("hubspot", "{{ unsubscribe_link }}"),
        ("sfmc", "%%unsub_center_url%%"),
        ("pardot", "{{{Unsubscribe}}}"),
        ("marketo", "{{system.unsubscribeLink}}"),
        ("braze", "{{${set_user_to_unsubscribed_url}}}"),
        ("klaviyo", "{% unsubscribe %}"),
        ("customerio", "{% unsubscribe_url %}"),
        ("mautic", "{unsubscribe_url}"),
        ("sendgrid", "<%asm_group_unsubscribe_raw_url%>"),
        ("mailgun", "%mailing_list_unsubscribe_url%"),
        ("activecampaign", "%UNSUBSCRIBELINK%"),
        ("brevo", "{{ unsubscribe }}"),
        ("postmark", "{{{ pm:unsubscribe }}}"),
        ("iterable", "{{unsubscribeUrl}}"),
        ("campaign-monitor", "<unsubscribe>Unsubscribe</unsubscribe>"),
    ],
)
def test_unsubscribe_tags(platform: str, tag: str) -> None:
    padding = "<p>" + "filler text " * 200 + "</p>"
    assert has_special("unsubscribe", platform, padding + tag + padding)
    assert has_special("unsubscribe", None, tag)
    assert not has_special("unsubscribe", platform, padding)


def test_customerio_variable_form_is_not_an_unsubscribe_tag() -> None:
    assert not has_special("unsubscribe", "customerio", '<a href="{{ unsubscribe_url }}">x</a>')
