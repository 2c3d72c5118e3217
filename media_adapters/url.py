"""A third-party widget opened at a URL that carries the visit and page in its query, as
GWE's samples do (`indexGPE.html?gmsScenario=CHAT-NOW&visitID=...&pageID=...`)."""

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError

from media_adapters.base import REQUIRED, Engagement, EngagementContext, MediaAdapter
from media_adapters.http import check_url


class UrlAdapter(MediaAdapter):
    """OPTIONS: url (the widget), open (popup or embed), available (whether to offer at all:
    a widget cannot be asked). TEMPLATE_OPTIONS: url (another widget for this template), params
    (more query parameters, e.g. {"gmsScenario": "CHAT-NOW"}), open."""

    OPTIONS = {"url": REQUIRED, "open": Engagement.Open.POPUP, "available": True}
    TEMPLATE_OPTIONS = {"url": "", "params": {}, "open": ""}

    def check_options(self, options: dict[str, Any]) -> None:
        check_url(options["url"])
        if options["open"] not in (Engagement.Open.POPUP, Engagement.Open.EMBED):
            raise ValueError("open must be popup or embed")

    def template_options(self, options: dict[str, Any]) -> dict[str, Any]:
        resolved = super().template_options(options)
        try:
            if resolved["url"]:
                check_url(resolved["url"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if not isinstance(resolved["params"], dict):
            raise ValidationError("params must be an object of names and values")
        if resolved["open"] not in ("", Engagement.Open.POPUP, Engagement.Open.EMBED):
            raise ValidationError("open must be popup or embed")
        return resolved

    def is_available(self, options: dict[str, Any]) -> bool:
        return bool(self.options["available"])

    def start(self, context: EngagementContext) -> Engagement:
        options = context.options
        parts = urlsplit(options["url"] or self.options["url"])
        query = [
            *parse_qsl(parts.query, keep_blank_values=True),
            *((str(k), str(v)) for k, v in options["params"].items()),
            *context.attached_data.items(),
        ]
        url = urlunsplit(parts._replace(query=urlencode(query)))
        return Engagement(
            text="Opening…",
            url=url,
            open=options["open"] or self.options["open"],
            reference=context.invitation_id,
        )
