"""preflight.phrases: the TIME002/TIME006 phrase lists found across inflection and word order
in English, German, French, Spanish and Dutch, and only there."""

from __future__ import annotations

import subprocess
import sys

import pytest

from preflight.catalogue import load_catalogue
from preflight.phrases import first, language_of, phrase_list, settle


def _defaults(rule: str, option: str) -> tuple[str, ...]:
    return tuple(load_catalogue().rules[rule].options[option].default)


REMINDER = _defaults("TIME002", "phrases")
BEFORE = _defaults("TIME006", "before_phrases")
AFTER = _defaults("TIME006", "after_phrases")


def _found(phrases: tuple[str, ...], text: str, locale: str | None = None) -> str | None:
    match = first(phrase_list(phrases).matches(text, language_of(text, locale)))
    return match.text if match else None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # inflection
        ("Vielen Dank für Ihre Teilnahme am Webinar", "Dank für Ihre Teilnahme"),
        ("Thank you so much for attending!", "Thank you so much for attending"),
        ("Thanks again for joining us yesterday", "Thanks again for joining"),
        ("Merci pour votre participation au webinaire", "Merci pour votre participation"),
        ("Muchas gracias por asistir al taller", "gracias por asistir"),
        ("Hartelijk bedankt voor jouw deelname", "bedankt voor jouw deelname"),
        ("Die Aufzeichnungen des Webinars sind online", "Aufzeichnungen"),
        ("Les enregistrements sont en ligne", "enregistrements"),
        ("We recorded the session for you", "recorded"),
        ("Bekijk de opnames van het webinar", "opnames"),
    ],
)
def test_after_phrases_match_inflected_forms(text: str, found: str) -> None:
    assert _found(AFTER, text) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # word order, and words between
        ("No has descargado todavía la guía", "No has descargado todavía"),
        (
            "Sie haben noch nicht den Leitfaden heruntergeladen",
            "noch nicht den Leitfaden heruntergeladen",
        ),
        ("Vous ne l'avez pas encore téléchargé", "pas encore téléchargé"),
        ("Je hebt de gids nog niet gedownload", "nog niet gedownload"),
        ("We noticed that you didn’t download the guide", "We noticed that you"),
        ("Are you still interested in the guide?", "still interested"),
        ("Your last chance!", "last chance"),
        ("Erinnerungen an Ihren Leitfaden", "Erinnerungen"),
    ],
)
def test_reminder_phrases_match_reordered_and_inflected_forms(text: str, found: str) -> None:
    assert _found(REMINDER, text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Last year we had a chance to meet.",  # the words, far apart
        "Last year. Chance favours the prepared",  # in two clauses
        "Here is your planting guide.",
        "Thanks! We are attending the show",  # "thanks" and "attending", two clauses
    ],
)
def test_words_far_apart_or_in_other_clauses_do_not_match(text: str) -> None:
    assert _found(REMINDER, text) is None
    assert _found(AFTER, text) is None


def test_stems_are_compared_in_the_copys_language_only() -> None:
    """Dutch stems "gemist" (missed) to "mis"; an English "miss" is not Dutch."""
    assert language_of("Don't miss it: the webinar starts soon") == "en"
    assert _found(("gemist",), "Don't miss it: the webinar starts soon") is None
    assert _found(("gemist",), "Heb je het gemist? Bekijk de opname") == "gemist"
    assert language_of("Mis het niet: morgen begint het") == "nl"


def test_the_locale_chooses_the_language() -> None:
    assert language_of("Webinar", "de-DE") == "de"
    assert language_of("Webinar", "pt-BR") is None
    # the locale decides even when the copy has no small word to tell by
    assert _found(("erinnerung",), "Erinnerungen", "de-DE") == "Erinnerungen"


def test_where_lists_overlap_the_listed_form_wins() -> None:
    """ "Don't miss it" is the listed before-phrase "don't miss", not the after-phrase
    "missed it" by its stem."""
    text = "Don't miss it: the pruning webinar starts soon"
    language = language_of(text)
    before, after = settle(
        phrase_list(BEFORE).matches(text, language), phrase_list(AFTER).matches(text, language)
    )
    assert first(before) is not None and first(before).text == "Don't miss"
    assert after == []


def test_importing_the_checks_does_not_import_the_stemmer() -> None:
    code = (
        "import sys, preflight.checks.timing, preflight.phrases; "
        "print('snowballstemmer' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
