"""The dialect files: names, aliases and special tags, and the data's own invariants."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from preflight.dialects import SPECIAL_KEYWORDS, dialects, has_special, resolve_platform

PLATFORMS = (
    "mailchimp hubspot sfmc pardot marketo braze klaviyo customerio mautic sendgrid mailgun"
    " activecampaign brevo postmark iterable campaign-monitor mailjet"
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
        ("mailjet", '<a href="[[UNSUB_LINK_IT]]">x</a>'),
        ("mailjet", "{{mj:unsub_link_fr}}"),
    ],
)
def test_unsubscribe_tags(platform: str, tag: str) -> None:
    padding = "<p>" + "filler text " * 200 + "</p>"
    assert has_special("unsubscribe", platform, padding + tag + padding)
    assert has_special("unsubscribe", None, tag)
    assert not has_special("unsubscribe", platform, padding)


def test_customerio_variable_form_is_not_an_unsubscribe_tag() -> None:
    assert not has_special("unsubscribe", "customerio", '<a href="{{ unsubscribe_url }}">x</a>')


def _scanned(text: str) -> list[tuple[int, int, int]]:
    """signature_hits as each signature's own finditer over the whole text gives them."""
    import itertools

    from preflight.dialects import _COUNT_CAP, signatures

    hits = []
    for index, (_, pattern, _, strong) in enumerate(signatures()):
        matches = pattern.finditer(text)
        for match in matches if strong else itertools.islice(matches, _COUNT_CAP):
            hits.append((index, match.start(), match.end()))
    return hits


@pytest.mark.parametrize(
    "text",
    [
        "%%%FIRSTNAME% %FIRSTNAME% %%FIRSTNAME%",  # a look-behind before the literal
        "%%%%=v=%% %%[ set @x = 1 ]%% %%emailaddr%%",  # overlapping places of "%%"
        "{{ a }} {{ b }} {{ c }} {{ d }} {{ e }} {{ f }} {{ g }} {{ h }}",  # past the cap
        "{{{{ name }}}} {{{ pm:x }}} {{#ifEq a b}}{{/ifEq}} {{#if x}}",
        "{{ x | default: 'a' }}" * 40,  # a literal found more often than _SPARSE
        "*|FNAME|* *|MC:SUBJECT|* *|UNSUB|*" * 3,
        # places of a longer literal read from a sparse shorter one ("[" -> "[[UNSUB_LINK")
        "[[UNSUB_LINK_EN]] [x] [[PERMALINK]] [DEFAULT_UNSUBSCRIBE_LINK] [[EMAIL_TO]]",
        # ... or scanned for, when the shorter one is frequent ("{" in a style sheet)
        "a { b } " * 40 + "{{{ Recipient.FirstName }}} {{#if x}} {%= y %} {{ lead.Name }}",
        "<p>" * 40 + "<%asm_group_unsubscribe_raw_url%> <script runat=server language=ampscript>",
        # ... or from a sparse shorter one inside it ("*|" one before a "|", "<%" before "%")
        "| lookup: x *|FNAME|* {{ custom_attribute.${plan} }} <%asm_group_unsubscribe_url%>",
        "<p>" * 40 + "{%= x %} <%asm_x%> %%=v(@a)=%% %recipient.name%",
    ],
)
def test_signature_hits_equal_a_scan_of_every_signature(text: str) -> None:
    from preflight.dialects import signature_hits

    assert signature_hits(text) == _scanned(text)


def test_signatures_can_share_a_probe() -> None:
    """signature_hits tries the signatures that share a literal as one pattern, each in a
    named group of its own: a numbered back-reference would then name another group."""
    import re

    from preflight.dialects import _probes, signatures

    for _, pattern, _, _ in signatures():
        assert not re.search(r"\\[1-9]", pattern.source), pattern.source
    for _, probe in _probes():
        assert probe.compiled().groupindex


def test_signature_hits_on_the_corpus_equal_a_scan(corpus: Path) -> None:
    from preflight.dialects import signature_hits

    for path in sorted(corpus.rglob("*.html")):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert signature_hits(text) == _scanned(text), path
