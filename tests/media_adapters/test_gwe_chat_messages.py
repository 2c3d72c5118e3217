"""When nobody can answer, the visitor leaves a message: from an accepted invitation that
finds no adviser ready, or from the queue rather than wait. It is stored with the page they
were on, emailed when GWE_MESSAGES_EMAIL_TO is set, listed in the admin for an agent to take,
and a visitor who left one was not abandoned."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from media_adapters.gwe_chat import left_messages, tokens
from media_adapters.gwe_chat.models import Chat, ChatState, LeftMessage
from media_adapters.registry import adapter_capacity
from tests.media_adapters.test_gwe_chat import (
    accept,
    chat_adapter,
    make_agent,
    make_chat,
    offered,
    start,
)

pytestmark = pytest.mark.django_db
__all__ = ["chat_adapter", "offered"]  # fixtures, used by name

FILLED = {
    "name": "Grace",
    "email": "grace@example.com",
    "phone": "",
    "text": "Ship to Oslo?",
}


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def leave(client: Client, url: str, **fields) -> Any:
    return client.post(url.split("?")[0], {"token": token_of(url), **FILLED, **fields})


def test_an_accept_that_finds_nobody_ready_opens_the_leave_a_message_form(
    client, chat_adapter, offered, settings, django_capture_on_commit_callbacks
):
    settings.GWE_MESSAGES_EMAIL_TO = ["desk@shop.example"]
    make_agent("away", available=False)

    engagement = accept(client, offered)
    form = client.get(engagement["instead"]["url"])
    with django_capture_on_commit_callbacks(execute=True):
        thanked = leave(client, engagement["instead"]["url"], phone="+47 22 00 00 00")

    assert engagement["status"] == "failed"
    assert engagement["error"].startswith("No adviser is free right now")
    assert engagement["instead"]["open"] == "embed"
    assert engagement["instead"]["url"].startswith("/server/resources/message.html?token=")
    assert form.status_code == 200
    assert "No adviser is free right now" in form.content.decode()
    assert form["Content-Security-Policy"].startswith("frame-ancestors ")
    assert thanked.status_code == 200
    assert "Thank you, Grace" in thanked.content.decode()
    left = LeftMessage.objects.get()
    assert (left.visit_id, left.page_id, left.chat) == (offered.visit_id, offered.page_id, None)
    assert (left.name, left.email, left.phone) == ("Grace", "grace@example.com", "+47 22 00 00 00")
    assert (left.url, left.title, left.language) == (
        "https://shop.example/pricing",
        "Pricing",
        "en",
    )
    [email] = mail.outbox
    assert email.to == ["desk@shop.example"]
    assert email.subject == "Message from Grace on the site"
    assert "Ship to Oslo?" in email.body
    assert "Phone: +47 22 00 00 00" in email.body
    left.refresh_from_db()
    assert left.emailed_at is not None


def test_a_visitor_in_the_queue_may_leave_a_message_and_is_not_counted_abandoned(
    client, chat_adapter
):
    ada = make_agent("ada", max_chats=1)
    make_chat(ada)
    queued = start(chat_adapter)
    page = client.get(queued.url)
    url = page.context["runtime"]["leaveMessage"]

    form = client.get(url)
    thanked = leave(client, url, call_back="on", phone="+15550100")

    assert "Every adviser is still busy" in form.content.decode()
    assert thanked.status_code == 200
    chat = Chat.objects.get(pk=queued.reference)
    assert chat.state == ChatState.ENDED
    assert list(chat.messages.values_list("text", flat=True))[-1] == left_messages.LEFT_INSTEAD
    left = LeftMessage.objects.get()
    assert (left.chat_id, left.call_back, left.visit_id) == (chat.pk, True, chat.visit_id)
    capacity = adapter_capacity("gwe-chat")
    assert capacity is not None
    assert (capacity.waiting, capacity.abandonment) == (0, 0.0)


def test_a_queued_visitor_who_leaves_without_a_message_is_abandoned(chat_adapter):
    from media_adapters.gwe_chat import services

    ada = make_agent("ada", max_chats=1)
    make_chat(ada)
    queued = start(chat_adapter)

    services.chat_end(chat_id=queued.reference, by="visitor")

    capacity = adapter_capacity("gwe-chat")
    assert capacity is not None
    assert capacity.abandonment == 1.0


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"email": "", "phone": ""}, "Give an email address or a phone number"),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"phone": "call me maybe"}, "Enter a phone number"),
        ({"call_back": "on", "phone": ""}, "Give the number to call you back on."),
        ({"text": ""}, "This field is required."),
        ({"text": "x" * 2001}, "at most 2000 characters"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_a_form_filled_wrongly_says_what_to_fix_and_keeps_what_was_typed(
    client, offered, fields, said
):
    url = left_messages.message_page(
        visit_id=offered.visit_id, page_id=offered.page_id, alias="gwe-chat"
    )

    refused = leave(client, url, **fields)

    assert refused.status_code == 400
    assert said in refused.content.decode()
    assert not LeftMessage.objects.exists()
    if fields.get("text", FILLED["text"]):
        assert FILLED["text"] in refused.content.decode() or "x" * 50 in refused.content.decode()


def test_a_forged_or_expired_link_is_refused(client, offered, monkeypatch):
    url = left_messages.message_page(
        visit_id=offered.visit_id, page_id=offered.page_id, alias="gwe-chat"
    )
    forged = client.post("/server/resources/message.html", {"token": "x:y:z", **FILLED})
    monkeypatch.setattr(tokens, "MESSAGE_TOKEN_SECONDS", -1)
    expired = leave(client, url)

    assert (forged.status_code, expired.status_code) == (403, 403)
    assert "This link is not valid any more" in expired.content.decode()
    assert not LeftMessage.objects.exists()


def test_a_mail_server_that_refuses_loses_no_message(
    client, offered, settings, django_capture_on_commit_callbacks
):
    from gwe.env import mailer
    from tests.support.services import free_port

    settings.GWE_MESSAGES_EMAIL_TO = ["desk@shop.example"]
    settings.MAILERS = {"default": mailer("smtp", host="127.0.0.1", port=free_port(), file_path="")}
    url = left_messages.message_page(
        visit_id=offered.visit_id, page_id=offered.page_id, alias="gwe-chat"
    )

    with django_capture_on_commit_callbacks(execute=True):
        thanked = leave(client, url)

    assert thanked.status_code == 200
    left = LeftMessage.objects.get()
    assert left.emailed_at is None
    assert "refused" in left.email_error.lower() or "errno" in left.email_error.lower()


def test_an_agent_takes_a_message_and_marks_it_answered_in_the_admin(client, offered):
    url = left_messages.message_page(
        visit_id=offered.visit_id, page_id=offered.page_id, alias="gwe-chat"
    )
    leave(client, url)
    left = LeftMessage.objects.get()
    desk = User.objects.create_superuser("desk", password="desk-pass-1")
    client.force_login(desk)
    changelist = "/admin/gwe_chat/leftmessage/"

    listed = client.get(changelist, {"answered": "no"})
    took = client.post(changelist, {"action": "take", "_selected_action": [left.pk]})
    done = client.post(changelist, {"action": "mark_answered", "_selected_action": [left.pk]})
    still_open = client.get(changelist, {"answered": "no"})

    assert listed.status_code == 200
    assert "Grace" in listed.content.decode()
    assert "Ship to Oslo?" in listed.content.decode()
    assert (took.status_code, done.status_code) == (302, 302)
    left.refresh_from_db()
    assert (left.taken_by, left.answered_at is not None) == (desk, True)
    assert "Ship to Oslo?" not in still_open.content.decode()
