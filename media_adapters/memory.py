"""An adapter that keeps what it is asked in memory, like Django's locmem mail backend: for
tests, and for trying rules out before a contact center is connected."""

from typing import Any

from media_adapters.base import AdapterError, Engagement, EngagementContext, MediaAdapter

# Every engagement started by any in-memory adapter, oldest first (tests empty it).
outbox: list[EngagementContext] = []


class InMemoryAdapter(MediaAdapter):
    """OPTIONS: `available` (default true); `text`, `url` and `open`, what the visitor sees;
    `fail` (a message: every start fails with it, transient)."""

    OPTIONS = {
        "available": True,
        "text": "Thank you: we are connecting you.",
        "url": "",
        "open": Engagement.Open.POPUP,
        "fail": "",
    }
    TEMPLATE_OPTIONS = {"scenario": "", "service_name": ""}

    def check_options(self, options: dict[str, Any]) -> None:
        if options["open"] not in (Engagement.Open.POPUP, Engagement.Open.EMBED):
            raise ValueError("open must be popup or embed")

    def is_available(self, options: dict[str, Any]) -> bool:
        return bool(self.options["available"])

    def start(self, context: EngagementContext) -> Engagement:
        if self.options["fail"]:
            raise AdapterError(self.options["fail"], permanent=False)
        outbox.append(context)
        return self._engagement(f"memory-{len(outbox)}")

    def resume(self, reference: str) -> Engagement | None:
        """What it embedded follows the visitor, as long as the outbox holds it."""
        number = reference.removeprefix("memory-")
        started = number.isdigit() and 1 <= int(number) <= len(outbox)
        if not started or self.options["open"] != Engagement.Open.EMBED:
            return None
        return self._engagement(reference)

    def _engagement(self, reference: str) -> Engagement:
        return Engagement(
            text=self.options["text"],
            url=self.options["url"],
            open=self.options["open"],
            reference=reference,
        )
