"""The engagement webhook: an external strategy is told of every matched rule (signed JSON
POST), and may engage through the engage API instead of, or besides, the built-in policy."""

import logging
import threading

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


def send(url: str, payload: dict) -> threading.Thread:
    """POST in the background: ingestion never waits for the strategy."""
    thread = threading.Thread(target=deliver, args=(url, payload), daemon=True, name="gwe-webhook")
    thread.start()
    return thread


def deliver(url: str, payload: dict) -> bool:
    """Signed JSON, retried with backoff on 5xx, timeouts and connection errors; never on 4xx
    (media_adapters.http, shared with the webhook media adapter)."""
    timeout = float(settings.GWE_WEBHOOK_TIMEOUT_SECONDS)
    try:
        with httpx.Client(timeout=timeout) as client:
            response = http.post_signed_json(
                client,
                url,
                payload,
                secret=settings.GWE_WEBHOOK_SECRET,
                attempts=ATTEMPTS,
                backoff=BACKOFF_SECONDS,
                label="engagement webhook",
            )
    except http.Unanswered:
        return False  # each attempt was logged
    if 400 <= response.status_code < 500:  # a 5xx was logged with each attempt
        logger.warning("engagement webhook %s refused: %s", url, http.describe(response))
    return response.status_code < 400
