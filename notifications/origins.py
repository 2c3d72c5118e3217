"""Which web sites may talk to the tracker endpoints: GWE_ALLOWED_ORIGINS and GWE itself.
A socket must say where it comes from: one with no Origin is refused like one from a site not
allowed (a browser always sends it; a script opening a socket in a victim's visit may not)."""

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import validate_host


def origin_allowed(origin: str | None) -> bool:
    """True for a request with no Origin (not from a browser page), an origin in
    GWE_ALLOWED_ORIGINS, or one of GWE's own hosts (its demo and admin pages)."""
    if not origin:
        return True
    allowed = settings.GWE_ALLOWED_ORIGINS
    if "*" in allowed or origin.lower() in allowed:
        return True
    host = urlsplit(origin).hostname
    return host is not None and validate_host(host, settings.ALLOWED_HOSTS)


def scope_header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


NO_ORIGIN = (
    "this socket sent no Origin header: send one naming a site in GWE_ALLOWED_ORIGINS, or "
    "GWE's own address for the console (browsers send it themselves; in Python, "
    "websockets.connect(url, origin='https://shop.example'))"
)


async def refused_without_origin(consumer) -> bool:
    """A socket with no Origin is told what to send, then closed with 4403 (True)."""
    if scope_header(consumer.scope, b"origin"):
        return False
    await consumer.accept()
    await consumer.send(
        text_data=json.dumps({"type": "error", "status": 403, "message": NO_ORIGIN})
    )
    await consumer.close(code=4403)
    return True
