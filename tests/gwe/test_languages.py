"""GWE's own words on a visitor's side speak the page's `languageCode` when GWE has the
language (English and French shipped), and English otherwise: the tracker's launcher, the
invitation's buttons, the chat, the visitor-initiated chat's start, *leave a message*."""

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import translation

from gwe.languages import visitor_language
from gwe.tokens import page_token
from invitations.services import page_context
from media_adapters.base import AdapterError
from media_adapters.gwe_chat import left_messages
from media_adapters.gwe_chat.adapter import GweChatAdapter
from media_adapters.gwe_chat.tokens import visitor_token
from media_adapters.registry import adapter
from tests.media_adapters.test_gwe_chat import make_agent, make_chat
from tests.support.factories import start_page

CATALOG = Path(__file__).parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"
CHAT = {"gwe-chat": {"BACKEND": "media_adapters.gwe_chat.GweChatAdapter"}}


def french_catalog() -> dict[str, str]:
    """msgid → msgstr of the French catalog as written (strings joined across lines)."""
    entries: dict[str, str] = {}
    for block in CATALOG.read_text(encoding="utf-8").split("\n\n"):
        found = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block, re.M)
        if found:
            msgid, msgstr = (
                "".join(re.findall(r'"(.*)"', part)).replace('\\"', '"') for part in found.groups()
            )
            if msgid:
                entries[msgid] = msgstr
    return entries


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("FR_fr", "fr"),
        ("en-US", "en"),
        ("de-DE", "en"),  # not shipped: English
        ("", "en"),
        ("<script>", "en"),
    ],
)
def test_the_visitor_s_language_is_the_nearest_gwe_has(code, language):
    assert visitor_language(code) == language


def test_every_french_word_is_translated_and_compiled():
    catalog = french_catalog()

    assert len(catalog) > 40
    assert [msgid for msgid, msgstr in catalog.items() if not msgstr] == []
    with translation.override("fr"):
        stale = [m for m, s in catalog.items() if translation.gettext(m) != s]
    assert stale == []  # the .mo says what the .po says: `make messages` was run


def test_the_tracker_script_carries_the_launcher_s_words_in_each_language(client):
    script = client.get("/server/resources/js/build/GPE.min.js").content.decode()

    words = json.loads(re.search(r"var WORDS = (\{.*?\}\});", script).group(1))
    assert words["fr"]["chat"] == "Discuter avec nous"
    assert words["en"]["chat"] == "Chat with us"


@pytest.mark.django_db
def test_the_chat_speaks_french_to_a_french_page(client):
    chat = make_chat(make_agent("ada"))
    query = f"chat={chat.pk}&token={visitor_token(chat.pk)}"

    french = client.get(f"/server/resources/chat.html?{query}&lang=fr-FR")
    english = client.get(f"/server/resources/chat.html?{query}&lang=de")

    page = french.content.decode()
    assert french["Content-Language"] == "fr"
    assert '<html lang="fr">' in page
    assert "Terminer la discussion" in page
    assert "Écrivez votre message…" in page
    words = json.loads(re.search(r'id="gwe-chat"[^>]*>(.*?)</script>', page).group(1))["words"]
    assert words["chattingWith"] == "Vous discutez avec %(name)s."
    assert words["typing"] == "Le conseiller écrit…"
    assert '<html lang="en">' in english.content.decode()
    assert "End chat" in english.content.decode()


@pytest.mark.django_db
def test_leave_a_message_speaks_french_and_so_do_its_errors(client):
    started = start_page("https://shop.example/aide", languageCode="fr-FR")
    url = left_messages.message_page(
        visit_id=started.page.visit_id, page_id=started.page.pk, alias="gwe-chat", language="fr"
    )
    token = parse_qs(urlsplit(url).query)["token"][0]

    shown = client.get(url)
    refused = client.post(url, {"token": token, "name": "Amélie", "text": "Bonjour"})

    assert "Laissez-nous un message" in shown.content.decode()
    assert "Votre nom" in shown.content.decode()
    assert refused.status_code == 400
    assert "Indiquez une adresse e-mail ou un numéro de téléphone" in refused.content.decode()


@pytest.mark.django_db
def test_an_invitation_s_own_words_follow_the_visitor_s_language(client):
    page = client.get("/server/resources/invite.html?lang=fr").content.decode()

    runtime = json.loads(re.search(r'id="gwe-invitation"[^>]*>(.*?)</script>', page).group(1))
    assert (runtime["closeText"], runtime["openText"]) == ("Fermer", "Ouvrir")
    assert runtime["acceptedText"] == "Merci : nous vous mettons en relation."


@pytest.mark.django_db
def test_the_visitor_s_own_chat_starts_in_french(client, settings):
    settings.GWE_MEDIA_ADAPTERS = {**settings.GWE_MEDIA_ADAPTERS, **CHAT}
    started = start_page("https://shop.example/aide", languageCode="fr-FR")
    token = page_token(visit_id=started.page.visit_id, page_id=started.page.pk)
    start = f"/server/resources/chat/start.html?token={token}&lang=fr-FR"

    shown = client.get(start).content.decode()
    nobody = client.post(start, json.dumps({"token": token}), content_type="application/json")

    assert "Nous vous mettons en relation avec un conseiller…" in shown
    engagement = nobody.json()["engagement"]
    assert engagement["error"] == "Tous nos conseillers sont occupés pour le moment."
    assert "lang=fr" in engagement["instead"]["url"]


@pytest.mark.django_db
def test_the_built_in_chat_gives_a_french_visitor_french_addresses_and_words(settings):
    settings.GWE_MEDIA_ADAPTERS = {**settings.GWE_MEDIA_ADAPTERS, **CHAT}
    started = start_page("https://shop.example/aide", languageCode="fr-CA")
    found = adapter("gwe-chat")
    assert isinstance(found, GweChatAdapter)
    context = page_context(started.page, {}, proactive=False)

    with pytest.raises(AdapterError) as nobody:
        found.start(context)
    make_agent("ada")
    engagement = found.start(context)

    assert nobody.value.message.startswith("Aucun conseiller")
    assert nobody.value.instead is not None
    assert "lang=fr" in nobody.value.instead.url
    assert parse_qs(urlsplit(engagement.url).query)["lang"] == ["fr"]
    assert engagement.text == "Nous vous mettons en relation avec un conseiller…"
    resumed = found.resume(engagement.reference)
    assert resumed is not None
    assert "lang=fr" in resumed.url
