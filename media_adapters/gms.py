"""Genesys Mobile Services: a chat or a callback requested through GMS's service API, with
the scenarios of GMS's sample services, and GMS's answer turned into what the visitor sees."""

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from django.core.exceptions import ValidationError

from media_adapters import http
from media_adapters.base import REQUIRED, AdapterError, Engagement, EngagementContext, MediaAdapter

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
# The visitor's fields as the visitor would name them: for what is missing, and for what GMS
# refused (its own words are technical, and kept for the record).
IN_WORDS = {
    "_customer_number": "your phone number",
    "_phone_number": "your phone number",
    "_desired_time": "the time you want us to call",
    "first_name": "your name",
    "last_name": "your name",
}
UNAVAILABLE = "No agent is available right now. Please try again in a few minutes."
NOT_ANSWERING = "Our contact center is not answering right now. Please try again later."
UNEXPECTED = "Sorry, we cannot connect you this way right now."


class GmsAdapter(http.AskedAvailability, MediaAdapter):
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
        path = self.options["availability_path"]
        cache = float(self.options["availability_cache_seconds"])
        self.availability = (
            http.Availability(self.client, self.base_url + path, cache_seconds=cache)
            if path
            else None
        )

    def check_options(self, options: dict[str, Any]) -> None:
        http.check_url(options["base_url"], "base_url")
        if float(options["timeout"]) <= 0 or int(options["retries"]) < 0:
            raise ValueError("timeout must be positive and retries at least 0")
        if options["availability_path"] and not str(options["availability_path"]).startswith("/"):
            raise ValueError("availability_path must start with /")
        if float(options["availability_cache_seconds"]) < 0:
            raise ValueError("availability_cache_seconds cannot be negative")

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

    # ---- start and cancel --------------------------------------------------------------------

    def start(self, context: EngagementContext) -> Engagement:
        options = context.options
        scenario = SCENARIOS[options["scenario"]]
        missing = [name for name in scenario.needs if not context.fields.get(name, "").strip()]
        if missing:
            wanted = _and(IN_WORDS.get(name, name) for name in missing)
            raise AdapterError(
                f"Please give {wanted}.",
                permanent=True,
                detail=f"{options['scenario']} needs {', '.join(missing)}",
            )
        response = self._post(self._url(scenario, options), self._form(scenario, context), context)
        return self._engagement(response, options)

    def cancel(self, reference: str) -> None:
        """DELETE the GMS service; best effort: a failure is logged, never raised."""
        if not reference:
            return
        url = f"{self.base_url}/genesys/1/service/{quote(reference, safe='')}"
        try:
            response = self.client.delete(url, headers=self._user())
        except httpx.HTTPError as exc:
            logger.warning("GMS could not cancel %s: %s", reference, http.describe(exc))
            return
        if not response.is_success:
            logger.warning("GMS could not cancel %s: %s", reference, http.describe(response))

    def _user(self, visitor: str = "") -> dict[str, str]:
        """GMS's `gms_user` header: the configured user, else the visitor's globalVisitID."""
        user = self.options["gms_user"] or visitor
        return {"gms_user": user} if user else {}

    def _url(self, scenario: Scenario, options: dict[str, Any]) -> str:
        if scenario.endpoint != "callback":
            return f"{self.base_url}/genesys/1/service/{scenario.endpoint}"
        service = options["service_name"] or self.options["service_name"]
        return f"{self.base_url}/genesys/1/service/callback/{service}"

    def _form(self, scenario: Scenario, context: EngagementContext) -> dict[str, str]:
        visitor = {k: v for k, v in context.fields.items() if FIELD_NAME.fullmatch(k)}
        # GWE's keys last: the visitor's form cannot overwrite them.
        return {**visitor, **scenario.fields, **context.attached_data}

    def _post(self, url: str, form: dict[str, str], context: EngagementContext) -> httpx.Response:
        headers = self._user(context.global_visit_id)
        try:
            return http.post(
                self.client,
                url,
                attempts=1 + int(self.options["retries"]),
                backoff=0.2,
                resend=_surely_unsent,
                label="GMS",
                data=form,
                headers=headers,
            )
        except http.Unanswered as exc:
            raise AdapterError(NOT_ANSWERING, permanent=False, detail=str(exc)) from None

    def _engagement(self, response: httpx.Response, options: dict[str, Any]) -> Engagement:
        status = response.status_code
        if status == 503:
            raise AdapterError(UNAVAILABLE, permanent=False, detail=f"GMS 503: {response.text}")
        if 400 <= status < 500:
            raise _refused(response)
        if status >= 300:
            detail = f"GMS {http.describe(response)}: {response.text[:200]}"
            raise AdapterError(NOT_ANSWERING, permanent=False, detail=detail)
        body = _json(response)
        if body is None:
            detail = f"GMS answered what is not a JSON object: {response.text[:200]!r}"
            raise AdapterError(NOT_ANSWERING, permanent=False, detail=detail)
        return _shown(body, options)


def _surely_unsent(outcome: httpx.Response | httpx.HTTPError) -> bool:
    # A callback that reached GMS but whose answer was lost (a read timeout) may exist: sent
    # again, the visitor could be called twice. A 503 (no agent) or a 400 (refused) would
    # only be answered the same. So only what never reached GMS is sent again: a connection
    # that failed, and a 502 or 504 from the gateway in front of GMS, which answers them when
    # no GMS node took the request. (A gateway that timed out *after* passing the request on
    # would make a 504 as uncertain as a read timeout: hence one retry by default, and 0 to
    # turn them off.)
    if isinstance(outcome, httpx.HTTPError):
        return http.never_sent(outcome)
    return outcome.status_code in (502, 504)


def _refused(response: httpx.Response) -> AdapterError:
    """GMS's 400 `{"exception", "message"}`: the visitor is told what to check, the record
    keeps GMS's words."""
    body = _json(response) or {}
    message = str(body.get("message") or response.reason_phrase)
    exception = str(body.get("exception") or "")
    about = [words for name, words in IN_WORDS.items() if name in message]
    visitor = (
        f"We could not take your request: please check {_and(about)}."
        if about
        else "We could not take your request. Please check what you entered and try again."
    )
    detail = " ".join(filter(None, ["GMS", str(response.status_code), exception])) + f": {message}"
    return AdapterError(visitor, permanent=True, detail=detail)


def _and(words: Iterable[str]) -> str:
    return " and ".join(dict.fromkeys(words))  # each once, in order


def _json(response: httpx.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _shown(body: dict, options: dict[str, Any]) -> Engagement:
    """GMS's `_action` as the visitor sees it; an answer that cannot be shown is an error."""
    action = str(body.get("_action") or ("ConfirmationDialog" if body.get("_id") else ""))
    text = str(body.get("_text") or "")
    common: dict[str, Any] = {
        "reference": str(body.get("_id") or ""),
        "details": {"action": action},
    }
    chat, tel = str(body.get("_start_chat_url") or ""), str(body.get("_tel_url") or "")
    choices = tuple(_labels(body.get("_content")))
    if action == "ConfirmationDialog":
        return Engagement(text=text or "Thank you: your request has been received.", **common)
    if action == "StartChat" and chat:
        text = text or "Your chat is opening…"
        return Engagement(text=text, url=chat, open=options["open"], **common)
    if action == "DialNumber" and tel:
        return Engagement(text=text or _dial(tel, body), url=tel, **common)
    if action == "DisplayMenu" and choices:
        text = str(body.get("_label") or text or "Please choose:")
        return Engagement(text=text, choices=choices, **common)
    detail = f"GMS answered {action or 'no _action'}: {json.dumps(body)[:300]}"
    raise AdapterError(UNEXPECTED, permanent=True, detail=detail)


def _dial(tel: str, body: dict) -> str:
    number = tel.removeprefix("tel:")
    code = body.get("_access_code")
    return f"Please call us at {number}" + (f" and enter the code {code}." if code else ".")


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
