"""What the HTTP adapters share: signing a body, and turning httpx's failures into words."""

import hashlib
import hmac
from urllib.parse import urlsplit

import httpx


def signature(secret: str, body: bytes) -> str:
    """`X-GWE-Signature`: sha256=HMAC(secret, body), hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_url(value: object, name: str = "url") -> None:
    """ValueError unless an absolute http(s) URL (options checked at start-up)."""
    parts = urlsplit(str(value or ""))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) URL, not {value!r}")


def never_sent(exc: httpx.HTTPError) -> bool:
    """Whether the request surely did not reach the server (safe to send again)."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


def describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect: {exc}"
    return f"{type(exc).__name__}: {exc}"
