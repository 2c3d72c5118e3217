"""Pushing what was stored to the sockets that follow it: one way in, one failure policy.

What is pushed has been stored first (a notification, a chat message), or is worth nothing
later (typing). A push that cannot go out now (Redis away) is logged and never raised into
the caller: the caller's write stands, and followers read what they missed from the
database when the bus is back or when they reconnect (notifications/follower.py)."""

import logging
from functools import partial

from django.db import transaction

from notifications.bus import BusUnavailable, Published, get_bus

logger = logging.getLogger(__name__)


def push_on_commit(items: list[Published]) -> None:
    """Push once the transaction that stored the items commits, the outermost one if they are
    nested (never what was rolled back); at once outside a transaction."""
    if items:
        transaction.on_commit(partial(_push, items))


def _push(items: list[Published]) -> bool:
    try:
        get_bus().publish(items)
    except BusUnavailable as exc:
        _not_pushed(items, exc)
        return False
    return True


async def push(items: list[Published]) -> bool:
    """Push from the event loop what has already committed; whether it went out now."""
    try:
        await get_bus().apublish(items)
    except BusUnavailable as exc:
        _not_pushed(items, exc)
        return False
    return True


def _not_pushed(items: list[Published], exc: BusUnavailable) -> None:
    topics = sorted({item.topic for item in items})
    logger.warning(
        "not pushed now (%s): %d item(s) for %s; followers read them when the bus is back",
        exc,
        len(items),
        ", ".join(topics[:3]) + (" ..." if len(topics) > 3 else ""),
    )
