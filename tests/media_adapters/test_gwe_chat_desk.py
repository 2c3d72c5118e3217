"""The tools of the chat desk: canned replies (shared and an agent's own), passing a chat on
to another agent with a note, read marks the visitor sees, and the messages visitors left,
listed in every console."""

import pytest
from asgiref.sync import sync_to_async

from media_adapters.gwe_chat import canned, left_messages
from media_adapters.gwe_chat.models import CannedResponse, Chat, LeftMessage
from tests.media_adapters.test_gwe_chat import (
    CHAT_ADAPTER,
    agent_socket,
    make_agent,
    new_chat,
    sockets,
    visitor,
)
from tests.support.factories import start_page

pytestmark = sockets


@pytest.fixture(autouse=True)
def real_chat(settings):
    settings.GWE_MEDIA_ADAPTERS = CHAT_ADAPTER


async def test_canned_replies_are_the_shared_ones_and_the_agent_s_own():
    ann = await sync_to_async(make_agent)("ann")
    await CannedResponse.objects.acreate(shortcut="hello", text="Hello! How can I help?")
    await CannedResponse.objects.acreate(shortcut="bye", text="Have a good day.")
    console = await agent_socket(ann)

    first = await console.until("canned")
    await console.send({"type": "canned-save", "shortcut": "hello", "text": "Hi, Ann here."})
    mine = await console.until("canned")
    await console.send({"type": "canned-save", "shortcut": "Not OK!", "text": "x"})
    refused = await console.until("error")
    await console.send({"type": "canned-delete", "shortcut": "hello"})
    back = await console.until("canned")
    await console.close()

    assert first["responses"] == [
        {"shortcut": "bye", "text": "Have a good day.", "own": False},
        {"shortcut": "hello", "text": "Hello! How can I help?", "own": False},
    ]
    assert mine["responses"][1] == {"shortcut": "hello", "text": "Hi, Ann here.", "own": True}
    assert refused["status"] == 400
    assert back["responses"] == first["responses"]


@pytest.mark.django_db
def test_another_agent_s_replies_are_not_shown():
    ann, bob = make_agent("ann"), make_agent("bob")
    canned.canned_save(user=bob, shortcut="deal", text="10 % off today.")

    assert canned.canned_for(user_id=ann.pk) == []
    with pytest.raises(canned.CannedRefused, match="empty"):
        canned.canned_save(user=ann, shortcut="deal", text="  ")
    with pytest.raises(canned.CannedRefused, match="A shortcut is"):
        canned.canned_save(user=ann, shortcut="d" * 40 + "\n", text="41 with its newline")


async def test_an_agent_passes_a_chat_on_with_a_note_and_the_visitor_reads_who_took_over():
    ann, chat = await new_chat(username="ann")
    bob = await sync_to_async(make_agent)("bob")
    away = await sync_to_async(make_agent)("cid", available=False)
    ann_console, bob_console = await agent_socket(ann), await agent_socket(bob)
    await ann_console.until("chats")
    await bob_console.until("chats")
    await ann_console.send({"type": "follow", "chat": chat.pk, "after": 0})
    page = visitor(chat.pk)
    await page.open()
    await page.until("message")

    await ann_console.send({"type": "agents", "chat": chat.pk})
    offered = await ann_console.until("agents")
    await ann_console.send({"type": "transfer", "chat": chat.pk, "to": away.pk, "note": ""})
    refused = await ann_console.until("error")
    await ann_console.send(
        {"type": "transfer", "chat": chat.pk, "to": bob.pk, "note": "Wants size 44."}
    )
    done = await ann_console.until("transferred")
    told = await page.until("message")
    bob_list = await bob_console.until("chats")
    for socket in (ann_console, bob_console, page):
        await socket.close()

    assert offered["agents"] == [{"id": bob.pk, "name": "Bob"}]
    assert refused["message"] == "That agent cannot take a chat now (away, or busy)."
    assert done["chat"] == chat.pk
    assert (told["text"], told["name"]) == ("Ann passed the chat to Bob.", "Bob")
    assert [c["id"] for c in bob_list["chats"]] == [chat.pk]
    moved = await Chat.objects.aget(pk=chat.pk)
    assert (moved.agent_id, moved.transfer_note) == (bob.pk, "Wants size 44.")


async def test_the_visitor_sees_what_the_agent_has_read_even_after_reconnecting():
    ann, chat = await new_chat(username="ann")
    console = await agent_socket(ann)
    await console.until("chats")
    await console.send({"type": "follow", "chat": chat.pk, "after": 0})
    page = visitor(chat.pk)
    await page.open()
    await page.send({"type": "message", "text": "Hello?"})
    said = await page.until("message")
    while said["sender"] != "visitor":
        said = await page.until("message")

    await console.send({"type": "read", "chat": chat.pk, "seq": said["seq"]})
    read = await page.until("read")
    await console.send({"type": "read", "chat": chat.pk, "seq": 1})  # never lowered
    await page.close()
    again = visitor(chat.pk, after=said["seq"])
    await again.open()
    remembered = await again.until("read")
    await again.close()
    await console.close()

    assert read == {"type": "read", "chat": chat.pk, "seq": said["seq"]}
    assert remembered["seq"] == said["seq"]
    assert (await Chat.objects.aget(pk=chat.pk)).agent_read_seq == said["seq"]


async def test_every_console_lists_the_messages_left_and_sees_one_taken_and_answered():
    ann, bob = await sync_to_async(make_agent)("ann"), await sync_to_async(make_agent)("bob")
    started = await sync_to_async(start_page)("https://shop.example/help", title="Help")
    anns, bobs = await agent_socket(ann), await agent_socket(bob)
    assert (await anns.until("messages-left"))["messages"] == []
    await bobs.until("messages-left")

    left = await sync_to_async(leave_a_message)(started, "Grace", "Do you ship to Oslo?")
    [listed] = (await anns.until("messages-left"))["messages"]
    assert len((await bobs.until("messages-left"))["messages"]) == 1
    await anns.send({"type": "take", "ids": [left.pk]})
    [taken] = (await bobs.until("messages-left"))["messages"]
    await bobs.send({"type": "take", "ids": [left.pk]})  # too late: Ann has it
    await anns.send({"type": "answered", "ids": [left.pk]})
    answered = (await bobs.until("messages-left"))["messages"]
    await anns.send({"type": "take", "ids": "all"})
    refused = await anns.until("error")
    await anns.close()
    await bobs.close()

    assert listed["name"] == "Grace"
    assert listed["text"] == "Do you ship to Oslo?"
    assert listed["page"] == {"url": "https://shop.example/help", "title": "Help"}
    assert (listed["takenBy"], listed["mine"]) == ("", False)
    assert (taken["takenBy"], taken["mine"]) == ("Ann", False)
    assert answered == []
    assert refused["status"] == 400
    stored = await LeftMessage.objects.select_related("taken_by").aget(pk=left.pk)
    assert stored.taken_by == ann
    assert stored.answered_at is not None


def leave_a_message(started, name: str, text: str) -> LeftMessage:
    return left_messages.message_leave(
        visit_id=started.page.visit_id,
        page_id=started.page.pk,
        alias="gwe-chat",
        name=name,
        email="grace@example.com",
        text=text,
    )
