"""Marketing or transactional, inferred from the content when nothing declares it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

import preflight
from preflight.category import _evidence, infer_category
from preflight.config import Config
from preflight.engine import Engine
from preflight.phraseset import required_words
from preflight.resources import rules_dir


def _template(tmp_path: Path, body: str, name: str = "email.html", meta: str | None = None):
    path = tmp_path / name
    path.write_text(f"<!DOCTYPE html><html><body>{body}</body></html>", encoding="utf-8")
    if meta is not None:
        path.with_suffix(".meta.yaml").write_text(meta, encoding="utf-8")
    template, _ = Engine(Config(root=tmp_path)).load_template(path)
    assert template is not None
    return template


TRANSACTIONAL = {
    "en-reset": "<h1>Reset your password</h1><p>Click the button to choose a new password.</p>"
    '<p><a href="{{ reset_url }}">Reset password</a></p>',
    "en-receipt": "<h1>Receipt</h1><p>Order number 1042</p><p>Subtotal $20.00</p>",
    "en-shipping": "<h2>Your order has shipped</h2><p>Tracking number: 1Z999</p>",
    "en-verification": "<p>Your verification code is 123456.</p>"
    "<p>If you didn't request this code, ignore this email.</p>",
    "de-passwort": "<h1>Passwort zurücksetzen</h1><p>Falls du das nicht angefordert hast, "
    "ignoriere diese E-Mail.</p>",
    "de-bestellung": "<h1>Vielen Dank für deine Bestellung</h1><p>Bestellnummer: 55</p>"
    "<p>Lieferadresse: Berlin</p>",
    "fr-commande": "<h1>Merci pour votre commande</h1><p>Numéro de commande : 55</p>"
    "<p>Adresse de livraison : Paris</p>",
    "fr-mot-de-passe": "<h1>Mot de passe oublié ?</h1><p>Cliquez pour réinitialiser votre mot de"
    " passe. Si vous n'avez pas demandé ce changement, ignorez ce message.</p>",
    "es-pedido": "<h1>Gracias por tu pedido</h1><p>Número de pedido: 55</p>"
    "<p>Dirección de envío: Madrid</p>",
    "es-contrasena": "<h1>Restablecer tu contraseña</h1><p>Si no has solicitado este cambio, "
    "ignora este correo.</p>",
    "nl-bestelling": "<h1>Bedankt voor je bestelling</h1><p>Bestelnummer: 55</p>"
    "<p>Afleveradres: Utrecht</p>",
    "nl-wachtwoord": "<h1>Wachtwoord vergeten?</h1><p>Als je dit niet hebt aangevraagd, "
    "kun je deze e-mail negeren.</p>",
    # the receipt, invoice and account-notice wording of real template kits (bench/heldout)
    "en-paid-invoice": "<p>$33.98 Paid</p><p>Thanks for using Acme Inc.</p>"
    "<p>Invoice #12345</p><p>Total $33.98</p>",
    "en-charged": "<p>Thank you for your business.</p><p>Plan: Pro, 1 month</p>"
    "<p>$50.00 CAD has been charged to your card.</p><p>Your invoice is attached.</p>",
    # a call-to-action button says what the email is for, as a heading does
    "en-confirm-button": "<p>Please confirm your email address by clicking the link below.</p>"
    '<p><a class="btn-primary" href="{{ confirm_url }}">Confirm email address</a></p>',
    # Django's own password-reset view, named in every Django app's reset email
    "en-django-reset": "<p>You requested a password reset for your account.</p><p>{{ protocol"
    " }}://{{ domain }}{% url 'password_reset_confirm' uidb64=uid token=token %}</p>",
    "en-settings-updated": "<p>Your account settings have been updated.</p><p>If you did not"
    " update your settings, please contact support.</p>",
}

MARKETING = {
    "newsletter-your-order": "<h1>Spring at Brightleaf</h1><p>Your order ships free this"
    " month. <a href='https://b.example'>Shop now</a></p>",
    "promo-thanks-for-order": "<h1>20% off everything</h1><p>Thank you for your order last"
    " year! Use discount code SPRING.</p>",
    "sale-paid-nothing": "<h1>Our biggest sale</h1><p>Members paid nothing for shipping all"
    " week. <a href='https://b.example'>Shop now</a></p>",
    "help-footer": "<h1>New seeds are in</h1><p>Twelve heritage tomatoes.</p>"
    "<p>Forgot your password? Reset your password in the app.</p>",
    "track-in-app": "<h1>New arrivals</h1><p>Track your order in our new app.</p>",
    "free-calendar": "<p>The heritage tomatoes you asked about are back.</p>"
    "<p><a class='button' href='https://b.example/seeds'>Shop seeds</a></p>",
    "shop-boots": "<p>Winter is here.</p><p><a href='https://b.example/b'>Shop boots</a></p>",
    "back-in-stores": "<h1>Pumpkin spice is back in stores</h1>",
    "new-is-in": "<p>The new boots are in the shop.</p>",
    "promotion": "<p>Our winter promotion ends on Sunday.</p>",
    "fr-promotion": "<p>Tous nos manteaux en promotion cette semaine.</p>",
    "win-back": "<h1>We really miss you!</h1><p>Come back this week for a 50% discount.</p>",
    "view-in-browser": "<p><a href='*|ARCHIVE|*'>View this email in your browser</a></p>"
    "<p>Forward to a friend</p>",
    "de-offer": "<h1>Exklusives Angebot</h1><p>Jetzt sichern!</p>",
    "receipt-mentions-nothing": "<p>Members paid nothing for shipping all week.</p>"
    "<p>Start your free trial today.</p>",
    # from the fourth held-out set (bench/heldout4): flash sale, abandoned cart, consultation
    "flash-sale": "<h1>Up To 1/2 Off</h1><p>Only until midnight</p><p>Access deals</p>",
    "abandoned-cart": "<h1>Oh no! Something was left in your cart.</h1>"
    "<p>Jenny, your cart is waiting!</p><a href='https://b.example/cart'>View My Cart</a>",
    "consultation": "<h1>Unlock the Full Potential</h1>"
    "<a class='button' href='https://b.example/book'>Book your consultation slot</a>",
}

# Neither side says enough: CONTENT001/002 are then warnings that ask for `category:`
UNDECIDED = {
    "welcome-only": "<h1>Welcome to Kraken Academy</h1><p>An exciting future awaits.</p>",
    "invoice-product": "<h2>Invoicing made easy</h2><p>Send an invoice in seconds.</p>"
    "<p>Read more on our blog.</p>",
    "empty": "",
    "lorem": "<h1>Basic</h1><p>Hi, Susan Calvin</p><p>Lorem ipsum dolor sit amet.</p>",
    "shared-with-you": "<p>Ada has shared the workflow “Invoices” with you.</p>"
    "<p><a href='{{ workflowUrl }}'>Open workflow</a></p>",
    "workflow-failed": "<h1>Your workflow failed</h1><p>The last run stopped at step 3.</p>",
    "key-revoked": "<p>Your API key “CI” was revoked by an administrator.</p>",
    "shop-owner": "<p>The shop owners will reply to your question soon.</p>",
    # application notices whose words the selling phrases must not take for a call to action
    "shop-is-live": "<p>Your shop is now live. Ada was added as staff.</p>"
    "<p>Shop details were updated.</p><p>The shop has 3 new payouts.</p>",
    "server-back": "<p>Your server is back in service.</p><p>db-1 is back in sync.</p>",
    "build-running": "<p>Your new build is in progress.</p><p>The new setting is in effect.</p>",
    "role-promotion": "<p>Congratulations on your promotion to team lead.</p>"
    "<p>Replica promotion of db-1 completed.</p>",
}


@pytest.mark.parametrize("name", sorted(TRANSACTIONAL))
def test_transactional_content_in_five_languages(tmp_path: Path, name: str) -> None:
    inference = infer_category(_template(tmp_path, TRANSACTIONAL[name]))
    assert inference.category == "transactional", inference
    assert inference.evidence and inference.evidence[0].location is not None


@pytest.mark.parametrize("name", sorted(MARKETING))
def test_marketing_stays_marketing(tmp_path: Path, name: str) -> None:
    """Precision first: one mention, or a weak word in a heading, is not enough to make a
    marketing email transactional; its own marketing evidence says what it is."""
    assert infer_category(_template(tmp_path, MARKETING[name])).category == "marketing"


@pytest.mark.parametrize("name", sorted(UNDECIDED))
def test_neither_is_undecided(tmp_path: Path, name: str) -> None:
    assert infer_category(_template(tmp_path, UNDECIDED[name])).category == "undecided"


def test_subject_counts_as_prominent(tmp_path: Path) -> None:
    template = _template(tmp_path, "<p>Order number 1042</p>", meta='subject: "Your receipt"\n')
    inference = infer_category(template)
    assert inference.category == "transactional"
    assert {e.part.value for e in inference.evidence} == {"subject", "html"}


def test_declared_category_is_never_inferred(tmp_path: Path) -> None:
    body = TRANSACTIONAL["en-reset"]
    declared = _template(tmp_path, body, "a.html", meta="category: marketing\n")
    assert declared.category is not None and declared.category.origin == "sidecar"
    assert not declared.is_transactional
    inferred = _template(tmp_path, body, "b.html")
    assert inferred.category is not None and inferred.category.origin == "inferred"
    assert not inferred.is_transactional  # only CONTENT001/002 read an inferred category


def test_config_default_beats_inference(tmp_path: Path) -> None:
    # a whole document: a fragment with no layout would be a warning whatever its category
    body = f"<html><body>{TRANSACTIONAL['en-reset']}</body></html>"
    (tmp_path / "reset.html").write_text(body, encoding="utf-8")
    (tmp_path / "preflight.yaml").write_text("defaults: {category: marketing}\n")
    report = preflight.check([tmp_path / "reset.html"])
    severities = {f.rule: f.severity.label for f in report.findings}
    assert severities["CONTENT001"] == "error"


def test_findings_carry_the_evidence_in_json(tmp_path: Path) -> None:
    # a whole document: CONTENT009 judges an email as a whole, and a fragment is none
    page = f"<html><body>\n{TRANSACTIONAL['en-reset']}\n</body></html>"
    (tmp_path / "reset.html").write_text(page, encoding="utf-8")
    report = preflight.check([tmp_path / "reset.html"])
    document = json.loads(report.to_json())
    [finding] = [f for f in document["findings"] if f["rule"] == "CONTENT001"]
    assert finding["severity"] == "info"
    assert finding["data"]["category"] == "transactional"
    assert finding["data"]["category_source"] == "inferred"
    assert finding["data"]["evidence"][0] == {
        "kind": "password",
        "text": "Reset your password",
        "part": "html",
        "line": 2,
        "column": 5,
    }
    assert "declare `category: transactional` in reset.meta.yaml" in finding["help"]
    # CONTENT009 is not touched by an inferred category: it still asks for a preheader
    assert any(f["rule"] == "CONTENT009" for f in document["findings"])


def test_hostile_input_is_quick_and_quiet(tmp_path: Path) -> None:
    bodies = ["a" * 300_000, "a_b." * 100_000, "(" * 50_000 + "order #" * 10_000, "\u0130" * 5000]
    for index, body in enumerate(bodies):
        inference = infer_category(_template(tmp_path, f"<p>{body}</p>", f"h{index}.html"))
        assert inference.category == "undecided"


def test_data_is_well_formed() -> None:
    data = yaml.safe_load((rules_dir() / "data" / "category.yaml").read_text(encoding="utf-8"))
    for side in ("transactional", "marketing"):
        for entry in data[side]:
            for language, phrases in (entry.get("phrases") or {}).items():
                assert language in {"en", "de", "fr", "es", "nl"}, entry["kind"]
                for phrase in phrases:
                    re.compile(phrase)
                    # matched against lower-cased text: literals must be lower case
                    literal = re.sub(r"\\.", "", phrase)
                    assert literal == literal.lower() or not re.search(r"[A-Z]", literal), phrase
                    # a phrase with no whole word it always holds is tried on every email
                    # (phraseset.py): one such phrase costs every run a scan of every text
                    assert required_words(phrase) or phrase.startswith("\\$"), phrase
    transactional_languages = {
        language for entry in data["transactional"] for language in entry.get("phrases") or {}
    }
    assert transactional_languages == {"en", "de", "fr", "es", "nl"}
    assert len(_evidence().phrases.phrases) > 100


@pytest.mark.parametrize(
    ("phrase", "needles"),
    [
        ("reset (?:your|the) password", ("reset", "password")),
        ("your order(?: #?\\S{1,40})? (?:has been|was) shipped", ("your", "order", "shipped")),
        ("bienvenid[oa]s?", ()),
        ("can (?:be )?safely (?:be )?ignored?", ("can", "safely")),
        ("(?:please )?do not reply", ("do", "not", "reply")),
        ("\\d{1,2} ?% off", ("off",)),
        # a look-ahead matches no text: the word before it stays whole
        ("promotion(?! (?:to|of))", ("promotion",)),
    ],
)
def test_needles(phrase: str, needles: tuple[str, ...]) -> None:
    assert required_words(phrase) == needles


def _awkward_texts() -> list[str]:
    """Short texts of the characters word and name scanners trip on: punctuation, "_" and
    ".", no-break and line separators, a lone surrogate, letters that lower to two (İ),
    digits and letters outside ASCII, a combining accent."""
    import random

    pick = random.Random(7)
    alphabet = "aZ_ 9..__\u00a0’«é\u0130\u0131\u017f\u2028\x1c\ud800ß٣𝟘ǅ\u0301\t\n-"
    return [
        "".join(pick.choice(alphabet) for _ in range(pick.randint(0, 24))) for _ in range(3000)
    ] + ["order.number reset_url e.g. x..y_z .a_b a_b. __init__ ǅx.y_ü a’b_c"]


def test_words_are_the_regex_words() -> None:
    from preflight.phraseset import WORDS, words

    for text in _awkward_texts():
        assert words(text) == set(WORDS.findall(text)), repr(text)


def test_field_names_are_the_regex_matches() -> None:
    from preflight.category import _FIELD_NAME, _field_names

    for text in _awkward_texts():
        assert _field_names(text) == _FIELD_NAME.findall(text), repr(text)
