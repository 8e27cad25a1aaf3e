"""CONTENT heuristics on realistic copy: what reads as an address or a placeholder."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.checks.content import _placeholders
from preflight.footer import looks_like_address


@pytest.mark.parametrize(
    "text",
    [
        "Brightleaf Gardens, 14 Orchard Lane, Bristol BS1 4DJ, United Kingdom",
        "Gartenfreunde GmbH, Lindenstraße 12, 10115 Berlin",
        "123 Main St, Springfield, IL 62704",
        "12 rue de la Paix, 75002 Paris",
        "Calle Mayor 5, 28013 Madrid",
        "Keizersgracht 123, 1015 CJ Amsterdam",
        "PO Box 123, Bristol",
        "123 Van Ness, San Francisco 94102",
        "Brightleaf Inc. · 350 Fifth, New York, 10118-0110",
        "Yogi Complex, L-7/A, New Rander Rd, Adajan, Surat, Gujarat 395009",
        "MG Road, Bengaluru - 560001",
    ],
)
def test_addresses(text: str) -> None:
    assert looks_like_address(text)


@pytest.mark.parametrize(
    "text",
    [
        "Plant 5 bulbs in a sunny place",
        "Join 500 gardeners on their way",
        "Join 25000 Gardeners, today",
        "Win a PS5 1TB bundle",
        "Order 2 Street Food boxes",
        "Save 20 Percent, today only 10000 points",
        "Call 555 0100, Extension 12345678",
        "Thanks, Order 1234567 shipped",
        "Thanks, Order 123456 shipped",
        "Hi Ada, Ticket 100234 was updated",
        "Flash sale, Code 482913",
    ],
)
def test_copy_that_is_not_an_address(text: str) -> None:
    assert not looks_like_address(text)


@pytest.mark.parametrize(
    "text",
    [
        "Postfach 12, Berlin",
        "P.O. BOX 7",
        "Boîte Postale 3",
        "HAUPTSTRASSE 5",
        "Hauptſtraſſe 5",  # a long s: "s" to a case-insensitive pattern
        "KÖNIGSWEG 3",
        "SİNGEL 40",  # a dotted capital I lowers to two characters
        "Raadhuısstraat 1",
        "Lindenstr. 9 and İstanbul",
        "No street here, 5 people",
    ],
)
def test_address_gates_skip_only_patterns_that_cannot_match(text: str) -> None:
    from preflight.footer import _ADDRESS_PATTERNS

    assert looks_like_address(text) == any(p.search(text) for p in _ADDRESS_PATTERNS)
    assert looks_like_address(text * 3) == any(p.search(text * 3) for p in _ADDRESS_PATTERNS)


def test_address_patterns_match_as_they_would_with_a_leading_word_boundary() -> None:
    """Four address patterns check their leading \\b behind their first character, so the
    regex engine can skip ahead: the same matches as the patterns written with \\b."""
    import random
    import re

    from preflight.footer import _ADDRESS_PATTERNS

    rewritten = {
        0: (r"\d(?<!\w.)\d{0,4}", r"\b\d{1,5}"),
        3: (r"\d(?<!\w.)\d{0,3}", r"\b\d{1,4}"),
        5: (r"[A-Z](?<!\w.)[A-Z]", r"\b[A-Z]{2}"),
        6: (r"\d(?<!\w.)\d{0,4}", r"\b\d{1,5}"),
    }
    pick = random.Random(5)
    alphabet = "0123456789 ,\n-ABNYZaxé٣_.'" + "Main St Road rue Van Ness"
    texts = [
        "".join(pick.choice(alphabet) for _ in range(pick.randint(0, 50))) for _ in range(3000)
    ]
    texts += [
        "123 Main St",
        "x123 Main St",
        "_12 Main Street",
        "٣12 Main St",
        "NY 10001",
        "aNY 10001",
    ]
    for index, (now, was) in rewritten.items():
        pattern = _ADDRESS_PATTERNS[index]
        assert pattern.pattern.startswith(now), index
        written = re.compile(was + pattern.pattern[len(now) :], pattern.flags)
        for text in texts:
            assert [m.span() for m in pattern.finditer(text)] == [
                m.span() for m in written.finditer(text)
            ], (index, text)


def test_the_address_gates_read_letters_as_the_patterns_do() -> None:
    """Every character a case-insensitive pattern takes for a gate's letter is that letter
    in the folded text, and each gate's words are its pattern's."""
    import re

    from preflight.footer import _ADDRESS_PATTERNS, _GATES, _fold

    letters = {c for gate in _GATES.values() for c in gate.pattern if c.isalpha()}
    any_letter = re.compile(f"[{''.join(sorted(letters))}]", re.IGNORECASE)
    for code in range(0x110000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF or not any_letter.fullmatch(char):
            continue
        for letter in letters:
            if re.fullmatch(letter, char, re.IGNORECASE):
                assert _fold(char) == letter, hex(code)
    for index, gate in _GATES.items():
        for word in re.findall(r"[^\W\d]{3,}", gate.pattern):
            assert word in _ADDRESS_PATTERNS[index].pattern, (index, word)


def test_placeholders_and_real_copy() -> None:
    text = "<a>Enter here</a> [Add to calendar] [Insert date] Insert your text here [FIRST NAME] lorem ipsum"
    assert [value for _, _, value in _placeholders(text, [])] == [
        "[Insert date]",
        "Insert your text here",
        "[FIRST NAME]",
        "lorem ipsum",
    ]


def test_footer_help_names_the_platforms_own_tag(tmp_path: Path) -> None:
    """CONTENT001/002's help names the platform's own tag when the platform is known, says
    so when it has no address tag (Mailjet), and gives examples when it is not known."""
    import preflight

    body = "<html><body><p>Hi {first}, our spring sale starts today. Shop now.</p></body></html>"
    cases = {
        "sfmc.html": ("sfmc", "%%unsub_center_url%%", "%%Member_Addr%%"),
        "mailjet.html": ("mailjet", "[[UNSUB_LINK_EN]]", "Mailjet has no address tag"),
        "unknown.html": (None, "for example *|UNSUB|*", "such as *|LIST:ADDRESS|*"),
    }
    for name, (platform, unsubscribe, address) in cases.items():
        path = tmp_path / name
        path.write_text(body.format(first="there"), encoding="utf-8")
        if platform:
            path.with_suffix(".meta.yaml").write_text(f"platform: {platform}\n", "utf-8")
        helps = {f.rule: f.help for f in preflight.check([path]).findings}
        assert unsubscribe in (helps["CONTENT001"] or ""), (name, helps["CONTENT001"])
        assert address in (helps["CONTENT002"] or ""), (name, helps["CONTENT002"])
