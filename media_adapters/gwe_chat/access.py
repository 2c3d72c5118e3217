"""Who may work as an agent: an active Django user in a group a configured chat adapter routes
to, working from GWE's own pages. (A visitor holds a signed token for their chat: tokens.py.)"""

from urllib.parse import urlsplit

from django.conf import settings

from media_adapters.gwe_chat.adapter import agent_groups
from notifications.origins import scope_header


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
