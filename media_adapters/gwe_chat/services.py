"""Writes of GWE chat: start a chat and route it, post a message, answer, end; an agent's
availability. Every message is stored with the chat's next sequence number, then pushed to
the chat's sockets once the transaction commits (notifications/push.py, live.py)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from gwe.models import Page
from media_adapters.base import EngagementContext
from media_adapters.gwe_chat import live, selectors
from media_adapters.gwe_chat.models import (
    OPEN_STATES,
    AgentStatus,
    Chat,
    ChatMessage,
    ChatState,
    Sender,
)
from notifications.push import push_on_commit

MAX_TEXT = 2000  # characters in one message
PASSED_ON = "Still looking: passing you on to another adviser."
QUEUED = (
    "Every adviser is busy: you are number {place} in the queue, {wait} to wait. "
    "Please stay on this page."
)
FROM_THE_QUEUE = "An adviser is free: connecting you."
DEFAULT_HANDLE_SECONDS = 300.0  # a chat's length, until the last hour's are known
NOBODY_ANSWERED = "No adviser could answer in time. Please try again in a few minutes."
VISITOR_AWAY = "The visitor has left the site (no page open)."
VISITOR_BACK = "The visitor is back on the site."
VISITOR_LEFT = "The visitor left the site and did not come back: the chat has ended."


class NoAgentFree(Exception):
    """Nobody can take a chat now."""


class ChatRefused(Exception):
    """What was asked cannot be done; `message` says why, in words for the person asking."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Routing:
    """How an adapter's chats are routed (its options)."""

    alias: str
    group: str
    seen_within_seconds: int
    answer_within_seconds: int
    wait_at_most_seconds: int


@transaction.atomic
def chat_start(*, context: EngagementContext, routing: Routing) -> Chat:
    """A chat for the visitor who accepted, routed to the least busy free agent of the group
    (ties: the longest idle), and announced on that agent's console. When every agent ready is
    busy, the visitor waits in the queue, told their place and the expected wait, and the
    next agent free takes the longest waiting (`chats_pass_on_unanswered`). Raises
    NoAgentFree when no agent of the group is ready at all."""
    agent_status = _free_agent(routing, prefer=context.agent)
    if (
        agent_status is None
        and not selectors.agents_ready(
            group=routing.group, seen_within_seconds=routing.seen_within_seconds
        ).exists()
    ):
        raise NoAgentFree()
    chat = Chat.objects.create(
        adapter=routing.alias,
        visit_id=context.visit_id,
        page_id=context.page_id,
        global_visit_id=context.global_visit_id,
        identity_id=context.identity_id or "",
        invitation_id=context.invitation_id,
        template=context.template,
        rule=context.rule or "",
        attached_data=context.attached_data,
        context=context.as_json(),
        agent=agent_status.user if agent_status else None,
    )
    where = context.title or context.url
    _post(
        chat,
        sender=Sender.SYSTEM,
        text=f"Chat started from {where}." if where else "Chat started.",
        state=ChatState.WAITING,
    )
    if agent_status is None:
        _post(chat, sender=Sender.SYSTEM, text=_queue_place(chat, routing), state=ChatState.WAITING)
    else:
        push_on_commit([live.agent_told(agent_status.user_id)])
    return chat


def _queue_place(chat: Chat, routing: Routing) -> str:
    """What a visitor who waits for a free agent is told: their place, the expected wait."""
    queue = Chat.objects.filter(adapter=chat.adapter, state=ChatState.WAITING, agent__isnull=True)
    ahead = queue.filter(created_at__lt=chat.created_at).count()
    capacity = selectors.chat_capacity(
        alias=chat.adapter, group=routing.group, seen_within_seconds=routing.seen_within_seconds
    )
    handle = capacity.handle_seconds or DEFAULT_HANDLE_SECONDS
    minutes = round((ahead + 1) * handle / max(1, capacity.slots) / 60)
    wait = "less than a minute" if minutes < 1 else _minutes(minutes)
    return QUEUED.format(place=ahead + 1, wait=wait)


def _minutes(n: int) -> str:
    return "about a minute" if n == 1 else f"about {n} minutes"


@transaction.atomic
def message_post(*, chat_id: str, sender: str, text: str, agent=None) -> ChatMessage:
    """A message of the visitor or of the chat's agent. An agent's first message answers
    a waiting chat. Raises ChatRefused (unknown or ended chat, not the agent's, bad text)."""
    text = (text or "").strip()
    if not text:
        raise ChatRefused("The message is empty.")
    if len(text) > MAX_TEXT:
        raise ChatRefused(f"The message is longer than {MAX_TEXT} characters.")
    chat = _locked(chat_id)
    if chat.state == ChatState.ENDED:
        raise ChatRefused("This chat has ended.")
    if sender == Sender.AGENT:
        _check_agent(chat, agent)
        if chat.state == ChatState.WAITING:
            _answer(chat, agent)
    elif sender != Sender.VISITOR:
        raise ChatRefused(f"Unknown sender {sender!r}.")
    return _post(chat, sender=sender, text=text, agent=agent)


@transaction.atomic
def chat_answer(*, chat_id: str, agent) -> Chat:
    """The agent takes the chat routed to them: it becomes active, and the visitor is told."""
    chat = _locked(chat_id)
    _check_agent(chat, agent)
    if chat.state == ChatState.ENDED:
        raise ChatRefused("This chat has ended.")
    if chat.state == ChatState.WAITING:
        _answer(chat, agent)
    return chat


@transaction.atomic
def chat_end(*, chat_id: str, by: str, agent=None, why: str = "") -> Chat | None:
    """End the chat (the visitor or the agent closed it, the engagement was withdrawn, the
    visitor left: `why` says so to both); None for a chat that does not exist. Ending twice
    is harmless."""
    chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
    if chat is None:
        return None
    if by == Sender.AGENT:
        _check_agent(chat, agent)
    if chat.state == ChatState.ENDED:
        return chat
    chat.state, chat.ended_at = ChatState.ENDED, timezone.now()
    chat.save(update_fields=["state", "ended_at"])
    if why:
        words = why
    elif by == Sender.VISITOR:
        words = "The visitor ended the chat."
    elif by == Sender.AGENT:
        words = f"{live.display_name(agent)} ended the chat."
    else:
        words = "The chat was closed."
    _post(chat, sender=Sender.SYSTEM, text=words, state=ChatState.ENDED)
    if chat.agent_id:
        push_on_commit([live.agent_told(chat.agent_id)])
        # A slot is free: the longest waiting visitor of the queue need not wait for the sweep.
        transaction.on_commit(partial(_queue_moves, chat.adapter))
    return chat


@transaction.atomic
def chat_transfer(*, chat_id: str, agent, to_user_id: object, note: object = "") -> Chat:
    """The chat's agent passes it on to another agent who is free: the transcript goes along
    (the new agent follows the chat from its first message), the note is kept for them, and
    the visitor reads who took over."""
    if isinstance(to_user_id, bool) or not isinstance(to_user_id, int):
        raise ChatRefused("Choose the agent to pass the chat to.")
    if not isinstance(note, str) or len(note) > 500:
        raise ChatRefused("The note is text of at most 500 characters.")
    chat = _locked(chat_id)
    _check_agent(chat, agent)
    if chat.state == ChatState.ENDED:
        raise ChatRefused("This chat has ended.")
    if to_user_id == agent.pk:
        raise ChatRefused("The chat is yours already.")
    target = _free_agents(_routing_of(chat.adapter)).filter(user_id=to_user_id).first()
    if target is None:
        raise ChatRefused("That agent cannot take a chat now (away, or busy).")
    chat.agent, chat.transfer_note = target.user, note.strip()
    chat.routed_at = timezone.now()
    chat.save(update_fields=["agent", "transfer_note", "routed_at"])
    _post(
        chat,
        sender=Sender.SYSTEM,
        text=f"{live.display_name(agent)} passed the chat to {live.display_name(target.user)}.",
        agent=target.user,
        state=chat.state,
    )
    push_on_commit([live.agent_told(agent.pk), live.agent_told(target.user_id)])
    return chat


def transfer_targets(*, chat_id: str, agent) -> list[dict]:
    """The agents who could take the chat from its agent now."""
    chat = _chat(chat_id)
    _check_agent(chat, agent)
    routing = _routing_of(chat.adapter)
    free = selectors.agents_free(
        group=routing.group, seen_within_seconds=routing.seen_within_seconds
    ).exclude(user_id=agent.pk)
    return [{"id": status.user_id, "name": live.display_name(status.user)} for status in free]


def chat_read(*, chat_id: str, agent, seq: object) -> int:
    """The chat's agent has read it up to message `seq`: the visitor sees "Read". The last
    read number (never lowered)."""
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ChatRefused("seq must be a message number.")
    chat = _chat(chat_id)
    _check_agent(chat, agent)
    seq = min(seq, chat.last_seq)
    if Chat.objects.filter(pk=chat_id, agent_read_seq__lt=seq).update(agent_read_seq=seq):
        push_on_commit([live.read_frame(chat_id, seq)])
        return seq
    return chat.agent_read_seq


def _routing_for(alias: str) -> Routing | None:
    from media_adapters.gwe_chat.adapter import chat_adapters  # it imports this module

    return next((a.routing for a in chat_adapters() if a.alias == alias), None)


def _routing_of(alias: str) -> Routing:
    routing = _routing_for(alias)
    if routing is None:
        raise ChatRefused("This chat's channel is not configured any more.")
    return routing


def _queue_moves(alias: str) -> None:
    routing = _routing_for(alias)
    if routing is not None:
        chats_pass_on_unanswered(routing=routing)


def chats_watch_visitors(*, alias: str, now: datetime | None = None) -> int:
    """The agent reads in the transcript when the visitor of an open chat leaves the site (no
    page of the visit open) and when they come back; a chat whose visitor stayed away for
    GWE_CHAT_ABANDONED_SECONDS ends. How many chats changed."""
    now = now or timezone.now()
    chats = Chat.objects.filter(adapter=alias, state__in=OPEN_STATES)
    on_site = Exists(Page.objects.live(now).filter(visit_id=OuterRef("visit_id")))
    left = chats.filter(visitor_left_at__isnull=True).exclude(on_site)
    back = chats.filter(visitor_left_at__isnull=False).filter(on_site)
    away_too_long = now - timedelta(seconds=settings.GWE_CHAT_ABANDONED_SECONDS)
    changed = [_visitor_away(chat_id, now) for chat_id in left.values_list("pk", flat=True)]
    changed += [_visitor_back(chat_id) for chat_id in back.values_list("pk", flat=True)]
    abandoned = chats.filter(visitor_left_at__lte=away_too_long).exclude(on_site)
    changed += [
        chat_end(chat_id=chat_id, by=Sender.SYSTEM, why=VISITOR_LEFT) is not None
        for chat_id in abandoned.values_list("pk", flat=True)
    ]
    return sum(changed)


@transaction.atomic
def _visitor_away(chat_id: str, now: datetime) -> bool:
    chat = _locked_open(chat_id)
    if chat is None or chat.visitor_left_at is not None:
        return False
    chat.visitor_left_at = now
    chat.save(update_fields=["visitor_left_at"])
    _post(chat, sender=Sender.SYSTEM, text=VISITOR_AWAY)
    _tell_agent(chat)
    return True


@transaction.atomic
def _visitor_back(chat_id: str) -> bool:
    chat = _locked_open(chat_id)
    if chat is None or chat.visitor_left_at is None:
        return False
    chat.visitor_left_at = None
    chat.save(update_fields=["visitor_left_at"])
    _post(chat, sender=Sender.SYSTEM, text=VISITOR_BACK)
    _tell_agent(chat)
    return True


def _locked_open(chat_id: str) -> Chat | None:
    return Chat.objects.select_for_update().filter(pk=chat_id, state__in=OPEN_STATES).first()


def _tell_agent(chat: Chat) -> None:
    if chat.agent_id:
        push_on_commit([live.agent_told(chat.agent_id)])


def chats_pass_on_unanswered(*, routing: Routing, now: datetime | None = None) -> int:
    """Chats an agent left waiting longer than `answer_within_seconds` go to another free
    agent, and the agent who let them wait is set away, so that nothing more is routed to
    an empty chair (they keep the chats nobody else could take). A chat that waited
    `wait_at_most_seconds` in all ends, and the visitor is told. How many moved or ended."""
    now = now or timezone.now()
    due = now - timedelta(seconds=routing.answer_within_seconds)
    # Left waiting by an agent for too long, or waiting in the queue for the next free one.
    waiting = (
        Chat.objects.filter(adapter=routing.alias, state=ChatState.WAITING)
        .filter(Q(routed_at__lte=due) | Q(agent__isnull=True))
        .order_by("created_at")
    )
    return sum(_pass_on(chat_id, routing, now) for chat_id in waiting.values_list("pk", flat=True))


@transaction.atomic
def _pass_on(chat_id: str, routing: Routing, now: datetime) -> bool:
    due = now - timedelta(seconds=routing.answer_within_seconds)
    chat = Chat.objects.select_for_update().filter(pk=chat_id, state=ChatState.WAITING).first()
    if chat is None or (chat.agent_id is not None and chat.routed_at > due):
        return False  # answered, ended or passed on meanwhile (another process swept it)
    queued = chat.agent_id is None
    told = []
    if chat.agent_id is not None:
        AgentStatus.objects.filter(user_id=chat.agent_id).update(available=False)
        told.append(live.agent_told(chat.agent_id))
    if now - chat.created_at >= timedelta(seconds=routing.wait_at_most_seconds):
        chat.state, chat.ended_at = ChatState.ENDED, now
        chat.save(update_fields=["state", "ended_at"])
        _post(chat, sender=Sender.SYSTEM, text=NOBODY_ANSWERED, state=ChatState.ENDED)
        push_on_commit(told)
        return True
    agent_status = _free_agent(routing, now=now, but=chat.agent_id)
    chat.routed_at = now
    if agent_status is None:
        chat.save(update_fields=["routed_at"])  # looked at again after another wait
        push_on_commit(told)
        return False
    chat.agent = agent_status.user
    chat.save(update_fields=["agent", "routed_at"])
    words = FROM_THE_QUEUE if queued else PASSED_ON
    _post(chat, sender=Sender.SYSTEM, text=words, state=ChatState.WAITING)
    push_on_commit([*told, live.agent_told(agent_status.user_id)])
    return True


def _free_agent(
    routing: Routing, *, now=None, but: int | None = None, prefer: str = ""
) -> AgentStatus | None:
    """The agent to route to (in a transaction): `prefer` (the agent who invited) when they
    are free, else the first free."""
    free = _free_agents(routing, now=now)
    if but is not None:
        free = free.exclude(user_id=but)
    chosen = free.filter(user__username=prefer).first() if prefer else None
    return chosen or free.first()


def _free_agents(routing: Routing, *, now=None) -> QuerySet[AgentStatus]:
    """The group's free agents, the available ones locked first (in a transaction): two
    routings at once must not both take an agent's last free place."""
    list(AgentStatus.objects.select_for_update().filter(available=True).values_list("pk"))
    return selectors.agents_free(
        group=routing.group, seen_within_seconds=routing.seen_within_seconds, now=now
    )


@transaction.atomic
def agent_set_available(*, user, available: bool) -> AgentStatus:
    """The agent says they take chats (Available) or not (Away). From their console, which
    is therefore connected: seen now."""
    status, _ = AgentStatus.objects.select_for_update().get_or_create(user=user)
    status.available, status.last_seen = available, timezone.now()
    status.save(update_fields=["available", "last_seen"])
    return status


def agent_seen(*, user, connected: bool = True) -> None:
    """The agent's console answered (connected: now), or closed (not seen any more)."""
    last_seen = timezone.now() if connected else None
    if not AgentStatus.objects.filter(user=user).update(last_seen=last_seen) and connected:
        AgentStatus.objects.get_or_create(user=user, defaults={"last_seen": last_seen})


def _locked(chat_id: str) -> Chat:
    return _chat(chat_id, lock=True)


def _chat(chat_id: str, *, lock: bool = False) -> Chat:
    chats = Chat.objects.select_for_update() if lock else Chat.objects
    chat = chats.filter(pk=chat_id).first()
    if chat is None:
        raise ChatRefused("There is no such chat.")
    return chat


def _check_agent(chat: Chat, agent) -> None:
    if agent is None or chat.agent_id != agent.pk:
        raise ChatRefused("This chat is not yours.")


def _answer(chat: Chat, agent) -> None:
    chat.state, chat.answered_at = ChatState.ACTIVE, timezone.now()
    chat.save(update_fields=["state", "answered_at"])
    _post(
        chat,
        sender=Sender.SYSTEM,
        text=f"{live.display_name(agent)} joined the chat.",
        agent=agent,
        state=ChatState.ACTIVE,
    )
    push_on_commit([live.agent_told(agent.pk)])


def _post(chat: Chat, *, sender: str, text: str, agent=None, state: str = "") -> ChatMessage:
    """The chat's next message (the chat row is locked by the caller, or new)."""
    chat.last_seq += 1
    Chat.objects.filter(pk=chat.pk).update(last_seq=chat.last_seq)
    message = ChatMessage.objects.create(
        chat=chat, seq=chat.last_seq, sender=sender, agent=agent, text=text, state=state
    )
    push_on_commit([live.message_published(message)])
    return message
