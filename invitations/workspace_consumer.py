"""/server/ws/agent/visitors: the console's list of who is on the site, and its invitations
by hand. The list is read again every GWE_VISITORS_REFRESH_SECONDS and sent only when what
the agent sees changed: one frame a second at most, however busy the site is.

In: `filter {search, page, identified, returning, offset}`, `invite {visit, template}`,
`ping`. Out: `templates {templates}` (on connect), `visitors {total, offset, rows}`,
`invited {visit, invitation}`, `error {status, message}`, `pong`."""

import asyncio
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from gwe.protocol import ProtocolError, decode
from invitations import workspace
from media_adapters.gwe_chat import access

MAX_FRAME_BYTES = 4096


class VisitorsConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.watching: asyncio.Task | None = None
        if not await access.agent_admitted(self):
            return
        self.wanted = workspace.VisitorFilter()
        self.shown = ""
        templates = await database_sync_to_async(workspace.invite_templates)()
        await self.send_json({"type": "templates", "templates": templates})
        self.watching = asyncio.create_task(self.watch())

    async def disconnect(self, code):
        watching = getattr(self, "watching", None)
        if watching is not None:
            watching.cancel()

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = decode(
                text_data if text_data is not None else bytes_data or b"", max_bytes=MAX_FRAME_BYTES
            )
            if not isinstance(message, dict):
                raise ProtocolError(400, "send a JSON object")
            kind = message.get("type")
            if kind == "filter":
                self.wanted = _filter(message)
                await self.refresh(force=True)
            elif kind == "invite":
                await self.invite(message)
            elif kind == "ping":
                await self.send_json({"type": "pong"})
            else:
                raise ProtocolError(400, f"unknown message type {kind!r}")
        except ProtocolError as exc:
            await self.send_json(exc.as_reply())

    async def watch(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(settings.GWE_VISITORS_REFRESH_SECONDS)

    async def refresh(self, *, force: bool = False) -> None:
        listing = await database_sync_to_async(workspace.visitors_on_site)(self.wanted)
        frame = json.dumps({"type": "visitors", **listing}, separators=(",", ":"))
        if force or frame != self.shown:
            self.shown = frame
            await self.send(text_data=frame)

    async def invite(self, message: dict) -> None:
        visit, template = message.get("visit"), message.get("template")
        if not isinstance(visit, str) or not visit or not isinstance(template, str):
            raise ProtocolError(400, "invite needs a visit ID and a template")
        try:
            invitation = await database_sync_to_async(workspace.invite_by_agent)(
                visit_id=visit[:64], template=template[:64], agent=self.user
            )
        except workspace.InviteRefused as exc:
            raise ProtocolError(409, exc.message) from None
        await self.send_json({"type": "invited", "visit": visit, "invitation": invitation.pk})
        await self.refresh()

    async def send_json(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, separators=(",", ":")))


def _filter(message: dict) -> workspace.VisitorFilter:
    texts = {name: message.get(name, "") for name in ("search", "page")}
    flags = {name: message.get(name) for name in ("identified", "returning")}
    offset = message.get("offset", 0)
    if not all(isinstance(v, str) for v in texts.values()):
        raise ProtocolError(400, "search and page must be text")
    if not all(v is None or isinstance(v, bool) for v in flags.values()):
        raise ProtocolError(400, "identified and returning must be true, false or null")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ProtocolError(400, "offset must be a whole number, at least 0")
    return workspace.VisitorFilter(
        search=texts["search"][:200],
        page=texts["page"][:200],
        identified=flags["identified"],
        returning=flags["returning"],
        offset=offset,
    )
