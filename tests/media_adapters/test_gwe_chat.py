"""GWE chat, the built-in medium: who is available, where a chat goes, what is stored, and the
visitor's and agent's sockets (in one process here; across two in the last test)."""

import io
import json
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django.utils.module_loading import import_string
from websockets.sync.client import connect

from gwe.asgi import application
from gwe.models import EventType
from gwe.services import identity_link
from gwe.settings import GWE_SWEEPS as SERVING_SWEEPS
from invitations import services as invitations
from invitations.models import InvitationTemplate
from media_adapters.base import AdapterError, Engagement
from media_adapters.gwe_chat import GweChatAdapter, live, services
from media_adapters.gwe_chat.models import AgentStatus, Chat, ChatState, Sender
from media_adapters.gwe_chat.tokens import visitor_token, visitor_token_valid
from notifications import push
from notifications.bus import Published
from notifications.models import Notification
from tests.media_adapters.harness import context
from tests.support.factories import record_event, start_page

CHAT_ADAPTER = {"gwe-chat": {"BACKEND": "media_adapters.gwe_chat.GweChatAdapter"}}
GWE_ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


@pytest.fixture
def chat_adapter(settings):
    """The real chat behind the shipped alias (the test settings have an in-memory one)."""
    settings.GWE_MEDIA_ADAPTERS = CHAT_ADAPTER
    return GweChatAdapter(alias="gwe-chat")


def make_agent(
    username: str,
    *,
    available: bool = True,
    seen_ago: float | None = 0,
    max_chats: int = 3,
    group: str | None = "agents",
) -> User:
    user = User.objects.create_user(username, first_name=username.title(), password="x-pass")
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    AgentStatus.objects.create(
        user=user,
        available=available,
        max_chats=max_chats,
        last_seen=None if seen_ago is None else timezone.now() - timedelta(seconds=seen_ago),
    )
    return user


def make_chat(agent: User, *, state: str = ChatState.ACTIVE, minutes_ago: float = 0) -> Chat:
    return Chat.objects.create(
        visit_id="V" * 22,
        global_visit_id="G" * 22,
        agent=agent,
        state=state,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def start(adapter: GweChatAdapter, **overrides) -> Engagement:
    return adapter.start(context(options={}, **overrides))


def chat_of(engagement: Engagement) -> Chat:
    return Chat.objects.get(pk=engagement.reference)


def agent_of(engagement: Engagement) -> str:
    """Whom the chat was routed to."""
    agent = chat_of(engagement).agent
    assert agent is not None
    return agent.username


# ---- availability and routing --------------------------------------------------------------


@pytest.mark.django_db
def test_someone_is_available_only_when_an_agent_is_there_and_has_room(chat_adapter):
    def available() -> bool:
        return chat_adapter.is_available({})

    assert available() is False  # no agent at all
    ann = make_agent("ann", available=False)
    assert available() is False  # away
    AgentStatus.objects.filter(user=ann).update(available=True)
    assert available() is True
    AgentStatus.objects.filter(user=ann).update(last_seen=timezone.now() - timedelta(seconds=90))
    assert available() is False  # console not seen within 60 s
    AgentStatus.objects.filter(user=ann).update(last_seen=timezone.now(), max_chats=1)
    make_chat(ann, state=ChatState.WAITING)
    assert available() is False  # as many open chats as allowed
    Chat.objects.update(state=ChatState.ENDED)
    assert available() is True  # ended chats do not count
    User.objects.filter(pk=ann.pk).update(is_active=False)
    assert available() is False


@pytest.mark.django_db
def test_only_members_of_the_group_take_chats(settings):
    make_agent("outsider", group=None)
    make_agent("sales-agent", group="sales")
    agents = GweChatAdapter(alias="gwe-chat")
    sales = GweChatAdapter(alias="sales-chat", group="sales")

    assert agents.is_available({}) is False
    assert sales.is_available({}) is True
    assert agent_of(start(sales)) == "sales-agent"


@pytest.mark.django_db
def test_a_chat_goes_to_the_least_busy_agent_and_of_those_the_longest_idle(chat_adapter):
    busy, idle, fresh = make_agent("busy"), make_agent("idle"), make_agent("fresh")
    make_chat(busy, minutes_ago=30)
    make_chat(idle, state=ChatState.ENDED, minutes_ago=20)
    make_chat(fresh, state=ChatState.ENDED, minutes_ago=1)

    routed = [agent_of(start(chat_adapter)) for _ in range(4)]

    # idle and fresh have none open: idle has waited longer; then fresh has none; then all
    # have one, and busy's last chat is the oldest.
    assert routed == ["idle", "fresh", "busy", "idle"]


@pytest.mark.django_db
def test_an_agent_who_never_had_a_chat_is_the_longest_idle(chat_adapter):
    veteran = make_agent("veteran")
    make_chat(veteran, state=ChatState.ENDED, minutes_ago=600)
    make_agent("newcomer")

    assert agent_of(start(chat_adapter)) == "newcomer"


@pytest.mark.django_db
def test_nobody_free_is_a_transient_error_with_words_for_the_visitor(chat_adapter):
    make_agent("away", available=False)

    with pytest.raises(AdapterError) as raised:
        start(chat_adapter)

    assert raised.value.permanent is False
    assert raised.value.message.startswith("No adviser is free right now")
    assert not Chat.objects.exists()


def test_its_settings_are_checked_at_start_up():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="group"):
        GweChatAdapter(alias="bad", group="")
    with pytest.raises(ImproperlyConfigured, match="seen_within_seconds"):
        GweChatAdapter(alias="bad", seen_within_seconds=5)
    with pytest.raises(ImproperlyConfigured, match="answer_within_seconds"):
        GweChatAdapter(alias="bad", answer_within_seconds=2)
    with pytest.raises(ImproperlyConfigured, match=r"wait_at_most_seconds .* at least 90"):
        GweChatAdapter(alias="bad", answer_within_seconds=90, wait_at_most_seconds=60)


# ---- chats left waiting --------------------------------------------------------------------


def waited(chat: Chat, seconds: float, *, in_all: float | None = None) -> None:
    """The chat has waited this long for its agent (and `in_all` since it started)."""
    now = timezone.now()
    Chat.objects.filter(pk=chat.pk).update(
        routed_at=now - timedelta(seconds=seconds),
        created_at=now - timedelta(seconds=in_all if in_all is not None else seconds),
    )


@pytest.fixture
def told(monkeypatch):
    """Who hears of what is done: the bus keys pushed to (once it has committed)."""
    keys: list[str] = []
    monkeypatch.setattr(push, "_push", lambda items: keys.extend(p.topic for p in items))
    return keys


def pass_on(adapter: GweChatAdapter) -> int:
    return services.chats_pass_on_unanswered(routing=adapter.routing)


@pytest.mark.django_db
def test_a_chat_left_waiting_goes_to_another_agent_and_the_first_is_set_away(
    chat_adapter, told, django_capture_on_commit_callbacks
):
    ann = make_agent("ann")
    chat = chat_of(start(chat_adapter))
    bob = make_agent("bob")
    waited(chat, 59)
    assert pass_on(chat_adapter) == 0  # not yet: it may wait 60 s for ann

    waited(chat, 61)
    with django_capture_on_commit_callbacks(execute=True):
        assert pass_on(chat_adapter) == 1

    chat.refresh_from_db()
    assert (chat.agent, chat.state) == (bob, ChatState.WAITING)
    assert AgentStatus.objects.get(user=ann).available is False
    last = chat.messages.latest("seq")
    assert (last.sender, last.text, last.state) == ("system", services.PASSED_ON, "waiting")
    # The visitor reads it; ann's console drops the chat and shows her away; bob's lists it.
    assert set(told) == {
        live.chat_topic(chat.pk),
        live.agent_topic(ann.pk),
        live.agent_topic(bob.pk),
    }
    assert pass_on(chat_adapter) == 0  # bob has his 60 s


@pytest.mark.django_db
def test_with_nobody_else_free_the_chat_waits_on_and_is_looked_at_again_later(chat_adapter):
    ann = make_agent("ann")
    make_agent("bob", available=False)
    chat = chat_of(start(chat_adapter))
    waited(chat, 61)

    assert pass_on(chat_adapter) == 0

    chat.refresh_from_db()
    assert (chat.agent, chat.state, chat.last_seq) == (ann, ChatState.WAITING, 1)
    assert AgentStatus.objects.get(user=ann).available is False  # nothing new for her
    assert timezone.now() - chat.routed_at < timedelta(seconds=5)
    services.chat_answer(chat_id=chat.pk, agent=ann)  # she may still take it
    chat.refresh_from_db()
    assert chat.state == ChatState.ACTIVE


@pytest.mark.django_db
def test_a_chat_nobody_answered_in_five_minutes_ends_and_the_visitor_is_told(chat_adapter):
    make_agent("ann")
    chat = chat_of(start(chat_adapter))
    make_agent("bob")
    waited(chat, 61, in_all=300)

    assert pass_on(chat_adapter) == 1

    chat.refresh_from_db()
    assert chat.state == ChatState.ENDED
    last = chat.messages.latest("seq")
    assert (last.text, last.state) == (services.NOBODY_ANSWERED, "ended")


@pytest.mark.django_db
def test_answered_and_ended_chats_are_never_passed_on(chat_adapter):
    ann = make_agent("ann")
    make_agent("bob")
    answered, ended = chat_of(start(chat_adapter)), chat_of(start(chat_adapter))
    services.message_post(chat_id=answered.pk, sender=Sender.AGENT, text="Hi", agent=answered.agent)
    services.chat_end(chat_id=ended.pk, by=Sender.VISITOR)
    for chat in (answered, ended):
        waited(chat, 600)

    assert pass_on(chat_adapter) == 0
    assert [c.agent for c in Chat.objects.order_by("created_at")] == [
        answered.agent,
        ended.agent,
    ]
    assert AgentStatus.objects.get(user=ann).available is True


@pytest.mark.django_db
def test_every_process_sweeps_for_chats_left_waiting(chat_adapter):
    """What a serving process runs every few seconds (GWE_SWEEPS) includes passing chats on."""
    make_agent("ann")
    chat = chat_of(start(chat_adapter))
    make_agent("bob")
    waited(chat, 61)

    results = {path: import_string(path)() for path in SERVING_SWEEPS}

    assert results["media_adapters.gwe_chat.adapter.unanswered_chats_pass_on"] == 1
    assert SERVING_SWEEPS["media_adapters.gwe_chat.adapter.unanswered_chats_pass_on"] <= 10
    chat.refresh_from_db()
    assert chat.agent == User.objects.get(username="bob")


# ---- start, cancel, tokens -----------------------------------------------------------------


@pytest.fixture
def offered():
    started = start_page("https://shop.example/pricing", title="Pricing", languageCode="en")
    return invitations.invitation_offer(
        page=started.page, template=InvitationTemplate.objects.get(slug="invite"), rule=None
    )


def accept(client: Client, invitation) -> dict:
    response = client.post(
        f"/server/data/invitations/{invitation.pk}/accepted",
        json.dumps({"token": invitations.invitation_token(invitation.pk), "fields": {}}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["engagement"]


@pytest.mark.django_db
def test_an_accept_starts_a_chat_embedded_in_the_invitation(client, chat_adapter, offered):
    ann = make_agent("ann")
    identity_link(
        visit_id=offered.visit_id, attributes={"email": "grace@example.com", "name": "Grace"}
    )

    engagement = accept(client, offered)

    chat = Chat.objects.get()
    assert engagement == {
        "status": "started",
        "text": "Connecting you to an adviser…",
        "url": f"/server/resources/chat.html?chat={chat.pk}&token="
        + visitor_token(chat.pk).replace(":", "%3A")
        + "&lang=en",  # the visit's language (gwe/languages.py)
        "open": "embed",
        "choices": [],
    }
    assert (chat.visit_id, chat.page_id, chat.invitation_id) == (
        offered.visit_id,
        offered.page_id,
        offered.pk,
    )
    assert (chat.state, chat.agent, chat.template, chat.rule) == ("waiting", ann, "invite", "")
    assert chat.attached_data == {
        "visitID": offered.visit_id,
        "pageID": offered.page_id,
        "webengagement": "",
    }
    assert chat.context["identity"] == {"email": "grace@example.com", "name": "Grace"}
    assert chat.identity_id == "grace@example.com"
    [first] = chat.messages.all()
    assert (first.seq, first.sender, first.state) == (1, "system", "waiting")
    assert first.text == "Chat started from Pricing."
    offered.refresh_from_db()
    assert offered.engagement_reference == chat.pk


def chat_frames(page_id: str) -> list[str]:
    """The content GWE asked this page to embed."""
    return [
        n.data["url"]
        for n in Notification.objects.filter(page_id=page_id, channel="gpe.appendContent")
    ]


@pytest.mark.django_db
def test_an_open_chat_follows_the_visitor_to_their_next_pages(client, chat_adapter, offered):
    make_agent("ann")
    engagement = accept(client, offered)
    next_page = {"visitID": offered.visit_id, "title": "Checkout"}

    checkout = start_page("https://shop.example/checkout", **next_page)
    assert chat_frames(checkout.page.pk) == [engagement["url"]]

    services.chat_end(chat_id=chat_of_visit(offered.visit_id).pk, by=Sender.VISITOR)
    thanks = start_page("https://shop.example/thanks", **next_page)
    assert chat_frames(thanks.page.pk) == []


@pytest.mark.django_db
def test_what_does_not_embed_stays_on_the_page_it_was_accepted_on(client, offered):
    """The test settings' in-memory adapter answers with a popup: nothing to follow."""
    accept(client, offered)

    later = start_page("https://shop.example/later", visitID=offered.visit_id)

    assert later.visit.pk == offered.visit_id
    assert chat_frames(later.page.pk) == []


def chat_of_visit(visit_id: str) -> Chat:
    return Chat.objects.get(visit_id=visit_id)


@pytest.mark.django_db
def test_the_agent_is_told_of_a_new_chat_after_it_is_stored(
    chat_adapter, django_capture_on_commit_callbacks, monkeypatch
):
    ann = make_agent("ann")
    pushed: list[Published] = []
    monkeypatch.setattr(push, "_push", pushed.extend)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        start(chat_adapter)
        assert pushed == []  # nothing before the commit
    for callback in callbacks:
        callback()

    assert {p.topic for p in pushed} == {live.agent_topic(ann.pk), "chat:" + Chat.objects.get().pk}


@pytest.mark.django_db
def test_cancel_ends_the_chat_once_and_an_unknown_one_is_harmless(chat_adapter):
    make_agent("ann")
    chat = chat_of(start(chat_adapter))

    chat_adapter.cancel(chat.pk)
    chat_adapter.cancel(chat.pk)
    chat_adapter.cancel("no-such-chat")

    chat.refresh_from_db()
    assert chat.state == ChatState.ENDED
    assert chat.ended_at is not None
    assert [(m.seq, m.text, m.state) for m in chat.messages.all()][1:] == [
        (2, "The chat was closed.", "ended")
    ]
    assert chat_adapter.is_available({}) is True  # the agent has room again


def test_a_visitor_token_opens_only_its_own_chat():
    token = visitor_token("A" * 22)

    assert visitor_token_valid("A" * 22, token)
    assert not visitor_token_valid("B" * 22, token)
    assert not visitor_token_valid("A" * 22, token[:-2] + "xx")
    assert not visitor_token_valid("A" * 22, "")
    assert not visitor_token_valid("A" * 22, "A" * 22)


@pytest.mark.django_db
def test_the_chat_page_is_framable_by_the_sites_and_needs_its_token(client, settings):
    settings.GWE_ALLOWED_ORIGINS = ["https://shop.example"]
    chat_id = "C" * 22

    page = client.get(
        "/server/resources/chat.html", {"chat": chat_id, "token": visitor_token(chat_id)}
    )
    forged = client.get("/server/resources/chat.html", {"chat": chat_id, "token": "nope"})

    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert policy.startswith("frame-ancestors 'self' https://shop.example; sandbox ")
    assert "allow-top-navigation" not in policy
    assert "X-Frame-Options" not in page
    assert page.context["runtime"]["socket"] == f"/server/ws/chat/{chat_id}"
    assert 'id="gwe-chat"' in page.content.decode()
    assert forged.status_code == 403
    assert "This chat link is not valid." in forged.content.decode()


# ---- messages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_messages_are_numbered_in_the_chat_and_the_agents_first_answers_it(chat_adapter):
    ann = make_agent("ann")
    chat = chat_of(start(chat_adapter))

    services.message_post(chat_id=chat.pk, sender=Sender.VISITOR, text="  Hello?  ")
    services.message_post(chat_id=chat.pk, sender=Sender.AGENT, text="Hi, I'm Ann.", agent=ann)
    services.message_post(chat_id=chat.pk, sender=Sender.VISITOR, text="Great")

    chat.refresh_from_db()
    assert chat.state == ChatState.ACTIVE
    assert chat.answered_at is not None
    assert [(m.seq, m.sender, m.text, m.state) for m in chat.messages.all()] == [
        (1, "system", "Chat started from Pricing.", "waiting"),
        (2, "visitor", "Hello?", ""),
        (3, "system", "Ann joined the chat.", "active"),
        (4, "agent", "Hi, I'm Ann.", ""),
        (5, "visitor", "Great", ""),
    ]
    assert chat.last_seq == 5


@pytest.mark.django_db
def test_what_cannot_be_said_is_refused_with_a_reason(chat_adapter):
    ann, bob = make_agent("ann"), make_agent("bob", available=False)
    chat = chat_of(start(chat_adapter))

    def refusal(**kwargs) -> str:
        with pytest.raises(services.ChatRefused) as refused:
            services.message_post(**{"chat_id": chat.pk, "sender": Sender.VISITOR, **kwargs})
        return refused.value.message

    assert refusal(text="   ") == "The message is empty."
    assert refusal(text="x" * 2001) == "The message is longer than 2000 characters."
    assert refusal(sender=Sender.AGENT, text="Mine now", agent=bob) == "This chat is not yours."
    assert refusal(chat_id="nope", text="Hi") == "There is no such chat."
    services.chat_end(chat_id=chat.pk, by=Sender.AGENT, agent=ann)
    assert refusal(text="Still there?") == "This chat has ended."
    assert chat.messages.count() == 2  # the start and the end


# ---- the agent console over HTTP -----------------------------------------------------------


@pytest.mark.django_db
def test_the_console_is_for_logged_in_agents_only(client):
    anonymous = client.get("/agent/")
    client.force_login(User.objects.create_user("clerk", password="x-pass"))
    clerk = client.get("/agent/")
    client.force_login(make_agent("ann"))
    ann = client.get("/agent/")

    assert anonymous.status_code == 302
    assert anonymous["Location"] == "/agent/login/?next=/agent/"
    assert clerk.status_code == 403
    assert 'href="/agent/login/?next=/agent/"' in clerk.content.decode()
    assert ann.status_code == 200
    assert "gwe_chat/console.js" in ann.content.decode()


@pytest.mark.django_db
def test_an_agent_need_not_be_staff_to_log_in_to_the_console(client):
    make_agent("ann")

    response = client.post(
        "/agent/login/", {"username": "ann", "password": "x-pass", "next": "/agent/"}
    )

    assert (response.status_code, response["Location"]) == (302, "/agent/")
    assert client.get("/agent/").status_code == 200
    assert client.post("/agent/logout/").status_code == 302
    assert client.get("/agent/").status_code == 302


@pytest.mark.django_db
def test_beside_a_chat_the_agent_sees_what_the_visitor_did(client, chat_adapter):
    ann = make_agent("ann")
    earlier = start_page("https://shop.example/", title="Home")
    first = start_page(
        "https://shop.example/shoes",
        title="Shoes",
        globalVisitID=earlier.visit.global_visit_id,
    )
    record_event(first, "AddToCart", data={"sku": "SHOE-1"})
    pricing = start_page("https://shop.example/pricing", title="Pricing", visitID=first.visit.pk)
    assert pricing.visit == first.visit
    invitation = invitations.invitation_offer(
        page=pricing.page, template=InvitationTemplate.objects.get(slug="invite"), rule=None
    )
    accept(client, invitation)
    chat = Chat.objects.get()
    client.force_login(ann)

    seen = client.get(f"/agent/chats/{chat.pk}.json").json()

    assert [p["title"] for p in seen["pages"]] == ["Shoes", "Pricing"]
    assert seen["pages"][-1]["current"] is True
    assert all(isinstance(p["seconds"], int) for p in seen["pages"])
    assert [(e["eventName"], e["data"]) for e in seen["businessEvents"]] == [
        ("AddToCart", {"sku": "SHOE-1"})
    ]
    assert seen["invitation"]["template"] == "invite"
    assert [e["eventName"] for e in seen["invitation"]["events"]] == [
        "InvitationOffered",
        "InvitationAccepted",
        "EngagementStarted",
    ]
    assert {e["eventType"] for e in seen["invitation"]["events"]} == {EventType.SYSTEM}
    assert [v["id"] for v in seen["earlierVisits"]] == [earlier.visit.pk]
    assert seen["attachedData"] == chat.attached_data
    client.force_login(make_agent("bob"))
    assert client.get(f"/agent/chats/{chat.pk}.json").status_code == 404


@pytest.mark.django_db
def test_the_admin_shows_a_chats_transcript_read_only(admin_client, chat_adapter):
    make_agent("ann")
    chat = chat_of(start(chat_adapter))
    services.message_post(chat_id=chat.pk, sender=Sender.VISITOR, text="<b>Hello</b>")

    listed = admin_client.get("/admin/gwe_chat/chat/", {"q": chat.visit_id, "state": "waiting"})
    shown = admin_client.get(f"/admin/gwe_chat/chat/{chat.pk}/change/")
    agents = admin_client.get("/admin/gwe_chat/agentstatus/")

    assert chat.pk in listed.content.decode()
    assert "&lt;b&gt;Hello&lt;/b&gt;" in shown.content.decode()
    assert "Transcript" in shown.content.decode()
    assert agents.status_code == 200
    assert admin_client.get("/admin/gwe_chat/chat/add/").status_code == 403


@pytest.mark.django_db
def test_the_demo_admin_is_an_agent(settings):
    settings.DEBUG = True
    out = io.StringIO()

    call_command("gwe_demo", stdout=out, url="http://127.0.0.1:8000")

    assert User.objects.get(username="admin").groups.filter(name="agents").exists()
    assert "http://127.0.0.1:8000/agent/" in out.getvalue()


# ---- the sockets ---------------------------------------------------------------------------

sockets = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Socket:
    """A WebSocket client that keeps what arrived early."""

    def __init__(self, path: str, headers: list | None = None) -> None:
        self.communicator = WebsocketCommunicator(application, path, headers=headers or GWE_ORIGIN)

    async def open(self) -> tuple[bool, int | None]:
        return await self.communicator.connect()

    async def send(self, frame) -> None:
        if isinstance(frame, (str, bytes)):
            await self.communicator.send_to(text_data=frame)
        else:
            await self.communicator.send_json_to(frame)

    async def receive(self, timeout: float = 5) -> dict:
        return await self.communicator.receive_json_from(timeout=timeout)

    async def until(self, kind: str, timeout: float = 5) -> dict:
        while (frame := await self.receive(timeout))["type"] != kind:
            pass
        return frame

    async def receive_all(self) -> list[dict]:
        frames = []
        while not await self.communicator.receive_nothing(timeout=0.3):
            frames.append(await self.receive())
        return frames

    async def closed(self, timeout: float = 5) -> int:
        output = await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.close", output
        return output.get("code")

    async def close(self) -> None:
        await self.communicator.disconnect()


def visitor(chat_id: str, *, token: str | None = None, after: int = 0) -> Socket:
    token = visitor_token(chat_id) if token is None else token
    return Socket(f"/server/ws/chat/{chat_id}?token={token}&after={after}")


async def agent_socket(user: User) -> Socket:
    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket = Socket("/server/ws/agent", headers=[*GWE_ORIGIN, (b"cookie", cookie)])
    await socket.open()
    return socket


async def both_sides() -> tuple[Chat, Socket, Socket]:
    """A new chat, its agent's console following it and the visitor's page open on it, each
    having read what came first."""
    agent, chat = await new_chat()
    console = await agent_socket(agent)
    await console.until("chats")
    await console.send({"type": "follow", "chat": chat.pk, "after": 1})
    page = visitor(chat.pk)
    await page.open()
    await page.until("message")
    return chat, console, page


@database_sync_to_async
def new_chat(*, username: str = "ann") -> tuple[User, Chat]:
    agent = User.objects.filter(username=username).first() or make_agent(username)
    return agent, chat_of(start(GweChatAdapter(alias="gwe-chat")))


@database_sync_to_async
def stored(chat: Chat) -> list[tuple]:
    return list(chat.messages.values_list("seq", "sender", "text"))


@sockets
async def test_a_visitor_and_an_agent_chat_and_each_sees_it_once_in_order():
    ann, chat = await new_chat()
    console = await agent_socket(ann)
    hello = await console.receive()
    listed = await console.receive()
    await console.send({"type": "follow", "chat": chat.pk, "after": 0})
    page = visitor(chat.pk)
    assert (await page.open())[0]

    await page.send({"type": "message", "text": "Do you ship to Lyon?"})
    await console.until("message")  # the start, replayed on follow
    heard = await console.until("message")
    await console.send({"type": "message", "chat": chat.pk, "text": "We do!"})

    assert (hello["type"], hello["agent"]["name"], hello["available"]) == ("hello", "Ann", True)
    assert [c["id"] for c in listed["chats"]] == [chat.pk]
    assert (heard["seq"], heard["sender"], heard["text"]) == (2, "visitor", "Do you ship to Lyon?")
    frames = [await page.until("message") for _ in range(4)]
    assert [(f["seq"], f["sender"], f.get("state")) for f in frames] == [
        (1, "system", "waiting"),
        (2, "visitor", None),
        (3, "system", "active"),
        (4, "agent", None),
    ]
    assert (frames[3]["text"], frames[3]["name"]) == ("We do!", "Ann")
    assert await page.receive_all() == []  # the agent's own push and our catch-up: once each
    assert [m["seq"] for m in await console.receive_all() if m["type"] == "message"] == [3, 4]
    await page.close()
    await console.close()


@sockets
async def test_a_visitor_who_reconnects_gets_only_what_came_after_their_last_message():
    ann, chat = await new_chat()
    page = visitor(chat.pk)
    await page.open()
    await page.send({"type": "message", "text": "one"})
    seen = [await page.until("message"), await page.until("message")]
    await page.close()
    for text in ("two", "three"):
        await database_sync_to_async(services.message_post)(
            chat_id=chat.pk, sender=Sender.AGENT, text=text, agent=ann
        )

    again = visitor(chat.pk, after=seen[-1]["seq"])
    await again.open()
    missed = await again.receive_all()

    assert [m["seq"] for m in seen] == [1, 2]
    assert [(m["seq"], m["text"]) for m in missed] == [
        (3, "Ann joined the chat."),
        (4, "two"),
        (5, "three"),
    ]
    await again.close()


@sockets
async def test_a_message_the_bus_lost_is_read_from_the_database(monkeypatch):
    ann, chat = await new_chat()
    page = visitor(chat.pk)
    await page.open()
    await page.until("message")
    monkeypatch.setattr(push, "_push", lambda items: None)  # the bus drops this one
    await database_sync_to_async(services.message_post)(
        chat_id=chat.pk, sender=Sender.AGENT, text="lost on the way", agent=ann
    )
    monkeypatch.undo()

    await database_sync_to_async(services.message_post)(
        chat_id=chat.pk, sender=Sender.AGENT, text="and this one arrives", agent=ann
    )
    frames = await page.receive_all()

    assert [(f["seq"], f["text"]) for f in frames] == [
        (2, "Ann joined the chat."),
        (3, "lost on the way"),
        (4, "and this one arrives"),
    ]
    await page.close()


@sockets
async def test_typing_reaches_the_other_side_and_is_not_stored():
    chat, console, page = await both_sides()

    # Typing is pushed and never stored, so a frame sent before the other side follows the
    # chat live is lost without harm: a real page says it again while its visitor types.
    typed = await typing_seen(page, {"type": "typing"}, console)
    answered = await typing_seen(console, {"type": "typing", "chat": chat.pk}, page, "agent")

    assert typed == {"type": "typing", "chat": chat.pk, "sender": "visitor"}
    assert answered == {"type": "typing", "chat": chat.pk, "sender": "agent"}
    assert await stored(chat) == [(1, "system", "Chat started from Pricing.")]
    await page.close()
    await console.close()


async def typing_seen(sender: Socket, frame: dict, receiver: Socket, who: str = "visitor"):
    for _ in range(20):
        await sender.send(frame)
        # Waiting with receive_nothing: a receive that times out ends the application.
        while not await receiver.communicator.receive_nothing(timeout=0.5):
            seen = await receiver.receive()
            if seen["type"] == "typing" and seen["sender"] == who:
                return seen
    raise AssertionError(f"{who} typing never arrived")


@sockets
async def test_a_wrong_token_or_an_unknown_chat_closes_with_a_code_the_page_can_read():
    _, chat = await new_chat()
    other = "Z" * 22

    wrong = visitor(chat.pk, token=visitor_token(other))
    assert (await wrong.open())[0]
    forged = visitor(chat.pk, token="forged")
    await forged.open()
    unknown = visitor(other)
    await unknown.open()

    assert await wrong.closed() == 4403
    assert await forged.closed() == 4403
    assert await unknown.closed() == 4404


@sockets
async def test_a_site_not_allowed_cannot_open_a_chat_socket(settings):
    settings.GWE_ALLOWED_ORIGINS = ["https://shop.example"]
    _, chat = await new_chat()
    page = visitor(chat.pk)
    page.communicator = WebsocketCommunicator(
        application,
        f"/server/ws/chat/{chat.pk}?token={visitor_token(chat.pk)}",
        headers=[(b"origin", b"https://evil.example")],
    )

    connected, _ = await page.open()

    assert connected is False


@sockets
async def test_bad_frames_get_clear_errors_and_the_socket_stays_open():
    _, chat = await new_chat()
    page = visitor(chat.pk)
    await page.open()
    await page.until("message")

    replies = []
    for frame in (
        "{not json",
        json.dumps({"type": "message", "text": "x" * 20000}),
        "[1, 2]",
        {"type": "dance"},
        {"type": "message", "text": 42},
        {"type": "message", "text": "x" * 2001},
    ):
        await page.send(frame)
        replies.append(await page.receive())
    await page.send({"type": "ping"})

    assert [(r["type"], r["status"]) for r in replies] == [
        ("error", 400),
        ("error", 413),
        ("error", 400),
        ("error", 400),
        ("error", 400),
        ("error", 409),
    ]
    assert replies[0]["message"].startswith("malformed JSON")
    assert replies[3]["message"] == "unknown message type 'dance'"
    assert replies[5]["message"] == "The message is longer than 2000 characters."
    assert await page.receive() == {"type": "pong"}
    assert len(await stored(chat)) == 1
    await page.close()


@sockets
async def test_the_visitor_ends_the_chat_and_both_sides_are_told():
    _, console, page = await both_sides()

    await page.send({"type": "end"})
    ended = await page.until("message")
    told = await console.until("message")
    relisted = await console.until("chats")
    await page.send({"type": "message", "text": "hello?"})
    refused = await page.until("error")

    assert (ended["text"], ended["state"]) == ("The visitor ended the chat.", "ended")
    assert told == ended
    assert relisted["chats"] == []
    assert refused["message"] == "This chat has ended."
    await page.close()
    await console.close()


@sockets
async def test_only_agents_may_open_the_console_socket():
    clerk = await database_sync_to_async(User.objects.create_user)("clerk", password="x-pass")
    anonymous = Socket("/server/ws/agent")
    await anonymous.open()
    not_an_agent = await agent_socket(clerk)
    ann = await database_sync_to_async(make_agent)("ann")
    client = Client()
    await sync_to_async(client.force_login)(ann)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    cross_site = Socket(
        "/server/ws/agent",
        headers=[
            (b"origin", b"http://shop.example"),
            (b"host", b"testserver"),
            (b"cookie", cookie),
        ],
    )

    assert await anonymous.closed() == 4403
    assert await not_an_agent.closed() == 4403
    assert (await cross_site.open())[0] is False


@sockets
async def test_an_agent_sets_availability_and_is_told_of_a_new_chat_live():
    ann = await database_sync_to_async(make_agent)("ann", available=False)
    console = await agent_socket(ann)
    hello = await console.until("hello")
    assert (await console.until("chats"))["chats"] == []

    await console.send({"type": "available", "available": True})
    status = await console.until("status")
    _, chat = await new_chat()
    listed = await console.until("chats")
    await console.send({"type": "follow", "chat": "Z" * 22, "after": 0})
    not_yours = await console.until("error")
    await console.send({"type": "available", "available": "yes"})
    wrong = await console.until("error")

    assert (hello["available"], status["available"]) == (False, True)
    assert [(c["id"], c["state"]) for c in listed["chats"]] == [(chat.pk, "waiting")]
    assert (not_yours["status"], not_yours["message"]) == (404, "no such chat of yours")
    assert wrong["message"] == "available must be true or false"
    await console.send({"type": "answer", "chat": chat.pk})
    await console.until("chats")
    assert (await database_sync_to_async(Chat.objects.get)(pk=chat.pk)).state == "active"
    await console.close()


@sockets
async def test_a_connected_console_keeps_its_agent_there_and_closing_it_stops_the_routing():
    ann = await database_sync_to_async(make_agent)("ann", seen_ago=None)
    available = database_sync_to_async(GweChatAdapter(alias="gwe-chat").is_available)
    assert not await available({})  # never seen

    console = await agent_socket(ann)
    await console.until("chats")
    assert await available({})
    a_while_ago = timezone.now() - timedelta(minutes=2)
    await AgentStatus.objects.filter(user=ann).aupdate(last_seen=a_while_ago)
    assert not await available({})
    await console.send({"type": "ping"})
    assert await console.until("pong") == {"type": "pong"}
    assert await available({})

    await console.close()

    assert not await available({})


# ---- across processes ----------------------------------------------------------------------

AGENT_AND_CHAT = """
from django.contrib.auth.models import Group, User
from media_adapters.gwe_chat import GweChatAdapter
from media_adapters.gwe_chat.services import agent_set_available
from notifications.bus import Published
from notifications.models import Notification
from tests.media_adapters.harness import context
from tests.support.factories import start_page
if not User.objects.filter(username="ann").exists():
    ann = User.objects.create_user("ann", password="ann-pass-1", first_name="Ann")
    ann.groups.add(Group.objects.get(name="agents"))
else:
    page = start_page().page  # the visitor, on the site
    GweChatAdapter(alias="gwe-chat").start(
        context(options={}, visit_id=page.visit_id, page_id=page.pk)
    )
"""
TOKEN = """
from media_adapters.gwe_chat.tokens import visitor_token
print(visitor_token({chat!r}))
"""


def sign_in(server, username: str, password: str) -> str:
    """The session cookie of an agent who logged in through the console's form."""
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        browser.get("/agent/login/")
        response = browser.post(
            "/agent/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                "next": "/agent/",
            },
            headers={"Referer": f"{server.url}/agent/login/"},
        )
        assert response.status_code == 302, response.text
        return f"sessionid={browser.cookies['sessionid']}"


def frames_until(socket, kind: str) -> dict:
    while (frame := json.loads(socket.recv(timeout=5)))["type"] != kind:
        pass
    return frame


@pytest.mark.server
def test_a_chat_crosses_processes_through_redis(two_processes):
    first, second = two_processes  # the agent on one, the visitor on the other
    first.manage("shell", "-c", AGENT_AND_CHAT)
    cookie = sign_in(first, "ann", "ann-pass-1")
    with connect(
        f"{first.ws_url}/server/ws/agent", origin=first.url, additional_headers={"Cookie": cookie}
    ) as console:
        frames_until(console, "chats")
        console.send(json.dumps({"type": "available", "available": True}))
        assert frames_until(console, "status")["available"] is True

        # Started by a third process: the agent is told through Redis.
        first.manage("shell", "-c", AGENT_AND_CHAT)
        [chat] = frames_until(console, "chats")["chats"]
        console.send(json.dumps({"type": "follow", "chat": chat["id"], "after": 1}))
        # These test servers do not share a secret key, as a deployment's would: the
        # visitor's token is the one the second would have made.
        token = second.manage("shell", "-c", TOKEN.format(chat=chat["id"])).split()[-1]
        query = urlencode({"token": token})
        with connect(
            f"{second.ws_url}/server/ws/chat/{chat['id']}?{query}", origin=second.url
        ) as page:
            assert frames_until(page, "message")["seq"] == 1

            page.send(json.dumps({"type": "typing"}))
            assert frames_until(console, "typing")["sender"] == "visitor"
            page.send(json.dumps({"type": "message", "text": "Hello from the other process"}))
            heard = frames_until(console, "message")
            console.send(json.dumps({"type": "message", "chat": chat["id"], "text": "Hi!"}))
            answers = [frames_until(page, "message") for _ in range(3)]

    assert (heard["seq"], heard["text"]) == (2, "Hello from the other process")
    assert [(a["seq"], a["sender"], a["text"]) for a in answers] == [
        (2, "visitor", "Hello from the other process"),
        (3, "system", "Ann joined the chat."),
        (4, "agent", "Hi!"),
    ]
