"""Pages' receipts, written in batches: one transaction for all receipts of a short while,
rather than one per message and page."""

import asyncio
import logging
from collections import defaultdict

from gwe.commits import written
from notifications.services import deliveries_record

logger = logging.getLogger(__name__)

FLUSH_EVERY = 0.25  # seconds


class DeliveryRecorder:
    def __init__(self) -> None:
        self.pending: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.flusher: asyncio.Task | None = None

    def add(self, visit_id: str, page_id: str, notification_ids: list[str]) -> None:
        self.pending[(visit_id, page_id)].update(str(i) for i in notification_ids[:100])
        loop = asyncio.get_running_loop()
        if self.flusher is None or self.flusher.done() or self.flusher.get_loop() is not loop:
            self.flusher = loop.create_task(self.flush_soon())

    async def flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_EVERY)
        await self.flush()

    async def flush(self) -> None:
        batch, self.pending = self.pending, defaultdict(set)
        if batch:
            try:
                await written(_record, batch)  # with the other writes of the moment
            except Exception:
                logger.exception("could not record %d pages' receipts", len(batch))


def _record(batch: dict[tuple[str, str], set[str]]) -> None:
    try:
        deliveries_record(receipts=batch)
    except Exception:
        # A receipt is bookkeeping: losing one must not break delivery.
        logger.exception("could not record %d pages' receipts", len(batch))


_recorder = DeliveryRecorder()


def get_recorder() -> DeliveryRecorder:
    return _recorder
