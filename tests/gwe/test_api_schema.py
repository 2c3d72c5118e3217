import re

from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests.gwe.test_history_api import EVENT_KEYS

HISTORY_PATHS = {
    "/server/data/visits/{visitID}": "visit",
    "/server/data/visits/{visitID}/events": "visit_events",
    "/server/data/pages/{pageID}/events": "page_events",
    "/server/data/identities/{identityID}/visits": "identity_visits",
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
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
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
    assert set(schema["paths"]) == set(HISTORY_PATHS)


def test_the_docs_page_renders_swagger_ui_from_local_files(client):
    response = client.get("/server/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/server/api/schema/" in html
    assets = re.findall(r'(?:src|href)="([^"]+swagger-ui[^"]*)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} is not served by GWE itself"
        assert client.get(asset).status_code == 200, asset


def test_the_notify_endpoint_is_documented_with_its_errors(client):
    schema = served_schema(client)

    operation = schema["paths"]["/server/data/notification/notify/{visitID}"]["post"]
    assert operation["operationId"] == "notify"
    assert {"202", "400", "401", "403", "404", "413", "503"} <= set(operation["responses"])
    assert schema["components"]["schemas"]["NotifyItem"]["required"] == ["channel"]
