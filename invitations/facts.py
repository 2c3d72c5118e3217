"""What rules and the policy know of a visit when an event arrives, each fact read from the
database only if a rule asks for it."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.db.models import Count, Q

from gwe.models import Event, Page, Visit
from invitations.models import Invitation

MOBILE_MARKERS = ("Mobi", "Android", "iPhone", "iPad")


@dataclass
class Trigger:
    """The event that made GWE look again."""

    event_name: str
    categories: list[str]
    url: str
    title: str
    timestamp: datetime


class VisitFacts:
    """Each fact worked out once per event, when a rule first asks for it."""

    def __init__(self, *, visit: Visit, page: Page, trigger: Trigger, now: datetime) -> None:
        self.visit, self.page, self.trigger, self.now = visit, page, trigger, now
        self._event_counts: dict[tuple[str, int | None], int] = {}

    @cached_property
    def seconds_on_page(self) -> float:
        return (self.now - self.page.start_time).total_seconds()

    @cached_property
    def seconds_on_site(self) -> float:
        return (self.now - self.visit.start_time).total_seconds()

    @cached_property
    def is_mobile(self) -> bool:
        return any(marker in self.visit.user_agent for marker in MOBILE_MARKERS)

    @cached_property
    def language(self) -> str:
        return (self.visit.language_code or "").lower()

    @cached_property
    def identity_known(self) -> bool:
        return self.visit.identity_id is not None

    @cached_property
    def pages_viewed(self) -> int:
        return Page.objects.filter(visit_id=self.visit.pk).count()

    @cached_property
    def returning(self) -> bool:
        return (
            Visit.objects.filter(global_visit_id=self.visit.global_visit_id)
            .exclude(pk=self.visit.pk)
            .filter(start_time__lt=self.visit.start_time)
            .exists()
        )

    def event_count(self, name: str, within_seconds: int | None) -> int:
        """Asked once per name and window, however many rules ask."""
        key = (name, within_seconds)
        if key not in self._event_counts:
            events = Event.objects.filter(visit_id=self.visit.pk, event_name=name)
            if within_seconds:
                since = self.now - timedelta(seconds=within_seconds)
                events = events.filter(timestamp__gte=since)
            self._event_counts[key] = events.count()
        return self._event_counts[key]

    @cached_property
    def timeline(self) -> list[set[str]]:
        """Each event of the visit, in order, as its name and categories."""
        rows = Event.objects.filter(visit_id=self.visit.pk).values_list("event_name", "category")
        return [{name, *(category or [])} for name, category in rows]

    def steps_done(self, steps: list[str]) -> int:
        """How many of a sequence's steps the visit went through, in order."""
        remaining = iter(self.timeline)
        done = 0
        for step in steps:
            if not any(step in moment for moment in remaining):
                break
            done += 1
        return done

    @cached_property
    def invitations(self) -> "InvitationCounts":
        return InvitationCounts.of(self)


@dataclass(frozen=True)
class InvitationCounts:
    pending: int
    on_page: int
    in_visit: int
    visitor_today: int
    visitor_ever: int
    last_rejected: datetime | None
    last_timed_out: datetime | None
    last_accepted: datetime | None

    @classmethod
    def of(cls, facts: VisitFacts) -> "InvitationCounts":
        mine = Invitation.objects.filter(global_visit_id=facts.visit.global_visit_id)
        day = facts.now - timedelta(days=1)
        counts = mine.aggregate(
            pending=Count(
                "pk",
                filter=Q(visit_id=facts.visit.pk, state__in=("offered", "shown"))
                & Q(expires_at__gt=facts.now),
            ),
            on_page=Count("pk", filter=Q(page_id=facts.page.pk)),
            in_visit=Count("pk", filter=Q(visit_id=facts.visit.pk)),
            visitor_today=Count("pk", filter=Q(offered_at__gte=day)),
            visitor_ever=Count("pk"),
        )
        last = {
            state: mine.filter(state=state)
            .order_by("-ended_at")
            .values_list("ended_at", flat=True)
            .first()
            for state in ("rejected", "timedout", "accepted")
        }
        return cls(
            **counts,
            last_rejected=last["rejected"],
            last_timed_out=last["timedout"],
            last_accepted=last["accepted"],
        )
