"""A test client for GWE's ASGI application, so that requests take the same route as under
daphne: the hot paths are Channels consumers, which Django's test client does not reach.

Tests that use it must be transactional: consumers close stale database connections around
their work, as they do in production, which would end a test's wrapping transaction."""

import base64
import json
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator

from gwe.asgi import application


@dataclass
class AsgiResponse:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self):
        return json.loads(self.content)


class AsgiClient:
    def __init__(self, *, authorization: str | None = None, peer: str = "127.0.0.1") -> None:
        self.authorization = authorization
        self.peer = peer  # the address the request comes from

    @classmethod
    def basic(cls, username: str, password: str, *, peer: str = "127.0.0.1") -> "AsgiClient":
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        return cls(authorization=f"Basic {token}", peer=peer)

    def post(self, path: str, body, *, headers: dict[str, str] | None = None) -> AsgiResponse:
        raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        return self.request(
            "POST", path, raw, {"content-type": "application/json", **(headers or {})}
        )

    def get(self, path: str) -> AsgiResponse:
        return self.request("GET", path, b"", {})

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> AsgiResponse:
        return async_to_sync(self.arequest)(method, path, body, headers)

    async def arequest(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> AsgiResponse:
        sent = {"host": "testserver", "content-length": str(len(body)), **headers}
        if self.authorization:
            sent["authorization"] = self.authorization
        encoded = [(k.lower().encode(), v.encode()) for k, v in sent.items()]
        communicator = HttpCommunicator(application, method, path, body, encoded)
        communicator.scope["client"] = (self.peer, 50000)
        response = await communicator.get_response()
        return AsgiResponse(
            status_code=response["status"],
            headers={k.decode().lower(): v.decode() for k, v in response["headers"]},
            content=response["body"],
        )
