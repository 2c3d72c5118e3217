"""Two daphne processes sharing the database and a real Redis, as in production."""

import asyncio
import json

import httpx
import pytest
import websockets

from tests.support.servers import SOCKET_ORIGIN

pytestmark = [pytest.mark.server]

PAGE = {"type": "page", "url": "https://shop.example/", "title": "Shop"}


class Page:
    """A page's tracker connection, speaking the protocol directly."""

    def __init__(self, server):
        self.server = server
        self.ids = None
        self.last_seq = None
        self.received = []

    async def connect(self):
        self.socket = await websockets.connect(
            f"{self.server.ws_url}/server/ws/tracker", origin=SOCKET_ORIGIN
        )
        resume = {"pageID": self.ids["pageID"], "token": self.ids["token"]} if self.ids else {}
        await self.socket.send(json.dumps({**PAGE, **resume}))
        self.ids = json.loads(await self.socket.recv())
        await self.socket.send(
            json.dumps({"type": "subscribe", "token": self.ids["token"], "lastSeq": self.last_seq})
        )
        while (message := json.loads(await self.socket.recv()))["type"] != "subscribed":
            self.take(message)
        return self

    def take(self, message):
        assert message["type"] == "notification", message
        self.received.append(message["channel"])
        self.last_seq = message["seq"]

    async def wait_for(self, count, timeout=5):
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.take(json.loads(await self.socket.recv()))

    async def nothing_more(self):
        try:
            async with asyncio.timeout(0.5):
                self.take(json.loads(await self.socket.recv()))
        except TimeoutError:
            return True
        return False


def notify(server, visit_id, channel):
    user, password = server.create_api_user()
    response = httpx.post(
        f"{server.url}/server/data/notification/notify/{visit_id}",
        json=[{"channel": channel, "data": {}}],
        auth=(user, password),
    )
    assert response.status_code == 202, response.text
    return response.json()["ids"][0]


async def test_a_notify_on_one_process_reaches_a_page_on_another(two_processes):
    first, second = two_processes
    page = await Page(second).connect()

    await asyncio.to_thread(notify, first, page.ids["visitID"], "across")
    await page.wait_for(1)

    assert page.received == ["across"]
    await page.socket.close()


async def test_a_page_whose_process_died_gets_what_it_missed_exactly_once(two_processes):
    first, second = two_processes
    page = await Page(second).connect()
    await asyncio.to_thread(notify, first, page.ids["visitID"], "before")
    await page.wait_for(1)

    second.stop()
    await asyncio.to_thread(notify, first, page.ids["visitID"], "while-down")
    second.start()
    await page.connect()
    await page.wait_for(2)

    assert page.ids["resumed"] is True
    assert page.received == ["before", "while-down"]
    assert await page.nothing_more()
    await page.socket.close()
