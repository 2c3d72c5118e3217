"""When every agent ready is busy, a visitor who accepts waits in line, told their place and
the wait, and the next agent to be free takes the one who waited longest."""

import pytest

from media_adapters.gwe_chat import services
from media_adapters.gwe_chat.adapter import unanswered_chats_pass_on
from media_adapters.gwe_chat.models import Chat, ChatState, Sender
from media_adapters.registry import adapter_capacity
from tests.media_adapters.test_gwe_chat import chat_adapter, make_agent, make_chat, start

pytestmark = pytest.mark.django_db
__all__ = ["chat_adapter"]  # the fixture, used by name


def waiting() -> int:
    capacity = adapter_capacity("gwe-chat")
    assert capacity is not None
    return capacity.waiting


def said(chat_id: str) -> list[str]:
    return list(Chat.objects.get(pk=chat_id).messages.values_list("text", flat=True))


def test_visitors_wait_in_line_and_the_next_free_agent_takes_the_first(
    chat_adapter, django_capture_on_commit_callbacks
):
    ada = make_agent("ada", max_chats=1)
    busy = make_chat(ada)

    first, second = start(chat_adapter), start(chat_adapter)

    assert said(first.reference)[-1].startswith("Every adviser is busy: you are number 1 in the")
    assert "number 2 in the queue" in said(second.reference)[-1]
    assert "about 10 minutes to wait" in said(second.reference)[-1]  # 2 chats of 300 s, one slot
    assert waiting() == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.chat_end(chat_id=busy.pk, by=Sender.AGENT, agent=ada)  # at once, no sweep

    taken = Chat.objects.get(pk=first.reference)
    assert (taken.agent, taken.state) == (ada, ChatState.WAITING)
    assert said(first.reference)[-1] == services.FROM_THE_QUEUE
    assert Chat.objects.get(pk=second.reference).agent is None
    assert waiting() == 1


def test_with_nobody_ready_at_all_nobody_is_put_in_line(chat_adapter):
    make_agent("away", available=False)

    with pytest.raises(Exception, match="No adviser is free"):
        start(chat_adapter)

    assert not Chat.objects.exists()


def test_the_sweep_gives_a_waiting_visitor_an_agent_who_comes_back(chat_adapter):
    ada = make_agent("ada", max_chats=1)
    make_chat(ada)
    waiting = start(chat_adapter)
    make_agent("bob", max_chats=1)  # another agent says they are Available

    unanswered_chats_pass_on()  # the server's sweep, every few seconds

    taken = Chat.objects.select_related("agent").get(pk=waiting.reference)
    assert taken.agent is not None
    assert taken.agent.username == "bob"
