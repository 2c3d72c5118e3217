"""OpenAPI for the endpoints drf-spectacular cannot see, because they are not DRF views: the
ASGI consumers (the tracker's HTTP endpoint and poll, notify, the visitor chat over HTTP) and
the invitation steps, a plain Django view. A postprocessing hook
(SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).

Project wiring like gwe/routing.py: it names the endpoints of every app, so the limits it
documents are read from where they are enforced."""

from django.conf import settings

from gwe import protocol, tracker
from gwe.api_params import VISIT_ID, gwe_id
from gwe.ids import ID_PATTERN
from gwe.models import SERVER_EVENTS, EventType
from gwe.services import CLIENT_SYSTEM_EVENTS
from invitations.models import EngagementStatus, InvitationState
from invitations.services import PAGE_STEPS
from invitations.views import MAX_STEP_BYTES
from media_adapters.base import Engagement
from media_adapters.gwe_chat import consumers as chat_consumers
from media_adapters.gwe_chat.services import MAX_TEXT
from notifications.longpoll import GATHER_SECONDS, poll_seconds
from notifications.serializers import CHANNEL, MAX_TTL_SECONDS

CHAT_ID = gwe_id("chatID", "the chat")
ID_OR_NONE = f"^({ID_PATTERN.strip('^$')})?$"  # an id, or empty for none (gwe/protocol.py)
HTTP_URL = "^https?://"  # as gwe/protocol.py reads a page's url and referrer
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
        "page": text("a pageID of the visit", nullable=True, pattern=ID_PATTERN),
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
MILLISECONDS = {
    "type": "number",
    "nullable": True,
    "description": "ms since the epoch; the server's clock if off or null",
}
TRACKER_PAGE = obj(
    {
        "type": constant("page"),
        "url": text("http(s)", maxLength=protocol.MAX_URL, pattern=HTTP_URL),
        "title": text(f"cut at {protocol.MAX_TITLE} characters"),
        "referrer": text("http(s), or empty", maxLength=protocol.MAX_URL, pattern="^(https?://|$)"),
        "languageCode": text(),
        "visitID": text(
            "the visit to join; a new one starts when unknown or expired", pattern=ID_OR_NONE
        ),
        "visitToken": text(
            "the visitToken the visit's first page was given: without it, a new visit starts"
        ),
        "globalVisitID": text(pattern=ID_OR_NONE),
        "pageID": text("with token: resume this page (a reconnect)"),
        "token": text("the page's token from an earlier ids reply"),
        "timestamp": MILLISECONDS,
        "poll": {
            "type": "boolean",
            "description": "over HTTP: the page will poll for its notifications, so it is live "
            "(invitations may be offered to it) from its start",
        },
    },
    required=("type", "url"),
    description="A page view starts, or resumes.",
)
RECEIPTS = {
    "type": "array",
    "maxItems": 100,
    "items": text(),
    "description": "ids of notifications the page received",
}
TRACKER_RECEIVED = obj(
    {"type": constant("received"), "token": text("the page's token"), "ids": RECEIPTS},
    required=("type", "token", "ids"),
    description="Receipts sent by themselves (a beacon): the token says whose they are.",
)
BUSINESS = EventType.BUSINESS.value
EVENT_FIELDS = {
    "type": constant("event"),
    "token": text("the page's token from its ids reply"),
    "id": text(
        "the tracker's own id: sent again, it stores nothing new",
        minLength=1,
        maxLength=protocol.MAX_CLIENT_ID,
    ),
    "data": {"type": "object", "nullable": True, "maxProperties": protocol.MAX_DATA_KEYS},
    "timestamp": MILLISECONDS,
    "url": text("the page's by default", maxLength=protocol.MAX_URL, pattern="^(https?://|$)"),
    "title": text("the page's by default"),
}
TRACKER_EVENT = {
    "oneOf": [
        obj(
            {
                **EVENT_FIELDS,
                "eventName": {
                    **text(
                        "not a name the server records itself (PageEntered, Invitation…)",
                        pattern=protocol.EVENT_NAME.pattern,
                    ),
                    "not": {"enum": sorted(SERVER_EVENTS)},
                },
                "eventType": text(enum=[BUSINESS], default=BUSINESS),
            },
            required=("type", "token", "id", "eventName"),
        ),
        obj(
            {
                **EVENT_FIELDS,
                "eventName": text(
                    "the tracker's own, and the timer events of the business-event definitions",
                    enum=sorted(CLIENT_SYSTEM_EVENTS),
                ),
                "eventType": constant(EventType.SYSTEM.value),
            },
            required=("type", "token", "id", "eventName", "eventType"),
        ),
    ],
    "description": "Something happened on the page: a business event, or one of the tracker's "
    "own SYSTEM events.",
}
TRACKER_REPLY = {
    "oneOf": [
        obj(
            {
                "type": constant("ids"),
                "visitID": text(),
                "visitToken": text(
                    "signed: a later page joins the visit only with it (kept in the cookie)"
                ),
                "globalVisitID": text(pattern=ID_OR_NONE),
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
        obj({"type": constant("received")}, required=("type",)),
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
WAITS = (
    f"Answers at once with what came after the number given; otherwise waits up to "
    f"{poll_seconds():g} s (GWE_LONG_POLL_SECONDS) for the first item, {GATHER_SECONDS * 1000:g} "
    "ms more for those that come with it, and answers; with nothing, an empty list. Poll again "
    "at once, from the number answered."
)
NOTIFICATION_FRAME = obj(
    {
        "type": constant("notification"),
        "id": text(),
        "seq": {"type": "integer", "description": "the visit's sequence number"},
        "channel": text(),
        "data": {"type": "object", "additionalProperties": {}},
        "pageID": text("present when it is for this page only"),
        "timestamp": text(format="date-time"),
    },
    required=("type", "id", "seq", "channel", "data", "timestamp"),
    description="As the tracker's WebSocket sends it.",
)
TRACKER_POLL = obj(
    {
        "token": text("the page's token from its ids reply"),
        "lastSeq": {
            "type": "integer",
            "minimum": 0,
            "maximum": protocol.MAX_SEQ,
            "nullable": True,
            "description": "the highest seq the page has accounted for; null: nothing yet",
        },
        "received": RECEIPTS,
    },
    required=("token",),
)
TRACKER_POLLED = obj(
    {
        "type": constant("poll"),
        "lastSeq": {"type": "integer", "description": "send it with the next poll"},
        "notifications": {"type": "array", "items": ref("NotificationFrame")},
    },
    required=("type", "lastSeq", "notifications"),
)
AFTER = {
    "type": "integer",
    "minimum": 0,
    "maximum": protocol.MAX_SEQ,
    "default": 0,
    "description": "the last seq the page has",
}
CHAT_TOKEN = text("the chat's token, as the chat page was given it")
CHAT_FRAME = obj(
    {
        "type": text(enum=["message", "typing"]),
        "chat": text(),
        "seq": {"type": "integer", "description": "message: its number in the chat"},
        "sender": text(enum=["visitor", "agent", "system"]),
        "text": text(),
        "sentAt": text(format="date-time"),
        "name": text("the agent's name"),
        "state": text("on the system messages that change it", enum=["waiting", "active", "ended"]),
    },
    required=("type", "chat", "sender"),
    description="As the chat's WebSocket sends it (docs/adapters.md).",
)
CHAT_ANSWER = obj(
    {
        "after": {"type": "integer", "description": "send it with the next request"},
        "messages": {"type": "array", "items": ref("ChatFrame")},
    },
    required=("after", "messages"),
)
ENGAGEMENT = obj(
    {
        "status": text(enum=[s.value for s in EngagementStatus if s.value]),
        "text": text("to show the visitor"),
        "url": text("to open, as `open` says"),
        "open": text(enum=[Engagement.Open.POPUP, Engagement.Open.EMBED]),
        "choices": {"type": "array", "items": text()},
        "error": text("why it failed, for the visitor"),
        "instead": obj(
            {
                "text": text("to show the visitor"),
                "url": text("to open, as `open` says"),
                "open": text(enum=[Engagement.Open.POPUP, Engagement.Open.EMBED]),
                "choices": {"type": "array", "items": text()},
            },
            required=("url",),
            description="when it failed: what the visitor may do instead (leave a message)",
        ),
    },
    required=("status",),
    description="What the media adapter made of the accept: what the visitor sees next.",
)
SCHEMAS = {
    "Error": ERROR,
    "NotifyItem": NOTIFY_ITEM,
    "TrackerPageMessage": TRACKER_PAGE,
    "TrackerEventMessage": TRACKER_EVENT,
    "TrackerReceivedMessage": TRACKER_RECEIVED,
    "TrackerPingMessage": obj({"type": constant("ping")}, required=("type",)),
    "TrackerMessage": {
        "oneOf": [
            ref("TrackerPageMessage"),
            ref("TrackerEventMessage"),
            ref("TrackerReceivedMessage"),
            ref("TrackerPingMessage"),
        ]
    },
    "TrackerReply": TRACKER_REPLY,
    "TrackerError": TRACKER_ERROR,
    "TrackerPoll": TRACKER_POLL,
    "TrackerPolled": TRACKER_POLLED,
    "NotificationFrame": NOTIFICATION_FRAME,
    "ChatPoll": obj({"token": CHAT_TOKEN, "after": AFTER}, required=("token",)),
    "ChatSend": obj(
        {
            "token": CHAT_TOKEN,
            "after": AFTER,
            "type": text(enum=list(chat_consumers.SENT_OVER_HTTP)),
            "text": text("with message", maxLength=MAX_TEXT),
        },
        required=("token", "type"),
    ),
    "ChatFrame": CHAT_FRAME,
    "ChatAnswer": CHAT_ANSWER,
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
        "parameters": [VISIT_ID.openapi],
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


def tracker_poll() -> dict:
    return {
        "operationId": "tracker_poll",
        "summary": "Wait for the page's notifications over HTTP (a long poll)",
        "description": "For pages that cannot keep the WebSocket: the socket's `subscribe`, "
        "one answer at a time, with the same token, `seq`, replay and receipts (`received`: "
        "what the last poll brought). While it polls the page is live. " + WAITS,
        "tags": ["tracker"],
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": ref("TrackerPoll")},
                "application/json": {"schema": ref("TrackerPoll")},
            },
        },
        "security": PUBLIC,
        "responses": {
            "200": {
                "description": "what came, oldest first (perhaps nothing)",
                "headers": ALLOW_ORIGIN,
                "content": {"application/json": {"schema": ref("TrackerPolled")}},
            },
            "400": error("malformed JSON, a lastSeq that is not a whole number, bad receipts"),
            "403": error("an Origin not in GWE_ALLOWED_ORIGINS, or a forged or altered token"),
            "413": error("body over GWE_TRACKER_MAX_BYTES"),
        },
    }


def chat_poll() -> dict:
    return {
        "operationId": "chat_poll",
        "summary": "Wait for what is said in a chat, as its visitor (a long poll)",
        "description": "The visitor's chat page when it cannot keep the WebSocket "
        "`/server/ws/chat/{chatID}`: the socket's frames, one answer at a time. " + WAITS,
        "tags": ["engagement"],
        "parameters": [CHAT_ID.openapi],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("ChatPoll")}},
        },
        "security": PUBLIC,
        "responses": {
            "200": {
                "description": "the chat's frames after `after` (perhaps none)",
                "content": {"application/json": {"schema": ref("ChatAnswer")}},
            },
            "400": error("malformed JSON, or an `after` that is not a whole number"),
            "403": error("not the chat's token, or an Origin not allowed"),
            "404": error("unknown chat"),
            "413": error(f"body over {chat_consumers.MAX_FRAME_BYTES} bytes"),
        },
    }


def chat_send() -> dict:
    return {
        "operationId": "chat_send",
        "summary": "Say something in a chat, as its visitor",
        "description": "The frames the visitor's socket takes (message, typing, end), over "
        "HTTP. The answer carries what the sender sees at once: the chat's frames after "
        "`after`, their own message or the chat's end included.",
        "tags": ["engagement"],
        "parameters": [CHAT_ID.openapi],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("ChatSend")}},
        },
        "security": PUBLIC,
        "responses": {
            "200": {
                "description": "done",
                "content": {"application/json": {"schema": ref("ChatAnswer")}},
            },
            "400": error("malformed JSON, an unknown type, a text that is not a string"),
            "403": error("not the chat's token, or an Origin not allowed"),
            "404": error("unknown chat"),
            "409": error("refused by the chat: an empty or too long message, a chat that ended"),
            "413": error(f"body over {chat_consumers.MAX_FRAME_BYTES} bytes"),
        },
    }


def tracker_preflight(operation_id: str = "tracker_preflight") -> dict:
    allowed = {
        **ALLOW_ORIGIN,
        "Access-Control-Allow-Methods": {"schema": text(enum=["POST, OPTIONS"])},
        "Access-Control-Allow-Headers": {"schema": text(enum=["Content-Type"])},
        "Access-Control-Max-Age": {"schema": {"type": "integer"}},
    }
    return {
        "operationId": operation_id,
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
            gwe_id("invitationID", "the invitation, as its page was given it").openapi,
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


# HTTP Basic with wrong passwords, again and again (gwe/authentication.py).
LOCKED_OUT = {
    **error(
        "too many wrong passwords from this client for this user name: try again after "
        "Retry-After seconds"
    ),
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
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
            "/server/data/tracker/poll": {
                "post": tracker_poll(),
                "options": tracker_preflight("tracker_poll_preflight"),
            },
            "/server/data/chat/{chatID}": {"post": chat_send()},
            "/server/data/chat/{chatID}/poll": {"post": chat_poll()},
            "/server/data/invitations/{invitationID}/{step}": {"post": invitation_step()},
        }
    )
    result["paths"] = dict(sorted(result["paths"].items()))
    for operations in result["paths"].values():
        for operation in operations.values():
            if operation.get("security") != PUBLIC:
                operation["responses"].setdefault("429", LOCKED_OUT)
            for parameter in operation.get("parameters", ()):
                # DRF reads `?name=` as no value at all: an empty filter is no filter.
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
