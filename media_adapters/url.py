"""A third-party widget opened at a URL that carries the visit and page in its query, as
GWE's samples do (`indexGPE.html?gmsScenario=CHAT-NOW&visitID=...&pageID=...`)."""

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from django.core.exceptions import ValidationError

from media_adapters import http
from media_adapters.base import REQUIRED, Engagement, EngagementContext, MediaAdapter

OPEN = (Engagement.Open.POPUP, Engagement.Open.EMBED)


class UrlAdapter(http.AskedAvailability, MediaAdapter):
    """OPTIONS: url (the widget), open (popup or embed), available (false: never offered),
    availability_url (GET, as the webhook adapter's: 2xx and not {"available": false} means
    someone is there; blank: assumed), availability_cache_seconds, timeout (s, for that GET).
    TEMPLATE_OPTIONS: url (another widget for this template), params (more query parameters,
    e.g. {"gmsScenario": "CHAT-NOW"}), open (blank: the adapter's)."""

    OPTIONS = {
        "url": REQUIRED,
        "open": Engagement.Open.POPUP,
        "available": True,
        "availability_url": "",
        "availability_cache_seconds": 5.0,
        "timeout": 5.0,
    }
    TEMPLATE_OPTIONS = {"url": "", "params": {}, "open": ""}

    def __init__(self, *, alias: str, **options: Any) -> None:
        super().__init__(alias=alias, **options)
        url = self.options["availability_url"]
        self.availability: http.Availability | None = None
        if url:
            client = httpx.Client(timeout=float(self.options["timeout"]))
            cache = float(self.options["availability_cache_seconds"])
            self.availability = http.Availability(client, url, cache_seconds=cache)

    def check_options(self, options: dict[str, Any]) -> None:
        http.check_url(options["url"])
        if options["availability_url"]:
            http.check_url(options["availability_url"], "availability_url")
        if options["open"] not in OPEN:
            raise ValueError("open must be popup or embed")
        if float(options["timeout"]) <= 0 or float(options["availability_cache_seconds"]) < 0:
            raise ValueError("timeout must be positive and availability_cache_seconds at least 0")

    def template_options(self, options: dict[str, Any]) -> dict[str, Any]:
        resolved = super().template_options(options)
        try:
            if resolved["url"]:
                http.check_url(resolved["url"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if not isinstance(resolved["params"], dict):
            raise ValidationError("params must be an object of names and values")
        if resolved["open"] not in ("", *OPEN):
            raise ValidationError("open must be popup or embed")
        return resolved

    def is_available(self, options: dict[str, Any]) -> bool:
        return bool(self.options["available"]) and super().is_available(options)

    def start(self, context: EngagementContext) -> Engagement:
        """The widget's URL: its own query, then the template's params, then the attached
        data (visitID, pageID, webengagement), each name once, the later winning."""
        options = context.options
        parts = urlsplit(options["url"] or self.options["url"])
        added = {
            **{str(k): str(v) for k, v in options["params"].items()},
            **context.attached_data,
        }
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in added]
        url = urlunsplit(parts._replace(query=urlencode([*kept, *added.items()])))
        return Engagement(
            text="Opening…",
            url=url,
            open=options["open"] or self.options["open"],
            reference=context.invitation_id,
        )
