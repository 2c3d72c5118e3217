from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

TRACKER_SCRIPT = Path(__file__).parent / "tracker" / "GPE.js"


@require_GET
def tracker_script(request: HttpRequest) -> HttpResponse:
    script = TRACKER_SCRIPT.read_text() if settings.DEBUG else _tracker_script()
    response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@cache
def _tracker_script() -> str:
    return TRACKER_SCRIPT.read_text()
