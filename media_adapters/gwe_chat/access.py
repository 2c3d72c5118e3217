"""Who may do what: a visitor holds a signed token for their chat; an agent is an active
Django user in an agents group, working from GWE's own pages."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing

from notifications.origins import scope_header

DEFAULT_GROUP = "agents"

_signer = signing.Signer(salt="gwe_chat.visitor")


def visitor_token(chat_id: str) -> str:
    return _signer.sign(chat_id)


def visitor_token_valid(chat_id: str, token: str) -> bool:
    try:
        return _signer.unsign(token or "") == chat_id
    except signing.BadSignature:
        return False


def agent_groups() -> set[str]:
    """The groups the configured chat adapters route to (`agents` unless one says otherwise)."""
    from media_adapters.gwe_chat.adapter import GweChatAdapter
    from media_adapters.registry import adapters

    groups = {a.options["group"] for a in adapters().values() if isinstance(a, GweChatAdapter)}
    return groups or {DEFAULT_GROUP}


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
        return True  # not a browser: no session cookie rides along uninvited
    if origin.lower() in (o.lower() for o in settings.CSRF_TRUSTED_ORIGINS):
        return True
    host = scope_header(scope, b"host")
    return host is not None and urlsplit(origin).netloc.lower() == host.lower()
