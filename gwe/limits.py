"""How much one client may ask of GWE's public endpoints, and how often a password may be
wrong (SPEC §9). A client is the peer address, or, when the peer is one of
GWE_TRUSTED_PROXIES, the first address of X-Forwarded-For that is not (read from the right:
the proxies append, a client may prepend anything).

Buckets are kept in each server process (no round trip on the hot path): behind a balancer
with N processes a client may get up to N times a limit, which still bounds it."""

import ipaddress
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class _Bucket:
    tokens: float
    at: float


class Limiter:
    """Token buckets per key: `per_second` refill, `burst` at most. Rate 0: no limit."""

    def __init__(self, per_second: float, burst: float, *, keys: int = 100_000) -> None:
        self.per_second, self.burst, self.keys = per_second, burst, keys
        self.buckets: OrderedDict[object, _Bucket] = OrderedDict()

    def take(self, key: object, *, now: float | None = None) -> float:
        """0 when the key may go on (a token is spent), else the seconds until it may."""
        if self.per_second <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self.buckets.pop(key, None) or _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        self.buckets[key] = bucket  # the most recent last: the oldest go first when full
        if len(self.buckets) > self.keys:
            self.buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second


def per_socket() -> Limiter:
    """One socket's messages: GWE_LIMIT_MESSAGES_PER_SECOND, four seconds' worth at once."""
    rate = settings.GWE_LIMIT_MESSAGES_PER_SECOND
    return Limiter(rate, rate * 4, keys=1)


def per_minute(count: int) -> Limiter:
    """`count` a minute, all of them at once if they come at once."""
    return Limiter(count / 60, count)


@cache
def trusted_proxies() -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(entry, strict=False) for entry in settings.GWE_TRUSTED_PROXIES
    )


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted_proxies())


def client_address(peer: str | None, forwarded_for: str | None) -> str:
    """Who is asking: the peer, or the first untrusted hop it forwarded for."""
    client = peer or "unknown"
    if forwarded_for and _trusted(client):
        for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
            if not hop:
                continue
            client = hop
            if not _trusted(hop):
                break
    return client


def scope_client(scope: dict) -> str:
    """The client of an ASGI connection (HTTP or WebSocket)."""
    peer = (scope.get("client") or [None])[0]
    forwarded = None
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-for":
            forwarded = value.decode("latin-1")
    return client_address(peer, forwarded)


def request_client(request) -> str:
    """The client of a Django request."""
    meta = getattr(request, "META", {})
    return client_address(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"))


class Limits:
    """The server's limits, from its settings (made once per process; `reset` for tests)."""

    def __init__(self) -> None:
        self.visits = per_minute(settings.GWE_LIMIT_VISITS_PER_MINUTE)
        self.http = Limiter(
            settings.GWE_LIMIT_HTTP_PER_SECOND, settings.GWE_LIMIT_HTTP_PER_SECOND * 5
        )
        self.failures: OrderedDict[tuple, list[float]] = OrderedDict()

    # Failed passwords: after GWE_LOGIN_FAILURES in GWE_LOGIN_LOCKOUT_SECONDS, from one client
    # for one user name (so that nobody elsewhere can lock a contact center's account out),
    # or from one client for any names (10 times as many), the next attempt is refused
    # without a password hash until the oldest failure is that old.

    def login_locked(self, client: str, username: str) -> float:
        now = time.monotonic()
        window = settings.GWE_LOGIN_LOCKOUT_SECONDS
        waits = [
            self._locked((client, username), settings.GWE_LOGIN_FAILURES, window, now),
            self._locked((client,), settings.GWE_LOGIN_FAILURES * 10, window, now),
        ]
        return max(waits)

    def login_failed(self, client: str, username: str) -> None:
        now = time.monotonic()
        for key in ((client, username), (client,)):
            self.failures.setdefault(key, []).append(now)
            self.failures.move_to_end(key)
        while len(self.failures) > 100_000:
            self.failures.popitem(last=False)

    def login_succeeded(self, client: str, username: str) -> None:
        self.failures.pop((client, username), None)

    def _locked(self, key: tuple, most: int, window: int, now: float) -> float:
        if most <= 0:
            return 0.0
        recent = [at for at in self.failures.get(key, ()) if now - at < window]
        if recent:
            self.failures[key] = recent
        else:
            self.failures.pop(key, None)
        return window - (now - recent[-most]) if len(recent) >= most else 0.0


_limits: Limits | None = None


def limits() -> Limits:
    global _limits
    if _limits is None:
        _limits = Limits()
    return _limits


def reset() -> None:
    """Start every count again (tests; a changed setting)."""
    global _limits
    _limits = None
    trusted_proxies.cache_clear()
