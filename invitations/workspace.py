"""The agent's workspace: who is on the site now, and inviting one of them by hand.

A visitor on the site is a visit with a page open (`Page.objects.live`). The list is read a
page of rows at a time (newest visits first), so that it costs the same with 50 visitors or
5,000; the console is sent it again only when what it shows changed
(invitations/workspace_consumer.py)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from gwe.models import Event, EventType, Page, Visit
from invitations import engine, services
from invitations.models import (
    PENDING_STATES,
    EngagementDecision,
    Invitation,
    InvitationTemplate,
)
from media_adapters.gwe_chat.models import OPEN_STATES, Chat

PAGE_SIZE = 50
LAST_EVENTS = 3


class InviteRefused(Exception):
    """The invitation cannot be offered; `message` says why, for the agent."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class VisitorFilter:
    """What the agent asks of the list: words to search, the page they are on, known
    visitors only, new or returning ones, and which rows."""

    search: str = ""
    page: str = ""
    identified: bool | None = None
    returning: bool | None = None
    offset: int = 0
    limit: int = PAGE_SIZE


def visitors_on_site(wanted: VisitorFilter, *, now: datetime | None = None) -> dict[str, Any]:
    """`{"total", "offset", "rows"}`: the visitors on the site that match, newest first."""
    now = now or timezone.now()
    live = Page.objects.live(now)
    visits = Visit.objects.on_site(now)
    earlier = Visit.objects.filter(
        global_visit_id=OuterRef("global_visit_id"), start_time__lt=OuterRef("start_time")
    )
    visits = visits.annotate(returning=Exists(earlier))
    if wanted.search:
        words = wanted.search.strip()
        visits = visits.filter(
            Q(pk=words)
            | Q(identity__id__icontains=words)
            | Exists(live.filter(visit=OuterRef("pk"), title__icontains=words))
        )
    if wanted.page:
        visits = visits.filter(
            Exists(live.filter(visit=OuterRef("pk"), url__icontains=wanted.page))
        )
    if wanted.identified is not None:
        visits = visits.filter(identity__isnull=not wanted.identified)
    if wanted.returning is not None:
        visits = visits.filter(returning=wanted.returning)
    total = visits.count()
    current = live.filter(visit=OuterRef("pk")).order_by("-start_time")
    rows = list(
        visits.select_related("identity")
        .annotate(
            page_url=Subquery(current.values("url")[:1]),
            page_title=Subquery(current.values("title")[:1]),
            page_id=Subquery(current.values("pk")[:1]),
            pages_viewed=Subquery(
                Page.objects.filter(visit=OuterRef("pk"))
                .values("visit")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            in_chat=Exists(Chat.objects.filter(visit_id=OuterRef("pk"), state__in=OPEN_STATES)),
            invited=Exists(
                Invitation.objects.filter(
                    visit_id=OuterRef("pk"), state__in=PENDING_STATES, expires_at__gt=now
                )
            ),
        )
        .order_by("-start_time", "pk")[wanted.offset : wanted.offset + wanted.limit]
    )
    ids = [visit.pk for visit in rows]
    events = _last_events(ids, now)
    decisions = _last_decisions(ids)
    return {
        "total": total,
        "offset": wanted.offset,
        "rows": [_row(v, events.get(v.pk, []), decisions.get(v.pk)) for v in rows],
    }


def _last_events(visit_ids: list[str], now: datetime) -> dict[str, list[str]]:
    """Each visit's last business events (of the last day: older weeks are not read)."""
    found: dict[str, list[str]] = {}
    recent = Event.objects.filter(
        visit_id__in=visit_ids,
        event_type=EventType.BUSINESS,
        timestamp__gte=now - timedelta(days=1),
    ).order_by("-timestamp")
    for visit_id, name in recent.values_list("visit_id", "event_name")[: 20 * len(visit_ids)]:
        names = found.setdefault(visit_id, [])
        if len(names) < LAST_EVENTS:
            names.append(name)
    return found


def _last_decisions(visit_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each visit's last decision: whether a rule offered (which), or why not."""
    found: dict[str, dict[str, Any]] = {}
    decided = EngagementDecision.objects.filter(visit_id__in=visit_ids).order_by("-decided_at")
    for visit_id, reasons in decided.values_list("visit_id", "reasons")[: 5 * len(visit_ids)]:
        if visit_id in found or not reasons:
            continue
        offered = next((r for r in reasons if r.get("offered")), None)
        first = offered or reasons[0]
        found[visit_id] = {
            "rule": first.get("rule"),
            "offered": bool(offered),
            "why": first.get("why"),
        }
    return found


def _row(visit: Visit, events: list[str], decision: dict | None) -> dict:
    identity = visit.identity
    attributes = identity.attributes if identity else {}
    return {
        "visitID": visit.pk,
        "pageID": visit.page_id,  # type: ignore[attr-defined]
        "url": visit.page_url,  # type: ignore[attr-defined]
        "title": visit.page_title,  # type: ignore[attr-defined]
        "startedAt": visit.start_time.isoformat(),  # the console counts the time on site
        "pagesViewed": visit.pages_viewed or 0,  # type: ignore[attr-defined]
        "lastEvents": events,
        "identity": {
            "id": identity.pk,
            "name": str(attributes.get("name") or attributes.get("firstName") or ""),
            "email": str(attributes.get("email") or ""),
        }
        if identity
        else None,
        "language": visit.language_code,
        "device": device(visit.user_agent),
        "returning": visit.returning,  # type: ignore[attr-defined]
        "rule": decision,
        "inChat": visit.in_chat,  # type: ignore[attr-defined]
        "invitationOut": visit.invited,  # type: ignore[attr-defined]
    }


def device(user_agent: str) -> str:
    """A user agent in two words: the kind of device and the browser."""
    kind = (
        "tablet"
        if "iPad" in user_agent or "Tablet" in user_agent
        else ("phone" if "Mobi" in user_agent else "desktop")
    )
    for marker, name in (
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ):
        if marker in user_agent:
            return f"{kind}, {name}"
    return kind


def invite_templates() -> list[dict[str, str]]:
    """The invitations an agent may offer by hand: the enabled templates."""
    # Chats before callbacks ("chat" sorts after "callback"), then by name.
    enabled = InvitationTemplate.objects.filter(enabled=True).order_by("-kind", "name")
    return [{"slug": slug, "name": name} for slug, name in enabled.values_list("slug", "name")]


def invite_by_agent(*, visit_id: str, template: str, agent) -> Invitation:
    """The agent offers `template` to the visitor's current page. It goes through the policy
    and pacing as any offer does (a refusal is recorded as a decision, and raised as
    InviteRefused); the chat, if accepted, goes to this agent when they are free."""
    found = InvitationTemplate.objects.filter(slug=template, enabled=True).first()
    if found is None:
        raise InviteRefused(f"There is no enabled invitation {template!r}.")
    page = (
        Page.objects.live()
        .filter(visit_id=visit_id)
        .select_related("visit")
        .order_by("-start_time")
        .first()
    )
    if page is None:
        raise InviteRefused("This visitor is not on the site any more.")
    name = agent.get_username()
    with transaction.atomic():  # pacing locks the channel until the offer is stored
        why = engine.external_refusal(page=page, template=found)
        if why:
            engine.gateway_refused(page=page, template=found, why=why, by=f"agent {name}")
        else:
            return services.invitation_offer(
                page=page, template=found, rule=None, data={"agent": name}
            )
    raise InviteRefused(f"Not offered: {why}.")  # once the refusal is recorded
