"""The engagement webhook: an external strategy is told of every matched rule (signed JSON
POST), and may engage through the engage API instead of, or besides, the built-in policy."""

import json
import logging
import threading
import time

import httpx
from django.conf import settings

from media_adapters import http

logger = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF_SECONDS = 0.5  # doubled after each failed attempt


def rule_matched(facts, rules, offered) -> dict:
    return {
        "type": "RuleMatched",
        "visitID": facts.visit.pk,
        "pageID": facts.page.pk,
        "globalVisitID": facts.visit.global_visit_id,
        "identityID": facts.visit.identity_id,
        "event": facts.trigger.event_name,
        "url": facts.trigger.url,
        "rules": [
            {"name": r.name, "template": r.template.slug, "priority": r.priority} for r in rules
        ],
        "offered": offered.pk if offered else None,
    }


def signature(body: bytes) -> str:
    return http.signature(settings.GWE_WEBHOOK_SECRET, body)


def send(url: str, payload: dict) -> threading.Thread:
    """POST in the background: ingestion never waits for the strategy."""
    thread = threading.Thread(target=deliver, args=(url, payload), daemon=True, name="gwe-webhook")
    thread.start()
    return thread


def deliver(url: str, payload: dict) -> bool:
    """Retried with backoff on 5xx, timeouts and connection errors; never on 4xx."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "X-GWE-Signature": signature(body)}
    timeout = float(settings.GWE_WEBHOOK_TIMEOUT_SECONDS)
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            logger.warning("engagement webhook %s: %s (attempt %d)", url, exc, attempt + 1)
        else:
            if response.status_code < 500:
                if response.status_code >= 400:
                    logger.warning("engagement webhook %s refused: %s", url, response.status_code)
                return response.status_code < 400
            logger.warning(
                "engagement webhook %s: %s (attempt %d)", url, response.status_code, attempt + 1
            )
    return False
