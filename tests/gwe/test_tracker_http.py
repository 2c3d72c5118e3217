import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator

from gwe.asgi import application
from gwe.models import Event, Visit
from notifications.models import Notification
from notifications.services import NotifyMessage, notify

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ENDPOINT = "/server/data/tracker"
PAGE = {"type": "page", "url": "https://shop.example/", "title": "Shop"}


class Reply:
    def __init__(self, response):
        self.status_code = response["status"]
        self.headers = {k.decode().lower(): v.decode() for k, v in response.get("headers", [])}
        self.body = response.get("body", b"")

    def json(self):
        return json.loads(self.body)


async def post(body, *, origin="https://shop.example", method="POST", headers=()):
    raw = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body))
    raw = raw.encode() if isinstance(raw, str) else raw
    all_headers = [(b"content-type", b"text/plain;charset=UTF-8"), *headers]
    if origin:
        all_headers.append((b"origin", origin.encode()))
    communicator = HttpCommunicator(application, method, ENDPOINT, body=raw, headers=all_headers)
    return Reply(await communicator.get_response(timeout=5))


async def start():
    return (await post(PAGE)).json()["replies"][0]


def event(ids, client_id, name="AddToCart", **fields):
    return {"type": "event", "token": ids["token"], "id": client_id, "eventName": name, **fields}


async def test_a_beacon_batch_is_stored_in_order():
    ids = await start()

    response = await post([event(ids, "c-1"), event(ids, "c-2", "PageExited", eventType="SYSTEM")])

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["replies"]] == ["c-1", "c-2"]
    names = Event.objects.filter(page_id=ids["pageID"]).values_list("event_name", flat=True)
    assert [name async for name in names] == [
        "VisitStarted",
        "PageEntered",
        "AddToCart",
        "PageExited",
    ]


async def test_a_batch_with_a_bad_message_stores_nothing_and_names_it():
    ids = await start()

    response = await post([event(ids, "c-1"), event(ids, "c-2", "no spaces allowed")])

    assert response.status_code == 400
    assert response.json()["index"] == 1
    assert "eventName" in response.json()["error"]
    assert not await Event.objects.filter(event_name="AddToCart").aexists()


async def test_a_page_started_over_http_can_be_resumed_over_http():
    ids = await start()

    again = (await post({**PAGE, "pageID": ids["pageID"], "token": ids["token"]})).json()

    assert again["replies"][0]["resumed"] is True
    assert again["replies"][0]["pageID"] == ids["pageID"]


async def test_receipts_sent_by_themselves_carry_the_page_token_and_are_recorded():
    ids = await start()
    [sent] = await database_sync_to_async(notify)(
        visit_id=ids["visitID"], messages=[NotifyMessage(channel="offers", data={})]
    )

    tokenless = await post({"type": "received", "ids": [sent.pk]})
    receipt = await post({"type": "received", "token": ids["token"], "ids": [sent.pk]})

    assert tokenless.status_code == 403
    assert receipt.json() == {"replies": [{"type": "received"}]}
    stored = await Notification.objects.aget(pk=sent.pk)
    assert (stored.status, stored.delivered_count) == ("delivered", 1)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("{not json", 400, "malformed JSON"),
        ("[]", 400, "no messages"),
        ('"a string"', 400, "JSON object"),
        (json.dumps([{"type": "ping"}] * 51), 413, "more than 50"),
        (json.dumps({"type": "event", "token": "x:y", "id": "c", "eventName": "A"}), 403, "token"),
    ],
)
async def test_malformed_bodies_get_a_clear_error(body, status, message):
    response = await post(body)

    assert response.status_code == status
    assert message in response.json()["error"]
    assert not await Visit.objects.aexists()


async def test_an_oversized_body_is_refused(settings):
    response = await post({**PAGE, "title": "x" * settings.GWE_TRACKER_MAX_BYTES})

    assert response.status_code == 413
    assert not await Visit.objects.aexists()


async def test_a_site_not_in_the_allowed_origins_cannot_send(settings):
    settings.GWE_ALLOWED_ORIGINS = ["https://shop.example"]

    refused = await post(PAGE, origin="https://evil.example")
    allowed = await post(PAGE, origin="https://shop.example")
    server_to_server = await post(PAGE, origin=None)

    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    assert server_to_server.status_code == 200
    assert await Visit.objects.acount() == 2


async def test_allowed_origins_pass_the_cors_preflight(settings):
    settings.GWE_ALLOWED_ORIGINS = ["https://shop.example"]

    response = await post(
        b"",
        method="OPTIONS",
        headers=[(b"access-control-request-method", b"POST")],
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_only_post_is_accepted():
    response = await post(b"", method="GET")

    assert response.status_code == 405
    assert response.json() == {"error": "use POST"}


def test_the_tracker_script_is_served_for_any_site(client):
    response = client.get("/server/resources/js/build/GPE.min.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"_gt" in response.content
