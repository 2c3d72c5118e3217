"""Group commit: the writes of many sockets and requests, in one transaction.

The tracker's events and page starts and the notifications pushed over REST are each a small
write whose cost is mostly its commit (and, on the event loop, the hop to a thread and back).
So one writer thread per process runs them: it takes every write waiting, up to
`GWE_GROUP_COMMIT_MAX`, runs each in a savepoint of one transaction, commits, and only then
answers each, all in one hop back to each event loop. While one transaction commits the next
gathers, so a write waits for nothing when the server is idle and shares a commit when it is
busy.

What each write sees is what it saw alone: its own savepoint (a write that raises undoes only
its own work, and gets its exception back), the writes before it in the same order they came
in (a socket's messages are handled one after the other), pushes sent once the transaction
committed (`transaction.on_commit`). If the commit itself fails, every write of the
transaction gets that error: nothing of it was stored, and nothing was acknowledged.
"""

import asyncio
import contextlib
import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction

logger = logging.getLogger(__name__)


class _Write:
    __slots__ = ("future", "loop", "work")

    def __init__(self, work: Callable[[], Any], loop, future) -> None:
        self.work, self.loop, self.future = work, loop, future


class GroupCommit:
    def __init__(self) -> None:
        self.waiting: queue.SimpleQueue[_Write] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.transactions = 0  # committed or not: how many the writes were grouped in

    async def run[R](self, work: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """`work(*args, **kwargs)` in the writer, answered once its transaction committed."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.started()
        self.waiting.put(_Write(lambda: work(*args, **kwargs), loop, future))
        return await future

    def started(self) -> None:
        if self.thread is None:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(
                        target=self.write_forever, name="gwe-group-commit", daemon=True
                    )
                    self.thread.start()

    def write_forever(self) -> None:
        while True:
            batch = [self.waiting.get()]
            most = settings.GWE_GROUP_COMMIT_MAX
            while len(batch) < most:
                try:
                    batch.append(self.waiting.get_nowait())
                except queue.Empty:
                    break
            self.answer(batch, self.commit(batch))

    def commit(self, batch: list[_Write]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with transaction.atomic():
                for write in batch:
                    try:
                        with transaction.atomic():
                            outcomes.append((True, write.work()))
                    except Exception as exc:  # that write's, given back to it
                        outcomes.append((False, exc))
        except Exception as exc:  # the commit: nothing of the batch was stored
            logger.warning("%d write(s) not stored: %s", len(batch), exc)
            outcomes = [(False, exc)] * len(batch)
        finally:
            self.transactions += 1
            close_old_connections()
        return outcomes

    @staticmethod
    def answer(batch: list[_Write], outcomes: list[tuple[bool, Any]]) -> None:
        by_loop: dict[Any, list] = defaultdict(list)
        for write, outcome in zip(batch, outcomes, strict=True):
            by_loop[write.loop].append((write.future, outcome))
        for loop, answers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for them
                loop.call_soon_threadsafe(_settle, answers)


def _settle(answers: list) -> None:
    for future, (ok, value) in answers:
        if future.done():
            continue  # its caller gave up (the socket closed)
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


group_commit = GroupCommit()


async def written[R](work: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run a write with the others of the moment, answered once it committed."""
    return await group_commit.run(work, *args, **kwargs)
