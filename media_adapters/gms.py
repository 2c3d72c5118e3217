"""Genesys Mobile Services: a chat or a callback requested through GMS's service API, with
the scenarios of GMS's sample services, and GMS's answer turned into what the visitor sees."""

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.core.exceptions import ValidationError

from media_adapters.base import REQUIRED, AdapterError, Engagement, EngagementContext, MediaAdapter
from media_adapters.http import check_url, describe, never_sent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scenario:
    endpoint: str  # "callback" (…/service/callback/{service}) or a service of its own
    fields: dict[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()  # what the visitor must have filled in


def _callback(media: str, direction: str, wait: bool, *needs: str) -> Scenario:
    fields = {
        "_media_type": media,
        "_call_direction": direction,
        "_wait_for_agent": "true" if wait else "false",
    }
    return Scenario("callback", fields, needs)


SCENARIOS: dict[str, Scenario] = {
    "CHAT-NOW": _callback("chat", "USERORIGINATED", False),
    "CHAT-WAIT": _callback("chat", "USERORIGINATED", True),
    "VOICE-NOW-USERTERM": _callback("voice", "USERTERMINATED", False, "_customer_number"),
    "VOICE-WAIT-USERTERM": _callback("voice", "USERTERMINATED", True, "_customer_number"),
    "VOICE-SCHEDULED-USERTERM": _callback(
        "voice", "USERTERMINATED", False, "_customer_number", "_desired_time"
    ),
    "VOICE-NOW-USERORIG": _callback("voice", "USERORIGINATED", False),
    "VOICE-WAIT-USERORIG": _callback("voice", "USERORIGINATED", True),
    "REQUEST-CHAT": Scenario("request-chat", needs=("_customer_number",)),
    "REQUEST-INTERACTION": Scenario("request-interaction", needs=("_phone_number",)),
}
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
NEEDED = {
    "_customer_number": "your phone number",
    "_phone_number": "your phone number",
    "_desired_time": "when we should call you",
}
UNAVAILABLE = "No agent is available right now. Please try again in a few minutes."
NOT_ANSWERING = "Our contact center is not answering right now. Please try again later."


class GmsAdapter(MediaAdapter):
    """OPTIONS: base_url (GMS, e.g. http://gms:8080), service_name (samples_new), gms_user
    (sent in the gms_user header; the visitor's globalVisitID when blank), timeout (s),
    retries (for requests that surely never reached GMS), availability_path (GET it to ask
    whether an agent is available; blank: assumed), availability_cache_seconds."""

    OPTIONS = {
        "base_url": REQUIRED,
        "service_name": "samples_new",
        "gms_user": "",
        "timeout": 5.0,
        "retries": 1,
        "availability_path": "",
        "availability_cache_seconds": 5.0,
    }
    TEMPLATE_OPTIONS = {"scenario": "CHAT-NOW", "service_name": "", "open": "popup"}

    def __init__(self, *, alias: str, **options: Any) -> None:
        super().__init__(alias=alias, **options)
        self.base_url = str(self.options["base_url"]).rstrip("/")
        self.client = httpx.Client(timeout=float(self.options["timeout"]))
        self._availability: tuple[float, bool] | None = None
        self._lock = threading.Lock()

    def check_options(self, options: dict[str, Any]) -> None:
        check_url(options["base_url"], "base_url")
        if float(options["timeout"]) <= 0 or int(options["retries"]) < 0:
            raise ValueError("timeout must be positive and retries at least 0")

    def template_options(self, options: dict[str, Any]) -> dict[str, Any]:
        resolved = super().template_options(options)
        if resolved["scenario"] not in SCENARIOS:
            raise ValidationError(
                f"scenario {resolved['scenario']!r} is not a GMS scenario; "
                f"one of {', '.join(SCENARIOS)}"
            )
        if resolved["open"] not in (Engagement.Open.POPUP, Engagement.Open.EMBED):
            raise ValidationError("open must be popup or embed")
        return resolved

    # ---- availability ------------------------------------------------------------------------

    def is_available(self, options: dict[str, Any]) -> bool:
        path = self.options["availability_path"]
        if not path:
            return True
        with self._lock:
            now = time.monotonic()
            if self._availability and now - self._availability[0] < float(
                self.options["availability_cache_seconds"]
            ):
                return self._availability[1]
            available = self._ask_availability(path)
            self._availability = (now, available)
            return available

    def _ask_availability(self, path: str) -> bool:
        try:
            response = self.client.get(self.base_url + path)
            if not response.is_success:
                return False
            body = response.json() if response.content else {}
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("GMS availability %s: %s", path, exc)
            return False
        return not (isinstance(body, dict) and body.get("available") is False)

    # ---- start and cancel --------------------------------------------------------------------

    def start(self, context: EngagementContext) -> Engagement:
        options = context.options
        scenario = SCENARIOS[options["scenario"]]
        missing = [name for name in scenario.needs if not context.fields.get(name, "").strip()]
        if missing:
            wanted = " and ".join(NEEDED.get(name, name) for name in missing)
            raise AdapterError(
                f"Please give {wanted}.",
                permanent=True,
                detail=f"{options['scenario']} needs {', '.join(missing)}",
            )
        response = self._post(self._url(scenario, options), self._form(scenario, context), context)
        return self._engagement(response, options)

    def cancel(self, reference: str) -> None:
        try:
            self.client.delete(f"{self.base_url}/genesys/1/service/{reference}")
        except httpx.HTTPError as exc:
            logger.warning("GMS could not cancel %s: %s", reference, describe(exc))

    def _url(self, scenario: Scenario, options: dict[str, Any]) -> str:
        if scenario.endpoint != "callback":
            return f"{self.base_url}/genesys/1/service/{scenario.endpoint}"
        service = options["service_name"] or self.options["service_name"]
        return f"{self.base_url}/genesys/1/service/callback/{service}"

    def _form(self, scenario: Scenario, context: EngagementContext) -> dict[str, str]:
        visitor = {k: v for k, v in context.fields.items() if FIELD_NAME.match(k)}
        # GWE's keys last: the visitor's form cannot overwrite them.
        return {**visitor, **scenario.fields, **context.attached_data}

    def _post(self, url: str, form: dict[str, str], context: EngagementContext) -> httpx.Response:
        headers = {"gms_user": self.options["gms_user"] or context.global_visit_id}
        attempts = 1 + int(self.options["retries"])
        for attempt in range(attempts):
            if attempt:
                time.sleep(0.2 * 2 ** (attempt - 1))
            try:
                response = self.client.post(url, data=form, headers=headers)
            except httpx.HTTPError as exc:
                # A callback that reached GMS but whose answer was lost must not be booked
                # twice: only a request that never left is sent again.
                if never_sent(exc) and attempt + 1 < attempts:
                    continue
                raise AdapterError(NOT_ANSWERING, permanent=False, detail=describe(exc)) from None
            if response.status_code in (502, 504) and attempt + 1 < attempts:
                continue  # the gateway in front of GMS did not pass it on
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _engagement(self, response: httpx.Response, options: dict[str, Any]) -> Engagement:
        status = response.status_code
        if status == 503:
            raise AdapterError(UNAVAILABLE, permanent=False, detail=f"GMS 503: {response.text}")
        if 400 <= status < 500:
            body = _json(response)
            message = body.get("message") or response.reason_phrase
            raise AdapterError(
                f"We could not take your request: {message}",
                permanent=True,
                detail=f"GMS {status} {body.get('exception', '')}: {message}".strip(),
            )
        if status >= 300:
            raise AdapterError(NOT_ANSWERING, permanent=False, detail=f"GMS {status}")
        body = _json(response)
        if not body and response.content:
            raise AdapterError(
                NOT_ANSWERING, permanent=False, detail=f"GMS answered {response.text[:200]!r}"
            )
        return _shown(body, options)


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _shown(body: dict, options: dict[str, Any]) -> Engagement:
    """GMS's `_action` as the visitor sees it."""
    action = body.get("_action", "")
    reference = str(body.get("_id") or body.get("_service_id") or "")
    text = str(body.get("_text") or "")
    if action == "StartChat":
        return Engagement(
            text=text or "Your chat is opening…",
            url=str(body.get("_start_chat_url", "")),
            open=options["open"],
            reference=reference,
            details={"action": action},
        )
    if action == "DialNumber":
        tel = str(body.get("_tel_url", ""))
        number = tel.removeprefix("tel:")
        return Engagement(
            text=text or f"Please call us at {number}.",
            url=tel,
            reference=reference,
            details={"action": action},
        )
    if action == "DisplayMenu":
        return Engagement(
            text=str(body.get("_label") or text or "Please choose:"),
            choices=tuple(_labels(body.get("_content"))),
            reference=reference,
            details={"action": action},
        )
    return Engagement(
        text=text or "Thank you: your request has been received.",
        reference=reference,
        details={"action": action or "ConfirmationDialog"},
    )


def _labels(content: object) -> list[str]:
    """The menu's entries, nested groups flattened."""
    labels: list[str] = []
    for item in content if isinstance(content, list) else []:
        if not isinstance(item, dict):
            continue
        if "_label" in item:
            labels.append(str(item["_label"]))
        labels.extend(_labels(item.get("_content")))
    return labels
