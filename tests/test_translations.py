"""
Norwegian bokmål: the catalogue is complete (every string marked in the code and templates is
in it, translated, not fuzzy, with the same placeholders), and the API, emails and pages speak
the user's language: their `language`, else `Accept-Language`, else English. Codes never change.
"""

import io
from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file, extract_python
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation.template import templatize
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, UserFactory

BASE = Path(settings.BASE_DIR)
CATALOGUE = BASE / "locale" / "nb" / "LC_MESSAGES" / "django.po"
SOURCES = ("minbil", "vehicles", "notifications")
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def read_catalogue():
    with CATALOGUE.open("rb") as po:
        return read_po(po, locale="nb")


def marked_strings() -> set[tuple[str | None, str]]:
    """(context, msgid) of every string marked for translation in the apps' code and templates."""
    found = set()

    def add(messages) -> None:
        for _lineno, message, _comments, context in messages:
            msgid = message[0] if isinstance(message, tuple) else message
            found.add((context, msgid))

    for root in SOURCES:
        for path in (BASE / root).rglob("*.py"):
            if "migrations" not in path.parts:
                add(extract_from_file("python", path, keywords=KEYWORDS))
        for path in (BASE / root).rglob("*.html"):
            add(_template_messages(path))
        for path in (BASE / root).rglob("*.txt"):
            if "templates" in path.parts:
                add(_template_messages(path))
    return found


def _template_messages(path: Path):
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    for lineno, funcname, message, comments in extract_python(
        io.BytesIO(code.encode()), KEYWORDS.keys(), [], {}
    ):
        context = message[0] if funcname in ("pgettext", "npgettext") else None
        if context is not None:
            message = message[1:]
        yield lineno, message, comments, context


def test_every_catalogue_entry_is_translated_and_not_fuzzy():
    catalogue = read_catalogue()
    untranslated = [m.id for m in catalogue if m.id and not m.string]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]

    assert not catalogue.fuzzy, "the catalogue's header is marked fuzzy"
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_the_placeholders():
    catalogue = read_catalogue()
    for message in catalogue:
        if message.id and message.python_format:
            python_format(catalogue, message)  # raises TranslationError on a mismatch


def test_every_marked_string_is_in_the_catalogue():
    """A string wrapped in gettext but never extracted would silently stay English."""
    catalogue = read_catalogue()
    known = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue if m.id}

    missing = sorted(msgid for context, msgid in marked_strings() - known)

    assert missing == [], "run `make messages`, translate the new strings in locale/nb"


# --- The language rule, end to end -----------------------------------------------------------


@pytest.mark.django_db
def test_a_validation_error_speaks_accept_language_with_the_same_code():
    english = APIClient().post("/api/auth/register", {}, format="json")
    norwegian = APIClient().post(
        "/api/auth/register", {}, format="json", HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9"
    )

    assert english.json()["error"]["code"] == norwegian.json()["error"]["code"]
    assert english.json()["error"]["details"]["email"] == ["This field is required."]
    assert norwegian.json()["error"]["details"]["email"] == ["Dette feltet er påkrevd."]
    assert norwegian.json()["error"]["message"] == "Noen felt er ugyldige: email, password."
    assert norwegian["Content-Language"] == "nb"


@pytest.mark.django_db
def test_a_401_speaks_accept_language():
    response = APIClient().get("/api/co/me", HTTP_ACCEPT_LANGUAGE="nb")
    bad_token = APIClient(HTTP_AUTHORIZATION="Bearer nope").get(
        "/api/co/me", HTTP_ACCEPT_LANGUAGE="nb"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["message"] == "Innloggingsopplysninger mangler."
    assert bad_token.json()["error"]["code"] == "token_not_valid"
    assert bad_token.json()["error"]["message"] == "Tokenet er ugyldig, utløpt eller logget ut."


def signed_in(language: str) -> APIClient:
    user = UserFactory(language=language)
    tokens = APIClient().post(
        "/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    return client


@pytest.mark.django_db
def test_the_users_language_wins_over_accept_language_for_domain_errors():
    norwegian_user = signed_in("nb").get("/api/co/vehicles/BT57225", HTTP_ACCEPT_LANGUAGE="en")
    english_user = signed_in("en").get("/api/co/vehicles/BT57225", HTTP_ACCEPT_LANGUAGE="nb")

    assert norwegian_user.status_code == english_user.status_code == 404
    assert norwegian_user.json()["error"]["code"] == "vehicle_not_linked"
    assert english_user.json()["error"]["code"] == "vehicle_not_linked"
    assert norwegian_user.json()["error"]["message"] == (
        "Du har ikke koblet til noe kjøretøy med dette registreringsnummeret."
    )
    assert english_user.json()["error"]["message"] == (
        "You have no linked vehicle with this registration number."
    )


@pytest.mark.django_db
def test_the_users_language_applies_to_validation_raised_in_the_view():
    """DRF renders validation messages when raised: the language is active from authentication."""
    response = signed_in("nb").patch(
        "/api/co/me", {"language": "sv"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["details"]["language"] == ['"sv" er ikke et gyldig valg.']


@pytest.mark.django_db
def test_switching_the_language_to_norwegian_takes_effect_at_once():
    client = signed_in("en")

    client.patch("/api/co/me", {"language": "nb"}, format="json")
    response = client.get("/api/co/vehicles/BT57225")

    assert response.json()["error"]["message"].startswith("Du har ikke koblet til")


@pytest.mark.django_db
def test_the_reset_email_is_in_the_accounts_language(mailoutbox):
    UserFactory(email="kari@example.com", name="Kari", language="nb")

    APIClient().post(
        "/api/auth/password-reset",
        {"email": "kari@example.com"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    (message,) = mailoutbox
    html, mimetype = message.alternatives[0]
    assert message.subject == "Tilbakestill passordet ditt i MinBil"
    assert "Hei Kari," in message.body
    assert "Lenken kan brukes én gang, innen 1\xa0time." in message.body
    assert mimetype == "text/html"
    assert '<html lang="nb">' in html
    assert "Velg et nytt passord" in html


@pytest.mark.django_db
def test_the_reset_page_is_in_the_accounts_language(client, mailoutbox):
    UserFactory(email="kari@example.com", language="nb")
    APIClient().post("/api/auth/password-reset", {"email": "kari@example.com"}, format="json")
    path = mailoutbox[0].body.split("http://localhost:5000")[1].split()[0]

    page = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="nb">' in page
    assert "Velg et nytt passord for MinBil-kontoen din." in page
