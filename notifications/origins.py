"""Which web sites may talk to the tracker endpoints: GWE_ALLOWED_ORIGINS and GWE itself."""

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
