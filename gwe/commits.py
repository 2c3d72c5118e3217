"""Group commit: the writes of many sockets and requests, in one transaction.

The tracker's events and page starts and the notifications pushed over REST are each a small
write whose cost is mostly its commit (and, on the event loop, the hop to a thread and back).
So one writer thread per process runs them: it takes every write waiting, up to
`GWE_GROUP_COMMIT_MAX`, runs each in a savepoint of one transaction, commits, and only then
answers each, all in one hop back to each event loop. While one transaction commits the next
gathers, so a write waits for nothing when the server is idle and shares a commit when it is
busy.

What each write sees is what it saw alone: the writes before it in the same order they came
in (a socket's messages are handled one after the other), pushes sent once the transaction
committed (`transaction.on_commit`), and a write that raises undoes only its own work and
gets its exception back. The writes run with no savepoint of their own, as one transaction;
when one raises after it changed something, that transaction is rolled back and the batch
done again with each write in a savepoint (one refused after reads only just gets its
error). So a write must leave nothing behind but its rows and what it hands to
`transaction.on_commit` (the rules' memory of a visit, a page's last activity): done twice,
it is done once. If the commit itself fails, every write of the transaction gets that error:
nothing of it was stored, and nothing was acknowledged.
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
from django.db import close_old_connections, connection, transaction

logger = logging.getLogger(__name__)


class _Failed(Exception):
    def __init__(self, error: Exception) -> None:
        self.error = error


class _Watch:
    """Whether the statements of the write running now changed anything or failed (a failed
    statement aborts a PostgreSQL transaction): reads alone leave nothing to undo."""

    __slots__ = ("dirty",)

    def __init__(self) -> None:
        self.dirty = False

    def __call__(self, execute, sql, params, many, context):
        if not sql.lstrip().startswith("SELECT"):
            self.dirty = True
        try:
            return execute(sql, params, many, context)
        except Exception:
            self.dirty = True
            raise


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
        self.reruns = 0  # batches done again, each write in a savepoint, after one raised

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
        try:
            try:
                return self.together(batch)
            except _Failed as failed:
                if len(batch) == 1:
                    return [(False, failed.error)]
                self.reruns += 1
                return self.each_alone(batch)
        except Exception as exc:  # the commit: nothing of the batch was stored
            logger.warning("%d write(s) not stored: %s", len(batch), exc)
            return [(False, exc)] * len(batch)
        finally:
            close_old_connections()

    def together(self, batch: list[_Write]) -> list[tuple[bool, Any]]:
        """Every write, with no savepoint (two round trips each saved on PostgreSQL). A write
        refused before it wrote anything (bad credentials, an unknown page) just gets its
        error; the first that raises after it wrote undoes them all, to be done again each in
        a savepoint."""
        watch = _Watch()
        with self.counted(), transaction.atomic(), connection.execute_wrapper(watch):
            outcomes: list[tuple[bool, Any]] = []
            for write in batch:
                watch.dirty, callbacks = False, len(connection.run_on_commit)
                try:
                    outcomes.append((True, write.work()))
                except Exception as exc:
                    if watch.dirty or len(connection.run_on_commit) > callbacks:
                        raise _Failed(exc) from exc
                    outcomes.append((False, exc))
            return outcomes

    def each_alone(self, batch: list[_Write]) -> list[tuple[bool, Any]]:
        with self.counted(), transaction.atomic():
            outcomes: list[tuple[bool, Any]] = []
            for write in batch:
                try:
                    with transaction.atomic():
                        outcomes.append((True, write.work()))
                except Exception as exc:  # that write's, given back to it
                    outcomes.append((False, exc))
            return outcomes

    @contextlib.contextmanager
    def counted(self):
        try:
            yield
        finally:
            self.transactions += 1

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
