"""Third-party media: the engagement context POSTed as signed JSON to a service of the
customer's choice, which answers with what the visitor should see (a URL to open, words)."""

from typing import Any

import httpx
from django.core.exceptions import ValidationError

from media_adapters import http
from media_adapters.base import REQUIRED, AdapterError, Engagement, EngagementContext, MediaAdapter

NOT_ANSWERING = "The service is not answering right now. Please try again later."
REFUSED = "Sorry, the service could not take your request."
OPEN = (Engagement.Open.POPUP, Engagement.Open.EMBED)


class WebhookAdapter(http.AskedAvailability, MediaAdapter):
    """OPTIONS: url, secret (signs each body: X-GWE-Signature: sha256=HMAC(secret, body)),
    timeout (s), attempts, backoff (s, doubled each time), availability_url (GET: 2xx and not
    {"available": false} means someone is there, and its `slots`/`busy` are the capacity;
    blank: assumed), availability_cache_seconds.
    TEMPLATE_OPTIONS: open (popup or embed: how a URL the service answers opens, unless the
    reply says)."""

    OPTIONS = {
        "url": REQUIRED,
        "secret": REQUIRED,
        "timeout": 5.0,
        "attempts": 3,
        "backoff": 0.5,
        "availability_url": "",
        "availability_cache_seconds": 5.0,
    }
    TEMPLATE_OPTIONS = {"open": Engagement.Open.POPUP}

    def __init__(self, *, alias: str, **options: Any) -> None:
        super().__init__(alias=alias, **options)
        self.client = httpx.Client(timeout=float(self.options["timeout"]))
        url = self.options["availability_url"]
        cache = float(self.options["availability_cache_seconds"])
        self.availability = (
            http.Availability(self.client, url, cache_seconds=cache) if url else None
        )

    def check_options(self, options: dict[str, Any]) -> None:
        http.check_url(options["url"])
        if options["availability_url"]:
            http.check_url(options["availability_url"], "availability_url")
        if int(options["attempts"]) < 1 or float(options["timeout"]) <= 0:
            raise ValueError("attempts must be at least 1 and timeout positive")
        if float(options["backoff"]) < 0 or float(options["availability_cache_seconds"]) < 0:
            raise ValueError("backoff and availability_cache_seconds cannot be negative")

    def template_options(self, options: dict[str, Any]) -> dict[str, Any]:
        resolved = super().template_options(options)
        if resolved["open"] not in OPEN:
            raise ValidationError("open must be popup or embed")
        return resolved

    def start(self, context: EngagementContext) -> Engagement:
        reply = self._post(context.as_json())
        url, text = str(reply.get("url") or ""), str(reply.get("text") or "")
        if not url and not text:
            raise AdapterError(
                NOT_ANSWERING, permanent=True, detail=f"the reply has no url nor text: {reply}"
            )
        chosen = str(reply["open"]) if reply.get("open") in OPEN else context.options["open"]
        return Engagement(
            text=text or "Opening…",
            url=url,
            open=chosen,
            reference=str(reply.get("reference") or reply.get("id") or "")[:128],
        )

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        # Timeouts are sent again too: the service may get one engagement twice, and tells
        # them apart by payload["invitation"]["id"] (docs/adapters.md).
        try:
            response = http.post_signed_json(
                self.client,
                self.options["url"],
                payload,
                secret=self.options["secret"],
                attempts=int(self.options["attempts"]),
                backoff=float(self.options["backoff"]),
                label=f"media adapter {self.alias!r}",
            )
        except http.Unanswered as exc:
            raise AdapterError(NOT_ANSWERING, permanent=False, detail=str(exc)) from None
        status = response.status_code
        if status >= 500:
            detail = f"{http.describe(response)} after {self.options['attempts']} attempt(s)"
            raise AdapterError(NOT_ANSWERING, permanent=False, detail=detail)
        if status >= 300:
            detail = f"{http.describe(response)}: {response.text[:300]}"
            raise AdapterError(REFUSED, permanent=True, detail=detail)
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            detail = f"not a JSON object: {response.text[:200]!r}"
            raise AdapterError(NOT_ANSWERING, permanent=True, detail=detail)
        return reply
