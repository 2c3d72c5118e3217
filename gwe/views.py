import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

from gwe.embedding import embeddable
from gwe.languages import speaks_visitors_language, tracker_words
from invitations.views import invitation_page
from notifications.bus import get_bus

TRACKER_SCRIPT = Path(__file__).parent / "tracker" / "GPE.js"
FAVICON = Path(__file__).parent / "static" / "gwe" / "favicon.ico"


@require_GET
@embeddable
@speaks_visitors_language
def resource(request: HttpRequest, name: str) -> HttpResponse:
    """An invitation or other content that `gpe.appendContent` loads into a page's iframe."""
    response = invitation_page(request, name)
    if response is None:
        try:
            response = render(request, f"resources/{name}.html")
        except TemplateDoesNotExist:
            raise Http404(f"no resource {name}.html") from None
    return response


@require_GET
def tracker_script(request: HttpRequest) -> HttpResponse:
    script = _tracker_script_read() if settings.DEBUG else _tracker_script()
    response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@cache
def _tracker_script() -> str:
    return _tracker_script_read()


def _tracker_script_read() -> str:
    """GPE.js with GWE's words in each of its languages written in."""
    words = json.dumps(tracker_words(), ensure_ascii=False)
    return TRACKER_SCRIPT.read_text().replace("var WORDS = {};", f"var WORDS = {words};", 1)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """An API path that names nothing (`/server/data/visits/%0A`) answers in the API's own
    JSON, not with an HTML page; everything else gets Django's page."""
    if request.path.startswith(("/server/data/", "/server/api/")):
        return JsonResponse({"error": "no such resource"}, status=404)
    return page_not_found(request, exception)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask every site for /favicon.ico: the admin, the agent console, the demo."""
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@cache
def _favicon() -> bytes:
    return FAVICON.read_bytes()


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 when the database and the bus (Redis, with
    REDIS_URL) answer, 503 (with what failed) otherwise."""
    bus = get_bus()
    checks = {"database": _database_ok(), "bus": bus.healthy()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    body.update({name: "ok" if ok else "unavailable" for name, ok in checks.items()})
    body["busKind"] = bus.name
    return JsonResponse(body, status=200 if healthy else 503)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False
