import json

import pytest
from channels.testing import WebsocketCommunicator

from gwe.asgi import application
from gwe.models import BusinessEventDefinition, Event, Visit

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PAGE = {"type": "page", "url": "https://shop.example/", "title": "Shop"}


async def connect(origin="https://shop.example"):
    communicator = WebsocketCommunicator(
        application, "/server/ws/tracker", headers=[(b"origin", origin.encode())]
    )
    connected, _ = await communicator.connect()
    return communicator, connected


async def ask(communicator, message):
    await communicator.send_json_to(message)
    return await communicator.receive_json_from(timeout=5)


async def test_a_page_gets_its_ids_and_the_event_definitions():
    await BusinessEventDefinition.objects.acreate(
        name="AddToCart", trigger="click", selector="button.add-to-cart"
    )
    communicator, connected = await connect()
    assert connected

    ids = await ask(communicator, PAGE)

    assert ids["type"] == "ids"
    assert ids["newVisit"] is True
    assert {"visitID", "globalVisitID", "pageID", "token"} <= ids.keys()
    assert [d for d in ids["definitions"] if d["name"] == "AddToCart"] == [
        {
            "name": "AddToCart",
            "action": "click",
            "selector": "button.add-to-cart",
            "urlPattern": "",
            "maxPerPage": 0,
            "values": [],
        }
    ]
    await communicator.disconnect()


async def test_events_are_acknowledged_once_stored():
    communicator, _ = await connect()
    ids = await ask(communicator, PAGE)

    ack = await ask(
        communicator,
        {
            "type": "event",
            "token": ids["token"],
            "id": "c-1",
            "eventName": "AddToCart",
            "data": {"sku": "SHOE-1"},
        },
    )

    assert ack["type"] == "ack"
    assert ack["id"] == "c-1"
    event = await Event.objects.aget(pk=ack["eventID"])
    assert event.data == {"sku": "SHOE-1"}
    assert event.page_id == ids["pageID"]
    await communicator.disconnect()


async def test_bad_messages_get_clear_errors_and_the_socket_stays_open(settings):
    communicator, _ = await connect()
    ids = await ask(communicator, PAGE)
    forged = ids["token"][:-2] + ("AA" if not ids["token"].endswith("AA") else "BB")

    await communicator.send_to(text_data="{not json")
    malformed = await communicator.receive_json_from()
    oversized = await ask(communicator, {**PAGE, "title": "x" * settings.GWE_TRACKER_MAX_BYTES})
    unknown = await ask(communicator, {"type": "dance"})
    bad_token = await ask(
        communicator, {"type": "event", "token": forged, "id": "c-1", "eventName": "AddToCart"}
    )
    still_open = await ask(communicator, {"type": "ping"})

    assert (malformed["status"], malformed["type"]) == (400, "error")
    assert "malformed JSON" in malformed["message"]
    assert oversized["status"] == 413
    assert unknown["status"] == 400
    assert (bad_token["status"], bad_token["id"]) == (403, "c-1")
    assert still_open == {"type": "pong"}
    assert not await Event.objects.filter(event_name="AddToCart").aexists()
    await communicator.disconnect()


async def test_a_token_cannot_be_used_to_write_into_another_visit():
    first, _ = await connect()
    second, _ = await connect()
    mine = await ask(first, PAGE)
    theirs = await ask(second, PAGE)

    refused = await ask(
        first,
        {
            "type": "page",
            "url": "https://shop.example/",
            "pageID": theirs["pageID"],
            "token": mine["token"],
        },
    )

    assert refused["status"] == 403
    assert await Visit.objects.acount() == 2
    await first.disconnect()
    await second.disconnect()


async def test_a_site_not_in_the_allowed_origins_cannot_connect(settings):
    settings.GWE_ALLOWED_ORIGINS = ["https://shop.example"]

    allowed, allowed_connected = await connect("https://shop.example")
    _, refused_connected = await connect("https://evil.example")

    assert allowed_connected
    assert not refused_connected
    await allowed.disconnect()


async def test_binary_frames_are_read_as_json():
    communicator, _ = await connect()

    await communicator.send_to(bytes_data=json.dumps(PAGE).encode())
    ids = await communicator.receive_json_from()

    assert ids["type"] == "ids"
    await communicator.disconnect()
