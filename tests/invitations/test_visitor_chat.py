"""A chat the visitor asks for (`_gt.push(['chat'])`): reactive (no `webengagement` in the
attached data), let through with the channel's reactiveState, and a message to leave when
it is held back or nobody can answer."""

import json

import pytest

from gwe.models import Event
from gwe.tokens import page_token
from invitations import reactive
from media_adapters.gwe_chat.models import Chat
from tests.media_adapters.test_gwe_chat import make_agent, make_chat
from tests.support.factories import start_page

pytestmark = pytest.mark.django_db
CHAT = {"gwe-chat": {"BACKEND": "media_adapters.gwe_chat.GweChatAdapter"}}
START = "/server/resources/chat/start.html"


@pytest.fixture
def real_chat(settings):
    settings.GWE_MEDIA_ADAPTERS = {**settings.GWE_MEDIA_ADAPTERS, **CHAT}


def token_of(started) -> str:
    return page_token(visit_id=started.page.visit_id, page_id=started.page.pk)


def ask(client, body) -> tuple[int, dict]:
    response = client.post(START, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_a_chat_the_visitor_asks_for_goes_to_a_free_agent_without_webengagement(client, real_chat):
    ada = make_agent("ada")
    started = start_page("https://shop.example/help", title="Help")

    status, reply = ask(client, {"token": token_of(started)})

    assert status == 200
    assert reply["engagement"]["status"] == "started"
    assert reply["engagement"]["url"].startswith("/server/resources/chat.html?chat=")
    chat = Chat.objects.get()
    assert (chat.agent, chat.invitation_id, chat.page_id) == (ada, "", started.page.pk)
    assert chat.attached_data == {"visitID": started.page.visit_id, "pageID": started.page.pk}
    history = Event.objects.get(event_name="EngagementStarted")
    assert history.data == {"adapter": "gwe-chat", "reactive": True, "reference": chat.pk}


def test_with_nobody_ready_the_visitor_is_offered_to_leave_a_message(client, real_chat):
    started = start_page("https://shop.example/help")

    status, reply = ask(client, {"token": token_of(started)})

    assert status == 200
    engagement = reply["engagement"]
    assert engagement["status"] == "failed"
    assert engagement["instead"]["url"].startswith("/server/resources/message.html?token=")
    assert not Chat.objects.exists()
    failed = Event.objects.get(event_name="EngagementFailed")
    assert failed.data["reactive"] is True


def test_reactive_state_holds_back_a_chat_when_the_agents_are_busy(real_chat):
    ada = make_agent("ada", max_chats=2)
    make_chat(ada)
    make_chat(ada)  # both slots taken: reactiveState is 0
    started = start_page("https://shop.example/help")

    held = reactive.visitor_chat_start(token=token_of(started), draw=lambda: 0.0)

    assert held["status"] == "failed"
    assert held["error"] == reactive.BUSY
    assert "/server/resources/message.html" in held["instead"]["url"]
    assert Chat.objects.count() == 2
    assert Event.objects.get(event_name="EngagementFailed").data["reason"] == (
        "held back by reactiveState"
    )


def test_a_request_that_is_wrong_says_so(client, real_chat):
    started = start_page("https://shop.example/")
    gone = page_token(visit_id=started.page.visit_id, page_id="P" * 22)

    assert ask(client, {"token": "forged:token"})[0] == 403
    assert ask(client, {"token": gone}) == (404, {"error": "no such page"})
    assert ask(client, [])[0] == 400
    malformed = client.post(START, "{", content_type="application/json")
    assert malformed.status_code == 400
    page = client.get(START, {"token": token_of(started)})
    assert page.status_code == 200
    assert page["Content-Security-Policy"].startswith("frame-ancestors ")
    assert "Connecting you to an adviser" in page.content.decode()
