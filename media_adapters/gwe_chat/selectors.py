"""Reads of GWE chat: who can take a chat, an agent's chats, a transcript, and what the
console shows beside a chat (the visitor's pages, events, invitation and earlier visits)."""

from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from gwe.models import Event, EventType, Page, Visit
from media_adapters.base import Capacity
from media_adapters.gwe_chat.models import (
    OPEN_STATES,
    AgentStatus,
    Chat,
    ChatMessage,
    ChatState,
    LeftMessage,
)

HOUR = timedelta(hours=1)

MAX_EVENTS = 200
MAX_EARLIER_VISITS = 10


def agents_free(*, group: str, seen_within_seconds: int, now=None) -> QuerySet[AgentStatus]:
    """Agents who may take a chat now, the one to route to first: available, an active user
    of the group, their console seen lately, fewer open chats than their maximum. Least busy
    first; of those, the longest idle (whose last chat came longest ago, or never)."""
    since = (now or timezone.now()) - timedelta(seconds=seen_within_seconds)
    return (
        AgentStatus.objects.filter(
            available=True,
            last_seen__gte=since,
            user__is_active=True,
            user__groups__name=group,
        )
        .annotate(
            open_chats=Count("user__chats", filter=Q(user__chats__state__in=OPEN_STATES)),
            last_chat_at=Max("user__chats__created_at"),
        )
        .filter(open_chats__lt=F("max_chats"))
        .order_by("open_chats", F("last_chat_at").asc(nulls_first=True), "user_id")
        .select_related("user")
    )


def agents_ready(*, group: str, seen_within_seconds: int, now=None) -> QuerySet[AgentStatus]:
    """Agents who take chats now, free or not: available, an active user of the group, their
    console seen lately."""
    since = (now or timezone.now()) - timedelta(seconds=seen_within_seconds)
    return AgentStatus.objects.filter(
        available=True, last_seen__gte=since, user__is_active=True, user__groups__name=group
    )


def chat_capacity(*, alias: str, group: str, seen_within_seconds: int, now=None) -> Capacity:
    """What the group's ready agents can take now, and what the last hour's chats say: their
    average length, and the share of the slots they kept in use (of today's slots)."""
    now = now or timezone.now()
    ready = agents_ready(group=group, seen_within_seconds=seen_within_seconds, now=now).annotate(
        open_chats=Count("user__chats", filter=Q(user__chats__state__in=OPEN_STATES))
    )
    agents = list(ready.values_list("max_chats", "open_chats"))
    slots = sum(most for most, _ in agents)
    busy = sum(min(open_chats, most) for most, open_chats in agents)
    hour_ago = now - HOUR
    lately = Chat.objects.filter(adapter=alias, created_at__lt=now).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=hour_ago)
    )
    rows = lately.values_list("created_at", "answered_at", "ended_at", "agent_id")[:5000]
    spans = [(created, ended) for created, _, ended, agent in rows if agent is not None]  # a slot
    # A chat's length is from its answer to its end: the wait before it is not handling.
    handled = [(e - a).total_seconds() for _, a, e, _ in rows if a is not None and e is not None]
    in_use = sum(((e or now) - max(c, hour_ago)).total_seconds() for c, e in spans)
    queued = Chat.objects.filter(adapter=alias, state=ChatState.WAITING, agent__isnull=True)
    # The last hour's chats that ended with nobody having answered (the visitor left the
    # queue, or nobody answered in time) of those that ended. A visitor who left a message
    # instead of waiting was answered another way: not abandoned.
    closed = Chat.objects.filter(adapter=alias, state=ChatState.ENDED, ended_at__gt=hour_ago)
    left = Exists(LeftMessage.objects.filter(chat_id=OuterRef("pk")))
    unanswered = closed.annotate(left=left).aggregate(
        all=Count("pk"), unanswered=Count("pk", filter=Q(answered_at__isnull=True, left=False))
    )
    return Capacity(
        agents_ready=len(agents),
        slots=slots,
        busy=busy,
        waiting=queued.count(),
        handle_seconds=sum(handled) / len(handled) if handled else None,
        busy_factor=min(1.0, in_use / (slots * HOUR.total_seconds())) if slots and spans else None,
        abandonment=unanswered["unanswered"] / unanswered["all"] if unanswered["all"] else None,
    )


def agent_status(*, user_id: int) -> AgentStatus:
    """The agent's status; a new agent starts away, with the default maximum."""
    return AgentStatus.objects.filter(user_id=user_id).first() or AgentStatus(user_id=user_id)


def agent_chats(*, user_id: int) -> list[dict[str, Any]]:
    """The agent's open chats (offered and active), oldest first, as the console lists them."""
    chats = Chat.objects.filter(agent_id=user_id, state__in=OPEN_STATES).order_by("created_at")
    return [chat_summary(chat) for chat in chats]


def chat_summary(chat: Chat) -> dict[str, Any]:
    return {
        "id": chat.pk,
        "state": chat.state,
        "visitor": visitor_label(chat),
        "page": {"url": chat.context.get("url", ""), "title": chat.context.get("title", "")},
        "template": chat.template,
        "rule": chat.rule,
        "createdAt": chat.created_at.isoformat(),
        "lastSeq": chat.last_seq,
        "visitorOnSite": chat.visitor_left_at is None,
    }


def visitor_label(chat: Chat) -> str:
    identity = chat.context.get("identity") or {}
    for key in ("name", "fullName", "firstName", "email"):
        if isinstance(identity.get(key), str) and identity[key].strip():
            return identity[key].strip()[:80]
    fields = chat.context.get("fields") or {}
    if isinstance(fields.get("first_name"), str) and fields["first_name"].strip():
        return fields["first_name"].strip()[:80]
    return f"Visitor {chat.visit_id[:6]}"


def chat_for_agent(*, chat_id: str, user_id: int | None) -> Chat | None:
    """The chat, if it is this agent's (others' chats are not theirs to read)."""
    return Chat.objects.filter(pk=chat_id, agent_id=user_id).first()


def chat_exists(*, chat_id: str) -> bool:
    return Chat.objects.filter(pk=chat_id).exists()


def chat_where(*, chat_id: str) -> dict[str, str] | None:
    """The chat's visit, page and adapter alias; None for a chat that does not exist."""
    row = Chat.objects.filter(pk=chat_id).values_list("visit_id", "page_id", "adapter").first()
    if row is None:
        return None
    visit_id, page_id, alias = row
    return {"visit_id": visit_id, "page_id": page_id or "", "adapter": alias}


def chat_read_seq(*, chat_id: str) -> int:
    """Up to which message the chat's agent has read it."""
    found = Chat.objects.filter(pk=chat_id).values_list("agent_read_seq", flat=True).first()
    return found or 0


def open_chat_language(*, chat_id: str) -> str | None:
    """The visit's language of a chat still open ("" for a visit pruned meanwhile); None when
    the chat is over (or none)."""
    language = Visit.objects.filter(pk=OuterRef("visit_id")).values("language_code")[:1]
    found = (
        Chat.objects.filter(pk=chat_id, state__in=OPEN_STATES)
        .annotate(language=Subquery(language))
        .values_list("language", flat=True)
    )
    for language_code in found:
        return language_code or ""
    return None


def chat_messages_after(*, chat_id: str, after_seq: int) -> list[ChatMessage]:
    return list(
        ChatMessage.objects.filter(chat_id=chat_id, seq__gt=after_seq)
        .select_related("agent")
        .order_by("seq")
    )


def chat_context(*, chat: Chat, now=None) -> dict[str, Any]:
    """Who the agent is talking to: the visit's pages with the time spent on each, its
    business events, the invitation that started the chat (and its rule and steps), the
    visitor's earlier visits, and the data attached to the chat."""
    now = now or timezone.now()
    visit = Visit.objects.select_related("identity").filter(pk=chat.visit_id).first()
    return {
        "chat": chat_summary(chat),
        "visit": _visit(visit, now) if visit else None,
        "pages": _pages(chat.visit_id, now),
        "businessEvents": [
            _event(e)
            for e in Event.objects.filter(
                visit_id=chat.visit_id, event_type=EventType.BUSINESS
            ).order_by("timestamp", "id")[:MAX_EVENTS]
        ],
        "invitation": _invitation(chat),
        "earlierVisits": _earlier_visits(chat, now),
        "attachedData": chat.attached_data,
        "transferNote": chat.transfer_note,
        "fields": chat.context.get("fields") or {},
        "identity": chat.context.get("identity") or {},
    }


def _visit(visit: Visit, now) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "globalVisitID": visit.global_visit_id,
        "identityID": visit.identity_id,
        "startTime": visit.start_time.isoformat(),
        "active": visit.is_active(now),
        "onSite": visit.is_on_site(now),
        "languageCode": visit.language_code,
        "userAgent": visit.user_agent,
    }


def _pages(visit_id: str, now) -> list[dict[str, Any]]:
    pages = list(Page.objects.filter(visit_id=visit_id).order_by("start_time", "id"))
    rows = []
    for index, page in enumerate(pages):
        following = pages[index + 1].start_time if index + 1 < len(pages) else None
        end = page.end_time or following or now
        rows.append(
            {
                "id": page.pk,
                "url": page.url,
                "title": page.title,
                "startTime": page.start_time.isoformat(),
                "seconds": max(0, round((end - page.start_time).total_seconds())),
                "current": page.end_time is None and following is None,
            }
        )
    return rows


def _event(event: Event) -> dict[str, Any]:
    return {
        "eventName": event.event_name,
        "eventType": event.event_type,
        "timestamp": event.timestamp.isoformat(),
        "url": event.url,
        "data": event.data,
    }


def _invitation(chat: Chat) -> dict[str, Any] | None:
    # The invitation is read by its id: the chat is media_adapters' record, downstream of
    # invitations, and keeps the template and rule it was told at the start.
    from invitations.models import Invitation

    if not chat.invitation_id:
        return None
    invitation = (
        Invitation.objects.select_related("template", "rule").filter(pk=chat.invitation_id).first()
    )
    events = Event.objects.filter(
        visit_id=chat.visit_id,
        event_type=EventType.SYSTEM,
        data__invitationID=chat.invitation_id,
    ).order_by("timestamp", "id")
    return {
        "id": chat.invitation_id,
        "template": invitation.template.slug if invitation else chat.template,
        "templateName": invitation.template.name if invitation else "",
        "rule": (invitation.rule.name if invitation and invitation.rule else chat.rule) or "",
        "state": invitation.state if invitation else "",
        "offeredAt": invitation.offered_at.isoformat() if invitation else None,
        "events": [_event(e) for e in events[:MAX_EVENTS]],
    }


def _earlier_visits(chat: Chat, now) -> list[dict[str, Any]]:
    same_visitor = Q(global_visit_id=chat.global_visit_id)
    if chat.identity_id:
        same_visitor |= Q(identity_id=chat.identity_id)
    visits = (
        Visit.objects.filter(same_visitor)
        .exclude(pk=chat.visit_id)
        .prefetch_related(Prefetch("pages", queryset=Page.objects.order_by("start_time", "id")))
        .order_by("-start_time")[:MAX_EARLIER_VISITS]
    )
    return [
        {
            "id": visit.pk,
            "startTime": visit.start_time.isoformat(),
            "active": visit.is_active(now),
            "pages": [{"url": p.url, "title": p.title} for p in visit.pages.all()],
        }
        for visit in visits
    ]
