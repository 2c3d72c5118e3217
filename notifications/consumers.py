"""What every consumer at GWE's edge shares: the tracker's, the chat's, notify."""

from channels.consumer import get_handler_name


class DirectDispatch:
    """Dispatch without Channels' per-message housekeeping, and no channel-layer inbox.

    Channels closes stale database connections before every incoming message, a thread
    switch each time: for a page's receipts and pings that is the whole cost. These
    consumers touch the database only through database_sync_to_async, which does that
    housekeeping itself, in the thread where the connection lives.

    Nothing addresses these consumers through the channel layer (what they push comes over
    GWE's own bus, notifications/bus.py), so they do not open an inbox on it: with Redis
    that would be a new channel and a blocking read per socket or HTTP request."""

    channel_layer_alias = "none: these consumers are not addressed through a channel layer"

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
