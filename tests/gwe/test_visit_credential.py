"""A visit is joined only by a browser that holds it: the visit token its first page was given
(kept in the site's first-party cookie). A visit id alone, seen in a URL, a log or a ticket,
starts a visit of its own: it receives none of the victim's notifications and sets nothing on
the victim's identity. And a socket must say where it comes from: no Origin, no socket."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from gwe.asgi import application
from gwe.models import Identity, Visit
from media_adapters.gwe_chat.tokens import visitor_token
from notifications.models import Notification
from notifications.origins import NO_ORIGIN
from notifications.services import NotifyMessage, notify
from tests.media_adapters.test_gwe_chat import make_agent, make_chat

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PAGE = {"type": "page", "url": "https://shop.example/", "title": "Shop"}
SHOP = [(b"origin", b"https://shop.example")]


async def tab(**page) -> tuple[WebsocketCommunicator, dict]:
    socket = WebsocketCommunicator(application, "/server/ws/tracker", headers=SHOP)
    assert (await socket.connect())[0]
    await socket.send_json_to({**PAGE, **page})
    return socket, await socket.receive_json_from(timeout=5)


async def test_a_visit_id_alone_starts_a_visit_of_its_own():
    victim, victims = await tab()
    attacker, theirs = await tab(visitID=victims["visitID"])
    await attacker.send_json_to(
        {
            "type": "event",
            "token": theirs["token"],
            "id": "c-1",
            "eventName": "SignIn",
            "data": {"email": "attacker@example.com"},
        }
    )
    await attacker.receive_json_from(timeout=5)
    await attacker.send_json_to({"type": "subscribe", "token": theirs["token"], "lastSeq": 0})
    await attacker.receive_json_from(timeout=5)
    await sync_to_async(notify)(
        visit_id=victims["visitID"], messages=[NotifyMessage(channel="offers", data={"n": 1})]
    )

    got = await victim_receives(victim, victims)
    assert (theirs["newVisit"], theirs["visitID"] != victims["visitID"]) == (True, True)
    assert await attacker.receive_nothing(timeout=0.5)
    assert got["data"] == {"n": 1}
    victim_visit = await Visit.objects.aget(pk=victims["visitID"])
    assert victim_visit.identity_id is None
    assert await Identity.objects.filter(visits__pk=theirs["visitID"]).aexists()
    await victim.disconnect()
    await attacker.disconnect()


async def victim_receives(victim, ids) -> dict:
    await victim.send_json_to({"type": "subscribe", "token": ids["token"], "lastSeq": 0})
    while (frame := await victim.receive_json_from(timeout=5))["type"] != "notification":
        pass
    return frame


async def test_the_visit_s_token_joins_it_from_another_tab():
    first, ids = await tab()
    second, joined = await tab(visitID=ids["visitID"], visitToken=ids["visitToken"])
    forged, other = await tab(visitID=ids["visitID"], visitToken=ids["visitToken"][:-2] + "xx")

    assert (joined["visitID"], joined["newVisit"]) == (ids["visitID"], False)
    assert other["visitID"] != ids["visitID"]
    for socket in (first, second, forged):
        await socket.disconnect()


@pytest.mark.parametrize("path", ["/server/ws/tracker", "chat", "/server/ws/agent", "visitors"])
async def test_a_socket_with_no_origin_is_told_to_send_one_and_closed(path):
    agent = await sync_to_async(make_agent)("ann")
    if path == "chat":
        chat = await sync_to_async(make_chat)(agent)
        path = f"/server/ws/chat/{chat.pk}?token={visitor_token(chat.pk)}"
    if path == "visitors":
        path = "/server/ws/agent/visitors"
    client = Client()
    await sync_to_async(client.force_login)(agent)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket = WebsocketCommunicator(
        application, path, headers=[(b"host", b"testserver"), (b"cookie", cookie)]
    )

    await socket.connect()
    told = json.loads((await socket.receive_output(timeout=5))["text"])
    closed = await socket.receive_output(timeout=5)

    assert told == {"type": "error", "status": 403, "message": NO_ORIGIN}
    assert closed == {"type": "websocket.close", "code": 4403}
    assert not await Notification.objects.aexists()
