from typing import Any, ClassVar
from urllib.parse import urlencode

from media_adapters.base import AdapterError, Engagement, EngagementContext, MediaAdapter
from media_adapters.gwe_chat import selectors, services
from media_adapters.gwe_chat.access import DEFAULT_GROUP, visitor_token
from media_adapters.gwe_chat.models import Sender

CHAT_PAGE = "/server/resources/chat.html"
CONNECTING = "Connecting you to an adviser…"
NOBODY_FREE = "No adviser is free right now. Please try again in a few minutes."


class GweChatAdapter(MediaAdapter):
    """The built-in chat: the visitor chats in the invitation's place with an agent working
    in /agent/. OPTIONS: `group`, whose members are the agents (default agents);
    `seen_within_seconds`, how recently an agent's console must have answered for them to
    count as there (default 60; a connected console answers every 15 s)."""

    OPTIONS = {"group": DEFAULT_GROUP, "seen_within_seconds": 60}
    TEMPLATE_OPTIONS: ClassVar[dict[str, Any]] = {}

    def check_options(self, options: dict[str, Any]) -> None:
        if not isinstance(options["group"], str) or not options["group"].strip():
            raise ValueError("group must name a group of users")
        seen = options["seen_within_seconds"]
        if isinstance(seen, bool) or not isinstance(seen, int) or seen < 20:
            raise ValueError("seen_within_seconds must be a number of seconds, at least 20")

    def is_available(self, options: dict[str, Any]) -> bool:
        return self._free_agents().exists()

    def start(self, context: EngagementContext) -> Engagement:
        try:
            chat = services.chat_start(
                context=context,
                group=self.options["group"],
                seen_within_seconds=self.options["seen_within_seconds"],
            )
        except services.NoAgentFree:
            raise AdapterError(
                NOBODY_FREE, permanent=False, detail="no agent of the group is free"
            ) from None
        query = urlencode({"chat": chat.pk, "token": visitor_token(chat.pk)})
        return Engagement(
            text=CONNECTING,
            url=f"{CHAT_PAGE}?{query}",
            open=Engagement.Open.EMBED,
            reference=chat.pk,
        )

    def cancel(self, reference: str) -> None:
        services.chat_end(chat_id=reference, by=Sender.SYSTEM)

    def _free_agents(self):
        return selectors.agents_free(
            group=self.options["group"],
            seen_within_seconds=self.options["seen_within_seconds"],
        )
