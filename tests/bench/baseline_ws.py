"""The baseline of the notification benchmark: a bare `websockets` server fed by Redis
pub/sub, doing the same fan-out as GWE (visit → its sockets, each frame encoded once by the
sender), with nothing else: no database, no authentication, no replay.

    python -m tests.bench.baseline_ws PORT REDIS_URL
"""

import json
import sys
from collections import defaultdict

import redis.asyncio as aioredis
from websockets.asyncio.server import broadcast, serve

CHANNEL = "bench:notify"


async def main(port: int, redis_url: str) -> None:
    sockets: dict[str, set] = defaultdict(set)

    async def page(socket) -> None:
        visit = socket.request.path.rsplit("=", 1)[-1]
        sockets[visit].add(socket)
        try:
            await socket.wait_closed()
        finally:
            sockets[visit].discard(socket)

    async with serve(page, "127.0.0.1", port, compression=None):
        client = aioredis.Redis.from_url(redis_url)
        async with client.pubsub() as pubsub:
            await pubsub.subscribe(CHANNEL)
            async for item in pubsub.listen():
                if item["type"] == "message":
                    visit, frame = json.loads(item["data"])
                    broadcast(sockets.get(visit, ()), frame)


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1]), sys.argv[2]))
