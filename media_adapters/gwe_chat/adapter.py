from typing import Any, ClassVar
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy

from gwe.languages import in_visitors_language
from media_adapters.base import (
    AdapterError,
    Capacity,
    Engagement,
    EngagementContext,
    MediaAdapter,
)
from media_adapters.gwe_chat import left_messages, selectors, services
from media_adapters.gwe_chat.models import Sender
from media_adapters.gwe_chat.tokens import visitor_token
from media_adapters.registry import adapters

CHAT_PAGE = "/server/resources/chat.html"
DEFAULT_GROUP = "agents"
CONNECTING = gettext_lazy("Connecting you to an adviser…")
NOBODY_FREE = gettext_lazy("No adviser is free right now. Please try again in a few minutes.")
LEAVE_A_MESSAGE = gettext_lazy("No adviser is free right now: leave us a message.")


class GweChatAdapter(MediaAdapter):
    """The built-in chat: the visitor chats in the invitation's place with an agent working
    in /agent/. OPTIONS: `group`, whose members are the agents (default agents);
    `seen_within_seconds`, how recently an agent's console must have answered for them to
    count as there (default 60; a connected console answers every 15 s);
    `answer_within_seconds`, how long a chat waits for its agent before it is passed on to
    another (default 60); `wait_at_most_seconds`, how long a visitor waits in all before the
    chat ends unanswered (default 300)."""

    OPTIONS = {
        "group": DEFAULT_GROUP,
        "seen_within_seconds": 60,
        "answer_within_seconds": 60,
        "wait_at_most_seconds": 300,
    }
    TEMPLATE_OPTIONS: ClassVar[dict[str, Any]] = {}

    def check_options(self, options: dict[str, Any]) -> None:
        if not isinstance(options["group"], str) or not options["group"].strip():
            raise ValueError("group must name a group of users")
        least = {"seen_within_seconds": 20, "answer_within_seconds": 10}
        least["wait_at_most_seconds"] = options["answer_within_seconds"]
        for name, shortest in least.items():
            value = options[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < shortest:
                raise ValueError(f"{name} must be a number of seconds, at least {shortest}")

    @property
    def routing(self) -> services.Routing:
        return services.Routing(alias=self.alias, **self.options)

    def is_available(self, options: dict[str, Any]) -> bool:
        return self._free_agents().exists()

    def capacity(self, options: dict[str, Any]) -> Capacity:
        """The agents ready (available, console seen lately), their slots (`max_chats`), the
        chats open with them, and the last hour's chat lengths and busyness."""
        return selectors.chat_capacity(
            alias=self.alias,
            group=self.options["group"],
            seen_within_seconds=self.options["seen_within_seconds"],
        )

    def start(self, context: EngagementContext) -> Engagement:
        try:
            chat = services.chat_start(context=context, routing=self.routing)
        except services.NoAgentFree:
            with in_visitors_language(context.language) as language:
                leave = left_messages.message_page(
                    visit_id=context.visit_id,
                    page_id=context.page_id,
                    alias=self.alias,
                    language=language,
                )
                offer = Engagement(text=str(LEAVE_A_MESSAGE), url=leave, open=Engagement.Open.EMBED)
                raise AdapterError(
                    str(NOBODY_FREE),
                    permanent=False,
                    detail="no agent of the group is free",
                    instead=offer,
                ) from None
        return self._chat_page(chat.pk, context.language)

    def cancel(self, reference: str) -> None:
        services.chat_end(chat_id=reference, by=Sender.SYSTEM)

    def resume(self, reference: str) -> Engagement | None:
        """The chat follows the visitor from page to page until it ends."""
        language = selectors.open_chat_language(chat_id=reference)
        return None if language is None else self._chat_page(reference, language)

    def _chat_page(self, chat_id: str, language: str) -> Engagement:
        with in_visitors_language(language) as chosen:
            query = urlencode({"chat": chat_id, "token": visitor_token(chat_id), "lang": chosen})
            text = str(CONNECTING)
        return Engagement(
            text=text,
            url=f"{CHAT_PAGE}?{query}",
            open=Engagement.Open.EMBED,
            reference=chat_id,
        )

    def _free_agents(self):
        return selectors.agents_free(
            group=self.options["group"],
            seen_within_seconds=self.options["seen_within_seconds"],
        )


def chat_adapters() -> list[GweChatAdapter]:
    """The configured built-in chat adapters (usually one, `gwe-chat`)."""
    return [a for a in adapters().values() if isinstance(a, GweChatAdapter)]


def agent_groups() -> set[str]:
    """The groups the configured chat adapters route to (`agents` unless one says otherwise)."""
    return {a.options["group"] for a in chat_adapters()} or {DEFAULT_GROUP}


def unanswered_chats_pass_on() -> int:
    """What the server does every few seconds (GWE_SWEEPS): each chat adapter's chats left
    waiting are passed on, or ended (services.chats_pass_on_unanswered)."""
    return sum(services.chats_pass_on_unanswered(routing=a.routing) for a in chat_adapters())


def chats_watch_visitors() -> int:
    """What the server does every few seconds: each chat adapter's agents read when their
    visitors leave and come back, and chats whose visitor left for good end
    (services.chats_watch_visitors)."""
    return sum(services.chats_watch_visitors(alias=a.alias) for a in chat_adapters())
