"""Fuzzing the chat's sockets (SPEC §9): whatever the visitor's page or an agent's console
sends, the socket answers or refuses with a 4xx error frame, and stays open: nothing raises,
nothing closes it with 1011. Hypothesis makes the frames: any JSON text, and frames of the
sockets' own types with any values in their fields (or the real chat's id)."""

import itertools
import json

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from media_adapters.gwe_chat.consumers import AgentConsumer, VisitorChatConsumer
from tests.gwe.test_protocol_fuzz import values
from tests.media_adapters.test_gwe_chat import agent_socket, new_chat, visitor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def kinds(consumer: type) -> list[str]:
    """The frame types a socket takes (its on_... handlers)."""
    return [name[3:].replace("_", "-") for name in dir(consumer) if name.startswith("on_")]


FIELDS = ["text", "chat", "after", "seq", "to", "note", "ids", "available", "shortcut"]
REAL_CHAT = "the chat"  # a field drawn as this becomes the chat's own id


class Raw(str):
    """Text sent as it is, not as JSON."""


def frames(consumer: type):
    shaped = st.builds(
        lambda kind, fields: {"type": kind, **fields},
        st.sampled_from([*kinds(consumer), "nonsense", None, 7]),
        st.dictionaries(st.sampled_from(FIELDS), values | st.just(REAL_CHAT), max_size=4),
    )
    # A frame carries something: an empty one cannot be sent (nor is by a browser).
    raw = st.text(min_size=1, max_size=60).map(Raw)
    return st.lists(shaped | values | raw, min_size=1, max_size=5)


def with_chat(frame, chat_id: str):
    if isinstance(frame, dict):
        return {k: chat_id if v == REAL_CHAT else v for k, v in frame.items()}
    return frame


async def answers_and_stays_open(socket, sent: list, chat_id: str) -> None:
    """Each frame sent, then a ping: every error frame on the way is a 4xx, and the pong
    comes (the socket is open, its consumer alive)."""
    for frame in sent:
        frame = with_chat(frame, chat_id)
        await socket.send(frame if isinstance(frame, Raw) else json.dumps(frame))
    await socket.send({"type": "ping"})
    while True:
        output = await socket.communicator.receive_output(timeout=5)
        assert output["type"] == "websocket.send", (sent, output)
        frame = json.loads(output["text"])
        if frame["type"] == "error":
            assert 400 <= frame["status"] < 500, (sent, frame)
        if frame["type"] == "pong":
            break
    await socket.close()


# Each example its own agent: the database keeps the examples before it (one test, one flush),
# and an agent's chats fill their slots.
AGENTS = (f"agent{n}" for n in itertools.count())

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(sent=frames(VisitorChatConsumer))
def test_the_visitors_socket_answers_anything_and_stays_open(sent):
    async def scenario():
        _, chat = await new_chat(username=next(AGENTS))
        page = visitor(chat.pk)
        await page.open()
        await page.receive_all()
        await answers_and_stays_open(page, sent, chat.pk)

    async_to_sync(scenario)()


@FUZZ
@given(sent=frames(AgentConsumer))
def test_an_agents_socket_answers_anything_and_stays_open(sent):
    async def scenario():
        agent, chat = await new_chat(username=next(AGENTS))
        console = await agent_socket(agent)
        await console.receive_all()
        await answers_and_stays_open(console, sent, chat.pk)

    async_to_sync(scenario)()
