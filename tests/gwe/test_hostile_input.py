"""JSON that Python decodes but nothing can keep: brackets nested thousands deep (the decoder's
RecursionError) and a lone UTF-16 surrogate in a text (no UTF-8 form, so not storable). Each
is a clear 400 wherever it comes in, the socket it came on stays open, and nothing of it is
stored. Before, each closed the socket with 1011 or answered 500 with a traceback."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.contrib.auth.models import Permission, User
from django.test import Client

from gwe.asgi import application
from gwe.json_input import MAX_DEPTH, MalformedJSON, loads
from gwe.models import Event, Identity, Page
from media_adapters.gwe_chat.models import ChatMessage
from notifications.models import Notification
from tests.media_adapters.test_gwe_chat import (
    CHAT_ADAPTER,
    agent_socket,
    make_agent,
    new_chat,
    visitor,
)
from tests.support.asgi import AsgiClient
from tests.support.factories import start_page

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DEEP = "[" * 3000 + "]" * 3000  # 6 KB
LONE = "\\ud800x"  # as JSON text carries it: an escape
PAGE = {"type": "page", "url": "https://shop.example/", "title": "Shop"}
SHOP = [(b"origin", b"https://shop.example")]


def with_lone_surrogate(message: dict, field: str) -> str:
    """`message` as JSON text with a lone surrogate in `field` (json.dumps would refuse one)."""
    return json.dumps({**message, field: "@@"}).replace("@@", LONE)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ('{"emoji": "\\ud83d\\ude00"}', {"emoji": "\U0001f600"}),  # a pair is one character
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, None),
        ('"\\u00e9t\\u00e9"', "été"),
    ],
)
def test_json_within_bounds_decodes_as_it_is(raw, value):
    decoded = loads(raw)

    if value is not None:
        assert decoded == value


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (DEEP, "nested more than 64 deep"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested more than 64 deep"),
        ('{"title": "\\ud800x"}', "lone UTF-16 surrogate"),
        ('{"\\udfff": 1}', "lone UTF-16 surrogate"),  # in a key too
        (b'[{"a": ["\\uDBFF"]}]', "lone UTF-16 surrogate"),
    ],
)
def test_json_nothing_can_keep_is_refused_with_the_reason(raw, said):
    with pytest.raises(MalformedJSON, match=said):
        loads(raw)


async def tracker_socket():
    socket = WebsocketCommunicator(application, "/server/ws/tracker", headers=SHOP)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def ask(socket, raw: str) -> dict:
    await socket.send_to(text_data=raw)
    return await socket.receive_json_from(timeout=5)


@pytest.mark.parametrize("field", ["title", "url", "referrer", "languageCode"])
async def test_the_tracker_socket_answers_400_and_stays_open(field):
    socket = await tracker_socket()

    deep = await ask(socket, DEEP)
    lone = await ask(socket, with_lone_surrogate(PAGE, field))
    ids = await ask(socket, json.dumps(PAGE))  # the same socket goes on
    signed_in = {
        "type": "event",
        "token": ids["token"],
        "id": "c-1",
        "eventName": "SignIn",
        "data": {"email": "@@"},
    }
    identity = await ask(socket, json.dumps(signed_in).replace("@@", LONE))
    await socket.disconnect()

    assert (deep["status"], lone["status"], identity["status"]) == (400, 400, 400)
    assert "nested" in deep["message"]
    assert "surrogate" in lone["message"]
    assert ids["type"] == "ids"
    assert await Page.objects.acount() == 1
    assert not await Identity.objects.aexists()
    assert not await Event.objects.filter(event_name="SignIn").aexists()


async def test_the_tracker_s_http_endpoint_answers_400():
    for raw in (DEEP, with_lone_surrogate(PAGE, "title")):
        response = await HttpCommunicator(
            application,
            "POST",
            "/server/data/tracker",
            body=raw.encode(),
            headers=[*SHOP, (b"content-type", b"text/plain;charset=UTF-8")],
        ).get_response(timeout=5)
        assert response["status"] == 400, response["body"]
    assert not await Page.objects.aexists()


async def test_the_chat_sockets_of_both_sides_answer_400_and_stay_open(settings):
    settings.GWE_MEDIA_ADAPTERS = CHAT_ADAPTER
    agent, chat = await new_chat()
    page = visitor(chat.pk)
    await page.open()
    await page.until("message")
    console = await agent_socket(agent)
    await console.until("chats")
    said = json.dumps({"type": "message", "chat": chat.pk, "text": "@@"}).replace("@@", LONE)

    refused = [await _error_after(side, raw) for side in (page, console) for raw in (DEEP, said)]
    await page.send({"type": "message", "text": "still here"})
    still = await page.until("message")
    await page.close()
    await console.close()

    assert [frame["status"] for frame in refused] == [400, 400, 400, 400]
    assert still["text"] == "still here"
    texts = [m.text async for m in ChatMessage.objects.filter(chat_id=chat.pk)]
    assert not any("\ud800" in text for text in texts)


async def _error_after(socket, raw: str) -> dict:
    await socket.send(raw)
    return await socket.until("error")


def test_notify_answers_400_and_stores_nothing(db):
    User.objects.create_user("contact-center", password="s3cret-pass").user_permissions.add(
        Permission.objects.get(codename="add_notification")
    )
    api = AsgiClient.basic("contact-center", "s3cret-pass")
    visit = start_page().visit
    url = f"/server/data/notification/notify/{visit.pk}"
    lone = json.dumps([{"channel": "x", "data": {"text": "@@"}}]).replace("@@", LONE)

    answers = [api.post(url, raw) for raw in (DEEP, lone)]

    assert [answer.status_code for answer in answers] == [400, 400]
    assert "surrogate" in answers[1].json()["error"]
    assert not Notification.objects.exists()


def test_the_rest_api_s_json_parser_answers_400(db):
    user = User.objects.create_user("gateway", password="gateway-pass")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_invitation", "change_invitation"])
    )
    api = AsgiClient.basic("gateway", "gateway-pass")

    deep = api.post("/server/data/gateway/engage", DEEP)
    lone = api.post("/server/data/gateway/engage", '{"visitID": "\\ud800"}')

    assert (deep.status_code, lone.status_code) == (400, 400)
    assert "nested" in deep.json()["error"]


async def test_the_workspace_socket_answers_400_and_stays_open():
    agent = await sync_to_async(make_agent)("ann")
    client = Client()
    await sync_to_async(client.force_login)(agent)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket = WebsocketCommunicator(
        application,
        "/server/ws/agent/visitors",
        headers=[(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)],
    )
    assert (await socket.connect())[0]

    await socket.send_to(text_data="[" * 500 + "]" * 500)  # its frames are 2 KB at most
    while (error := await socket.receive_json_from(timeout=5))["type"] != "error":
        pass  # the templates and the list come first
    await socket.send_json_to({"type": "ping"})
    while (pong := await socket.receive_json_from(timeout=5))["type"] != "pong":
        pass
    await socket.disconnect()

    assert error["status"] == 400
    assert "nested" in error["message"]
    assert pong == {"type": "pong"}


@pytest.mark.parametrize("kind", ["BUSINESS", "SYSTEM"])
async def test_a_page_may_not_send_an_event_the_server_records(kind):
    socket = await tracker_socket()
    ids = await ask(socket, json.dumps(PAGE))

    forged = await ask(
        socket,
        json.dumps(
            {
                "type": "event",
                "token": ids["token"],
                "id": "c-1",
                "eventName": "PageEntered",
                "eventType": kind,
            }
        ),
    )
    await socket.disconnect()

    assert forged["status"] == 400
    assert "recorded by the server" in forged["message"]
    assert await Event.objects.filter(event_name="PageEntered").acount() == 1  # the server's


def test_every_name_invitations_record_is_one_a_page_may_not_send():
    from gwe.models import SERVER_EVENTS
    from invitations.services import EVENT_NAMES

    assert set(EVENT_NAMES.values()) <= SERVER_EVENTS


@pytest.mark.parametrize(
    "path",
    [
        "/server/data/visits/%0A",
        "/server/data/identities/a%0Ab/visits",  # `path` does not match a newline: no route
        "/server/data/identities/a%0Ab/export",
        "/server/data/nothing",
    ],
)
def test_an_id_with_a_newline_gets_a_json_answer_not_an_html_page(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code in (400, 404)
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


@pytest.mark.parametrize("field", ["visitID", "globalVisitID"])
async def test_an_id_with_a_trailing_newline_is_not_well_formed(field):
    """A regular expression's `$` also matches before a final newline: such an id is 23
    characters, one more than an id's column holds on PostgreSQL."""
    socket = await tracker_socket()

    refused = await ask(socket, json.dumps({**PAGE, field: "A" * 22 + "\n"}))
    ids = await ask(socket, json.dumps(PAGE))  # the same socket goes on
    await socket.disconnect()

    assert refused["status"] == 400
    assert f"{field} is not a well-formed id" in refused["message"]
    assert ids["type"] == "ids"
    assert await Page.objects.acount() == 1


async def test_an_event_name_with_a_trailing_newline_is_refused():
    """129 characters with its newline: one more than the column holds on PostgreSQL."""
    socket = await tracker_socket()
    ids = await ask(socket, json.dumps(PAGE))
    event = {"type": "event", "token": ids["token"], "id": "c-1", "eventName": "A" * 128 + "\n"}

    refused = await ask(socket, json.dumps(event))
    stored = await ask(socket, json.dumps({**event, "id": "c-2", "eventName": "A" * 128}))
    await socket.disconnect()

    assert refused["status"] == 400
    assert "eventName must start with a letter" in refused["message"]
    assert stored["type"] == "ack"
    assert await Event.objects.filter(event_name__startswith="A").acount() == 1
