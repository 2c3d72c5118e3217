"""The bus over the Channels layer (GWE_BUS=channels): RedisPubSubChannelLayer against a real
Redis that the tests stop and start again, and the in-process layer."""

import asyncio
import os
import subprocess
import sys

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from notifications import bus, layer_bus
from notifications.frames import published
from notifications.models import Notification
from notifications.push import push
from notifications.services import NotifyMessage, notifications_store, notify
from tests.notifications.test_delivery import Tab
from tests.notifications.test_multiprocess import Page
from tests.notifications.test_multiprocess import notify as notify_over_http
from tests.support.factories import start_page
from tests.support.servers import ROOT, fresh_database, gwe_server


@pytest.fixture
def layer_bus_on_redis(settings, redis_server):
    """This process's bus over RedisPubSubChannelLayer on a Redis of the test's own."""
    settings.REDIS_URL = redis_server.url
    settings.GWE_BUS = "channels"
    bus.reset_bus()
    yield redis_server
    bus.reset_bus()


@pytest.fixture
def layer_bus_in_process(settings):
    settings.REDIS_URL = ""
    settings.GWE_BUS = "channels"
    bus.reset_bus()
    yield
    bus.reset_bus()


async def until(condition, timeout=10.0):
    for _ in range(int(timeout / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


def connected() -> bool:
    current = bus.get_bus()
    return isinstance(current, layer_bus.RedisLayerBus) and current.connected


def joined(topic: str) -> bool:
    return topic in bus.get_bus().joined  # type: ignore[attr-defined]


async def live(tab):
    """Once the bus is connected and carries the page's topic, and the catch-ups that joining
    started are over (a first notification arrives after them)."""
    assert await until(lambda: connected() and joined(f"visit:{tab.ids['visitID']}"))
    first = await send(tab, "first")
    assert [m["id"] for m in await tab.receive_all()] == [first.pk]


async def send(tab, channel):
    [notification] = await database_sync_to_async(notify)(
        visit_id=tab.ids["visitID"], messages=[NotifyMessage(channel=channel)]
    )
    return notification


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_notification_reaches_the_page_through_the_channel_layer(layer_bus_on_redis):
    tab = await Tab().open()
    await tab.subscribe()
    topic = f"visit:{tab.ids['visitID']}"
    assert isinstance(bus.get_bus(), layer_bus.RedisLayerBus)
    assert await until(lambda: connected() and joined(topic))

    # From a worker thread (notify's on_commit), then from the loop (the notify endpoint).
    from_thread = await send(tab, "from-a-thread")
    [from_loop] = await database_sync_to_async(store)(tab.ids["visitID"], "from-the-loop")
    assert await push([published(from_loop)])

    assert [(m["id"], m["channel"]) for m in await tab.receive_all()] == [
        (from_thread.pk, "from-a-thread"),
        (from_loop.pk, "from-the-loop"),
    ]
    await tab.close()
    assert await until(lambda: not joined(topic))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_what_is_sent_while_redis_is_down_arrives_once_it_is_back(layer_bus_on_redis):
    tab = await Tab().open()
    await tab.subscribe()
    await live(tab)

    layer_bus_on_redis.stop()
    kept = await send(tab, "kept")
    assert await Notification.objects.filter(pk=kept.pk).aexists()
    assert await tab.receive_all() == []

    layer_bus_on_redis.start()
    received = await tab.receive(timeout=15)

    assert (received["id"], received["channel"]) == (kept.pk, "kept")
    assert await tab.receive_all() == []
    after = await send(tab, "after")
    assert (await tab.receive(timeout=5))["id"] == after.pk
    assert await tab.receive_all() == []
    await tab.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_restart_too_short_to_fail_a_push_still_sends_pages_to_the_database(
    layer_bus_on_redis,
):
    """Redis restarts and redis-py subscribes again by itself; what another process
    published meanwhile is lost on the way, and only the reconnection says so."""
    tab = await Tab().open()
    await tab.subscribe()
    await live(tab)

    layer_bus_on_redis.stop()
    # Stored by "another process" whose push was lost: no push from this one at all.
    [missed] = await database_sync_to_async(store)(tab.ids["visitID"], "missed")
    layer_bus_on_redis.start()
    received = await tab.receive(timeout=15)

    assert (received["id"], received["channel"]) == (missed.pk, "missed")
    assert await tab.receive_all() == []
    await tab.close()


def store(visit_id, channel):
    """Stored, not pushed: the caller pushes, or (another process's push lost) nobody."""
    return notifications_store(visit_id=visit_id, messages=[NotifyMessage(channel=channel)])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_notify_accepts_what_it_stored_when_redis_is_down(layer_bus_on_redis, api):
    visit = start_page().visit
    layer_bus_on_redis.stop()

    response = api.post(f"/server/data/notification/notify/{visit.pk}", [{"channel": "x"}])

    assert response.status_code == 202
    assert list(Notification.objects.values_list("pk", flat=True)) == response.json()["ids"]


@pytest.mark.django_db
def test_health_names_the_channel_layer_and_checks_its_redis(layer_bus_on_redis, client):
    up = client.get("/server/health")
    layer_bus_on_redis.stop()
    down = client.get("/server/health")

    assert (up.status_code, up.json()) == (
        200,
        {"status": "ok", "database": "ok", "bus": "ok", "busKind": "channels-redis"},
    )
    assert (down.status_code, down.json()["bus"], down.json()["busKind"]) == (
        503,
        "unavailable",
        "channels-redis",
    )


# In one process -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_in_one_process_the_layer_bus_delivers_and_forgets_left_topics(
    layer_bus_in_process,
):
    first = await Tab().open()
    second = await Tab().open(visit_id=first.ids["visitID"])
    await first.subscribe()
    await second.subscribe()
    current = bus.get_bus()
    group = layer_bus.group_name(f"visit:{first.ids['visitID']}")

    await send(first, "both")

    assert [m["channel"] for m in await first.receive_all()] == ["both"]
    assert [m["channel"] for m in await second.receive_all()] == ["both"]
    assert current.name == "channels-in-process"
    await first.close()
    assert group in current.layer.groups  # type: ignore[attr-defined]
    await second.close()
    assert await until(lambda: group not in current.layer.groups)  # type: ignore[attr-defined]


async def test_the_in_process_layer_keeps_everything_it_is_given():
    """InMemoryChannelLayer would keep 100 per channel and drop the rest silently."""
    layer = layer_bus.InProcessChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("gwe.visit.a", channel)
    for n in range(1_000):
        await layer.group_send("gwe.visit.a", {"type": "gwe.bus", "n": n})
    await layer.group_discard("gwe.visit.a", channel)
    await layer.group_send("gwe.visit.a", {"type": "gwe.bus", "n": "after leaving"})

    received = [(await layer.receive(channel))["n"] for _ in range(1_000)]

    assert received == list(range(1_000))
    assert layer.groups == {}
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(channel), timeout=0.1)


def test_topics_become_valid_group_names():
    assert (
        layer_bus.group_name("visit:Ab-_9xYz0123456789abcd") == "gwe.visit.Ab-_9xYz0123456789abcd"
    )
    assert layer_bus.group_name("agent:42") == "gwe.agent.42"


def test_an_unknown_bus_stops_the_server():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GWE_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "GWE_ENV_FILE": "", "GWE_DEBUG": "1", "GWE_BUS": "kafka"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "GWE_BUS='kafka' is not a bus: use redis or channels" in result.stderr


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_pages_connect_without_any_channel_layer_configured():
    """Consumers name no channel layer (notifications/consumers.py): none is configured, and
    a socket is accepted without one."""
    tab = await Tab().open()

    assert get_channel_layer() is None
    assert (await tab.subscribe())["type"] == "subscribed"
    await tab.close()


# Across processes -----------------------------------------------------------------------


@pytest.fixture
def two_layer_processes(tmp_path, redis_server):
    """Two server processes on the layer bus, one under daphne, one under uvicorn."""
    database = fresh_database(tmp_path)
    env = {"REDIS_URL": redis_server.url, "GWE_BUS": "channels"}
    first = gwe_server(tmp_path, database, **env)
    second = gwe_server(tmp_path, database, **env)
    second.kind = "uvicorn"
    second.log_path = tmp_path / "second.log"
    first.start()
    second.start()
    yield first, second
    first.stop()
    second.stop()
    if database.drop:
        database.drop()


@pytest.mark.server
async def test_a_notify_on_one_process_reaches_a_page_on_another(two_layer_processes):
    first, second = two_layer_processes
    page = await Page(second).connect()

    for channel in ("across", "again"):
        await asyncio.to_thread(notify_over_http, first, page.ids["visitID"], channel)
    await page.wait_for(2)

    assert page.received == ["across", "again"]
    assert await page.nothing_more()
    await page.socket.close()
