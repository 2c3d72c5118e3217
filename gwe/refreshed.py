"""Configuration kept by each process and read again when it changes.

What business users edit (rules, categories, business-event definitions) is read for every
event or page; so each process keeps its copy and asks the database at most once a second
whether anything changed (a cheap version query): an edit takes effect within a second in
every process, without a restart."""

import threading
import time
from collections.abc import Callable, Hashable

from django.db.models import Count, Max, Model


class Refreshed[T]:
    def __init__(
        self, load: Callable[[], T], version: Callable[[], Hashable], *, every: float = 1.0
    ) -> None:
        self.load, self.version, self.every = load, version, every
        self.lock = threading.Lock()
        self.value: T | None = None
        self.seen: Hashable = None
        self.checked_at = 0.0

    def get(self) -> T:
        with self.lock:
            now = time.monotonic()
            if self.value is None or now - self.checked_at >= self.every:
                version = self.version()
                if self.value is None or version != self.seen:
                    self.value, self.seen = self.load(), version
                self.checked_at = now
            return self.value

    def forget(self) -> None:
        """Read again on next use (tests that edit and read at once)."""
        with self.lock:
            self.value = self.seen = None


def edits_of(*models: type[Model]) -> tuple:
    """A version of what the models hold that changes with any edit: for each, how many rows
    and the latest `updated_at` (a deleted row changes the count, an edited one the date)."""
    return tuple(
        tuple(model.objects.aggregate(n=Count("pk"), at=Max("updated_at")).values())  # type: ignore[attr-defined]
        for model in models
    )
