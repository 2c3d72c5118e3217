from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from gwe import tracker
from gwe.origins import origin_allowed
from gwe.protocol import ProtocolError, decode

TRACKER_SCRIPT = Path(__file__).parent / "tracker" / "GPE.js"


@csrf_exempt
@require_POST
def tracker_messages(request: HttpRequest) -> JsonResponse:
    """The tracker over HTTP: the fallback when WebSockets are blocked, and beacons."""
    if not origin_allowed(request.headers.get("Origin")):
        return JsonResponse({"error": "this origin may not send tracking data"}, status=403)
    limit = settings.GWE_TRACKER_MAX_BYTES
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return JsonResponse({"error": f"body is larger than {limit} bytes"}, status=413)
    try:
        body = decode(request.body, max_bytes=limit)
        replies = tracker.handle_batch(body, user_agent=request.headers.get("User-Agent", ""))
    except ProtocolError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    except tracker.BatchError as exc:
        return JsonResponse(
            {"error": exc.error.message, "index": exc.index}, status=exc.error.status
        )
    return JsonResponse({"replies": replies})


@csrf_exempt
def noop(request: HttpRequest) -> JsonResponse:
    """The benchmarks' baseline: an endpoint that does no work."""
    return JsonResponse({"replies": []})


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
