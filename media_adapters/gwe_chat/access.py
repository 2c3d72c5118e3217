"""Who may work as an agent: an active Django user in a group a configured chat adapter routes
to, working from GWE's own pages. (A visitor holds a signed token for their chat: tokens.py.)"""

from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from django.conf import settings

from media_adapters.gwe_chat.adapter import agent_groups
from notifications.origins import refused_without_origin, scope_header

FORBIDDEN = 4403  # the close code of a socket whose user is not an agent


def is_agent(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.groups.filter(name__in=agent_groups()).exists()
    )


def same_origin(scope: dict) -> bool:
    """A socket that acts with the agent's session must come from GWE's own pages: its Origin
    is GWE's host (or a trusted origin), never a customer site that embeds the tracker."""
    origin = scope_header(scope, b"origin")
    if origin is None:
        return False  # a socket must say where it comes from (notifications/origins.py)
    if origin.lower() in (o.lower() for o in settings.CSRF_TRUSTED_ORIGINS):
        return True
    host = scope_header(scope, b"host")
    return host is not None and urlsplit(origin).netloc.lower() == host.lower()


async def agent_admitted(consumer) -> bool:
    """Whether an agent's socket (the console's, the visitors list's) is let in, with
    `consumer.user` set: one without an Origin is told to send one; one from another site is
    refused at the handshake (403); one whose user is not an agent is accepted and closed
    with FORBIDDEN, a code the page can read."""
    if await refused_without_origin(consumer):
        return False
    if not same_origin(consumer.scope):
        await consumer.close()  # before accept: the handshake is refused with 403
        return False
    await consumer.accept()
    consumer.user = consumer.scope.get("user")
    if not await database_sync_to_async(is_agent)(consumer.user):
        await consumer.close(code=FORBIDDEN)
        return False
    return True
