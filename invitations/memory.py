"""What the rules ask of a visit, kept in the process that serves it.

Reading a visit's facts from the database for every event (its pages, its events by name and
window, its whole timeline for sequences) cost milliseconds per event, and more the longer
the visit. So each process keeps, per visit it has seen lately, what those facts are made
of, read once and then brought up to date as each event commits.

The database says when the copy is out of date: every insert or delete of a visit's events
bumps `Visit.events_version` (a trigger, so no writer can forget it). The rules read the
visit's row with each event anyway; when its version is the copy's plus one, the only event
the copy has not seen is the one being looked at, so the copy plus that event is the truth.
Otherwise (a tab served by another process, a write of the same transaction) this event is
looked at from the database as before, and the copy is read again once that committed. The
copy changes only on commit, so a write that is rolled back never leaves a trace in it.
"""

import bisect
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction

from gwe.models import Event, Page, Visit
from invitations.facts import Trigger, VisitFacts


class VisitMemory:
    """A visit's facts as of `version` (its events_version when they were read)."""

    def __init__(self, visit: Visit) -> None:
        self.version = visit.events_version
        self.pages = Page.objects.filter(visit_id=visit.pk).count()
        self.returning = (
            Visit.objects.filter(global_visit_id=visit.global_visit_id)
            .exclude(pk=visit.pk)
            .filter(start_time__lt=visit.start_time)
            .exists()
        )
        self.times: dict[str, list[datetime]] = {}
        self.timeline: list[frozenset[str]] = []
        self.progress: dict[tuple[str, ...], int] = {}  # a sequence's steps → how many done
        rows = Event.objects.filter(visit_id=visit.pk).values_list(
            "event_name", "category", "timestamp"
        )
        for name, category, timestamp in rows:
            self.add(name, category, timestamp)

    def add(self, name: str, category: list | None, timestamp: datetime) -> None:
        bisect.insort(self.times.setdefault(name, []), timestamp)
        moment = frozenset((name, *(category or [])))
        self.timeline.append(moment)
        for steps, done in self.progress.items():
            if done < len(steps) and steps[done] in moment:
                self.progress[steps] = done + 1

    def count(self, name: str, since: datetime | None) -> int:
        times = self.times.get(name, ())
        return len(times) - (bisect.bisect_left(times, since) if since else 0)

    def steps_done(self, steps: tuple[str, ...]) -> int:
        if steps not in self.progress:
            done = 0
            for moment in self.timeline:
                if done < len(steps) and steps[done] in moment:
                    done += 1
            self.progress[steps] = done
        return self.progress[steps]


class RememberedFacts(VisitFacts):
    """The visit's facts from its copy, plus the event being looked at (not in it yet)."""

    def __init__(self, memory: VisitMemory, *, visit: Visit, page: Page, trigger: Trigger, now):
        super().__init__(visit=visit, page=page, trigger=trigger, now=now)
        self.memory = memory
        self.moment = frozenset((trigger.event_name, *trigger.categories))

    @property
    def pages_viewed(self) -> int:  # type: ignore[override]
        return self.memory.pages + (self.trigger.event_name == "PageEntered")

    @property
    def returning(self) -> bool:  # type: ignore[override]
        return self.memory.returning

    def event_count(self, name: str, within_seconds: int | None) -> int:
        since = self.now - timedelta(seconds=within_seconds) if within_seconds else None
        trigger = self.trigger
        this = name == trigger.event_name and (since is None or trigger.timestamp >= since)
        return self.memory.count(name, since) + this

    def steps_done(self, steps: list[str]) -> int:
        key = tuple(steps)
        done = self.memory.steps_done(key)
        return done + (done < len(key) and key[done] in self.moment)


class Memories:
    """The copies of one process, the visits seen last kept (GWE_RULE_MEMORY_VISITS)."""

    def __init__(self) -> None:
        self.visits: OrderedDict[str, VisitMemory] = OrderedDict()
        self.lock = threading.Lock()

    def facts(self, event: Event, *, page: Page, trigger: Trigger, now) -> VisitFacts:
        """The facts for an event just stored in the current transaction."""
        visit = page.visit
        with self.lock:
            memory = self.visits.get(visit.pk)
            if memory is not None:
                self.visits.move_to_end(visit.pk)
        fresh = memory is not None and visit.events_version == memory.version + 1
        transaction.on_commit(partial(self.committed, visit.pk, event, visit.events_version))
        if memory is None or not fresh:
            return VisitFacts(visit=visit, page=page, trigger=trigger, now=now)
        return RememberedFacts(memory, visit=visit, page=page, trigger=trigger, now=now)

    def committed(self, visit_id: str, event: Event, version: int) -> None:
        """The event is stored: the copy takes it, or is read again if it missed others."""
        with self.lock:
            memory = self.visits.get(visit_id)
        if memory is not None and memory.version + 1 == version:
            memory.add(event.event_name, event.category, event.timestamp)
            memory.pages += event.event_name == "PageEntered"
            memory.version = version
            return
        visit = Visit.objects.filter(pk=visit_id).first()
        if visit is None:
            return
        memory = VisitMemory(visit)
        with self.lock:
            self.visits[visit_id] = memory
            self.visits.move_to_end(visit_id)
            while len(self.visits) > settings.GWE_RULE_MEMORY_VISITS:
                self.visits.popitem(last=False)

    def forget(self) -> None:
        with self.lock:
            self.visits.clear()


memories = Memories()
