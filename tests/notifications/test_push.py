"""A push that cannot go out now never fails the write that decided it, however deep in
other transactions it was decided: the invitation a tracker event offers, an invitation
withdrawn, a chat that follows the visitor. Stored first, each reaches the page once the bus
is back, exactly once. Against a real Redis that the tests stop and start again."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from invitations import services as invitations
from invitations.models import Invitation, InvitationState
from media_adapters import memory
from notifications.models import Notification
from tests.notifications.test_delivery import Tab
from tests.notifications.test_redis_bus import bus_connected, until
from tests.support.factories import rule

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EMBEDDED = {
    alias: {
        "BACKEND": "media_adapters.memory.InMemoryAdapter",
        "OPTIONS": {"open": "embed", "url": "/server/resources/embedded.html"},
    }
    for alias in ("gwe-chat", "gms")
}


async def connected_tab(**page) -> Tab:
    tab = await Tab().open(**page)
    await tab.subscribe()
    assert await until(lambda: asyncio.sleep(0, bus_connected()))
    return tab


async def send_event(tab: Tab, name: str) -> dict:
    """The event's reply; a notification that comes before it waits in `early`."""
    await tab.socket.send_json_to(
        {"type": "event", "token": tab.ids["token"], "id": f"c-{name}", "eventName": name}
    )
    while (reply := await tab.socket.receive_json_from(timeout=5))["type"] == "notification":
        tab.early.append(reply)
    return reply


async def test_a_tracker_event_whose_rule_invites_is_acknowledged_with_the_bus_down(redis_bus):
    await database_sync_to_async(rule)("Cart", event_name="AddToCart")
    tab = await connected_tab()
    redis_bus.stop()

    reply = await send_event(tab, "AddToCart")

    assert reply["type"] == "ack"
    invitation = await Invitation.objects.aget(visit_id=tab.ids["visitID"])
    assert await tab.receive_all() == []
    redis_bus.start()
    received = await tab.receive(timeout=10)
    assert received["channel"] == "gpe.appendContent"
    assert received["data"]["engagement"] == invitation.pk
    assert await tab.receive_all() == []  # once
    await tab.close()


async def test_an_invitation_withdrawn_with_the_bus_down_is_taken_back_once_it_is_back(redis_bus):
    await database_sync_to_async(rule)("Cart", event_name="AddToCart")
    tab = await connected_tab()
    assert (await send_event(tab, "AddToCart"))["type"] == "ack"
    offered = await tab.receive(timeout=5)
    redis_bus.stop()

    def withdraw_inside_another_transaction():
        with transaction.atomic():
            return invitations.invitations_cancel(visit_id=tab.ids["visitID"], reason="test")

    [cancelled] = await database_sync_to_async(withdraw_inside_another_transaction)()

    assert cancelled.state == InvitationState.CANCELLED
    redis_bus.start()
    received = await tab.receive(timeout=10)
    assert (received["channel"], received["data"]) == (
        "gpe.removeContent",
        {"notificationID": offered["id"]},
    )
    assert await tab.receive_all() == []
    await tab.close()


async def test_a_chat_follows_to_the_next_page_with_the_bus_down(redis_bus, settings):
    settings.GWE_MEDIA_ADAPTERS = EMBEDDED
    await database_sync_to_async(rule)("Cart", event_name="AddToCart")
    first = await connected_tab()
    assert (await send_event(first, "AddToCart"))["type"] == "ack"
    offered = await first.receive(timeout=5)
    invitation = await Invitation.objects.aget(pk=offered["data"]["engagement"])
    token = invitations.invitation_token(invitation.pk)
    accepted = await database_sync_to_async(invitations.invitation_step)(
        invitation_id=invitation.pk, token=token, step="accepted"
    )
    await database_sync_to_async(invitations.invitation_engage)(invitation=accepted)
    assert memory.outbox
    redis_bus.stop()

    second = await Tab().open(visit_id=first.ids["visitID"])  # the next page starts
    await second.subscribe()

    assert second.ids["type"] == "ids"
    followed = await second.receive(timeout=5)
    assert followed["data"] == {
        "url": "/server/resources/embedded.html",
        "engagement": invitation.pk,
    }
    redis_bus.start()
    assert await until(lambda: asyncio.sleep(0, bus_connected()))
    assert await second.receive_all() == []  # once, even when the bus is back
    assert await Notification.objects.filter(page_id=second.ids["pageID"]).acount() == 1
    await first.close()
    await second.close()
