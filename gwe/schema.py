"""OpenAPI for the endpoints drf-spectacular cannot see, because they are not DRF views: the
ASGI consumers (the tracker's HTTP endpoint, notify) and the invitation steps, a plain
Django view. A postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).

Project wiring like gwe/routing.py: it names the endpoints of every app, so the limits it
documents are read from where they are enforced."""

from django.conf import settings

from gwe import protocol, tracker
from gwe.models import EventType
from invitations.models import EngagementStatus, InvitationState
from invitations.services import PAGE_STEPS
from invitations.views import MAX_STEP_BYTES
from media_adapters.base import Engagement
from notifications.serializers import CHANNEL, MAX_TTL_SECONDS

CREDENTIALS: list[dict[str, list]] = [{"basicAuth": []}, {"tokenAuth": []}]
# No credentials: the page's token, or the invitation's signed token, is the credential.
PUBLIC: list[dict[str, list]] = []


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def text(description: str = "", **more) -> dict:
    return {"type": "string", **({"description": description} if description else {}), **more}


def obj(properties: dict, *, required: tuple[str, ...] = (), **more) -> dict:
    return {
        "type": "object",
        **({"required": list(required)} if required else {}),
        "properties": properties,
        **more,
    }


def constant(value: str) -> dict:
    return text(enum=[value])


def error(description: str, schema: str = "Error") -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def path_id(name: str, description: str, **schema) -> dict:
    return {
        "in": "path",
        "name": name,
        "required": True,
        "description": description,
        "schema": {"type": "string", **schema},
    }


ERROR = obj({"error": text("what went wrong, for a person to read")}, required=("error",))
NOTIFY_ITEM = obj(
    {
        "page": text("a pageID of the visit", nullable=True),
        "channel": text(maxLength=128, pattern=CHANNEL.pattern),
        "data": {"type": "object", "additionalProperties": {}},
        "ttl": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_TTL_SECONDS,
            "description": "seconds the notification waits for an offline page "
            "(default GWE_NOTIFY_TTL_SECONDS)",
        },
    },
    required=("channel",),
)
MILLISECONDS = {"type": "number", "description": "ms since the epoch; the server's clock if off"}
TRACKER_PAGE = obj(
    {
        "type": constant("page"),
        "url": text("http(s)", maxLength=protocol.MAX_URL),
        "title": text(f"cut at {protocol.MAX_TITLE} characters"),
        "referrer": text("http(s)", maxLength=protocol.MAX_URL),
        "languageCode": text(),
        "visitID": text("the visit to join; a new one starts when unknown or expired"),
        "globalVisitID": text(),
        "pageID": text("with token: resume this page (a reconnect)"),
        "token": text("the page's token from an earlier ids reply"),
        "timestamp": MILLISECONDS,
    },
    required=("type", "url"),
    description="A page view starts, or resumes.",
)
TRACKER_EVENT = obj(
    {
        "type": constant("event"),
        "token": text("the page's token from its ids reply"),
        "id": text(
            "the tracker's own id: sent again, it stores nothing new",
            minLength=1,
            maxLength=protocol.MAX_CLIENT_ID,
        ),
        "eventName": text(pattern=protocol.EVENT_NAME.pattern),
        "eventType": text(enum=list(EventType.values), default=EventType.BUSINESS.value),
        "data": {"type": "object", "nullable": True, "maxProperties": protocol.MAX_DATA_KEYS},
        "timestamp": MILLISECONDS,
        "url": text("the page's by default"),
        "title": text("the page's by default"),
    },
    required=("type", "token", "id", "eventName"),
    description="Something happened on the page.",
)
TRACKER_REPLY = {
    "oneOf": [
        obj(
            {
                "type": constant("ids"),
                "visitID": text(),
                "globalVisitID": text(),
                "pageID": text(),
                "token": text("signed: every later message of the page carries it"),
                "newVisit": {"type": "boolean"},
                "resumed": {"type": "boolean"},
                "visitTimeout": {"type": "integer", "description": "seconds"},
                "definitions": {
                    "type": "array",
                    "description": "the enabled business-event definitions",
                    "items": {"type": "object", "additionalProperties": {}},
                },
            },
            required=("type", "visitID", "globalVisitID", "pageID", "token"),
        ),
        obj({"type": constant("ack"), "id": text(), "eventID": text()}, required=("type", "id")),
        obj({"type": constant("pong")}, required=("type",)),
    ]
}
TRACKER_ERROR = obj(
    {
        "error": text("what went wrong"),
        "index": {
            "type": "integer",
            "description": "the refused message's place in the body, from 0 (nothing of "
            "the body was stored); absent when the body itself is refused",
        },
    },
    required=("error",),
)
ENGAGEMENT = obj(
    {
        "status": text(enum=[s.value for s in EngagementStatus if s.value]),
        "text": text("to show the visitor"),
        "url": text("to open, as `open` says"),
        "open": text(enum=[Engagement.Open.POPUP, Engagement.Open.EMBED]),
        "choices": {"type": "array", "items": text()},
        "error": text("why it failed, for the visitor"),
    },
    required=("status",),
    description="What the media adapter made of the accept: what the visitor sees next.",
)
SCHEMAS = {
    "Error": ERROR,
    "NotifyItem": NOTIFY_ITEM,
    "TrackerPageMessage": TRACKER_PAGE,
    "TrackerEventMessage": TRACKER_EVENT,
    "TrackerPingMessage": obj({"type": constant("ping")}, required=("type",)),
    "TrackerMessage": {
        "oneOf": [ref("TrackerPageMessage"), ref("TrackerEventMessage"), ref("TrackerPingMessage")]
    },
    "TrackerReply": TRACKER_REPLY,
    "TrackerError": TRACKER_ERROR,
    "InvitationStep": obj(
        {
            "token": text("the signed token the invitation's page was given"),
            "fields": {
                "type": "object",
                "nullable": True,
                "additionalProperties": text(),
                "description": "with accepted: the visitor's form",
            },
        },
        required=("token",),
    ),
    "InvitationStepDone": obj(
        {
            "invitationID": text(),
            "state": text(enum=list(InvitationState.values)),
            "engagement": ref("Engagement"),
        },
        required=("invitationID", "state"),
        description="`engagement` only after accepted",
    ),
    "Engagement": ENGAGEMENT,
}


def notify() -> dict:
    ids = obj({"ids": {"type": "array", "items": text()}})
    return {
        "operationId": "notify",
        "summary": "Push messages to a visit's live pages",
        "tags": ["notifications"],
        "parameters": [path_id("visitID", "the visit")],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": settings.GWE_NOTIFY_MAX_MESSAGES,
                        "items": ref("NotifyItem"),
                    }
                }
            },
        },
        "security": CREDENTIALS,
        "responses": {
            "202": {
                "description": "stored, and pushed to the visit's live pages (if the bus is "
                "away, they read it from the database once it is back or when they reconnect)",
                "content": {"application/json": {"schema": ids}},
            },
            "400": error("malformed body or id"),
            "401": error("no credentials, or wrong ones"),
            "403": error("the account lacks notifications.add_notification"),
            "404": error("unknown visit, or a page not of this visit"),
            "413": error(
                f"body over GWE_NOTIFY_MAX_BYTES or over {settings.GWE_NOTIFY_MAX_MESSAGES} "
                "messages; nothing stored"
            ),
        },
    }


ALLOW_ORIGIN = {
    "Access-Control-Allow-Origin": {
        "description": "the request's Origin, when it sent one",
        "schema": text(),
    }
}


def tracker_post() -> dict:
    messages = {
        "oneOf": [
            ref("TrackerMessage"),
            {
                "type": "array",
                "minItems": 1,
                "maxItems": tracker.MAX_BATCH,
                "items": ref("TrackerMessage"),
            },
        ]
    }
    replies = obj(
        {"replies": {"type": "array", "items": ref("TrackerReply")}}, required=("replies",)
    )
    return {
        "operationId": "tracker",
        "summary": "Send the tracker's messages over HTTP",
        "description": "For pages that cannot open the WebSocket `/server/ws/tracker`, and "
        "beacons. One message or a list, stored all or none; any content type is read as "
        "JSON, so a `text/plain` body needs no CORS preflight (docs/tracker-protocol.md).",
        "tags": ["tracker"],
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": messages},
                "application/json": {"schema": messages},
            },
        },
        "security": PUBLIC,
        "responses": {
            "200": {
                "description": "one reply per message, in order",
                "headers": ALLOW_ORIGIN,
                "content": {"application/json": {"schema": replies}},
            },
            "400": error(
                "malformed JSON, an empty list, a message of an unknown type or with an "
                "invalid field",
                "TrackerError",
            ),
            "403": error(
                "an Origin not in GWE_ALLOWED_ORIGINS, a forged or altered page token, or a "
                "pageID that is not the token's",
                "TrackerError",
            ),
            "404": error("the token's page is unknown", "TrackerError"),
            "410": error(
                "the visit has expired: start a new page (a new visit), then send again",
                "TrackerError",
            ),
            "413": error(
                f"body over GWE_TRACKER_MAX_BYTES, or more than {tracker.MAX_BATCH} messages",
                "TrackerError",
            ),
        },
    }


def tracker_preflight() -> dict:
    allowed = {
        **ALLOW_ORIGIN,
        "Access-Control-Allow-Methods": {"schema": text(enum=["POST, OPTIONS"])},
        "Access-Control-Allow-Headers": {"schema": text(enum=["Content-Type"])},
        "Access-Control-Max-Age": {"schema": {"type": "integer"}},
    }
    return {
        "operationId": "tracker_preflight",
        "summary": "CORS preflight of a page that sends JSON to the tracker's endpoint",
        "tags": ["tracker"],
        "security": PUBLIC,
        "responses": {
            "204": {"description": "the origin may send", "headers": allowed},
            "403": error("an Origin not in GWE_ALLOWED_ORIGINS", "TrackerError"),
        },
    }


def invitation_step() -> dict:
    return {
        "operationId": "invitation_step",
        "summary": "Report what the visitor did with an invitation",
        "description": "Called by the invitation's own page (its iframe). A step reported "
        "twice is answered as the first time; after accepted, the engagement is started once "
        "and `engagement` says what the visitor sees next.",
        "tags": ["engagement"],
        "parameters": [
            path_id("invitationID", "the invitation, as its page was given it"),
            path_id("step", "what the visitor did", enum=list(PAGE_STEPS)),
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("InvitationStep")}},
        },
        "security": PUBLIC,
        "responses": {
            "200": {
                "description": "recorded",
                "content": {"application/json": {"schema": ref("InvitationStepDone")}},
            },
            "400": error("malformed JSON, fields that are not all text, or an unknown step"),
            "403": error("the token is not valid, or is another invitation's"),
            "404": error("unknown invitation"),
            "409": error("out of order: the invitation is already answered or cancelled"),
            "410": error("the invitation has expired"),
            "413": error(f"body over {MAX_STEP_BYTES} bytes"),
        },
    }


def documents_the_whole_api(generator) -> bool:
    # A schema of a few views (a test's patterns, another URLconf) gets none of these.
    return generator.patterns is None and generator.urlconf in (None, settings.ROOT_URLCONF)


def add_non_drf_operations(result: dict, generator, request, public) -> dict:
    if not documents_the_whole_api(generator):
        return result
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in SCHEMAS.items():
        # Error is also ErrorSerializer's (gwe/serializers.py), the richer one: keep it.
        components.setdefault(name, schema)
    result["paths"].update(
        {
            "/server/data/notification/notify/{visitID}": {"post": notify()},
            "/server/data/tracker": {"post": tracker_post(), "options": tracker_preflight()},
            "/server/data/invitations/{invitationID}/{step}": {"post": invitation_step()},
        }
    )
    result["paths"] = dict(sorted(result["paths"].items()))
    return result
