"""A page that cannot keep a WebSocket polls over HTTP for its notifications: the socket's
token, sequence numbers, replay, receipts and de-duplication, and while it polls the page is
live (an invitation may be offered to it)."""

import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import ApplicationCommunicator, HttpCommunicator

from gwe.asgi import application
from gwe.tokens import visit_token
from invitations.config import forget_configuration
from invitations.models import EngagementDecision, Invitation
from invitations.policy import NO_LIVE_CHANNEL
from notifications.bus import get_bus
from notifications.frames import frame
from notifications.models import Notification
from notifications.presence import presence
from notifications.services import NotifyMessage, notify
from notifications.topics import visit_topic
from tests.gwe.test_tracker_http import PAGE, Reply, event, post
from tests.support.factories import rule

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

POLL = "/server/data/tracker/poll"
SHOP = [(b"content-type", b"text/plain;charset=UTF-8"), (b"origin", b"https://shop.example")]


@pytest.fixture(autouse=True)
def short_polls(settings):
    settings.GWE_LONG_POLL_SECONDS = 1
    forget_configuration()
    yield
    forget_configuration()


async def start(visit_id=None, *, polls=True) -> dict:
    """A page as the tracker starts it over HTTP."""
    held = {"visitID": visit_id, "visitToken": visit_token(visit_id)} if visit_id else {}
    page = {**PAGE, **held, **({"poll": True} if polls else {})}
    return (await post(page)).json()["replies"][0]


async def poll(ids: dict, last_seq=None, received=(), *, timeout=5) -> Reply:
    body = {"token": ids["token"], "lastSeq": last_seq, "received": list(received)}
    return await poll_raw(json.dumps(body).encode(), timeout=timeout)


async def poll_raw(body: bytes, *, timeout=5) -> Reply:
    communicator = HttpCommunicator(application, "POST", POLL, body=body, headers=SHOP)
    return Reply(await communicator.get_response(timeout=timeout))


async def send(visit_id, *messages):
    return await database_sync_to_async(notify)(
        visit_id=visit_id, messages=[NotifyMessage(**m) for m in messages]
    )


async def polling(ids: dict, last_seq=None) -> asyncio.Task:
    """A poll under way, once the server holds it (the page is subscribed)."""
    task = asyncio.ensure_future(poll(ids, last_seq))
    await until(lambda: ids["pageID"] in presence.pages())
    return task


async def until(check, timeout: float = 2) -> None:
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not in time")


async def test_a_poll_answers_at_once_with_what_the_page_missed_as_the_socket_frames_it():
    ids = await start()
    sent = await send(ids["visitID"], {"channel": "offers", "data": {"n": 1}}, {"channel": "two"})

    began = time.monotonic()
    answer = await poll(ids, last_seq=0)

    assert time.monotonic() - began < 0.5
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "https://shop.example"
    body = answer.json()
    assert (body["type"], body["lastSeq"]) == ("poll", 2)
    assert body["notifications"] == [json.loads(frame(n)) for n in sent]
    assert answer.body.decode().endswith(frame(sent[1]) + "]}")  # the sender's own bytes


async def test_a_poll_waits_and_answers_as_soon_as_a_notification_arrives():
    ids = await start()
    waiting = await polling(ids, last_seq=0)
    await asyncio.sleep(0.2)
    assert not waiting.done()

    began = time.monotonic()
    [sent] = await send(ids["visitID"], {"channel": "offers", "data": {"text": "hi"}})
    answer = (await waiting).json()

    assert time.monotonic() - began < 0.5
    assert [n["id"] for n in answer["notifications"]] == [sent.pk]
    assert answer["lastSeq"] == 1


async def test_a_poll_with_nothing_to_say_answers_an_empty_list_in_its_time(settings):
    settings.GWE_LONG_POLL_SECONDS = 0.3
    ids = await start()

    began = time.monotonic()
    answer = await poll(ids, last_seq=0)

    assert 0.3 <= time.monotonic() - began < 1
    assert answer.json() == {"type": "poll", "lastSeq": 0, "notifications": []}


async def test_across_polls_nothing_arrives_twice_and_nothing_is_lost():
    ids = await start()
    await send(ids["visitID"], {"channel": "one"})

    first = (await poll(ids)).json()  # a page that has seen nothing: what no page received
    await send(ids["visitID"], {"channel": "two"}, {"channel": "three"})
    second = (await poll(ids, first["lastSeq"])).json()
    third = (await poll(ids, second["lastSeq"])).json()

    assert [(n["channel"], n["seq"]) for n in first["notifications"]] == [("one", 1)]
    assert [(n["channel"], n["seq"]) for n in second["notifications"]] == [
        ("two", 2),
        ("three", 3),
    ]
    assert third == {"type": "poll", "lastSeq": 3, "notifications": []}


async def test_a_notification_for_one_page_reaches_only_that_page():
    first = await start()
    second = await start(first["visitID"])

    await send(first["visitID"], {"channel": "just-you", "page_id": second["pageID"]})
    mine, theirs = (await poll(first, 0)).json(), (await poll(second, 0)).json()

    assert mine == {"type": "poll", "lastSeq": 1, "notifications": []}  # moved on, nothing shown
    assert [n["channel"] for n in theirs["notifications"]] == ["just-you"]


async def delivered_count(notification: Notification) -> int:
    """Once the receipts of the last quarter second are written (notifications/deliveries.py)."""
    for _ in range(50):
        stored = await Notification.objects.aget(pk=notification.pk)
        if stored.delivered_count:
            break
        await asyncio.sleep(0.05)
    return stored.delivered_count


async def test_receipts_sent_with_the_next_poll_are_recorded():
    ids = await start()
    [sent] = await send(ids["visitID"], {"channel": "one"})

    await poll(ids, 1, received=[sent.pk])

    assert await delivered_count(sent) == 1


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b"[1]", 400, "JSON object"),
        (json.dumps({"token": "V:P:forged"}).encode(), 403, "token"),
        (json.dumps({"lastSeq": 0}).encode(), 403, "token"),
    ],
)
async def test_a_poll_that_is_not_one_is_refused_with_a_reason(body, status, message):
    answer = await poll_raw(body)

    assert answer.status_code == status
    assert message in answer.json()["error"]


async def test_a_poll_with_bad_fields_is_refused(settings):
    ids = await start()
    token = ids["token"]

    bad_seq = await poll_raw(json.dumps({"token": token, "lastSeq": "7"}).encode())
    # No database column holds it: it was an OverflowError in the query (500).
    huge_seq = await poll_raw(json.dumps({"token": token, "lastSeq": 2**64}).encode())
    bad_receipts = await poll_raw(json.dumps({"token": token, "received": "x"}).encode())
    oversized = await poll_raw(json.dumps({"token": token, "x": "y" * 20000}).encode())

    said = "lastSeq must be a whole number from 0 to 9007199254740991"
    assert (bad_seq.status_code, bad_seq.json()["error"]) == (400, said)
    assert (huge_seq.status_code, huge_seq.json()["error"]) == (400, said)
    assert bad_receipts.status_code == 400
    assert "received" in bad_receipts.json()["error"]
    assert oversized.status_code == 413


async def test_a_site_not_allowed_cannot_poll(settings):
    settings.GWE_ALLOWED_ORIGINS = ["https://shop.example"]
    ids = await start()
    body = json.dumps({"token": ids["token"]}).encode()
    headers = [(b"content-type", b"text/plain"), (b"origin", b"https://evil.example")]

    answer = await HttpCommunicator(application, "POST", POLL, body, headers).get_response()

    assert answer["status"] == 403


async def test_a_page_that_goes_away_mid_poll_leaves_no_subscription_behind(settings):
    settings.GWE_LONG_POLL_SECONDS = 30
    ids = await start()
    scope = {"type": "http", "method": "POST", "path": POLL, "headers": SHOP, "query_string": b""}
    client = ApplicationCommunicator(application, scope)
    body = json.dumps({"token": ids["token"], "lastSeq": 0}).encode()
    await client.send_input({"type": "http.request", "body": body})
    topic = visit_topic(ids["visitID"])
    # The page is live, then the poll follows its visit: both before it goes away.
    await until(lambda: ids["pageID"] in presence.pages() and topic in get_bus().followers)

    await client.send_input({"type": "http.disconnect"})
    await client.wait(timeout=2)  # the poll ends at once, not in 30 s

    assert ids["pageID"] not in presence.pages()
    assert topic not in get_bus().followers


# ---- presence: a page that polls is live -------------------------------------------------


async def test_a_page_that_says_it_will_poll_is_live_and_can_be_invited():
    await database_sync_to_async(rule)("Cart", event_name="AddToCart")
    ids = await start(polls=True)

    await post(event(ids, "c-1"))

    invitation = await Invitation.objects.aget(page_id=ids["pageID"])
    answer = (await poll(ids, 0)).json()
    assert [n["channel"] for n in answer["notifications"]] == ["gpe.appendContent"]
    assert answer["notifications"][0]["id"] == invitation.notification_id


async def test_a_page_started_over_http_that_does_not_poll_is_not_invited_and_it_is_said_why():
    await database_sync_to_async(rule)("Cart", event_name="AddToCart")
    ids = await start(polls=False)  # an old tracker over HTTP: nothing could reach it

    await post(event(ids, "c-1"))

    assert not await Invitation.objects.aexists()
    decision = await EngagementDecision.objects.aget()
    assert decision.reasons == [{"rule": "Cart", "offered": False, "why": NO_LIVE_CHANNEL}]


async def test_poll_must_be_true_or_false():
    answer = await post({**PAGE, "poll": "yes"})

    assert answer.status_code == 400
    assert answer.json()["error"] == "poll must be true or false"
