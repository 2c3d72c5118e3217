"""What GWE's outgoing HTTP calls share (the HTTP media adapters and the engagement webhook):
signing a body, POSTing with retries, asking whether someone is available, and turning
httpx's failures into words."""

import hashlib
import hmac
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from media_adapters.base import Capacity

logger = logging.getLogger(__name__)

# Given the last attempt's answer (or failure): whether sending the request again is safe.
Resend = Callable[[httpx.Response | httpx.HTTPError], bool]


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


def describe(failure: httpx.Response | httpx.HTTPError) -> str:
    if isinstance(failure, httpx.Response):
        return f"{failure.status_code} {failure.reason_phrase}"
    if isinstance(failure, httpx.TimeoutException):
        return f"no answer in time ({type(failure).__name__})"
    if isinstance(failure, httpx.ConnectError):
        return f"could not connect: {failure}"
    return f"{type(failure).__name__}: {failure}"


def on_failure(outcome: httpx.Response | httpx.HTTPError) -> bool:
    """For a receiver that tells a repeat by its content (the invitation's id): a 5xx, a
    timeout or a connection error is sent again; a 4xx never (it would be refused again)."""
    return isinstance(outcome, httpx.HTTPError) or outcome.status_code >= 500


class Unanswered(Exception):
    """The last attempt got no answer (a timeout, a connection error): `problem` says which."""

    def __init__(self, problem: str, attempts: int) -> None:
        super().__init__(f"{problem} after {attempts} attempt(s)")
        self.problem, self.attempts = problem, attempts


def post(
    client: httpx.Client,
    url: str,
    *,
    attempts: int,
    backoff: float,
    resend: Resend = on_failure,
    label: str = "POST",
    **request: Any,
) -> httpx.Response:
    """POST `request` (content/data/headers, as httpx takes them) up to `attempts` times,
    while `resend` says the last outcome may be sent again, waiting `backoff` seconds before
    the second attempt and twice as long before each next one. The last answer is returned,
    whatever its status; Unanswered when the last attempt got none."""
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            time.sleep(backoff * 2 ** (attempt - 2))
        outcome: httpx.Response | httpx.HTTPError
        try:
            outcome = client.post(url, **request)
        except httpx.HTTPError as exc:
            outcome = exc
        again = attempt < attempts and resend(outcome)
        failed = isinstance(outcome, httpx.HTTPError) or outcome.status_code >= 500
        if failed:
            logger.warning("%s %s: %s (attempt %d)", label, url, describe(outcome), attempt)
        if not again:
            if isinstance(outcome, httpx.HTTPError):
                raise Unanswered(describe(outcome), attempt) from outcome
            return outcome
    raise AssertionError("unreachable")  # pragma: no cover


def post_signed_json(
    client: httpx.Client,
    url: str,
    payload: object,
    *,
    secret: str,
    attempts: int,
    backoff: float,
    label: str = "webhook",
) -> httpx.Response:
    """`payload` as compact JSON, signed `X-GWE-Signature` (see `signature`), POSTed with
    retries on 5xx, timeouts and connection errors (see `post`)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "X-GWE-Signature": signature(secret, body)}
    return post(
        client, url, attempts=attempts, backoff=backoff, label=label, content=body, headers=headers
    )


@dataclass(frozen=True)
class Said:
    """An availability check's answer: whether someone is there, and the capacity it reported
    (None when it reported none, or not in a form pacing can use)."""

    available: bool
    capacity: Capacity | None = None


NOBODY = Said(available=False)


class Availability:
    """Whether someone is there to answer, asked of a URL: a 2xx whose JSON does not say
    `{"available": false}` means yes; anything else (an error status, no answer, not JSON)
    means no. The JSON may also say how much the channel takes now, for pacing:
    `{"slots": 6, "busy": 4, "agentsReady": 3, "waiting": 0, "handleSeconds": 240}` (`slots`
    and `busy` needed, the others optional). The answer is kept `cache_seconds`, as it is
    asked on every engagement decision; while it is being asked again, other callers get the
    previous answer rather than wait for a slow server."""

    def __init__(self, client: httpx.Client, url: str, *, cache_seconds: float) -> None:
        self.client, self.url, self.cache_seconds = client, url, cache_seconds
        self._answer: tuple[float, Said] | None = None  # (when answered, what was said)
        self._asking = threading.Lock()

    def __call__(self) -> bool:
        return self.said().available

    def said(self) -> Said:
        previous = self._answer
        if previous and self._fresh(previous):
            return previous[1]
        if previous and not self._asking.acquire(blocking=False):
            return previous[1]  # another caller is asking right now
        if not previous:
            self._asking.acquire()  # nothing to give meanwhile: wait for the first answer
        try:
            answer = self._answer  # asked while this one waited?
            if answer is None or not self._fresh(answer):
                said = self._ask()
                answer = self._answer = (time.monotonic(), said)  # kept from when answered
            return answer[1]
        finally:
            self._asking.release()

    def _fresh(self, answer: tuple[float, Said]) -> bool:
        return time.monotonic() - answer[0] < self.cache_seconds

    def _ask(self) -> Said:
        try:
            response = self.client.get(self.url)
            body = response.json() if response.content else {}
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("availability %s: %s", self.url, exc)
            return NOBODY
        if not response.is_success:
            logger.warning("availability %s: %s", self.url, describe(response))
            return NOBODY
        if not isinstance(body, dict):
            return Said(available=True)
        return Said(available=body.get("available") is not False, capacity=self._capacity(body))

    def _capacity(self, body: dict[str, Any]) -> Capacity | None:
        if "slots" not in body and "busy" not in body:
            return None
        slots, busy = _count(body.get("slots")), _count(body.get("busy"))
        ready = _count(body.get("agentsReady", slots))
        waiting = _count(body.get("waiting", 0))
        handle = body.get("handleSeconds")
        if (
            slots is None
            or busy is None
            or ready is None
            or waiting is None
            or not (handle is None or _positive(handle))
        ):
            logger.warning("availability %s: a capacity pacing cannot use: %s", self.url, body)
            return None
        return Capacity(
            agents_ready=ready,
            slots=slots,
            busy=min(busy, slots),
            waiting=waiting,
            handle_seconds=float(handle) if handle is not None else None,
        )


class AskedAvailability:
    """For an adapter whose `availability` (None: not configured) is asked of a URL: whether
    it is available, and the capacity the answer reported."""

    availability: Availability | None

    def is_available(self, options: dict[str, Any]) -> bool:
        return self.availability() if self.availability else True

    def capacity(self, options: dict[str, Any]) -> Capacity | None:
        return self.availability.said().capacity if self.availability else None


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _count(value: object) -> int | None:
    """A count of things (a whole number, at least 0), or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    finite = math.isfinite(value)  # JSON may say Infinity or NaN
    return int(value) if finite and value >= 0 and value == int(value) else None
