"""Third-party media: the engagement context POSTed as signed JSON to a service of the
customer's choice, which answers with what the visitor should see (a URL to open, words)."""

import json
import logging
import time
from typing import Any

import httpx

from media_adapters.base import REQUIRED, AdapterError, Engagement, EngagementContext, MediaAdapter
from media_adapters.http import check_url, describe, signature

logger = logging.getLogger(__name__)

NOT_ANSWERING = "The service is not answering right now. Please try again later."
OPEN = (Engagement.Open.POPUP, Engagement.Open.EMBED)


class WebhookAdapter(MediaAdapter):
    """OPTIONS: url, secret (signs each body: X-GWE-Signature: sha256=HMAC(secret, body)),
    timeout (s), attempts, backoff (s, doubled each time), availability_url (GET: 2xx and not
    {"available": false} means someone is there; blank: assumed)."""

    OPTIONS = {
        "url": REQUIRED,
        "secret": REQUIRED,
        "timeout": 5.0,
        "attempts": 3,
        "backoff": 0.5,
        "availability_url": "",
    }
    TEMPLATE_OPTIONS = {"open": Engagement.Open.POPUP}

    def __init__(self, *, alias: str, **options: Any) -> None:
        super().__init__(alias=alias, **options)
        self.client = httpx.Client(timeout=float(self.options["timeout"]))

    def check_options(self, options: dict[str, Any]) -> None:
        check_url(options["url"])
        if options["availability_url"]:
            check_url(options["availability_url"], "availability_url")
        if int(options["attempts"]) < 1 or float(options["timeout"]) <= 0:
            raise ValueError("attempts must be at least 1 and timeout positive")

    def is_available(self, options: dict[str, Any]) -> bool:
        url = self.options["availability_url"]
        if not url:
            return True
        try:
            response = self.client.get(url)
            body = response.json() if response.content else {}
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("webhook availability %s: %s", url, exc)
            return False
        return response.is_success and not (
            isinstance(body, dict) and body.get("available") is False
        )

    def start(self, context: EngagementContext) -> Engagement:
        body = json.dumps(context.as_json(), separators=(",", ":")).encode()
        reply = self._post(body)
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

    def _post(self, body: bytes) -> dict:
        """Retried with backoff on 5xx, timeouts and connection errors; never on 4xx."""
        headers = {
            "Content-Type": "application/json",
            "X-GWE-Signature": signature(self.options["secret"], body),
        }
        attempts, problem = int(self.options["attempts"]), ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(float(self.options["backoff"]) * 2 ** (attempt - 1))
            try:
                response = self.client.post(self.options["url"], content=body, headers=headers)
            except httpx.HTTPError as exc:
                problem = describe(exc)
                continue
            if response.status_code >= 500:
                problem = f"{response.status_code} {response.reason_phrase}"
                continue
            if response.status_code >= 400:
                raise AdapterError(
                    "Sorry, the service refused the request.",
                    permanent=True,
                    detail=f"{response.status_code}: {response.text[:300]}",
                )
            try:
                reply = response.json()
            except ValueError:
                reply = None
            if not isinstance(reply, dict):
                raise AdapterError(
                    NOT_ANSWERING,
                    permanent=True,
                    detail=f"not a JSON object: {response.text[:200]}",
                )
            return reply
        raise AdapterError(
            NOT_ANSWERING, permanent=False, detail=f"{problem} after {attempts} attempt(s)"
        )
