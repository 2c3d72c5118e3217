"""OpenAPI for the notify endpoint, which is an ASGI consumer (notifications/endpoint.py)
and so invisible to drf-spectacular's view inspection."""

from notifications.serializers import CHANNEL, MAX_TTL_SECONDS

PATH = "/server/data/notification/notify/{visitID}"

NOTIFY_ITEM = {
    "type": "object",
    "required": ["channel"],
    "properties": {
        "page": {"type": "string", "nullable": True, "description": "a pageID of the visit"},
        "channel": {"type": "string", "maxLength": 128, "pattern": CHANNEL.pattern},
        "data": {"type": "object", "additionalProperties": {}},
        "ttl": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_TTL_SECONDS,
            "description": "seconds the notification waits for an offline page "
            "(default GWE_NOTIFY_TTL_SECONDS)",
        },
    },
}
ERROR = {"type": "object", "properties": {"error": {"type": "string"}}}


def error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def add_notify_operation(result: dict, generator, request, public) -> dict:
    if not any(path.startswith("/server/data/notification/") for path in result["paths"]):
        return result  # a schema of another part of the API
    ids = {"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "string"}}}}
    result["components"]["schemas"]["NotifyItem"] = NOTIFY_ITEM
    result["paths"][PATH] = {
        "post": {
            "operationId": "notify",
            "summary": "Push messages to a visit's live pages",
            "tags": ["notification"],
            "parameters": [
                {"in": "path", "name": "visitID", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 100,
                            "items": {"$ref": "#/components/schemas/NotifyItem"},
                        }
                    }
                },
            },
            "security": [{"basicAuth": []}, {"tokenAuth": []}],
            "responses": {
                "202": {
                    "description": "stored, and pushed to the visit's live pages",
                    "content": {"application/json": {"schema": ids}},
                },
                "400": error("malformed body or id"),
                "401": error("no or wrong credentials"),
                "403": error("the account may not send notifications"),
                "404": error("unknown visit, or a page not of this visit"),
                "413": error("body over GWE_NOTIFY_MAX_BYTES or over 100 messages"),
                "503": {
                    "description": "stored, but cannot be pushed now; delivered later",
                    "content": {"application/json": {"schema": ids}},
                },
            },
        }
    }
    return result
