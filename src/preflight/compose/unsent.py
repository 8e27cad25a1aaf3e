"""What a template checked on its own is when it is not a whole email as sent.

A layout (a slot for other templates' content), a header part (it opens <body> and never
closes it: its footer is another file) or a fragment (no <html>, no <body>) is part of an
email. Checked alone (nothing composed it), the rules that judge an email as a whole (its
subject, preheader, <title>, lang, heading outline, dark-mode declaration, spam score: the
catalogue's ``scope: email``) do not run on it, CONTENT001/002 ask for the email it belongs
to, and files[] gives its kind as ``layout`` or ``partial``.
"""

from __future__ import annotations

import re

from preflight.compose.extends import BASE_TEMPLATE
from preflight.compose.layout import content_slot
from preflight.model import Template

_DOCUMENT_TAG = re.compile(r"<(?:html|body)[\s>/]", re.IGNORECASE)
_BODY = re.compile(r"<body[\s>]", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
# a file of Go templates that other templates call ({{ template "header" . }}): listmonk
_GO_DEFINE = re.compile(r'\{\{-?\s*define\s+"[^"\n]{1,200}"\s*-?\}\}')
_EXTENDS = re.compile(r"\{%-?\s*extends\s")

Part = tuple[str, str | None]
"""("layout", the slot it leaves), ("header", None) or ("fragment", None)."""

_MEMO_KEY = "unsent-part"


def unsent_part(template: Template) -> Part | None:
    """What ``template`` is when it is part of an email checked on its own; None for a whole
    email, and for one composed into its layout.

    - a layout: a slot for other templates' content (``{{ content }}``, ``{{{ @content }}}``,
      ``<yield />``, an empty ``{% block content %}{% endblock %}``, any block of a base
      template that extends nothing, or the ``{{ define "…" }}`` of a file of Go templates);
    - a header: it opens <body> and never closes it (its footer part closes it: Magento);
    - a fragment: no <html>, no <body>."""
    return template.memo.get(_MEMO_KEY, lambda: _classify(template))


def _source(template: Template) -> str | None:
    """The HTML source to classify; None for a template that is a whole email whatever its
    HTML looks like: composed into its layout, an .eml, or a platform's export (SFMC asset,
    Mailchimp or SendGrid JSON: the email as the platform sends it; SFMC's html view has no
    <html>)."""
    if template.html is None or any(kind == "layout" for _, kind in template.parts):
        return None
    if template.format != "html" or template.path.suffix.lower() == ".json":
        return None
    return template.html.source.text


def _classify(template: Template) -> Part | None:
    source = _source(template)
    if source is None:
        return None
    match = content_slot(source) or _GO_DEFINE.search(source)
    if match is None and _EXTENDS.search(source) is None:
        match = BASE_TEMPLATE.search(source)  # a base template: it extends nothing
    if match is not None:
        return "layout", " ".join(match.group(0).split())[:60]
    return unsent_piece(template)


def unsent_piece(template: Template) -> Part | None:
    """A header part or a fragment (unsent_part's last two), whatever slot it leaves."""
    source = _source(template)
    if source is None:
        return None
    body = _BODY.search(source)
    if body is not None and _BODY_END.search(source, body.end()) is None:
        return "header", None
    if _DOCUMENT_TAG.search(source) is None:
        return "fragment", None
    return None
