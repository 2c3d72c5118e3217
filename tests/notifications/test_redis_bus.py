"""The Redis bus, against a real Redis that the tests stop and start again."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from notifications import bus
from notifications.models import Notification
from notifications.services import NotifyMessage, notify
from tests.notifications.test_delivery import Tab
from tests.support.factories import start_page


def bus_connected() -> bool:
    current = bus.get_bus()
    return isinstance(current, bus.RedisBus) and current.connected


async def until(condition, timeout=10.0):
    for _ in range(int(timeout / 0.05)):
        if await condition():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_notification_reaches_the_page_through_redis(redis_bus):
    tab = await Tab().open()
    await tab.subscribe()
    assert isinstance(bus.get_bus(), bus.RedisBus)
    assert await until(lambda: asyncio.sleep(0, bus_connected()))

    await database_sync_to_async(notify)(
        visit_id=tab.ids["visitID"], messages=[NotifyMessage(channel="via-redis")]
    )

    assert (await tab.receive(timeout=2))["channel"] == "via-redis"
    await tab.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_what_is_sent_while_redis_is_down_arrives_once_it_is_back(redis_bus):
    tab = await Tab().open()
    await tab.subscribe()
    assert await until(lambda: asyncio.sleep(0, bus_connected()))

    redis_bus.stop()
    [kept] = await database_sync_to_async(notify)(
        visit_id=tab.ids["visitID"], messages=[NotifyMessage(channel="kept")]
    )
    assert await Notification.objects.filter(pk=kept.pk).aexists()
    assert await tab.receive_all() == []

    redis_bus.start()
    received = await tab.receive(timeout=10)

    assert (received["id"], received["channel"]) == (kept.pk, "kept")
    assert await tab.receive_all() == []
    await tab.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_notify_accepts_what_it_stored_when_redis_is_down(redis_bus, api):
    visit = start_page().visit
    redis_bus.stop()

    response = api.post(f"/server/data/notification/notify/{visit.pk}", [{"channel": "x"}])

    assert response.status_code == 202
    assert list(Notification.objects.values_list("pk", flat=True)) == response.json()["ids"]


@pytest.mark.django_db
def test_health_reports_the_database_and_the_bus(redis_bus, client):
    up = client.get("/server/health")
    redis_bus.stop()
    down = client.get("/server/health")

    assert (up.status_code, up.json()) == (
        200,
        {"status": "ok", "database": "ok", "bus": "ok", "busKind": "redis"},
    )
    assert down.status_code == 503
    assert down.json()["bus"] == "unavailable"
    assert down.json()["database"] == "ok"


class Counting:
    """A follower that keeps what it is handed, and in how many hand-overs."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.handovers = 0

    async def published(self, messages) -> None:
        self.handovers += 1
        self.items += [m.seq for m in messages]

    async def maybe_missed(self) -> None:
        pass


async def test_pushes_of_the_same_moment_cross_redis_together_in_order(redis_bus):
    follower = Counting()
    current = bus.get_bus()
    current.follow("visit:together", follower)
    assert await until(lambda: asyncio.sleep(0, bus_connected()))

    items = [bus.Published("visit:together", n, "{}") for n in range(1, 101)]
    await asyncio.gather(*(current.apublish([item]) for item in items))
    assert await until(lambda: asyncio.sleep(0, len(follower.items) == 100))
    current.unfollow("visit:together", follower)

    assert follower.items == list(range(1, 101))  # each once, in the order pushed
    assert follower.handovers < 10  # in a few PUBLISHes, not a hundred
