"""The History API's JSON: the event of SPEC §2 and the Visit resource of SPEC §6.

The output serializers declare their fields so that drf-spectacular documents the shapes,
but build plain dicts: a visit can hold thousands of events, and field-by-field DRF
serialization costs several times more per event.
"""

from datetime import UTC, datetime

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gwe.ids import ID_PATTERN
from gwe.models import Event, EventType, Page, Visit
from gwe.protocol import MAX_URL
from gwe.validators import EVENT_NAME

MAX_AGE_SECONDS = 100 * 366 * 24 * 60 * 60


class GweIdField(serializers.CharField):
    """A visit, page or invitation id in a request's body (gwe/ids.py)."""

    def __init__(self, name: str, **kwargs) -> None:
        well_formed = RegexValidator(ID_PATTERN, f"not a well-formed {name}")
        super().__init__(validators=[well_formed], **kwargs)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, as DRF writes datetimes: 2026-05-01T09:30:00.123456Z."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def event_json(event: Event) -> dict:
    return {
        "eventID": event.pk,
        "eventType": event.event_type,
        "eventName": event.event_name,
        "visitID": event.visit_id,
        "globalVisitID": event.visit.global_visit_id,
        "pageID": event.page_id,
        "timestamp": iso(event.timestamp),
        "url": event.url,
        "title": event.title,
        "referrer": event.referrer,
        "category": event.category,
        "languageCode": event.language_code,
        "data": event.data,
    }


def page_json(page: Page) -> dict:
    return {
        "pageID": page.pk,
        "url": page.url,
        "title": page.title,
        "referrer": page.referrer,
        "startTime": iso(page.start_time),
        "endTime": iso(page.end_time),
    }


def visit_json(visit: Visit, *, now: datetime | None = None, events: bool = True) -> dict:
    """The Visit resource. Pages (and events) must be prefetched, as the selectors do."""
    pages = visit.pages.all()
    body = {
        "visitID": visit.pk,
        "globalVisitID": visit.global_visit_id,
        "identityID": visit.identity_id,
        "startTime": iso(visit.start_time),
        "endTime": iso(visit.effective_end_time(now)),
        "onSite": any(page.is_live(now) for page in pages),
        "userAgent": visit.user_agent,
        "languageCode": visit.language_code,
        "pages": [page_json(page) for page in pages],
    }
    if events:
        body["events"] = [event_json(event) for event in visit.events.all()]
    return body


class EventSerializer(serializers.Serializer):
    eventID = serializers.CharField()
    eventType = serializers.ChoiceField(choices=EventType.choices)
    eventName = serializers.CharField(help_text="e.g. PageEntered, AddToCart")
    visitID = serializers.CharField()
    globalVisitID = serializers.CharField(help_text="the browser or device, across visits")
    pageID = serializers.CharField(allow_null=True, help_text="null for a visit-wide event")
    timestamp = serializers.DateTimeField()
    url = serializers.CharField(help_text="the page's URL when the event happened")
    title = serializers.CharField()
    referrer = serializers.CharField()
    category = serializers.ListField(child=serializers.CharField())
    languageCode = serializers.CharField()
    data = serializers.DictField(help_text="what the event carries; depends on its name")

    def to_representation(self, instance: Event) -> dict:
        return event_json(instance)


class PageSerializer(serializers.Serializer):
    pageID = serializers.CharField()
    url = serializers.CharField()
    title = serializers.CharField()
    referrer = serializers.CharField()
    startTime = serializers.DateTimeField()
    endTime = serializers.DateTimeField(
        allow_null=True,
        help_text="when the tracker reported leaving it, or when it was last seen open once "
        "gone; null while open",
    )

    def to_representation(self, instance: Page) -> dict:
        return page_json(instance)


class VisitSummarySerializer(serializers.Serializer):
    visitID = serializers.CharField()
    globalVisitID = serializers.CharField()
    identityID = serializers.CharField(
        allow_null=True, help_text="the person the site named in SignIn or UserInfo"
    )
    startTime = serializers.DateTimeField()
    endTime = serializers.DateTimeField(
        allow_null=True,
        help_text="when the visit ended, recorded or implied by inactivity; null while active",
    )
    onSite = serializers.BooleanField(
        help_text="a page of the visit is open now (its tracker connected, or back within the "
        "presence grace period)"
    )
    userAgent = serializers.CharField()
    languageCode = serializers.CharField()
    pages = PageSerializer(many=True, help_text="oldest first")

    def to_representation(self, instance: Visit) -> dict:
        return visit_json(instance, now=self.context.get("now"), events=False)


class VisitSerializer(VisitSummarySerializer):
    events = EventSerializer(many=True, help_text="oldest first")

    def to_representation(self, instance: Visit) -> dict:
        return visit_json(instance, now=self.context.get("now"))


class EventFilterSerializer(serializers.Serializer):
    """The query parameters of GET visits/{visitID}/events; each one narrows the list."""

    eventName = serializers.RegexField(
        EVENT_NAME,
        required=False,
        help_text="only events of this name, e.g. AddToCart",
        error_messages={"invalid": "not an event name (letters, digits and _ . : -)"},
    )
    eventType = serializers.ChoiceField(
        choices=EventType.choices, required=False, help_text="SYSTEM or BUSINESS"
    )
    # Taken as given, spaces included: a filter that matches nothing is not an error. An empty
    # parameter is no filter (as every query parameter: the schema says allowEmptyValue).
    category = serializers.CharField(
        max_length=128,
        trim_whitespace=False,
        required=False,
        help_text="only events in this category",
    )
    url = serializers.CharField(
        max_length=MAX_URL,
        trim_whitespace=False,
        required=False,
        help_text="only events whose URL contains this text (any case)",
    )
    age = serializers.IntegerField(
        min_value=1,
        max_value=MAX_AGE_SECONDS,
        required=False,
        help_text="only events no older than this many seconds",
    )

    def filters(self) -> dict:
        """The validated filters as the selector's keyword arguments."""
        names = {"eventName": "event_name", "eventType": "event_type"}
        return {names.get(key, key): value for key, value in self.validated_data.items()}


PROBLEMS = {"type": "array", "items": {"type": "string"}}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [PROBLEMS, {"type": "object", "additionalProperties": PROBLEMS}]
        },
    }
)
class ProblemsField(serializers.DictField):
    pass


class ErrorSerializer(serializers.Serializer):
    """The shape of every error (gwe.api_errors)."""

    error = serializers.CharField(help_text="what went wrong, for a person to read")
    fields = ProblemsField(
        required=False,
        help_text="for invalid input: the messages of each offending parameter; for a list of "
        "messages (notify), the messages of each offending one's parameters, by its index",
    )
