"""GWE chat, the built-in second-party medium: a visitor who accepts an invitation chats in
the browser with an agent (a Django user in the `agents` group) working in /agent/.

`GweChatAdapter` is imported on first use: this package is also a Django app, whose models
cannot be imported while the app registry loads."""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "GweChatAdapter":
        from media_adapters.gwe_chat.adapter import GweChatAdapter

        return GweChatAdapter
    raise AttributeError(name)
