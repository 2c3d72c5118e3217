"""What every serving process does now and then: settings.GWE_SWEEPS, a function's dotted
path → every how many seconds (expire notifications and invitations, close expired visits,
mark pages gone, end abandoned chats, pass on unanswered chats). The management commands do
the same from cron.

One set per process, started with the process: at ASGI lifespan start-up where the server
speaks lifespan (uvicorn), else with its first connection or request (daphne has no
lifespan; load balancers' health checks reach every process at once)."""

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class Sweeps:
    def __init__(self) -> None:
        self.tasks: list[asyncio.Task] = []

    @property
    def running(self) -> bool:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        return any(not t.done() and t.get_loop() is loop for t in self.tasks)

    def start(self) -> None:
        """Start every sweep on the running loop, unless they run there already."""
        if self.running:
            return
        loop = asyncio.get_running_loop()
        self.tasks = [
            loop.create_task(self.every(path, seconds))
            for path, seconds in settings.GWE_SWEEPS.items()
        ]

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.tasks = []

    async def every(self, path: str, seconds: float) -> None:
        work = import_string(path)
        while True:
            await asyncio.sleep(seconds)
            try:
                await database_sync_to_async(work)()
            except Exception:  # tried again at its next turn
                logger.exception("sweep %s failed", path)


sweeps = Sweeps()


class SweepsWithTheProcess:
    """ASGI middleware: starts the process's sweeps (lifespan, or the first scope)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        sweeps.start()
        await self.app(scope, receive, send)

    async def lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                sweeps.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                sweeps.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return
