"""The visitor's chat over HTTP, for a chat page that cannot keep a WebSocket: a long poll for
what the agent says, a POST for what the visitor says, with the socket's frames, numbers and
token; the agent keeps their socket."""

import asyncio
import json

import pytest
from channels.testing import ApplicationCommunicator, HttpCommunicator

from gwe.asgi import application
from media_adapters.gwe_chat import live
from media_adapters.gwe_chat.tokens import visitor_token
from notifications.bus import get_bus
from tests.gwe.test_tracker_http import Reply
from tests.gwe.test_tracker_poll import until
from tests.media_adapters.test_gwe_chat import GWE_ORIGIN, agent_socket, new_chat, stored

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def short_polls(settings):
    settings.GWE_LONG_POLL_SECONDS = 2


class HttpVisitor:
    """The chat page over HTTP: keeps the last number it has, and every frame it was given."""

    def __init__(self, chat_id: str, *, token: str | None = None) -> None:
        self.chat_id = chat_id
        self.token = visitor_token(chat_id) if token is None else token
        self.after = 0
        self.frames: list[dict] = []

    async def request(self, path: str, body: dict) -> Reply:
        raw = json.dumps({"token": self.token, "after": self.after, **body}).encode()
        headers = [*GWE_ORIGIN, (b"content-type", b"application/json")]
        communicator = HttpCommunicator(application, "POST", path, body=raw, headers=headers)
        reply = Reply(await communicator.get_response(timeout=5))
        if reply.status_code == 200:
            answer = reply.json()
            self.after = max(self.after, answer["after"])
            self.frames += answer["messages"]
        return reply

    async def poll(self) -> Reply:
        return await self.request(f"/server/data/chat/{self.chat_id}/poll", {})

    async def send(self, frame: dict) -> Reply:
        return await self.request(f"/server/data/chat/{self.chat_id}", frame)

    async def poll_until(self, seq: int) -> None:
        while not any(f.get("seq") == seq for f in self.frames):
            assert (await self.poll()).status_code == 200

    def messages(self) -> list[tuple]:
        return [(f["seq"], f["sender"], f["text"]) for f in self.frames if f["type"] == "message"]


async def followed_both_ways():
    """A new chat that the agent's console follows, and its visitor's page over HTTP."""
    ann, chat = await new_chat()
    console = await agent_socket(ann)
    await console.until("chats")
    await console.send({"type": "follow", "chat": chat.pk, "after": 1})
    return chat, console, HttpVisitor(chat.pk)


async def test_a_visitor_over_http_and_an_agent_on_a_socket_chat_in_order_once_each():
    chat, console, page = await followed_both_ways()

    started = await page.poll()  # what came first, at once
    said = await page.send({"type": "message", "text": "Do you ship to Lyon?"})
    heard = await console.until("message")
    waiting = asyncio.ensure_future(page.poll_until(4))
    await asyncio.sleep(0.2)
    await console.send({"type": "message", "chat": chat.pk, "text": "We do!"})
    await asyncio.wait_for(waiting, 5)

    assert started.json()["after"] == 1
    assert [m["seq"] for m in said.json()["messages"]] == [2]  # their own words, at once
    assert (heard["seq"], heard["sender"], heard["text"]) == (2, "visitor", "Do you ship to Lyon?")
    assert page.messages() == [
        (1, "system", "Chat started from Pricing."),
        (2, "visitor", "Do you ship to Lyon?"),
        (3, "system", "Ann joined the chat."),
        (4, "agent", "We do!"),
    ]
    assert page.after == 4
    assert (await page.poll()).json() == {"after": 4, "messages": []}  # nothing twice
    assert await stored(chat) == page.messages()
    await console.close()


async def test_typing_goes_both_ways_and_an_end_is_seen_at_once():
    chat, console, page = await followed_both_ways()
    await page.poll()

    typed = await page.send({"type": "typing"})
    told = await console.until("typing")
    waiting = asyncio.ensure_future(page.poll())
    await asyncio.sleep(0.2)
    await console.send({"type": "typing", "chat": chat.pk})
    answer = (await asyncio.wait_for(waiting, 5)).json()
    ended = (await page.send({"type": "end"})).json()

    assert typed.status_code == 200
    assert told == {"type": "typing", "chat": chat.pk, "sender": "visitor"}
    assert {"type": "typing", "chat": chat.pk, "sender": "agent"} in answer["messages"]
    assert [(m["text"], m["state"]) for m in ended["messages"]] == [
        ("The visitor ended the chat.", "ended")
    ]
    await console.close()


async def test_the_adviser_typing_between_two_polls_reaches_the_next_one_until_they_answer():
    chat, console, page = await followed_both_ways()
    await page.poll()  # answered: no poll waits now

    await console.send({"type": "typing", "chat": chat.pk})
    await asyncio.sleep(0.2)
    typing = (await page.poll()).json()["messages"]
    await console.send({"type": "typing", "chat": chat.pk})
    await console.send({"type": "message", "chat": chat.pk, "text": "Here."})
    await console.until("message")
    answered = (await page.poll()).json()["messages"]

    assert typing == [{"type": "typing", "chat": chat.pk, "sender": "agent"}]
    assert [(m["type"], m.get("text")) for m in answered][-1] == ("message", "Here.")
    assert all(m["type"] == "message" for m in answered)  # their message ended the typing
    await console.close()


async def test_the_token_is_the_credential_and_refusals_say_why():
    _, chat = await new_chat()
    page = HttpVisitor(chat.pk)
    other = HttpVisitor(chat.pk, token=visitor_token("Z" * 22))
    unknown = HttpVisitor("Z" * 22)

    refusals = [
        await other.poll(),
        await other.send({"type": "message", "text": "hi"}),
        await unknown.poll(),
        await page.send({"type": "ping"}),
        await page.send({"type": "message", "text": 42}),
        await page.send({"type": "message", "text": "x" * 2001}),
        await page.request(f"/server/data/chat/{chat.pk}/poll", {"after": "1"}),
        await page.request(f"/server/data/chat/{chat.pk}/poll", {"after": 2**64}),
    ]

    assert [r.status_code for r in refusals] == [403, 403, 404, 400, 400, 409, 400, 400]
    assert refusals[7].json() == {
        "error": "after must be a whole number from 0 to 9007199254740991"
    }
    assert refusals[0].json() == {"error": "this is not the chat's token"}
    assert refusals[5].json() == {"error": "The message is longer than 2000 characters."}
    assert len(await stored(chat)) == 1


async def test_a_chat_page_that_goes_away_mid_poll_stops_following_the_chat(settings):
    settings.GWE_LONG_POLL_SECONDS = 30
    _, chat = await new_chat()
    path = f"/server/data/chat/{chat.pk}/poll"
    scope = {"type": "http", "method": "POST", "path": path, "headers": GWE_ORIGIN}
    client = ApplicationCommunicator(application, {**scope, "query_string": b""})
    body = json.dumps({"token": visitor_token(chat.pk), "after": 1}).encode()
    await client.send_input({"type": "http.request", "body": body})
    await until(lambda: live.chat_topic(chat.pk) in get_bus().followers)

    await client.send_input({"type": "http.disconnect"})
    await client.wait(timeout=2)

    assert live.chat_topic(chat.pk) not in get_bus().followers
