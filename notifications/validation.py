"""The notify endpoint's checks of each message, in microseconds.

The same rules and the same answers as `NotifyItemSerializer` (the REST API's documented
form of a message; tests hold the two to agreeing), without building a serializer and its
fields for every request: on the hot path those cost more than storing the message."""

from urllib.parse import urlsplit

from django.conf import settings

from gwe.ids import is_valid_id
from notifications.serializers import APPEND_CONTENT, CHANNEL, MAX_TTL_SECONDS
from notifications.services import NotifyMessage

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."


class Invalid(Exception):
    """What is wrong with the messages: by position ("0", "1", ...), the bad ones only."""

    def __init__(self, errors: dict[str, dict | list]) -> None:
        super().__init__("invalid input")
        self.errors = errors


def notify_messages(items: list, *, origin: str) -> list[NotifyMessage]:
    """The messages, checked; raises Invalid."""
    messages: list[NotifyMessage | None] = []
    errors: dict[str, dict | list] = {}
    for index, item in enumerate(items):
        if item is None:
            errors[str(index)] = [NOT_NULL]
            continue
        problems: dict = {}
        message = _message(item, problems, origin)
        if problems:
            errors[str(index)] = problems
        messages.append(message)
    if errors:
        raise Invalid(errors)
    return messages  # type: ignore[return-value]


def _message(item: object, problems: dict, origin: str) -> NotifyMessage | None:
    if not isinstance(item, dict):
        kind = type(item).__name__
        problems["non_field_errors"] = [
            f"Invalid data. Expected a dictionary, but got {_drf_type(kind)}."
        ]
        return None
    page = _page(item, problems)
    channel = _channel(item, problems)
    data = _data(item, problems)
    ttl = _ttl(item, problems)
    if problems:
        return None
    if channel == APPEND_CONTENT and (why := _append_content(data, origin)):
        problems["data"] = [why]
        return None
    return NotifyMessage(channel=channel, data=data, page_id=page, ttl_seconds=ttl)


def _drf_type(kind: str) -> str:
    return {"str": "str", "list": "list", "int": "int", "float": "float", "bool": "bool"}.get(
        kind, kind
    )


def _string(value: object) -> str | None:
    """As the REST API's CharField reads a value: text or a number, trimmed."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).strip()


def _characters(text: str) -> list[str]:
    """What the REST API's CharField says of the characters themselves."""
    said = []
    if "\x00" in text:
        said.append("Null characters are not allowed.")
    if surrogate := next((c for c in text if "\ud800" <= c <= "\udfff"), None):
        said.append(f"Surrogate characters are not allowed: U+{ord(surrogate):X}.")
    return said


def _page(item: dict, problems: dict) -> str | None:
    if "page" not in item or item["page"] is None:
        return None
    page = _string(item["page"])
    if page is None:
        problems["page"] = ["Not a valid string."]
    elif page == "":
        problems["page"] = ["This field may not be blank."]
    elif not is_valid_id(page):  # as the serializer says it: the pattern, then the characters
        problems["page"] = ["not a well-formed page id", *_characters(page)]
    return page


def _channel(item: dict, problems: dict) -> str:
    if "channel" not in item:
        problems["channel"] = [REQUIRED]
        return ""
    if item["channel"] is None:
        problems["channel"] = [NOT_NULL]
        return ""
    channel = item["channel"].strip() if isinstance(item["channel"], str) else None
    if channel is None:
        problems["channel"] = ["Not a valid string."]
    elif channel == "":
        problems["channel"] = ["This field may not be blank."]
    else:
        long = ["Ensure this field has no more than 128 characters."] if len(channel) > 128 else []
        if said := long + _characters(channel):
            problems["channel"] = said
        elif not CHANNEL.fullmatch(channel):
            problems["channel"] = ["letters, digits and _ . : / - only"]
    return channel or ""


def _data(item: dict, problems: dict) -> dict:
    if "data" not in item:
        return {}
    data = item["data"]
    if data is None:
        problems["data"] = [NOT_NULL]
        return {}
    if not isinstance(data, dict):
        problems["data"] = [f'Expected a dictionary of items but got type "{type(data).__name__}".']
        return {}
    return {str(key): value for key, value in data.items()}


def _ttl(item: dict, problems: dict) -> int | None:
    if "ttl" not in item:
        return None
    value = item["ttl"]
    if value is None:
        problems["ttl"] = [NOT_NULL]
        return None
    number = _integer(value)
    if number is None:
        problems["ttl"] = ["A valid integer is required."]
    elif number < 1:
        problems["ttl"] = ["Ensure this value is greater than or equal to 1."]
    elif number > MAX_TTL_SECONDS:
        problems["ttl"] = [f"Ensure this value is less than or equal to {MAX_TTL_SECONDS}."]
    return number


def _integer(value: object) -> int | None:
    """As the REST API's IntegerField reads a value: an integer, an integral float, digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and len(value) <= 1000:
        text = value.strip()
        try:
            number = float(text) if "." in text else int(text)
        except ValueError:
            return None
        if isinstance(number, float):
            return int(number) if number.is_integer() else None
        return number
    return None


def _append_content(data: dict, origin: str) -> str | None:
    """Why a gpe.appendContent cannot be shown, or None."""
    url = data.get("url")
    if not isinstance(url, str) or not url:
        return "gpe.appendContent needs data.url"
    if data.get("method", "GET") not in ("GET", "POST"):
        return "data.method must be GET or POST"
    if not isinstance(data.get("container", "body"), str):
        return "data.container must be a CSS selector"
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        found = f"{parts.scheme}://{parts.netloc}".lower()
        allowed = {origin, *(o for o in settings.GWE_ALLOWED_ORIGINS if o != "*")}
        if found not in allowed:
            return f"data.url may only be on GWE itself or an allowed origin: {found}"
    return None
