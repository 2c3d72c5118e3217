"""What the chat's sockets receive, on the real-time core's topics (notifications/):
`chat:<id>` for a chat's messages and typing, `agent:<user id>` for "your chats changed",
`messages-left` for "the messages visitors left changed" (every console lists them).

As for a visit's notifications, the database is what makes delivery reliable: every message
is stored with the chat's next sequence number and pushed after commit
(notifications/push.py); a socket following the chat reads what it missed
(notifications/follower.py). Typing and "your chats changed" are pushed, never stored:
sequence number 0, and lost without harm."""

import json

from media_adapters.gwe_chat.models import ChatMessage
from media_adapters.gwe_chat.selectors import chat_messages_after
from notifications.bus import Published

CHATS_CHANGED = '{"type":"chats-changed"}'
MESSAGES_LEFT = "messages-left"


def chat_topic(chat_id: str) -> str:
    return f"chat:{chat_id}"


def agent_topic(user_id: int) -> str:
    return f"agent:{user_id}"


def encode(frame: dict) -> str:
    return json.dumps(frame, separators=(",", ":"))


def display_name(user) -> str:
    """What the visitor sees of an agent: their first name, else their user name."""
    return user.first_name or user.get_username()


def message_frame(message: ChatMessage) -> str:
    frame = {
        "type": "message",
        "chat": message.chat_id,
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "sentAt": message.sent_at.isoformat(),
    }
    if message.agent is not None:
        frame["name"] = display_name(message.agent)
    if message.state:
        frame["state"] = message.state
    return encode(frame)


def typing_frame(chat_id: str, sender: str) -> Published:
    frame = encode({"type": "typing", "chat": chat_id, "sender": sender})
    return Published(chat_topic(chat_id), 0, frame)


def read_frame(chat_id: str, seq: int) -> Published:
    """The agent has read the chat up to `seq` (pushed, not stored as a message)."""
    return Published(chat_topic(chat_id), 0, encode({"type": "read", "chat": chat_id, "seq": seq}))


def message_published(message: ChatMessage) -> Published:
    return Published(chat_topic(message.chat_id), message.seq, message_frame(message))


def agent_told(user_id: int) -> Published:
    return Published(agent_topic(user_id), 0, CHATS_CHANGED)


def messages_left_changed() -> Published:
    return Published(MESSAGES_LEFT, 0, '{"type":"messages-changed"}')


def chat_replay(after_seq: int | None, *, chat_id: str) -> tuple[list[Published], int]:
    """The chat's messages after `after_seq`, and its last number (the follower's replay)."""
    missed = [
        message_published(m) for m in chat_messages_after(chat_id=chat_id, after_seq=after_seq or 0)
    ]
    return missed, missed[-1].seq if missed else (after_seq or 0)
