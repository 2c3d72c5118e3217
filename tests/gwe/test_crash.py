"""A server killed mid-load loses nothing it acknowledged: every event acked to a tracker and
every notification answered 202 is in the database after a SIGKILL, whatever was still
between receipt and commit (the group commit answers only after the commit)."""

import asyncio
import json
import signal
import subprocess
import sys

import httpx
import pytest
import websockets

from tests.support.servers import ROOT, SOCKET_ORIGIN, UNLIMITED, fresh_database, gwe_server

pytestmark = [pytest.mark.server]

PAGES = 20
ACKED, ACCEPTED = 200, 40  # writes in flight before the kill
PAGE = {"type": "page", "url": "https://shop.example/", "title": "Shop"}


async def tracker(server, acked: set[str], started: list, ready: asyncio.Event) -> None:
    """A page sending events as fast as each is acknowledged, until the server dies."""
    try:
        async with websockets.connect(
            f"{server.ws_url}/server/ws/tracker", origin=SOCKET_ORIGIN
        ) as socket:
            await socket.send(json.dumps(PAGE))
            ids = json.loads(await socket.recv())
            started.append(ids["visitID"])
            if len(started) == PAGES:
                ready.set()
            for n in range(100_000):
                client_id = f"{ids['pageID']}-{n}"
                event = {"type": "event", "token": ids["token"], "id": client_id}
                await socket.send(json.dumps({**event, "eventName": "AddToCart"}))
                reply = json.loads(await socket.recv())
                assert reply["type"] == "ack", reply
                acked.add(reply["eventID"])
    except (websockets.ConnectionClosed, OSError):
        return


async def notifier(server, auth, visits: list, accepted: set[str]) -> None:
    async with httpx.AsyncClient(base_url=server.url, auth=auth, timeout=5) as client:
        for n in range(100_000):
            visit = visits[n % len(visits)]
            try:
                reply = await client.post(
                    f"/server/data/notification/notify/{visit}",
                    json=[{"channel": "crash", "data": {"n": n}}],
                )
            except httpx.TransportError:
                return
            assert reply.status_code == 202, reply.text
            accepted.update(reply.json()["ids"])


async def under_load(acked: set[str], accepted: set[str], seconds: float = 30) -> None:
    """Until both kinds of write are flowing, however slow the machine is today."""
    for _ in range(int(seconds * 20)):
        if len(acked) > ACKED and len(accepted) > ACCEPTED:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no load after {seconds}s: {len(acked)} acked, {len(accepted)} accepted")


async def load_then_kill(server, auth) -> tuple[set[str], set[str]]:
    acked: set[str] = set()
    accepted: set[str] = set()
    visits: list[str] = []
    ready = asyncio.Event()
    pages = [asyncio.ensure_future(tracker(server, acked, visits, ready)) for _ in range(PAGES)]
    await asyncio.wait_for(ready.wait(), timeout=30)
    notifiers = [asyncio.ensure_future(notifier(server, auth, visits, accepted)) for _ in range(4)]
    await under_load(acked, accepted)
    server.process.send_signal(signal.SIGKILL)  # no shutdown: what was not committed is gone
    await asyncio.wait_for(asyncio.gather(*pages, *notifiers), timeout=30)
    return acked, accepted


def stored(server, model: str, ids: set[str]) -> set[str]:
    """Which of the ids the database holds, asked by a process of its own."""
    script = (
        "import json, sys; from django.apps import apps; "
        f"ids = json.loads(sys.stdin.read()); Model = apps.get_model({model!r}); "
        "print(json.dumps(list(Model.objects.filter(pk__in=ids).values_list('pk', flat=True))))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=server.env,
        input=json.dumps(sorted(ids)),
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.fixture
def server(tmp_path):
    """A server whose sockets may send as fast as it answers (one client is the whole load)."""
    with (
        fresh_database(tmp_path) as database,
        gwe_server(tmp_path, database, **UNLIMITED).start() as started,
    ):
        yield started


def test_nothing_acknowledged_is_lost_when_the_server_is_killed(server):
    auth = server.create_api_user()

    acked, accepted = asyncio.run(load_then_kill(server, auth))

    assert len(acked) > ACKED  # it was under load when it died
    assert len(accepted) > ACCEPTED
    assert stored(server, "gwe.Event", acked) == acked
    assert stored(server, "notifications.Notification", accepted) == accepted
