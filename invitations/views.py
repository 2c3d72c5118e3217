import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render as render_page
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from gwe.embedding import embeddable
from gwe.ids import is_valid_id
from gwe.json_input import MalformedJSON, loads
from gwe.languages import in_visitors_language, speaks_visitors_language
from invitations import reactive, rendering, services
from invitations.models import Invitation, InvitationTemplate

ACCEPTED_TEXT = gettext_lazy("Thank you: we are connecting you.")
CONNECTING_TEXT = gettext_lazy("Connecting…")
OFFLINE_TEXT = gettext_lazy(
    "We could not reach our service. Please check your connection and try again."
)
CANNOT_CONNECT_TEXT = gettext_lazy("Sorry, we cannot connect you right now.")
OPEN_TEXT = gettext_lazy("Open")
CLOSE_TEXT = gettext_lazy("Close")
MAX_STEP_BYTES = 16 * 1024
# What the visitor's page gets for a template that cannot be shown: nothing to see, and the
# tracker told to remove the frame (else an empty frame would sit over the page).
NOT_SHOWN_PAGE = (
    '<!doctype html><meta charset="utf-8"><title>Invitation</title>'
    "<script>window.parent.postMessage({gwe: 'action', action: 'close'}, '*');</script>"
)

logger = logging.getLogger(__name__)


def invitation_page(request: HttpRequest, slug: str) -> HttpResponse | None:
    """The invitation a template's slug names, as the page's iframe loads it; None when
    there is no such template (the resource may be a file)."""
    template = InvitationTemplate.objects.filter(slug=slug, enabled=True).first()
    if template is None:
        return None
    invitation_id = request.GET.get("invitation", "")
    token = request.GET.get("token", "")[:200]
    invitation = None
    # The visitor's attributes are shown only to the page the invitation was sent to (its
    # address carries the token); an invitation id alone gets the template as a preview.
    if is_valid_id(invitation_id) and services.invitation_token_names(token, invitation_id):
        invitation = (
            Invitation.objects.select_related("visit__identity").filter(pk=invitation_id).first()
        )
    visitor = (
        invitation.visit.identity.attributes
        if invitation is not None and invitation.visit.identity
        else {}
    )
    language = request.GET.get("lang", "")[:16]
    mobile = request.GET.get("mobile") == "1" or "Mobi" in request.headers.get("User-Agent", "")
    return invitation_response(
        request,
        template,
        language=language,
        mobile=mobile,
        visitor=visitor,
        invitation=invitation,
        token=token,
    )


def invitation_response(
    request: HttpRequest,
    template: InvitationTemplate,
    *,
    language: str = "",
    mobile: bool = False,
    visitor: dict | None = None,
    invitation: Invitation | None = None,
    token: str = "",
) -> HttpResponse:
    """The template as the visitor sees it; without an invitation, a preview that reports
    nothing to the server. Raises nothing for a template that is not valid (the admin's form
    refuses one, but it may have been saved otherwise): see `not_shown`."""
    try:
        rendered = rendering.render(template, language=language, mobile=mobile, visitor=visitor)
    except rendering.NOT_VALID as exc:
        return not_shown(template, exc)
    runtime = {
        "invitation": invitation.pk if invitation else None,
        "token": token if invitation else None,
        "steps": f"/server/data/invitations/{invitation.pk}/" if invitation else None,
        "timeoutSeconds": template.timeout_seconds,
        "acceptedText": str(ACCEPTED_TEXT),
        "connectingText": str(CONNECTING_TEXT),
        "offlineText": str(OFFLINE_TEXT),
        "openText": str(OPEN_TEXT),
        "closeText": str(CLOSE_TEXT),
    }
    return render_page(
        request,
        "resources/invitation.html",
        {"rendered": rendered, "runtime": runtime, "language": language},
    )


def not_shown(template: InvitationTemplate, problem: Exception) -> HttpResponse:
    """A template that cannot be rendered, as the visitor's page gets it: 503, since the fault
    is the site's, not the request's, and lasts until someone fixes the template (a 4xx would
    blame the visitor; a 500 would say GWE failed). The visitor sees nothing: the page asks
    the tracker to remove the frame, and the admin's HTML is not quoted to the public."""
    logger.error(
        "invitation template %r is not a valid template, so it is not shown: %s",
        template.slug,
        problem,
    )
    return HttpResponse(NOT_SHOWN_PAGE, status=503)


@csrf_exempt  # called from the invitation's iframe; the signed token is the credential
@require_POST
def invitation_step(request: HttpRequest, invitation_id: str, step: str) -> JsonResponse:
    """The page reports a step of the invitation: shown, accepted, rejected or timedout."""
    body = _json_object(request)
    if isinstance(body, JsonResponse):
        return body
    fields = body.get("fields")
    if fields is not None and not (
        isinstance(fields, dict) and all(isinstance(v, str) for v in fields.values())
    ):
        return JsonResponse({"error": "fields must map names to text"}, status=400)
    try:
        invitation = services.invitation_step(
            invitation_id=invitation_id,
            token=str(body.get("token") or ""),
            step=step,
            fields=fields,
        )
    except services.StepRefused as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    reply: dict[str, object] = {"invitationID": invitation.pk, "state": invitation.state}
    if step == "accepted":
        with in_visitors_language(invitation.visit.language_code):
            reply["engagement"] = services.invitation_engage(invitation=invitation)
    return JsonResponse(reply)


@csrf_exempt  # in a frame on the customer's page; the page's signed token is the credential
@require_http_methods(["GET", "POST"])
@embeddable
@speaks_visitors_language
def visitor_chat_start(request: HttpRequest) -> HttpResponse:
    """The chat the visitor asked for: GET shows "Connecting…" and POSTs `{"token"}` (the
    page's token) back here; the answer says what the frame opens next."""
    if request.method == "GET":
        words = {"cannotConnect": str(CANNOT_CONNECT_TEXT), "offline": str(OFFLINE_TEXT)}
        context = {"token": request.GET.get("token", ""), "words": words}
        return render_page(request, "chat/start.html", context)
    body = _json_object(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        shown = reactive.visitor_chat_start(token=str(body.get("token") or ""))
    except reactive.ChatRefused as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    return JsonResponse({"engagement": shown})


def _json_object(request: HttpRequest) -> dict | JsonResponse:
    """The request's JSON object, or the error response that says what is wrong with it."""
    if len(request.body) > MAX_STEP_BYTES:
        return JsonResponse({"error": "request body is too large"}, status=413)
    try:
        body = loads(request.body or b"{}")
    except MalformedJSON as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"error": "send a JSON object"}, status=400)
    return body
