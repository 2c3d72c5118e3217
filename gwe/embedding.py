"""GWE's content in customer pages (invitations, the visitor's chat): who may frame it, and
what it may do there.

The tracker frames it from GWE's own origin, never the page's, so the browser's same-origin
policy already keeps the page and the frame apart. The response sandboxes itself: it may run
its scripts, keep GWE's origin (for its own requests and sockets), submit its forms and open
a window for the visitor (a chat or a call link, not sandboxed), but never navigate the
customer's page or open dialogs over it. A sandbox sent by the server cannot be lifted by the
frame, unlike an iframe's `sandbox` attribute with both allow-scripts and allow-same-origin
(which browsers warn about, rightly, when the frame is of the page's own origin)."""

from collections.abc import Callable, Mapping
from functools import wraps
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.utils.csp import build_policy
from django.views.decorators.clickjacking import xframe_options_exempt

SANDBOX = (
    "sandbox allow-scripts allow-same-origin allow-forms allow-popups "
    "allow-popups-to-escape-sandbox"
)


def frame_ancestors() -> str:
    """The sites allowed to embed the tracker, and GWE itself (its demo and admin)."""
    origins = settings.GWE_ALLOWED_ORIGINS
    return "*" if "*" in origins else " ".join(["'self'", *origins])


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A view whose page the tracker frames in customer pages."""

    @wraps(view)
    @xframe_options_exempt
    def framed(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        policy = cast("Mapping[str, list[str]]", settings.SECURE_CSP)  # settings.py says why
        scripts = build_policy(policy, get_nonce(request))
        response["Content-Security-Policy"] = (
            f"frame-ancestors {frame_ancestors()}; {SANDBOX}; {scripts}"
        )
        return response

    return framed
