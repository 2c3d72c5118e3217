import json
import re

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from gwe import tracker
from gwe.schema import NOTIFICATION_FRAME
from invitations.services import PAGE_STEPS
from notifications.frames import frame
from notifications.services import NotifyMessage, notify
from tests.gwe.test_history_api import EVENT_KEYS

HISTORY_PATHS = {
    "/server/data/visits/{visitID}": "visit",
    "/server/data/visits/{visitID}/events": "visit_events",
    "/server/data/pages/{pageID}/events": "page_events",
    "/server/data/identities/{identityID}/visits": "identity_visits",
}

PRIVACY_PATHS = {
    "/server/data/identities/{identityID}/export": "identity_export",
    "/server/data/identities/{identityID}": "identity_erase",
}


def served_schema(client) -> dict:
    response = client.get("/server/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_served_schema_is_valid_openapi_3_with_the_history_api(client):
    schema = served_schema(client)

    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    for url, operation_id in HISTORY_PATHS.items():
        assert schema["paths"][url]["get"]["operationId"] == operation_id


def test_the_schema_says_how_to_authenticate(client):
    schema = served_schema(client)

    schemes = schema["components"]["securitySchemes"]
    assert schemes["basicAuth"] == {"type": "http", "scheme": "basic"}
    assert schemes["tokenAuth"]["type"] == "apiKey"
    assert schemes["tokenAuth"]["name"] == "Authorization"
    for url in HISTORY_PATHS:
        security = schema["paths"][url]["get"]["security"]
        assert {"basicAuth": []} in security
        assert {"tokenAuth": []} in security


def test_the_schema_documents_the_event_filters_and_the_shapes(client):
    schema = served_schema(client)

    operation = schema["paths"]["/server/data/visits/{visitID}/events"]["get"]
    query = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
    assert set(query) == {"eventName", "eventType", "category", "url", "age"}
    assert query["eventType"]["enum"] == ["SYSTEM", "BUSINESS"]
    assert query["age"]["type"] == "integer"
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "429"}
    components = schema["components"]["schemas"]
    assert set(components["Event"]["properties"]) == EVENT_KEYS
    visit = components["Visit"]["properties"]
    assert visit["events"]["items"] == {"$ref": "#/components/schemas/Event"}
    assert visit["pages"]["items"] == {"$ref": "#/components/schemas/Page"}
    assert visit["endTime"]["nullable"] is True


def test_the_history_api_documents_itself_without_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("server/data/", include("gwe.api_urls"))])

    schema = generator.get_schema(request=None, public=True)

    assert not GENERATOR_STATS, "drf-spectacular warned about the History API"
    assert set(schema["paths"]) == set(HISTORY_PATHS) | set(PRIVACY_PATHS)


def test_the_docs_page_renders_swagger_ui_from_local_files(client):
    response = client.get("/server/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    # Its script is a file of its own (no inline script: the CSP refuses those).
    assert "/server/api/schema/" in client.get("/server/api/docs/?script=").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+swagger-ui[^"]*)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} is not served by GWE itself"
        assert client.get(asset).status_code == 200, asset


def test_the_notify_endpoint_is_documented_with_its_errors(client):
    schema = served_schema(client)

    operation = schema["paths"]["/server/data/notification/notify/{visitID}"]["post"]
    assert operation["operationId"] == "notify"
    assert {"202", "400", "401", "403", "404", "413"} <= set(operation["responses"])
    assert schema["components"]["schemas"]["NotifyItem"]["required"] == ["channel"]


TAGS = ["history", "notifications", "engagement", "reports", "privacy", "pacing", "tracker"]
TRACKER = "/server/data/tracker"
TRACKER_POLL = "/server/data/tracker/poll"
CHAT_SEND = "/server/data/chat/{chatID}"
CHAT_POLL = "/server/data/chat/{chatID}/poll"
INVITATION_STEP = "/server/data/invitations/{invitationID}/{step}"
CREDENTIALED = {
    ("post", "/server/data/notification/notify/{visitID}"): "notify",
    ("get", "/server/data/notification/{notification_id}"): "notification",
    ("get", "/server/data/notification/visit/{visit_id}"): "visit_notifications",
    ("post", "/server/data/gateway/engage"): "engage",
    ("post", "/server/data/gateway/noengage"): "noengage",
    ("get", "/server/data/reports/invitations"): "invitation_report",
    ("get", "/server/data/pacing/{channel}"): "pacing",
    ("get", "/server/data/pacing/{channel}/reactiveState"): "pacing_reactive_state",
    **{("get", url): operation_id for url, operation_id in HISTORY_PATHS.items()},
    ("get", "/server/data/identities/{identityID}/export"): "identity_export",
    ("delete", "/server/data/identities/{identityID}"): "identity_erase",
    ("delete", "/server/data/visits/{visitID}"): "visit_erase",
}
PUBLIC = {
    ("post", TRACKER): "tracker",
    ("options", TRACKER): "tracker_preflight",
    ("post", TRACKER_POLL): "tracker_poll",
    ("options", TRACKER_POLL): "tracker_poll_preflight",
    ("post", CHAT_SEND): "chat_send",
    ("post", CHAT_POLL): "chat_poll",
    ("post", INVITATION_STEP): "invitation_step",
}


def operations(schema: dict):
    for url, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield (method, url), operation


def response_schema(schema: dict, operation: dict, status: str) -> dict:
    ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.removeprefix("#/components/schemas/")]


def test_every_operation_has_a_summary_and_one_of_the_declared_tags(client):
    schema = served_schema(client)

    assert [tag["name"] for tag in schema["tags"]] == TAGS
    assert all(tag["description"] for tag in schema["tags"])
    found = {key: operation["operationId"] for key, operation in operations(schema)}
    assert found == {**CREDENTIALED, **PUBLIC}
    for key, operation in operations(schema):
        assert operation.get("summary"), f"{key} has no summary"
        assert len(operation["tags"]) == 1, key
        assert operation["tags"][0] in TAGS, key


def test_operations_are_grouped_by_what_an_integrator_does(client):
    schema = served_schema(client)

    tag_of = {operation["operationId"]: operation["tags"][0] for _, operation in operations(schema)}
    assert {tag: sorted(o for o, t in tag_of.items() if t == tag) for tag in TAGS} == {
        "history": ["identity_visits", "page_events", "visit", "visit_events"],
        "notifications": ["notification", "notify", "visit_notifications"],
        "engagement": ["chat_poll", "chat_send", "engage", "invitation_step", "noengage"],
        "reports": ["invitation_report"],
        "privacy": ["identity_erase", "identity_export", "visit_erase"],
        "pacing": ["pacing", "pacing_reactive_state"],
        "tracker": ["tracker", "tracker_poll", "tracker_poll_preflight", "tracker_preflight"],
    }


def test_server_to_server_operations_need_credentials_and_say_why_they_refuse(client):
    schema = served_schema(client)

    for (method, url), operation_id in CREDENTIALED.items():
        operation = schema["paths"][url][method]
        assert {"basicAuth": []} in operation["security"], operation_id
        assert {"tokenAuth": []} in operation["security"], operation_id
        assert {"400", "401"} <= set(operation["responses"]), operation_id
        # Wrong Basic passwords again and again lock the client out (gwe/authentication.py).
        assert "Retry-After" in operation["responses"]["429"]["headers"], operation_id
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert "error" in response_schema(schema, operation, status)["properties"]
                assert response["description"]


def test_every_credentialed_operation_checks_a_permission_and_documents_403(client):
    schema = served_schema(client)

    for (method, url), operation_id in CREDENTIALED.items():
        assert "403" in schema["paths"][url][method]["responses"], operation_id


def test_engage_documents_its_answers_and_its_refusal(client):
    schema = served_schema(client)

    operation = schema["paths"]["/server/data/gateway/engage"]["post"]
    assert set(operation["responses"]) == {"202", "400", "401", "403", "404", "409", "429"}
    assert set(response_schema(schema, operation, "409")["properties"]) == {"reason", "error"}
    assert set(response_schema(schema, operation, "202")["properties"]) == {"invitationID"}
    noengage = schema["paths"]["/server/data/gateway/noengage"]["post"]
    assert set(response_schema(schema, noengage, "200")["properties"]) == {"cancelled"}


def test_the_tracker_endpoint_is_public_and_documents_batches_and_errors(client):
    schema = served_schema(client)

    post = schema["paths"][TRACKER]["post"]
    assert post["security"] == []
    assert set(post["responses"]) == {"200", "400", "403", "404", "410", "413"}
    for status in ("400", "403", "404", "410", "413"):
        assert set(response_schema(schema, post, status)["properties"]) == {"error", "index"}
    body = post["requestBody"]["content"]["text/plain"]["schema"]["oneOf"]
    assert body[0] == {"$ref": "#/components/schemas/TrackerMessage"}
    assert body[1]["type"] == "array"
    assert body[1]["maxItems"] == tracker.MAX_BATCH
    preflight = schema["paths"][TRACKER]["options"]
    assert preflight["security"] == []
    assert "Access-Control-Allow-Methods" in preflight["responses"]["204"]["headers"]


@pytest.mark.django_db
def test_the_documented_tracker_replies_are_those_the_tracker_sends(client):
    components = served_schema(client)["components"]["schemas"]
    documented = {
        reply["properties"]["type"]["enum"][0]: set(reply["properties"])
        for reply in components["TrackerReply"]["oneOf"]
    }

    ids, pong = tracker.handle_batch(
        [{"type": "page", "url": "https://shop.example/"}, {"type": "ping"}]
    )
    ack, received = tracker.handle_batch(
        [
            {"type": "event", "token": ids["token"], "id": "c-1", "eventName": "AddToCart"},
            {"type": "received", "token": ids["token"], "ids": []},
        ]
    )

    assert set(documented) == {"ids", "ack", "received", "pong"}
    for reply in (ids, ack, received, pong):
        assert set(reply) == documented[reply["type"]]


def test_the_poll_and_the_chat_over_http_are_public_and_document_their_answers(client):
    schema = served_schema(client)
    components = schema["components"]["schemas"]

    poll = schema["paths"][TRACKER_POLL]["post"]
    send = schema["paths"][CHAT_SEND]["post"]
    chat_poll = schema["paths"][CHAT_POLL]["post"]
    assert poll["security"] == send["security"] == chat_poll["security"] == []
    assert set(poll["responses"]) == {"200", "400", "403", "413"}
    assert set(chat_poll["responses"]) == {"200", "400", "403", "404", "413"}
    assert set(send["responses"]) == {"200", "400", "403", "404", "409", "413"}
    assert "25 s" in poll["description"]
    assert "GWE_LONG_POLL_SECONDS" in poll["description"]
    polled = response_schema(schema, poll, "200")
    assert polled["properties"]["notifications"]["items"] == {
        "$ref": "#/components/schemas/NotificationFrame"
    }
    assert components["TrackerPoll"]["required"] == ["token"]
    assert set(response_schema(schema, send, "200")["properties"]) == {"after", "messages"}
    assert components["ChatSend"]["properties"]["type"]["enum"] == ["message", "typing", "end"]
    assert "poll" in components["TrackerPageMessage"]["properties"]


@pytest.mark.django_db
def test_the_documented_notification_frame_is_the_one_pages_receive():
    from gwe.protocol import parse_page
    from gwe.services import page_start

    started = page_start(message=parse_page({"url": "https://shop.example/"}), live=True)
    [sent] = notify(
        visit_id=started.visit.pk,
        messages=[NotifyMessage(channel="offers", data={}, page_id=started.page.pk)],
    )
    documented = NOTIFICATION_FRAME["properties"]

    assert set(json.loads(frame(sent))) == set(documented)


def test_the_invitation_steps_are_public_and_document_every_refusal(client):
    schema = served_schema(client)

    operation = schema["paths"][INVITATION_STEP]["post"]
    assert operation["security"] == []
    assert set(operation["responses"]) == {"200", "400", "403", "404", "409", "410", "413"}
    for status in ("400", "403", "404", "409", "410", "413"):
        assert "error" in response_schema(schema, operation, status)["properties"]
    step = next(p for p in operation["parameters"] if p["name"] == "step")
    assert step["schema"]["enum"] == list(PAGE_STEPS)
    done = response_schema(schema, operation, "200")
    assert set(done["properties"]) == {"invitationID", "state", "engagement"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema["components"]["schemas"][body.rsplit("/", 1)[1]]["required"] == ["token"]


def test_every_reference_in_the_schema_names_a_component(client):
    schema = served_schema(client)
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(schema))

    assert refs
    assert set(refs) <= set(schema["components"]["schemas"])


def test_the_whole_api_documents_itself_without_warnings():
    GENERATOR_STATS.reset()

    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert not GENERATOR_STATS, "drf-spectacular warned about the API"
    validate_schema(schema)
    assert {TRACKER, INVITATION_STEP} <= set(schema["paths"])
