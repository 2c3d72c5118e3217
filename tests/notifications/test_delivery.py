"""Delivery to pages over the tracker's WebSocket, in one process (the in-process bus)."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from gwe.asgi import application
from gwe.tokens import visit_token
from notifications.models import Notification
from notifications.services import NotifyMessage, notifications_expire, notifications_store, notify

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGE = {"type": "page", "url": "https://shop.example/", "title": "Shop"}


class Tab:
    """A browser tab speaking the tracker's protocol."""

    def __init__(self):
        self.socket = WebsocketCommunicator(
            application, "/server/ws/tracker", headers=[(b"origin", b"https://shop.example")]
        )
        self.early = []

    async def open(self, visit_id=None, **page):
        await self.socket.connect()
        held = {"visitID": visit_id, "visitToken": visit_token(visit_id)} if visit_id else {}
        await self.socket.send_json_to({**PAGE, **held, **page})  # the browser's visit cookie
        self.ids = await self.socket.receive_json_from(timeout=5)
        return self

    async def subscribe(self, last_seq=None, token=None):
        """The reply to a subscription; what was missed comes first and waits in `early`."""
        await self.socket.send_json_to(
            {"type": "subscribe", "token": token or self.ids["token"], "lastSeq": last_seq}
        )
        while (reply := await self.socket.receive_json_from(timeout=2))["type"] == "notification":
            self.early.append(reply)
        return reply

    async def receive(self, timeout=2):
        if self.early:
            return self.early.pop(0)
        return await self.socket.receive_json_from(timeout=timeout)

    async def receive_all(self):
        messages, self.early = self.early, []
        while not await self.socket.receive_nothing(timeout=0.3):
            messages.append(await self.socket.receive_json_from())
        return messages

    async def close(self):
        await self.socket.disconnect()


async def send(visit_id, *messages):
    return await database_sync_to_async(notify)(
        visit_id=visit_id, messages=[NotifyMessage(**m) for m in messages]
    )


async def test_a_subscribed_page_receives_a_notification_at_once():
    tab = await Tab().open()
    subscribed = await tab.subscribe()

    [notification] = await send(tab.ids["visitID"], {"channel": "offers", "data": {"text": "hi"}})
    received = await tab.receive(timeout=1)

    assert subscribed == {"type": "subscribed", "pageID": tab.ids["pageID"], "lastSeq": 0}
    assert received["type"] == "notification"
    assert (received["id"], received["seq"], received["channel"]) == (notification.pk, 1, "offers")
    assert received["data"] == {"text": "hi"}
    await tab.close()


async def test_every_tab_of_the_visit_gets_it_and_other_visits_do_not():
    first = await Tab().open()
    second = await Tab().open(visit_id=first.ids["visitID"])
    stranger = await Tab().open()
    for tab in (first, second, stranger):
        await tab.subscribe()

    await send(first.ids["visitID"], {"channel": "all-tabs"})

    assert [m["channel"] for m in await first.receive_all()] == ["all-tabs"]
    assert [m["channel"] for m in await second.receive_all()] == ["all-tabs"]
    assert await stranger.receive_all() == []
    for tab in (first, second, stranger):
        await tab.close()


async def test_a_message_for_one_tab_reaches_only_that_tab():
    first = await Tab().open()
    second = await Tab().open(visit_id=first.ids["visitID"])
    await first.subscribe()
    await second.subscribe()

    await send(first.ids["visitID"], {"channel": "just-you", "page_id": second.ids["pageID"]})
    await send(first.ids["visitID"], {"channel": "everyone"})

    assert [m["channel"] for m in await first.receive_all()] == ["everyone"]
    assert [m["channel"] for m in await second.receive_all()] == ["just-you", "everyone"]
    await first.close()
    await second.close()


async def test_a_forged_token_cannot_subscribe():
    tab = await Tab().open()
    forged = tab.ids["token"][:-3] + "abc"

    refused = await tab.subscribe(token=forged)

    assert (refused["type"], refused["status"]) == ("error", 403)
    await tab.close()


async def test_a_page_that_reconnects_gets_what_it_missed_in_order_exactly_once():
    tab = await Tab().open()
    await tab.subscribe()
    await send(tab.ids["visitID"], {"channel": "one"})
    seen = await tab.receive_all()
    await tab.close()

    await send(tab.ids["visitID"], {"channel": "two"}, {"channel": "three"})
    again = await Tab().open(pageID=tab.ids["pageID"], token=tab.ids["token"])
    subscribed = await again.subscribe(last_seq=seen[-1]["seq"])
    missed = await again.receive_all()

    assert [m["channel"] for m in seen] == ["one"]
    assert again.ids["resumed"] is True
    assert [(m["channel"], m["seq"]) for m in missed] == [("two", 2), ("three", 3)]
    assert subscribed["lastSeq"] == 3
    await again.close()


async def test_a_new_page_gets_what_no_page_has_received_yet():
    first = await Tab().open()
    await send(first.ids["visitID"], {"channel": "while-navigating"})
    await first.close()

    next_page = await Tab().open(visit_id=first.ids["visitID"])
    await next_page.subscribe()

    assert [m["channel"] for m in await next_page.receive_all()] == ["while-navigating"]
    await next_page.close()


async def test_a_lost_bus_message_is_read_from_the_database_by_the_gap_it_leaves():
    tab = await Tab().open()
    await tab.subscribe()
    visit_id = tab.ids["visitID"]
    # Stored but never published: as if the bus lost it.
    await database_sync_to_async(notifications_store)(
        visit_id=visit_id, messages=[NotifyMessage(channel="lost", data={})]
    )

    await send(visit_id, {"channel": "after"})

    assert [m["channel"] for m in await tab.receive_all()] == ["lost", "after"]
    await tab.close()


async def test_receipts_mark_notifications_delivered():
    tab = await Tab().open()
    await tab.subscribe()
    [notification] = await send(tab.ids["visitID"], {"channel": "x"})
    received = await tab.receive()

    await tab.socket.send_json_to({"type": "received", "ids": [received["id"]]})

    for _ in range(50):
        stored = await Notification.objects.aget(pk=notification.pk)
        if stored.delivered_count:
            break
        await asyncio.sleep(0.05)
    assert stored.status == "delivered"
    assert stored.delivered_count == 1
    await tab.close()


async def test_expired_notifications_are_marked_and_never_delivered():
    tab = await Tab().open()
    [notification] = await send(tab.ids["visitID"], {"channel": "stale"})
    await Notification.objects.filter(pk=notification.pk).aupdate(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    await tab.subscribe()
    marked = await database_sync_to_async(notifications_expire)()

    assert await tab.receive_all() == []
    assert marked == 1
    stored = await Notification.objects.aget(pk=notification.pk)
    assert stored.status == "expired"
    assert stored.expired_at == stored.expires_at
    await tab.close()
